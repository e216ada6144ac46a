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

}  // namespace

std::string Query::CacheKey() const {
  std::string key = sort.field + (sort.descending ? " desc" : " asc");
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
        q.conditions.push_back({SplitPath(p.field), p.op, value});
        break;
      case ParamRole::kSortBy: {
        auto opt = p.sort_options.find(value);
        if (opt == p.sort_options.end())
          return Status::Invalid("{}: unknown value '{}'", p.name, value);
        q.sort.field = opt->second;
        break;
      }
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

bool Matches(const FieldValue& v, const Condition& c) {
  if (v.kind == FieldValue::kMissing) return false;
  switch (c.op) {
    case FilterOp::kEq:
      if (v.kind == FieldValue::kNull) return c.value == "null";
      return Compare(v, c.value) == 0;
    case FilterOp::kGte:
      return v.kind != FieldValue::kNull && Compare(v, c.value) >= 0;
    case FilterOp::kLte:
      return v.kind != FieldValue::kNull && Compare(v, c.value) <= 0;
    case FilterOp::kEndsWith:
      return v.str.size() >= c.value.size() &&
             v.str.compare(v.str.size() - c.value.size(), c.value.size(), c.value) == 0;
  }
  return false;
}

std::vector<uint32_t> Evaluate(const Corpus& corpus, const Query& q) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < corpus.size(); ++i) {
    if (!corpus.live(i)) continue;
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
  FieldPath path = SplitPath(q.sort.field);
  std::vector<SortKey> keys(corpus.size());
  for (uint32_t i : out) keys[i] = KeyOf(corpus.Field(i, path));
  bool desc = q.sort.descending;
  std::stable_sort(out.begin(), out.end(), [&](uint32_t a, uint32_t b) {
    const SortKey& ka = keys[a];
    const SortKey& kb = keys[b];
    if (ka.rank != kb.rank) return ka.rank < kb.rank;
    if (ka.rank == 0 && ka.number != kb.number)
      return desc ? ka.number > kb.number : ka.number < kb.number;
    if (ka.rank == 1 && ka.text != kb.text) return desc ? ka.text > kb.text : ka.text < kb.text;
    return false;
  });
  return out;
}

}  // namespace lakeflow::simulator
