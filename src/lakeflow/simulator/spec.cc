#include "lakeflow/simulator/spec.h"

#include <filesystem>

#include "lakeflow/core/file_io.h"
#include "lakeflow/core/yaml_reader.h"

namespace lakeflow::simulator {
namespace {

// Sort options name a field; the GitHub-style short names gain "_at".
std::string SortField(const std::string& option) {
  if (option == "created" || option == "updated" || option == "pushed") return option + "_at";
  return option;
}

Result<FilterOp> ParseOp(const YamlReader& err, const YAML::Node& n, const std::string& where) {
  std::string op = n.as<std::string>();
  if (op == "eq") return FilterOp::kEq;
  if (op == "gte") return FilterOp::kGte;
  if (op == "lte") return FilterOp::kLte;
  if (op == "ends_with") return FilterOp::kEndsWith;
  return err.At(n, where + ".op", "unknown op '" + op + "' (eq, gte, lte, ends_with)");
}

Result<ParamRole> ParseRole(const YamlReader& err, const YAML::Node& n, const std::string& where) {
  static const std::map<std::string, ParamRole> kRoles = {
      {"filter", ParamRole::kFilter},        {"sort_by", ParamRole::kSortBy},
      {"sort_order", ParamRole::kSortOrder}, {"page", ParamRole::kPage},
      {"per_page", ParamRole::kPerPage},     {"offset", ParamRole::kOffset},
      {"limit", ParamRole::kLimit},          {"start_time", ParamRole::kStartTime}};
  auto it = kRoles.find(n.as<std::string>());
  if (it == kRoles.end()) return err.At(n, where + ".role", "unknown role");
  return it->second;
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
  std::string s = n.as<std::string>();
  if (s == "page_number_with_link_header") return Pagination::kPageNumberWithLinkHeader;
  if (s == "page_number") return Pagination::kPageNumber;
  if (s == "offset_limit") return Pagination::kOffsetLimit;
  if (s == "time_based") return Pagination::kTimeBased;
  if (s == "next_page_url") return Pagination::kNextPageUrl;
  if (s == "none") return Pagination::kNone;
  return err.At(n, where, "unknown pagination_style '" + s + "'");
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
  return Status::OK();
}

// The body-paginated styles need a wrapper to put their links in; time_based
// also needs its start_time parameter, and pins the order its paging relies on.
Status CheckPagination(const YamlReader& err, const YAML::Node& n, const std::string& where,
                       EndpointSpec* ep) {
  bool time_based = ep->pagination == Pagination::kTimeBased;
  if (!time_based && ep->pagination != Pagination::kNextPageUrl) return Status::OK();
  std::string style = time_based ? "time_based" : "next_page_url";
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

Result<EndpointSpec> ParseEndpoint(const YamlReader& err, const YAML::Node& n, size_t index) {
  std::string where = "endpoints[" + std::to_string(index) + "]";
  if (!n.IsMap()) return err.At(n, where, "expected a mapping");
  EndpointSpec ep;
  LF_ASSIGN_OR_RETURN(ep.path, err.String(n, "path", where, /*required=*/true));
  LF_ASSIGN_OR_RETURN(ep.corpus, err.String(n, "corpus", where, /*required=*/true));
  if (n["method"]) ep.method = n["method"].as<std::string>();
  if (ep.path.empty() || ep.path[0] != '/')
    return err.At(n["path"], where + ".path", "must start with /");
  LF_RETURN_IF_ERROR(ParseResponse(err, n["response"], where + ".response", &ep));
  for (const char* section : {"params", "path_params"}) {
    YAML::Node ps = n[section];
    if (!ps) continue;
    if (!ps.IsMap()) return err.At(ps, where + "." + section, "expected a mapping");
    for (const auto& kv : ps) {
      std::string name = kv.first.as<std::string>();
      LF_ASSIGN_OR_RETURN(ParamSpec p,
                          ParseParam(err, name, kv.second, where + "." + section + "." + name));
      (std::string(section) == "params" ? ep.params : ep.path_params).push_back(std::move(p));
    }
  }
  LF_RETURN_IF_ERROR(CheckPagination(err, n, where, &ep));
  if (YAML::Node f = n["synthesize_future_records"]) {
    std::string fw = where + ".synthesize_future_records";
    LF_ASSIGN_OR_RETURN(ep.future_cursor_field,
                        err.String(f, "cursor_field", fw, /*required=*/true));
    if (!f["count"]) return err.At(f, fw + ".count", "missing");
    ep.future_count = f["count"].as<int64_t>();
  }
  return ep;
}

Result<Spec> ParseSpec(const YamlReader& err, const YAML::Node& root) {
  YAML::Node eps = root["endpoints"];
  if (!eps || !eps.IsSequence()) return err.At(root, "endpoints", "expected a list");
  Spec spec;
  for (size_t i = 0; i < eps.size(); ++i) {
    LF_ASSIGN_OR_RETURN(EndpointSpec ep, ParseEndpoint(err, eps[i], i));
    spec.endpoints.push_back(std::move(ep));
  }
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
