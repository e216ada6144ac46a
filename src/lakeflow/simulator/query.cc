#include "lakeflow/simulator/query.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace lakeflow::simulator {
namespace {

std::optional<double> ParseNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return d;
}

// -1, 0, 1; timestamps compare as instants, numbers numerically.
int Compare(const FieldValue& v, const std::string& value) {
  if (v.micros) {
    if (auto m = IsoMicros(value)) return *v.micros < *m ? -1 : (*v.micros > *m ? 1 : 0);
  }
  if (v.kind == FieldValue::kNumber) {
    if (auto d = ParseNumber(value)) return v.number < *d ? -1 : (v.number > *d ? 1 : 0);
  }
  int c = v.str.compare(value);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string Substitute(std::string tpl, const std::map<std::string, std::string>& captures) {
  for (const auto& [name, value] : captures) {
    std::string key = "{" + name + "}";
    for (size_t pos; (pos = tpl.find(key)) != std::string::npos;)
      tpl.replace(pos, key.size(), value);
  }
  return tpl;
}

// Sort keys: numbers and instants as doubles (micros fit exactly), else text;
// missing and null values sort after everything else in either direction.
struct SortKey {
  uint8_t rank;  // 0 number, 1 text, 2 missing
  double number;
  std::string text;
};

SortKey KeyOf(const FieldValue& v) {
  if (v.micros) return {0, static_cast<double>(*v.micros), {}};
  if (v.kind == FieldValue::kNumber || v.kind == FieldValue::kBool) return {0, v.number, {}};
  if (v.kind == FieldValue::kString) return {1, 0, v.str};
  return {2, 0, {}};
}

// Indexed by record index, filled for the records in `which`.
std::vector<SortKey> KeysOf(const Corpus& corpus, const std::vector<uint32_t>& which,
                            const std::string& field) {
  FieldPath path = SplitPath(field);
  std::vector<SortKey> keys(corpus.size());
  for (uint32_t i : which) keys[i] = KeyOf(corpus.Field(i, path));
  return keys;
}

// -1, 0, 1 in the sort's direction, except that missing and null values
// come last either way.
int Order(const SortKey& a, const SortKey& b, bool desc) {
  if (a.rank != b.rank) return a.rank < b.rank ? -1 : 1;
  int c = 0;
  if (a.rank == 0) c = a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  if (a.rank == 1) c = a.text < b.text ? -1 : (a.text > b.text ? 1 : 0);
  return desc ? -c : c;
}

}  // namespace

std::string Query::CacheKey() const {
  std::string key = sort.field + (sort.descending ? " desc " : " asc ") + sort.tie_field +
                    (deleted ? " deleted" : "");
  for (const auto& c : conditions) {
    key += "|";
    for (const auto& p : c.field) key += p + ".";
    key += std::to_string(static_cast<int>(c.op)) + "=" + c.value;
  }
  return key;
}

Result<Query> BuildQuery(const EndpointSpec& ep,
                         const std::multimap<std::string, std::string>& params,
                         const std::map<std::string, std::string>& captures) {
  Query q;
  q.sort = ep.default_sort;
  for (const auto& p : ep.path_params) {
    auto it = captures.find(p.name);
    if (it == captures.end()) continue;
    std::string value = p.value.empty() ? it->second : Substitute(p.value, captures);
    q.conditions.push_back({SplitPath(p.field), p.op, value});
  }
  for (const auto& p : ep.params) {
    auto it = params.find(p.name);
    if (it == params.end()) continue;
    const std::string& value = it->second;
    switch (p.role) {
      case ParamRole::kFilter:
        if (!p.all_value.empty() && value == p.all_value) break;
        q.conditions.push_back({SplitPath(p.field), p.op, value});
        break;
      case ParamRole::kSortBy: {
        auto opt = p.sort_options.find(value);
        if (opt == p.sort_options.end())
          return Status::Invalid("{}: unknown value '{}'", p.name, value);
        q.sort.field = opt->second;
        break;
      }
      case ParamRole::kDeleted:
        q.deleted = value == p.value;
        break;
      case ParamRole::kSortOrder:
        if (value != "asc" && value != "desc") {
          return Status::Invalid("{}: expected asc or desc", p.name);
        }
        q.sort.descending = value == "desc";
        break;
      default:
        break;  // paging: not part of the query
    }
  }
  return q;
}

namespace {

bool Equal(const FieldValue& v, const std::string& value) {
  if (v.kind == FieldValue::kNull) return value == "null";
  return Compare(v, value) == 0;
}

// kIn's values: "a,b,c".
bool EqualsAny(const FieldValue& v, const std::string& values) {
  size_t start = 0;
  while (true) {
    size_t comma = values.find(',', start);
    if (Equal(v, values.substr(start, comma - start))) return true;
    if (comma == std::string::npos) return false;
    start = comma + 1;
  }
}

}  // namespace

bool Matches(const FieldValue& v, const Condition& c) {
  // A record without the field is not equal to anything, and has no order.
  if (v.kind == FieldValue::kMissing) return c.op == FilterOp::kNe;
  const bool ordered = v.kind != FieldValue::kNull;
  switch (c.op) {
    case FilterOp::kEq:
      return Equal(v, c.value);
    case FilterOp::kNe:
      return !Equal(v, c.value);
    case FilterOp::kIn:
      return EqualsAny(v, c.value);
    case FilterOp::kGt:
      return ordered && Compare(v, c.value) > 0;
    case FilterOp::kGte:
      return ordered && Compare(v, c.value) >= 0;
    case FilterOp::kLt:
      return ordered && Compare(v, c.value) < 0;
    case FilterOp::kLte:
      return ordered && Compare(v, c.value) <= 0;
    case FilterOp::kEndsWith:
      return v.str.size() >= c.value.size() &&
             v.str.compare(v.str.size() - c.value.size(), c.value.size(), c.value) == 0;
  }
  return false;
}

std::vector<uint32_t> Evaluate(const Corpus& corpus, const Query& q) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < corpus.size(); ++i) {
    if (corpus.live(i) == q.deleted) continue;
    bool ok = true;
    for (const auto& c : q.conditions) {
      if (!Matches(corpus.Field(i, c.field), c)) {
        ok = false;
        break;
      }
    }
    if (ok) out.push_back(static_cast<uint32_t>(i));
  }
  if (q.sort.field.empty()) return out;
  std::vector<SortKey> keys = KeysOf(corpus, out, q.sort.field);
  std::vector<SortKey> ties;
  if (!q.sort.tie_field.empty()) ties = KeysOf(corpus, out, q.sort.tie_field);
  bool desc = q.sort.descending;
  std::stable_sort(out.begin(), out.end(), [&](uint32_t a, uint32_t b) {
    int c = Order(keys[a], keys[b], desc);
    if (c == 0 && !ties.empty()) c = Order(ties[a], ties[b], desc);
    return c < 0;
  });
  return out;
}

}  // namespace lakeflow::simulator
