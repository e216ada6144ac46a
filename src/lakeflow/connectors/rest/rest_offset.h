// The offsets of REST reads, typed: one struct, one parse, one serialisation.
//
// Incremental tables (cdc, cdc_with_deletes, append) keep positions as cursor
// values, never as page positions, so a source that changes between two
// reads (a record deleted or updated ahead of the position shifts every page)
// cannot make a resumed read skip a record:
//
//   {"cursor": ISO}        between sequences: every record stamped at or
//                          before it was delivered (none yet: no "cursor")
//   + "until": ISO         inside a sequence that a read's cap interrupted:
//                          its fixed upper bound
//   + "max": ISO           the largest cursor the sequence has delivered
//   + "resume": {"at": ISO, "keys": [...], "order": "asc"|"desc"}
//                          the cursor of the last record delivered, and the
//                          records delivered at exactly that value (their
//                          primary keys, or a digest of the record): the
//                          next read asks the API for records from `at` on
//                          (asc; desc: up to `at`) and drops those
//   + "parent": {"page": URL, "index": N, "bound": {...}}
//                          fan-out tables: the parent record whose children
//                          are read next (its bound fields), and where it was
//                          listed
//
// Snapshot tables read as a stream keep page positions: {"page": URL,
// "skip": K} while pages remain (fan-out tables: also "parent": {"page",
// "index"}), {"complete": true} at the end. (A batch read, which pipelines
// use for snapshots, needs no offset.)
//
// Offsets written by earlier versions inside a sequence ("page", "skip",
// "max" beside "cursor" and "until") resume that sequence from its start:
// at least once, never a skip.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "lakeflow/core/offset.h"

namespace lakeflow::rest {

struct ResumePoint {
  std::string at;              // ISO 8601 UTC, the last delivered record's cursor
  std::set<std::string> keys;  // identities of the records delivered at exactly `at`
  bool descending = false;     // the sequence lists records newest first
};

struct ParentPoint {
  std::string page;                          // the parent listing page it was on
  int64_t index = 0;                         // its place on that page
  std::map<std::string, std::string> bound;  // placeholder -> the parent's value
};

struct RestOffset {
  // Snapshot streams.
  std::string page;  // empty: from the first page
  int64_t skip = 0;
  bool complete = false;
  // Incremental reads.
  std::optional<std::string> cursor;
  std::optional<std::string> until;
  std::optional<std::string> max;
  std::optional<ResumePoint> resume;
  std::optional<ParentPoint> parent;

  // Whether a sequence is under way (an earlier read stopped inside it).
  bool InSequence() const { return until.has_value(); }

  // `incremental` says which kind of table the offset belongs to. Anything
  // malformed is one line naming the offset.
  static Result<RestOffset> Parse(const Offset& offset, bool incremental);
  Offset ToOffset() const;
};

}  // namespace lakeflow::rest
