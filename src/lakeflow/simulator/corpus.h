// One corpus: the records an endpoint serves, kept as serialized JSON text.
//
// Records are addressed by index. With --scale N a corpus of n templates holds
// N virtual records: record i is template i % n with a unique id and shifted
// timestamps, rendered on demand from the template's text pre-split around the
// patched values, so a million records cost no more memory than n.
// Inserted and updated records are stored whole ("materialized").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow::simulator {

// Records keep their keys in corpus order, as the real API sends them.
using Json = nlohmann::ordered_json;

// A field's value as filters and sorts see it.
struct FieldValue {
  enum Kind { kMissing, kNull, kBool, kNumber, kString };
  Kind kind = kMissing;
  double number = 0;
  std::string str;
  std::optional<int64_t> micros;  // set when the string is an ISO timestamp
};

using FieldPath = std::vector<std::string>;
FieldPath SplitPath(const std::string& dotted);

// "2024-01-02T03:04:05Z" (with .ffffff when the micros are not whole seconds).
std::string FormatIsoMicros(int64_t micros);
void AppendIsoMicros(int64_t micros, std::string* out);
// Microseconds for strings that look like ISO timestamps, nullopt otherwise.
std::optional<int64_t> IsoMicros(std::string_view s);

struct DeletedRecord {
  std::string id;
  int64_t deleted_at_micros;
};

class Corpus {
 public:
  // Reads FILE: a JSON array of records, an object (a single entity), or a
  // string (a text body, served as it is). scale > 0 multiplies a corpus of
  // more than one record into `scale` records.
  static Result<std::unique_ptr<Corpus>> Load(const std::string& file, int64_t scale);
  // No records: what an endpoint serves whose corpus file is absent.
  static std::unique_ptr<Corpus> Empty();

  bool single_entity() const { return single_entity_; }
  bool text() const { return text_; }  // entity_text() is the body, not JSON
  const std::string& entity_text() const { return entity_text_; }

  // Index space: virtual records first, then inserted ones.
  size_t size() const { return virtual_count_ + extra_.size(); }
  bool live(size_t i) const { return !deleted_[i]; }
  void AppendText(size_t i, std::string* out) const;
  FieldValue Field(size_t i, const FieldPath& path) const;

  // Inserts, or updates by id (fields given replace; updated_at becomes now
  // if records have one). Returns the stored record's text.
  Result<std::string> Upsert(const Json& body, int64_t now_micros);
  Status Delete(const std::string& id, int64_t now_micros);
  std::vector<DeletedRecord> DeletedSince(int64_t since_micros) const;
  // Appends `count` records whose `cursor_field` lies after now.
  void AddFutureRecords(const std::string& cursor_field, int64_t count, int64_t now_micros);

 private:
  struct Slot {
    // kName: a record without an id is known by its name (a branch): copies
    // after the first round are "NAME-2", "NAME-3", ...
    enum Kind { kId, kNumber, kNodeId, kSha, kName, kTime, kUnixTime };
    Kind kind;
    std::string base;    // kNodeId, kSha: the template's value
    int64_t offset = 0;  // kTime, kUnixTime: micros after the template's earliest timestamp
  };
  struct Template {
    Json value;
    std::vector<std::string> pieces;  // text around the slots: slots.size() + 1
    std::vector<Slot> slots;
    std::map<std::string, size_t> slot_by_path;  // dotted path -> slot
  };
  struct Stored {
    Json value;
    std::string text;
  };

  void BuildTemplates(const Json& records);
  void AppendSlot(const Slot& slot, size_t i, std::string* out) const;
  FieldValue SlotValue(const Slot& slot, size_t i) const;
  int64_t UnixSeconds(const Slot& slot, size_t i) const;
  const Stored* StoredAt(size_t i) const;
  std::optional<size_t> FindById(const std::string& id) const;
  Json ValueAt(size_t i) const;
  size_t Append(Stored stored);
  std::vector<std::string> IdentityFields() const;
  // Stores `value` as record `at`; its text.
  std::string Replace(size_t at, Json value);

  bool single_entity_ = false;
  bool text_ = false;
  std::string entity_text_;
  bool scaled_ = false;
  std::vector<Template> templates_;
  size_t virtual_count_ = 0;
  int64_t id_base_ = 0;        // scaled: record i has id id_base_ + i
  int64_t next_id_ = 1;        // for records synthesized later
  int64_t anchor_micros_ = 0;  // scaled: record i's earliest timestamp is anchor + i s
  bool has_updated_at_ = false;
  std::unordered_map<size_t, Stored> overrides_;      // updated virtual records
  std::vector<Stored> extra_;                         // inserted records
  std::unordered_map<std::string, size_t> id_index_;  // ids not computable from the index
  std::vector<bool> deleted_;
  std::vector<DeletedRecord> deletions_;
};

// The id of a JSON record as text: strings as-is, numbers as written.
std::string IdText(const Json& id);

}  // namespace lakeflow::simulator
