// PageWalk: one read's walk over a REST table's pages, keeping the records
// the read's window keeps, converted to Arrow as the pages arrive, until the
// sequence ends or the walk holds its limit.
//
// A walk covers one request sequence (the table's pages) or, for a fan-out
// table, the parent's pages and each parent record's children. Where it
// stopped is a Position (a page and how much of it was taken) or a
// FanOutPosition (a parent page, and the parent to walk next by its bound
// values). Positions are kept in memory by a batch read and in the offset of
// a snapshot stream; incremental streams resume from the window's edge
// instead (rest_offset.h, record_window.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/connect/record_stream.h"
#include "lakeflow/connectors/rest/page_scanner.h"
#include "lakeflow/connectors/rest/record_window.h"
#include "lakeflow/connectors/rest/rest_requests.h"
#include "lakeflow/core/json_converter.h"

namespace lakeflow::rest {

// Rows per Arrow batch a walk hands over.
inline constexpr int64_t kBatchRows = 8192;

// Where a walk stands in a sequence of pages. Empty `page`: at the start.
struct Position {
  std::string page;
  int64_t skip = 0;
};

// The values a parent record binds into its children's requests.
using Bound = std::map<std::string, std::string>;

// Where a walk of a fan-out table stands among the parent records.
struct FanOutPosition {
  std::string page;  // the parent listing page; empty: the first
  int64_t index = 0;
  // The parent to walk next, by its bound values, before going on at
  // `index`: where a read stopped. Found again by its values, so parents
  // that moved in the listing since are not skipped.
  std::optional<Bound> pending;
  // Whether the walk stopped among the pending parent's children (rather
  // than before them): the window's edge is then theirs.
  bool pending_started = false;
  Position child;  // inside the pending parent's children
};

class PageWalk {
 public:
  // A walk of `table` (its deletes endpoint when `deletes`) with the
  // template values of one read.
  static Result<std::unique_ptr<PageWalk>> Make(RestRequests* requests, const TableSpec& table,
                                                bool deletes, Options values);

  // Set before walking. The window defaults to every record (a snapshot).
  RecordWindow window;
  http::IncrementalCursor* cursor = nullptr;  // observes kept records
  int64_t limit = 0;                          // records a walk holds at most
  // Stop only between pages: an in-memory walk resumes at a page's start.
  bool whole_pages = false;

  const TableSpec& table() const { return *table_; }

  // The table's first page, starting the window's sequence.
  Result<std::string> FirstPage();

  // Walks the table's pages from `pos` until they end (true) or the walk
  // holds its limit (false, `pos` saying where to go on).
  Result<bool> Sequence(Position* pos);
  // The same for a fan-out table, from `at`.
  Result<bool> FanOut(FanOutPosition* at);

  // The records converted so far, handed over; the next ones count afresh
  // toward the limit.
  Result<std::vector<Chunk>> TakeChunks();

  // Records held toward the limit, and whether the walk passed the limit
  // because records broke the order the spec declares.
  int64_t held() const { return held_; }
  bool unordered_past_cap() const { return unordered_past_cap_; }

 private:
  PageWalk(RestRequests* requests, const TableSpec& table, bool deletes, Options values);

  bool AtLimit();
  Result<http::HttpResponse> FetchPage(const std::string& url, const Options& values);
  Result<bool> WalkSequence(Position* pos, const Options& values);
  Result<int64_t> Take(const http::HttpResponse& response,
                       const std::vector<ScannedRecord>& records, int64_t from);
  Status TakeDeletes(const std::vector<ScannedRecord>& records, const std::vector<size_t>& kept);
  Status FlushBatch();
  Bound BoundOf(const ScannedRecord& parent) const;
  Result<bool> WalkChildren(const Bound& bound, Position* child);
  Result<http::HttpResponse> FetchParentPage(const std::string& url);
  Result<bool> PlacePending(const TableSpec& parent, PageScanner& scanner, FanOutPosition* at,
                            http::HttpResponse* response, std::vector<ScannedRecord>* parents);

  RestRequests* requests_;
  const TableSpec* table_;
  const EndpointSpec* ep_;
  Options values_;
  http::Paginator pager_{http::PaginatorSpec{}};
  // Scans the cursor, then the keys, of each record (incremental reads).
  std::unique_ptr<PageScanner> scanner_;
  bool keyed_ = false;  // the table has primary keys to identify records by
  // Pages are converted to Arrow as they arrive, while they are in cache;
  // a read then holds Arrow batches, not the JSON they came from.
  std::unique_ptr<JsonConverter> converter_;
  std::vector<Chunk> chunks_;
  std::unique_ptr<PagePrefetcher> prefetcher_;  // with parallel_pages > 1
  int64_t held_ = 0;
  bool rewrite_deletes_ = false;
  bool unordered_past_cap_ = false;
  // The parent page last fetched: an in-memory walk resumed among its
  // parents does not fetch it again.
  std::string parent_url_;
  http::HttpResponse parent_response_;
};

}  // namespace lakeflow::rest
