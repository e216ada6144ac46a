#include "lakeflow/simulator/corpus.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "lakeflow/core/file_io.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/time_parse.h"

namespace lakeflow::simulator {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
// Stands in for a patched value while a template is serialized; nlohmann
// writes it verbatim, so the text can be split around it.
constexpr const char* kSlotMarker = "\x7flfslot\x7f";

const Json* Navigate(const Json& root, const FieldPath& path) {
  const Json* cur = &root;
  for (const auto& part : path) {
    if (cur->is_object()) {
      auto it = cur->find(part);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      size_t idx = 0;
      auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), idx);
      if (ec != std::errc() || idx >= cur->size()) return nullptr;
      cur = &(*cur)[idx];
    } else {
      return nullptr;
    }
  }
  return cur;
}

FieldValue ToFieldValue(const Json* v) {
  FieldValue f;
  if (v == nullptr) return f;
  if (v->is_null()) {
    f.kind = FieldValue::kNull;
  } else if (v->is_boolean()) {
    f.kind = FieldValue::kBool;
    f.number = v->get<bool>() ? 1 : 0;
    f.str = v->get<bool>() ? "true" : "false";
  } else if (v->is_number()) {
    f.kind = FieldValue::kNumber;
    f.number = v->get<double>();
    f.str = v->dump();
  } else if (v->is_string()) {
    f.kind = FieldValue::kString;
    f.str = v->get<std::string>();
    f.micros = IsoMicros(f.str);
  } else {
    f.kind = FieldValue::kString;
    f.str = v->dump();
  }
  return f;
}

std::string JoinPath(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

struct TimeAt {
  std::string path;
  int64_t micros;
  bool unix_seconds;  // an integer such as Zendesk's generated_timestamp
};

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// An integer "*_timestamp" field holding seconds between 2001 and 2286.
std::optional<int64_t> UnixSecondsMicros(const std::string& key, const Json& v) {
  if (!v.is_number_integer() || !EndsWith(key, "_timestamp")) return std::nullopt;
  int64_t secs = v.get<int64_t>();
  if (secs < 1000000000 || secs >= 10000000000) return std::nullopt;
  return secs * kMicrosPerSecond;
}

// Finds every timestamp at any depth, with its dotted path: ISO strings, and
// unix-seconds integers (so scaling shifts those too).
void CollectTimes(const Json& v, const std::string& path, std::vector<TimeAt>* out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string sub = JoinPath(path, it.key());
      if (auto m = UnixSecondsMicros(it.key(), *it)) {
        out->push_back({sub, *m, true});
      } else {
        CollectTimes(*it, sub, out);
      }
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i)
      CollectTimes(v[i], JoinPath(path, std::to_string(i)), out);
  } else if (v.is_string()) {
    if (auto m = IsoMicros(v.get_ref<const std::string&>())) out->push_back({path, *m, false});
  }
}

Json* NavigateMut(Json* root, const std::string& dotted) {
  Json* cur = root;
  for (const auto& part : SplitPath(dotted)) {
    if (cur->is_array()) {
      cur = &(*cur)[static_cast<size_t>(std::stoul(part))];
    } else {
      cur = &(*cur)[part];
    }
  }
  return cur;
}

}  // namespace

FieldPath SplitPath(const std::string& dotted) {
  FieldPath out;
  std::stringstream ss(dotted);
  std::string part;
  while (std::getline(ss, part, '.')) out.push_back(part);
  return out;
}

std::optional<int64_t> IsoMicros(std::string_view s) {
  // Only date-times: "1700000000" or a bare date are not what scaling shifts.
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ')) {
    return std::nullopt;
  }
  return ParseTimestampMicros(s);
}

namespace {

void PutDigits(char* out, int64_t v, int width) {
  for (int k = width - 1; k >= 0; --k) {
    out[k] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

// Hand-rolled rather than fmt: scaled pages format several timestamps per
// record, and this is most of the CPU a page costs.
void AppendIsoMicros(int64_t micros, std::string* out) {
  int64_t secs = micros / kMicrosPerSecond;
  int64_t frac = micros % kMicrosPerSecond;
  if (frac < 0) {
    frac += kMicrosPerSecond;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[32] = "0000-00-00T00:00:00.000000";
  PutDigits(buf, y, 4);
  PutDigits(buf + 5, m, 2);
  PutDigits(buf + 8, d, 2);
  PutDigits(buf + 11, rem / 3600, 2);
  PutDigits(buf + 14, (rem / 60) % 60, 2);
  PutDigits(buf + 17, rem % 60, 2);
  size_t len = 19;
  if (frac != 0) {
    PutDigits(buf + 20, frac, 6);
    len = 26;
  }
  out->append(buf, len);
  out->push_back('Z');
}

std::string FormatIsoMicros(int64_t micros) {
  std::string out;
  AppendIsoMicros(micros, &out);
  return out;
}

std::string IdText(const Json& id) {
  return id.is_string() ? id.get<std::string>() : id.dump();
}

std::unique_ptr<Corpus> Corpus::Empty() {
  auto corpus = std::make_unique<Corpus>();
  corpus->BuildTemplates(Json::array());
  return corpus;
}

Result<std::unique_ptr<Corpus>> Corpus::Load(const std::string& file, int64_t scale) {
  auto text = ReadWholeFile(file);
  if (!text.ok()) return Status::IOError("{}: cannot read", file);
  LF_ASSIGN_OR_RETURN(Json doc, ParseOrderedJson(*text, file));
  auto corpus = std::make_unique<Corpus>();
  if (doc.is_object() || doc.is_string()) {
    corpus->single_entity_ = true;
    corpus->text_ = doc.is_string();
    corpus->entity_text_ = doc.is_string() ? doc.get<std::string>() : doc.dump();
    return corpus;
  }
  if (!doc.is_array()) {
    return Status::Invalid(
        "{}: expected a JSON array (records), object (one entity) or string (text)", file);
  }
  corpus->scaled_ = scale > 0 && doc.size() > 1;
  corpus->BuildTemplates(doc);
  corpus->virtual_count_ = corpus->scaled_ ? static_cast<size_t>(scale) : doc.size();
  corpus->deleted_.assign(corpus->virtual_count_, false);
  if (corpus->scaled_) corpus->next_id_ = corpus->id_base_ + scale;
  return corpus;
}

void Corpus::BuildTemplates(const Json& records) {
  int64_t max_id = 0;
  anchor_micros_ = std::numeric_limits<int64_t>::max();
  for (const auto& r : records) {
    if (r.is_object() && r.contains("updated_at")) has_updated_at_ = true;
    auto id = r.is_object() ? r.find("id") : r.end();
    if (r.is_object() && id != r.end() && id->is_number_integer()) {
      max_id = std::max(max_id, id->get<int64_t>());
    }
  }
  id_base_ = max_id + 1;
  next_id_ = max_id + 1;
  for (size_t t = 0; t < records.size(); ++t) {
    Template tpl;
    tpl.value = records[t];
    if (!scaled_) {
      tpl.pieces.push_back(tpl.value.dump());
      if (tpl.value.is_object() && tpl.value.contains("id")) {
        id_index_[IdText(tpl.value["id"])] = t;
      }
      templates_.push_back(std::move(tpl));
      continue;
    }
    Json marked = tpl.value;
    std::vector<TimeAt> times;
    CollectTimes(tpl.value, "", &times);
    int64_t earliest = std::numeric_limits<int64_t>::max();
    for (const auto& t : times) earliest = std::min(earliest, t.micros);
    if (!times.empty()) anchor_micros_ = std::min(anchor_micros_, earliest);
    auto add = [&](const std::string& path, Slot slot) {
      tpl.slot_by_path[path] = tpl.slots.size();
      tpl.slots.push_back(std::move(slot));
      *NavigateMut(&marked, path) = std::string(kSlotMarker);
    };
    if (marked.is_object()) {
      if (marked.contains("id")) add("id", {Slot::kId, "", 0});
      if (marked.contains("number")) add("number", {Slot::kNumber, "", 0});
      if (marked.contains("node_id") && marked["node_id"].is_string()) {
        add("node_id", {Slot::kNodeId, marked["node_id"].get<std::string>(), 0});
      }
      if (marked.contains("sha") && marked["sha"].is_string()) {
        add("sha", {Slot::kSha, marked["sha"].get<std::string>(), 0});
      }
      if (!marked.contains("id") && marked.contains("name") && marked["name"].is_string()) {
        add("name", {Slot::kName, marked["name"].get<std::string>(), 0});
      }
    }
    for (const auto& t : times) {
      add(t.path, {t.unix_seconds ? Slot::kUnixTime : Slot::kTime, "", t.micros - earliest});
    }
    // Split the text at the markers.
    std::string text = marked.dump();
    std::string quoted = std::string("\"") + kSlotMarker + "\"";
    std::vector<Slot> ordered;
    std::map<std::string, size_t> by_path;
    size_t pos = 0;
    size_t start = 0;
    while ((pos = text.find(quoted, start)) != std::string::npos) {
      tpl.pieces.push_back(text.substr(start, pos - start));
      start = pos + quoted.size();
    }
    tpl.pieces.push_back(text.substr(start));
    // A depth-first walk of the marked tree meets the markers in text order
    // (ordered_json dumps keys as stored); rebuild the slot list that way.
    std::vector<std::string> order;
    std::function<void(const Json&, const std::string&)> walk = [&](const Json& v,
                                                                    const std::string& path) {
      if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) walk(*it, JoinPath(path, it.key()));
      } else if (v.is_array()) {
        for (size_t i = 0; i < v.size(); ++i) walk(v[i], JoinPath(path, std::to_string(i)));
      } else if (v.is_string() && v.get_ref<const std::string&>() == kSlotMarker) {
        order.push_back(path);
      }
    };
    walk(marked, "");
    for (const auto& path : order) {
      by_path[path] = ordered.size();
      ordered.push_back(tpl.slots[tpl.slot_by_path[path]]);
    }
    tpl.slots = std::move(ordered);
    tpl.slot_by_path = std::move(by_path);
    templates_.push_back(std::move(tpl));
  }
  if (anchor_micros_ == std::numeric_limits<int64_t>::max()) anchor_micros_ = 0;
}

FieldValue Corpus::SlotValue(const Slot& slot, size_t i) const {
  FieldValue f;
  switch (slot.kind) {
    case Slot::kId:
      f.kind = FieldValue::kNumber;
      f.number = static_cast<double>(id_base_ + static_cast<int64_t>(i));
      f.str = std::to_string(id_base_ + static_cast<int64_t>(i));
      return f;
    case Slot::kNumber:
      f.kind = FieldValue::kNumber;
      f.number = static_cast<double>(i + 1);
      f.str = std::to_string(i + 1);
      return f;
    case Slot::kNodeId:
      f.kind = FieldValue::kString;
      f.str = fmt::format("{}:{}", slot.base, i);
      return f;
    case Slot::kSha:
      f.kind = FieldValue::kString;
      f.str = fmt::format("{:08x}{}", i, slot.base.size() > 8 ? slot.base.substr(8) : "");
      return f;
    case Slot::kName: {
      f.kind = FieldValue::kString;
      size_t round = i / templates_.size();
      f.str = round == 0 ? slot.base : fmt::format("{}-{}", slot.base, round + 1);
      return f;
    }
    case Slot::kTime:
      f.kind = FieldValue::kString;
      f.micros = anchor_micros_ + static_cast<int64_t>(i) * kMicrosPerSecond + slot.offset;
      f.str = FormatIsoMicros(*f.micros);
      return f;
    case Slot::kUnixTime:
      f.kind = FieldValue::kNumber;
      f.number = static_cast<double>(UnixSeconds(slot, i));
      f.str = std::to_string(UnixSeconds(slot, i));
      return f;
  }
  return f;
}

int64_t Corpus::UnixSeconds(const Slot& slot, size_t i) const {
  int64_t micros = anchor_micros_ + static_cast<int64_t>(i) * kMicrosPerSecond + slot.offset;
  return micros / kMicrosPerSecond;
}

void Corpus::AppendSlot(const Slot& slot, size_t i, std::string* out) const {
  int64_t idx = static_cast<int64_t>(i);
  char buf[24];
  switch (slot.kind) {
    case Slot::kId:
    case Slot::kNumber:
    case Slot::kUnixTime: {
      int64_t v = slot.kind == Slot::kId       ? id_base_ + idx
                  : slot.kind == Slot::kNumber ? idx + 1
                                               : UnixSeconds(slot, i);
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
      out->append(buf, end);
      return;
    }
    case Slot::kTime:
      out->push_back('"');
      AppendIsoMicros(anchor_micros_ + idx * kMicrosPerSecond + slot.offset, out);
      out->push_back('"');
      return;
    case Slot::kNodeId:
    case Slot::kSha:
      out->push_back('"');
      out->append(SlotValue(slot, i).str);
      out->push_back('"');
      return;
    case Slot::kName:  // the name came from the corpus: escaped as JSON
      out->append(Json(SlotValue(slot, i).str).dump());
      return;
  }
}

const Corpus::Stored* Corpus::StoredAt(size_t i) const {
  if (i >= virtual_count_) return &extra_[i - virtual_count_];
  if (overrides_.empty()) return nullptr;
  auto it = overrides_.find(i);
  return it == overrides_.end() ? nullptr : &it->second;
}

void Corpus::AppendText(size_t i, std::string* out) const {
  if (const Stored* s = StoredAt(i)) {
    out->append(s->text);
    return;
  }
  const Template& t = templates_[i % templates_.size()];
  out->append(t.pieces[0]);
  for (size_t k = 0; k < t.slots.size(); ++k) {
    AppendSlot(t.slots[k], i, out);
    out->append(t.pieces[k + 1]);
  }
}

FieldValue Corpus::Field(size_t i, const FieldPath& path) const {
  if (const Stored* s = StoredAt(i)) return ToFieldValue(Navigate(s->value, path));
  const Template& t = templates_[i % templates_.size()];
  if (!t.slot_by_path.empty()) {
    std::string dotted;
    for (const auto& p : path) dotted = JoinPath(dotted, p);
    auto it = t.slot_by_path.find(dotted);
    if (it != t.slot_by_path.end()) return SlotValue(t.slots[it->second], i);
  }
  return ToFieldValue(Navigate(t.value, path));
}

Json Corpus::ValueAt(size_t i) const {
  if (const Stored* s = StoredAt(i)) return s->value;
  std::string text;
  AppendText(i, &text);
  // The corpus's own text (templates and stored records were JSON): it parses.
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

std::optional<size_t> Corpus::FindById(const std::string& id) const {
  auto it = id_index_.find(id);
  if (it != id_index_.end()) return it->second;
  if (!scaled_) return std::nullopt;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || p != id.data() + id.size()) return std::nullopt;
  if (n < id_base_ || n >= id_base_ + static_cast<int64_t>(virtual_count_)) return std::nullopt;
  return static_cast<size_t>(n - id_base_);
}

std::string Corpus::Replace(size_t at, Json value) {
  Stored s{value, value.dump()};
  std::string text = s.text;
  if (at >= virtual_count_) {
    extra_[at - virtual_count_] = std::move(s);
  } else {
    overrides_[at] = std::move(s);
  }
  return text;
}

size_t Corpus::Append(Stored stored) {
  extra_.push_back(std::move(stored));
  deleted_.push_back(false);
  return size() - 1;
}

Result<std::string> Corpus::Upsert(const Json& body, int64_t now_micros) {
  if (!body.is_object()) return Status::Invalid("record must be a JSON object");
  if (single_entity_) return Status::Invalid("a single-entity corpus has no records");
  std::string now = FormatIsoMicros(now_micros);
  auto id = body.find("id");
  std::optional<size_t> at = id == body.end() ? std::nullopt : FindById(IdText(*id));
  if (at && live(*at)) {
    Json merged = ValueAt(*at);
    for (auto it = body.begin(); it != body.end(); ++it) merged[it.key()] = it.value();
    if (merged.contains("updated_at") && !body.contains("updated_at")) merged["updated_at"] = now;
    return Replace(*at, std::move(merged));
  }
  Json record = body;
  if (!record.contains("id")) record["id"] = next_id_++;
  if (has_updated_at_ && !record.contains("updated_at")) record["updated_at"] = now;
  std::string key = IdText(record["id"]);
  Stored s{record, record.dump()};
  std::string text = s.text;
  id_index_[key] = Append(std::move(s));
  return text;
}

Status Corpus::Delete(const std::string& id, int64_t now_micros) {
  std::optional<size_t> at = FindById(id);
  if (!at || !live(*at)) return Status::NotFound("no record with id {}", id);
  // A deleted-records listing (role `deleted`) shows it changed now, so a
  // delete flow that follows updated_at finds it.
  Json value = ValueAt(*at);
  if (value.is_object() && value.contains("updated_at")) {
    value["updated_at"] = FormatIsoMicros(now_micros);
    Replace(*at, std::move(value));
  }
  deleted_[*at] = true;
  deletions_.push_back({id, now_micros});
  return Status::OK();
}

std::vector<DeletedRecord> Corpus::DeletedSince(int64_t since_micros) const {
  std::vector<DeletedRecord> out;
  for (const auto& d : deletions_) {
    if (d.deleted_at_micros >= since_micros) out.push_back(d);
  }
  return out;
}

namespace {

// Whether a field's name says it identifies a record: id, uuid, key, or a
// name ending so (flightId, ticket_id, __rid, __primaryKey).
bool LooksLikeIdentity(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto ends = [&](std::string_view tail) {
    return name.size() >= tail.size() &&
           name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  return ends("id") || ends("uuid") || ends("key");
}

}  // namespace

// The top-level fields other than id that identify the corpus's records: an
// identity's name, and a distinct string or integer in every record. A future
// copy gets fresh values there too, or it would be a record twice.
std::vector<std::string> Corpus::IdentityFields() const {
  std::vector<std::string> out;
  if (virtual_count_ == 0) return out;
  Json first = ValueAt(0);
  if (!first.is_object()) return out;
  for (const auto& [name, _] : first.items()) {
    if (name == "id" || name == "sha" || name == "node_id" || !LooksLikeIdentity(name)) continue;
    std::set<std::string> seen;
    bool distinct = true;
    for (size_t i = 0; i < virtual_count_ && distinct; ++i) {
      Json r = ValueAt(i);
      auto it = r.is_object() ? r.find(name) : r.end();
      distinct = it != r.end() && (it->is_string() || it->is_number_integer()) &&
                 seen.insert(it->dump()).second;
    }
    if (distinct) out.push_back(name);
  }
  return out;
}

void Corpus::AddFutureRecords(const std::string& cursor_field, int64_t count, int64_t now_micros) {
  if (templates_.empty()) return;
  const std::vector<std::string> identities = IdentityFields();
  for (int64_t k = 0; k < count; ++k) {
    Json r = ValueAt(static_cast<size_t>(k) % virtual_count_);
    if (!r.is_object()) continue;
    // A day ahead and more: still "after now" however long the server runs
    // a test, so a connector that does not cap its cursor never catches up.
    // A day apart, so copies differ even where the field is a date.
    int64_t when = now_micros + 86400 * (k + 1) * kMicrosPerSecond;
    Json* field = NavigateMut(&r, cursor_field);
    bool date_only = field->is_string() && field->get_ref<const std::string&>().size() == 10;
    std::string iso = FormatIsoMicros(when);
    *field = date_only ? iso.substr(0, 10) : iso;
    // A fresh id of the same type: a copy that kept its id would be the same
    // record twice to a connector (and a child endpoint's parent twice).
    if (r.contains("id") && r["id"].is_number()) {
      r["id"] = next_id_++;
    } else if (r.contains("id") && r["id"].is_string()) {
      r["id"] = fmt::format("{}-future-{}", r["id"].get<std::string>(), k);
    }
    if (r.contains("sha") && r["sha"].is_string()) {
      const auto& sha = r["sha"].get_ref<const std::string&>();
      r["sha"] = fmt::format("f{:07x}{}", k, sha.size() > 8 ? sha.substr(8) : "");
    }
    if (r.contains("node_id")) r["node_id"] = fmt::format("future:{}", k);
    for (const auto& name : identities) {
      Json& v = r[name];
      v = v.is_string() ? Json(fmt::format("{}-future-{}", v.get<std::string>(), k))
                        : Json(next_id_++);
    }
    std::string key = r.contains("id")                            ? IdText(r["id"])
                      : r.contains("sha") && r["sha"].is_string() ? r["sha"].get<std::string>()
                                                                  : std::string();
    id_index_[key] = Append(Stored{r, r.dump()});
  }
}

}  // namespace lakeflow::simulator
