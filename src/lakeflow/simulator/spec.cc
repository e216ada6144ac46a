#include "lakeflow/simulator/spec.h"

#include <filesystem>
#include <optional>
#include <utility>

#include "lakeflow/core/file_io.h"
#include "lakeflow/core/yaml_reader.h"

namespace lakeflow::simulator {
namespace {

// Sort options name a field; the GitHub-style short names gain "_at".
std::string SortField(const std::string& option) {
  if (option == "created" || option == "updated" || option == "pushed") return option + "_at";
  return option;
}

// "a, b, c": the names a spec may use, for errors.
template <typename Map>
std::string Names(const Map& map) {
  std::string out;
  for (const auto& [name, _] : map) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Looks `n`'s text up in `names`, or says what it is and what is accepted.
template <typename T>
Result<T> OneOf(const YamlReader& err, const YAML::Node& n, const std::string& field,
                const char* what, const std::vector<std::pair<std::string, T>>& names) {
  if (!n.IsScalar()) return err.At(n, field, std::string("expected a ") + what);
  std::string text = n.as<std::string>();
  for (const auto& [name, value] : names) {
    if (name == text) return value;
  }
  return err.At(n, field,
                fmt::format("unknown {} '{}' (expected one of: {})", what, text, Names(names)));
}

Result<FilterOp> ParseOp(const YamlReader& err, const YAML::Node& n, const std::string& where) {
  static const std::vector<std::pair<std::string, FilterOp>> kOps = {
      {"eq", FilterOp::kEq}, {"ne", FilterOp::kNe},
      {"gt", FilterOp::kGt}, {"gte", FilterOp::kGte},
      {"lt", FilterOp::kLt}, {"lte", FilterOp::kLte},
      {"in", FilterOp::kIn}, {"ends_with", FilterOp::kEndsWith}};
  return OneOf(err, n, where + ".op", "op", kOps);
}

Result<ParamRole> ParseRole(const YamlReader& err, const YAML::Node& n, const std::string& where) {
  static const std::vector<std::pair<std::string, ParamRole>> kRoles = {
      {"filter", ParamRole::kFilter},
      {"ignore", ParamRole::kIgnore},
      {"sort_by", ParamRole::kSortBy},
      {"sort_order", ParamRole::kSortOrder},
      {"page", ParamRole::kPage},
      {"per_page", ParamRole::kPerPage},
      {"offset", ParamRole::kOffset},
      {"limit", ParamRole::kLimit},
      {"start_time", ParamRole::kStartTime},
      {"deleted", ParamRole::kDeleted},
      {"cursor", ParamRole::kCursor}};
  return OneOf(err, n, where + ".role", "role", kRoles);
}

Result<ParamSpec> ParseParam(const YamlReader& err, const std::string& name, const YAML::Node& n,
                             const std::string& where) {
  if (!n.IsMap()) return err.At(n, where, "expected a mapping");
  ParamSpec p;
  p.name = name;
  if (!n["role"]) return err.At(n, where + ".role", "missing");
  LF_ASSIGN_OR_RETURN(p.role, ParseRole(err, n["role"], where));
  if (p.role == ParamRole::kFilter) {
    LF_ASSIGN_OR_RETURN(p.field, err.String(n, "field", where, /*required=*/true));
    if (!n["op"]) return err.At(n, where + ".op", "missing");
    LF_ASSIGN_OR_RETURN(p.op, ParseOp(err, n["op"], where));
    if (n["value"]) p.value = n["value"].as<std::string>();
    if (n["all_value"]) p.all_value = n["all_value"].as<std::string>();
  }
  if (p.role == ParamRole::kDeleted) p.value = n["value"] ? n["value"].as<std::string>() : "true";
  if (p.role == ParamRole::kStartTime) {
    LF_ASSIGN_OR_RETURN(p.field, err.String(n, "field", where, /*required=*/true));
  }
  if (p.role == ParamRole::kSortBy) {
    YAML::Node opts = n["options"];
    if (opts.IsSequence()) {
      for (const auto& o : opts)
        p.sort_options[o.as<std::string>()] = SortField(o.as<std::string>());
    } else if (opts.IsMap()) {
      for (const auto& kv : opts) {
        p.sort_options[kv.first.as<std::string>()] = kv.second.as<std::string>();
      }
    } else {
      return err.At(n, where + ".options", "expected a list or a mapping");
    }
  }
  if (n["default"]) p.default_value = n["default"].as<int64_t>();
  if (n["max"]) p.max_value = n["max"].as<int64_t>();
  return p;
}

Result<Pagination> ParsePagination(const YamlReader& err, const YAML::Node& n,
                                   const std::string& where) {
  static const std::vector<std::pair<std::string, Pagination>> kStyles = {
      {"page_number_with_link_header", Pagination::kPageNumberWithLinkHeader},
      {"page_number", Pagination::kPageNumber},
      {"offset_limit", Pagination::kOffsetLimit},
      {"time_based", Pagination::kTimeBased},
      {"next_page_url", Pagination::kNextPageUrl},
      {"cursor", Pagination::kCursor},
      {"none", Pagination::kNone}};
  return OneOf(err, n, where, "pagination_style", kStyles);
}

// YAML extras become JSON text once, so responses just splice it in.
std::string ToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    std::string out = "{";
    for (const auto& kv : n) {
      if (out.size() > 1) out += ",";
      out += "\"" + kv.first.as<std::string>() + "\":" + ToJson(kv.second);
    }
    return out + "}";
  }
  if (n.IsSequence()) {
    std::string out = "[";
    for (const auto& v : n) out += (out.size() > 1 ? "," : "") + ToJson(v);
    return out + "]";
  }
  if (n.IsNull()) return "null";
  std::string s = n.as<std::string>();
  if (n.Tag() == "!") return "\"" + s + "\"";  // quoted in the YAML: a string
  if (s == "true" || s == "false") return s;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  if (!s.empty() && end && *end == '\0') return s;
  std::string quoted = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

Status ParseResponse(const YamlReader& err, const YAML::Node& r, const std::string& where,
                     EndpointSpec* ep) {
  if (!r) return Status::OK();
  if (!r.IsMap()) return err.At(r, where, "expected a mapping");
  if (r["pagination_style"]) {
    LF_ASSIGN_OR_RETURN(ep->pagination,
                        ParsePagination(err, r["pagination_style"], where + ".pagination_style"));
  }
  if (r["default_sort"]) {
    auto sort = ParseSort(r["default_sort"].as<std::string>());
    if (!sort.ok())
      return err.At(r["default_sort"], where + ".default_sort", sort.status().message());
    ep->default_sort = *sort;
  }
  if (YAML::Node w = r["wrapper"]) {
    LF_ASSIGN_OR_RETURN(ep->records_key,
                        err.String(w, "records_key", where + ".wrapper", /*required=*/true));
    ep->extras_json = w["extras"] ? ToJson(w["extras"]) : "{}";
    if (!w["extras"] || !w["extras"].IsMap()) {
      if (w["extras"]) return err.At(w["extras"], where + ".wrapper.extras", "expected a mapping");
    }
  }
  if (r["single_entity"]) ep->single_entity = r["single_entity"].as<bool>();
  if (YAML::Node c = r["cursor"]) {
    std::string field = where + ".cursor";
    LF_RETURN_IF_ERROR(err.OnlyKeys(c, field, {"next", "has_more"}));
    if (c["next"]) {
      LF_ASSIGN_OR_RETURN(ep->next_cursor_path, err.String(c, "next", field));
    }
    LF_ASSIGN_OR_RETURN(ep->has_more_path, err.String(c, "has_more", field));
  }
  return Status::OK();
}

// The body-paginated styles need a wrapper to put their links in; time_based
// also needs its start_time parameter, and pins the order its paging relies on.
Status CheckPagination(const YamlReader& err, const YAML::Node& n, const std::string& where,
                       EndpointSpec* ep) {
  bool time_based = ep->pagination == Pagination::kTimeBased;
  if (!time_based && ep->pagination != Pagination::kNextPageUrl &&
      ep->pagination != Pagination::kCursor) {
    return Status::OK();
  }
  std::string style = time_based                              ? "time_based"
                      : ep->pagination == Pagination::kCursor ? "cursor"
                                                              : "next_page_url";
  if (ep->records_key.empty()) {
    return err.At(n["response"], where + ".response.wrapper", style + " needs a records_key");
  }
  if (!time_based) return Status::OK();
  for (const auto& p : ep->params) {
    if (p.role != ParamRole::kStartTime) continue;
    ep->default_sort = SortSpec{p.field, false, "id"};
    return Status::OK();
  }
  return err.At(n, where + ".params", "time_based needs a parameter with role start_time");
}

// Problems found while reading a spec: all of them are reported at once, so
// a spec author fixes every one in one go.
class Problems {
 public:
  // Keeps `st`'s message when it is an error; says whether it was.
  bool Failed(const Status& st) {
    if (!st.ok()) lines_.push_back(st.message());
    return !st.ok();
  }
  bool empty() const { return lines_.empty(); }
  Status ToStatus() const {
    std::string text;
    for (const auto& line : lines_) text += (text.empty() ? "" : "\n") + line;
    return Status::Invalid("{}", text);
  }

 private:
  std::vector<std::string> lines_;
};

void ParseParams(const YamlReader& err, const YAML::Node& n, const std::string& where,
                 EndpointSpec* ep, Problems* problems) {
  for (const char* section : {"params", "path_params"}) {
    YAML::Node ps = n[section];
    if (!ps) continue;
    std::string field = where + "." + section;
    if (!ps.IsMap()) {
      problems->Failed(err.At(ps, field, "expected a mapping"));
      continue;
    }
    for (const auto& kv : ps) {
      std::string name = kv.first.as<std::string>();
      auto p = ParseParam(err, name, kv.second, field + "." + name);
      if (problems->Failed(p.status())) continue;
      (std::string(section) == "params" ? ep->params : ep->path_params).push_back(*std::move(p));
    }
  }
}

Status ParseFuture(const YamlReader& err, const YAML::Node& f, const std::string& where,
                   EndpointSpec* ep) {
  std::string fw = where + ".synthesize_future_records";
  LF_ASSIGN_OR_RETURN(ep->future_cursor_field,
                      err.String(f, "cursor_field", fw, /*required=*/true));
  if (!f["count"]) return err.At(f, fw + ".count", "missing");
  ep->future_count = f["count"].as<int64_t>();
  return Status::OK();
}

// One endpoint; what is wrong with it goes to `problems`, and the rest of it
// is still read so that its other problems are found too.
std::optional<EndpointSpec> ParseEndpoint(const YamlReader& err, const YAML::Node& n, size_t index,
                                          Problems* problems) {
  std::string where = "endpoints[" + std::to_string(index) + "]";
  if (!n.IsMap()) {
    problems->Failed(err.At(n, where, "expected a mapping"));
    return std::nullopt;
  }
  EndpointSpec ep;
  bool ok = true;
  auto path = err.String(n, "path", where, /*required=*/true);
  if (!problems->Failed(path.status())) {
    ep.path = *path;
    if (ep.path.empty() || ep.path[0] != '/') {
      ok = !problems->Failed(
          err.At(n["path"], where + ".path", "'" + ep.path + "' must start with /"));
    }
  } else {
    ok = false;
  }
  auto corpus = err.String(n, "corpus", where);
  ok = !problems->Failed(corpus.status()) && ok;
  if (corpus.ok()) ep.corpus = *corpus;
  if (n["method"]) {
    auto method = OneOf<std::string>(err, n["method"], where + ".method", "method",
                                     {{"GET", "GET"}, {"POST", "POST"}});
    ok = !problems->Failed(method.status()) && ok;
    if (method.ok()) ep.method = *method;
  }
  ok = !problems->Failed(ParseResponse(err, n["response"], where + ".response", &ep)) && ok;
  ParseParams(err, n, where, &ep, problems);
  ok = !problems->Failed(CheckPagination(err, n, where, &ep)) && ok;
  if (YAML::Node f = n["synthesize_future_records"]) {
    ok = !problems->Failed(ParseFuture(err, f, where, &ep)) && ok;
  }
  if (!ok) return std::nullopt;
  return ep;
}

Result<Spec> ParseSpec(const YamlReader& err, const YAML::Node& root) {
  YAML::Node eps = root["endpoints"];
  if (!eps || !eps.IsSequence()) return err.At(root, "endpoints", "expected a list");
  Spec spec;
  Problems problems;
  for (size_t i = 0; i < eps.size(); ++i) {
    try {
      auto ep = ParseEndpoint(err, eps[i], i, &problems);
      if (ep) spec.endpoints.push_back(std::move(*ep));
    } catch (const YAML::Exception& e) {
      problems.Failed(err.At(eps[i], "endpoints[" + std::to_string(i) + "]", e.msg));
    }
  }
  if (!problems.empty()) return problems.ToStatus();
  return spec;
}

}  // namespace

Result<SortSpec> ParseSort(const std::string& text) {
  SortSpec s;
  auto space = text.find(' ');
  s.field = text.substr(0, space);
  std::string dir = space == std::string::npos ? "asc" : text.substr(space + 1);
  while (!dir.empty() && dir.front() == ' ') dir.erase(0, 1);
  if (s.field.empty()) return Status::Invalid("empty sort field");
  if (dir != "asc" && dir != "desc") return Status::Invalid("sort order must be asc or desc");
  s.descending = dir == "desc";
  return s;
}

Result<Spec> LoadSpec(const std::string& dir) {
  std::string file = (std::filesystem::path(dir) / "endpoints.yaml").string();
  YamlReader err(file);
  // yaml-cpp reports through exceptions; they stop here as one-line Statuses.
  auto text = ReadWholeFile(file);
  if (!text.ok()) return Status::IOError("{}: cannot read", file);
  // Names from the spec reach JSON (and so must be UTF-8): refused by line.
  LF_RETURN_IF_ERROR(CheckUtf8Lines(*text, file));
  try {
    YAML::Node root = YAML::Load(*text);
    LF_ASSIGN_OR_RETURN(Spec spec, ParseSpec(err, root));
    spec.dir = dir;
    return spec;
  } catch (const YAML::Exception& e) {
    return Status::Invalid("{}:{}: {}", file, e.mark.line + 1, e.msg);
  }
}

}  // namespace lakeflow::simulator
