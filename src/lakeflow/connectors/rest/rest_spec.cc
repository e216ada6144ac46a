#include "lakeflow/connectors/rest/rest_spec.h"

#include <algorithm>
#include <set>

#include "lakeflow/core/file_io.h"
#include "lakeflow/core/schema.h"
#include "lakeflow/core/yaml_json.h"
#include "lakeflow/core/yaml_reader.h"

namespace lakeflow::rest {
namespace {

Result<OptionSpec> ParseOption(const YamlReader& r, const std::string& name, const YAML::Node& n,
                               const std::string& where) {
  OptionSpec o;
  o.name = name;
  if (n.IsNull()) return o;
  LF_RETURN_IF_ERROR(r.OnlyKeys(n, where, {"default", "required", "secret", "description"}));
  if (n["default"]) {
    LF_ASSIGN_OR_RETURN(o.default_value, r.String(n, "default", where));
  }
  LF_ASSIGN_OR_RETURN(o.required, r.Bool(n, "required", where));
  LF_ASSIGN_OR_RETURN(o.secret, r.Bool(n, "secret", where));
  LF_ASSIGN_OR_RETURN(o.description, r.String(n, "description", where));
  return o;
}

Result<AuthSpec> ParseAuth(const YamlReader& r, const YAML::Node& n) {
  AuthSpec a;
  if (!n) return a;
  const std::string where = "auth";
  LF_RETURN_IF_ERROR(
      r.OnlyKeys(n, where,
                 {"type", "token", "username", "password", "name", "key", "in", "token_url",
                  "client_id", "client_secret", "refresh_token", "scope"}));
  LF_ASSIGN_OR_RETURN(std::string type, r.String(n, "type", where, true));
  if (type == "none") return a;
  if (type == "bearer") {
    a.kind = AuthSpec::Kind::kBearer;
    LF_ASSIGN_OR_RETURN(a.token, r.String(n, "token", where, true));
  } else if (type == "basic") {
    a.kind = AuthSpec::Kind::kBasic;
    LF_ASSIGN_OR_RETURN(a.username, r.String(n, "username", where, true));
    LF_ASSIGN_OR_RETURN(a.password, r.String(n, "password", where, true));
  } else if (type == "api_key") {
    LF_ASSIGN_OR_RETURN(std::string in, r.String(n, "in", where));
    if (in != "" && in != "header" && in != "query")
      return r.At(n["in"], "auth.in", "expected header or query");
    a.kind = in == "query" ? AuthSpec::Kind::kApiKeyQuery : AuthSpec::Kind::kApiKeyHeader;
    LF_ASSIGN_OR_RETURN(a.key_name, r.String(n, "name", where, true));
    LF_ASSIGN_OR_RETURN(a.key, r.String(n, "key", where, true));
  } else if (type == "oauth2") {
    a.kind = AuthSpec::Kind::kOAuth2;
    LF_ASSIGN_OR_RETURN(a.token_url, r.String(n, "token_url", where, true));
    LF_ASSIGN_OR_RETURN(a.client_id, r.String(n, "client_id", where, true));
    LF_ASSIGN_OR_RETURN(a.client_secret, r.String(n, "client_secret", where, true));
    LF_ASSIGN_OR_RETURN(a.refresh_token, r.String(n, "refresh_token", where));
    LF_ASSIGN_OR_RETURN(a.scope, r.String(n, "scope", where));
  } else {
    return r.At(n["type"], "auth.type",
                "unknown auth type '" + type + "' (none, bearer, basic, api_key, oauth2)");
  }
  return a;
}

Result<http::PaginatorSpec> ParsePaginator(const YamlReader& r, const YAML::Node& n,
                                           const std::string& where, std::string* page_size) {
  LF_RETURN_IF_ERROR(r.OnlyKeys(n, where,
                                {"type", "page_param", "start_page", "size_param", "page_size",
                                 "offset_param", "cursor_param", "cursor_path", "next_url_path",
                                 "total_path", "has_more_path", "end_of_stream_path"}));
  http::PaginatorSpec p;
  LF_ASSIGN_OR_RETURN(std::string type, r.String(n, "type", where, true));
  auto kind = http::ParsePaginatorKind(type);
  if (!kind.ok()) return r.At(n["type"], where + ".type", kind.status().message());
  p.kind = *kind;
  auto set = [&](const char* key, std::string* field) -> Status {
    if (!n[key]) return Status::OK();
    LF_ASSIGN_OR_RETURN(*field, r.String(n, key, where));
    return Status::OK();
  };
  LF_RETURN_IF_ERROR(set("page_param", &p.page_param));
  LF_RETURN_IF_ERROR(set("size_param", &p.size_param));
  LF_RETURN_IF_ERROR(set("offset_param", &p.offset_param));
  LF_RETURN_IF_ERROR(set("cursor_param", &p.cursor_param));
  LF_RETURN_IF_ERROR(set("cursor_path", &p.cursor_pointer));
  LF_RETURN_IF_ERROR(set("next_url_path", &p.next_url_pointer));
  LF_RETURN_IF_ERROR(set("total_path", &p.total_pointer));
  LF_RETURN_IF_ERROR(set("has_more_path", &p.has_more_pointer));
  LF_RETURN_IF_ERROR(set("end_of_stream_path", &p.end_of_stream_pointer));
  LF_RETURN_IF_ERROR(set("page_size", page_size));
  if (n["start_page"]) {
    LF_ASSIGN_OR_RETURN(std::string start, r.String(n, "start_page", where));
    p.start_page = std::strtoll(start.c_str(), nullptr, 10);
  }
  using K = http::PaginatorSpec::Kind;
  if (p.kind == K::kCursor && p.cursor_pointer.empty())
    return r.At(n, where + ".cursor_path", "missing (the cursor paginator reads it from the body)");
  if (p.kind == K::kNextUrl && p.next_url_pointer.empty())
    return r.At(n, where + ".next_url_path", "missing (the next_url paginator reads it)");
  if (p.kind == K::kOffsetLimit && p.size_param.empty()) p.size_param = "limit";
  return p;
}

// method, body, body_params and errors_path.
Status ParseRequestBody(const YamlReader& r, const YAML::Node& n, const std::string& where,
                        EndpointSpec* e) {
  if (n["method"]) {
    LF_ASSIGN_OR_RETURN(e->method, r.String(n, "method", where));
    if (e->method != "GET" && e->method != "POST")
      return r.At(n["method"], where + ".method",
                  "unknown method '" + e->method + "' (expected GET or POST)");
  }
  if (n["body"]) {
    if (!n["body"].IsMap()) return r.At(n["body"], where + ".body", "expected a mapping");
    LF_ASSIGN_OR_RETURN(e->body, YamlToJson(r, n["body"], where + ".body"));
  }
  if (n["body_params"]) {
    LF_ASSIGN_OR_RETURN(e->body_params, r.Strings(n, "body_params", where));
  }
  if (n["errors_path"]) {
    LF_ASSIGN_OR_RETURN(e->errors_pointer, r.String(n, "errors_path", where));
    if (!e->errors_pointer.empty() && e->errors_pointer[0] != '/')
      return r.At(n["errors_path"], where + ".errors_path",
                  "expected a JSON pointer such as /errors");
  }
  if (n["format"]) {
    LF_ASSIGN_OR_RETURN(std::string name, r.String(n, "format", where));
    auto format = ParseResponseFormat(name);
    if (!format.ok()) return r.At(n["format"], where + ".format", format.status().message());
    e->format = *format;
  }
  if (n["csv_delimiter"]) {
    LF_ASSIGN_OR_RETURN(std::string d, r.String(n, "csv_delimiter", where));
    if (d.size() != 1 || d == "\"" || d == "\n" || d == "\r")
      return r.At(n["csv_delimiter"], where + ".csv_delimiter",
                  "expected one character other than a quote or a line break");
    e->csv_delimiter = d[0];
  }
  if (e->format != ResponseFormat::kJson && !e->records.empty()) {
    return r.At(n["records"] ? n["records"] : n["format"], where + ".records",
                "JSON lines and CSV answers are the records themselves: leave records out");
  }
  bool posts = e->method == "POST";
  if (!posts && (!e->body.is_null() || !e->body_params.empty())) {
    return r.At(n["body"] ? n["body"] : n["body_params"], where,
                "body and body_params need method: POST");
  }
  return Status::OK();
}

// The fields an endpoint and a table's defaults share.
Result<EndpointSpec> ParseEndpoint(const YamlReader& r, const YAML::Node& n,
                                   const std::string& where, const EndpointSpec& defaults) {
  EndpointSpec e = defaults;
  e.line = n.Mark().line + 1;
  LF_ASSIGN_OR_RETURN(auto paths, r.Strings(n, "path", where));
  if (!paths.empty()) e.paths = std::move(paths);
  LF_ASSIGN_OR_RETURN(auto params, r.Map(n, "params", where));
  for (auto& param : params) {
    // A table's parameter replaces the default of the same name.
    auto same = [&](const auto& kv) { return kv.first == param.first; };
    e.params.erase(std::remove_if(e.params.begin(), e.params.end(), same), e.params.end());
    e.params.push_back(param);
  }
  if (n["records"]) {
    LF_ASSIGN_OR_RETURN(e.records, r.String(n, "records", where));
    if (!e.records.empty() && e.records[0] != '/')
      return r.At(n["records"], where + ".records", "expected a JSON pointer such as /tickets");
  }
  if (n["paginator"]) {
    LF_ASSIGN_OR_RETURN(e.paginator,
                        ParsePaginator(r, n["paginator"], where + ".paginator", &e.page_size));
  }
  if (n["cursor_param"]) {
    LF_ASSIGN_OR_RETURN(e.cursor_param, r.String(n, "cursor_param", where));
  }
  if (n["until_param"]) {
    LF_ASSIGN_OR_RETURN(e.until_param, r.String(n, "until_param", where));
  }
  if (n["cursor_format"]) {
    LF_ASSIGN_OR_RETURN(std::string f, r.String(n, "cursor_format", where));
    if (f != "iso8601" && f != "unix_seconds")
      return r.At(n["cursor_format"], where + ".cursor_format", "expected iso8601 or unix_seconds");
    e.cursor_format = f == "iso8601" ? CursorFormat::kIso8601 : CursorFormat::kUnixSeconds;
  }
  LF_RETURN_IF_ERROR(ParseRequestBody(r, n, where, &e));
  if (n["cursor_order"]) {
    LF_ASSIGN_OR_RETURN(std::string o, r.String(n, "cursor_order", where));
    if (o != "asc" && o != "desc" && o != "none")
      return r.At(n["cursor_order"], where + ".cursor_order",
                  "unknown order '" + o + "' (expected asc, desc or none)");
    e.cursor_order = o == "asc"    ? CursorOrder::kAscending
                     : o == "desc" ? CursorOrder::kDescending
                                   : CursorOrder::kNone;
  }
  return e;
}

// A key or cursor field must be a column (a dotted cursor path: its first part).
Status CheckColumn(const YamlReader& r, const YAML::Node& n, const std::string& where,
                   const SchemaPtr& schema, const std::string& path) {
  std::string column = path.substr(0, path.find('.'));
  if (schema->GetFieldByName(column)) return Status::OK();
  return r.At(n, where, "'" + path + "' is not a column of the schema");
}

Status CheckMetadata(const YamlReader& r, const YAML::Node& n, const std::string& where,
                     const TableSpec& t) {
  const auto& m = t.metadata;
  bool incremental = m.ingestion_type != IngestionType::kSnapshot;
  if (incremental && !m.cursor_field)
    return r.At(n, where + ".cursor_field",
                std::string("missing (required for ingestion_type ") +
                    IngestionTypeName(m.ingestion_type) + ")");
  if (m.ingestion_type != IngestionType::kAppend && m.primary_keys.empty())
    return r.At(n, where + ".primary_keys", "missing (only append tables may have no keys)");
  for (const auto& k : m.primary_keys)
    LF_RETURN_IF_ERROR(CheckColumn(r, n["primary_keys"], where + ".primary_keys", t.schema, k));
  if (m.cursor_field)
    LF_RETURN_IF_ERROR(
        CheckColumn(r, n["cursor_field"], where + ".cursor_field", t.schema, *m.cursor_field));
  if (m.ingestion_type == IngestionType::kCdcWithDeletes && !t.deletes)
    return r.At(n, where + ".deletes", "missing (required for ingestion_type cdc_with_deletes)");
  if (t.endpoint.paths.empty()) return r.At(n, where + ".path", "missing");
  return Status::OK();
}

Result<TableSpec> ParseTable(const YamlReader& r, const std::string& name, const YAML::Node& n,
                             const EndpointSpec& defaults) {
  const std::string where = "tables." + name;
  LF_RETURN_IF_ERROR(r.OnlyKeys(
      n, where, {"path",         "params",        "records",        "paginator",     "cursor_param",
                 "until_param",  "cursor_format", "cursor_order",   "method",        "body",
                 "body_params",  "errors_path",   "format",         "csv_delimiter", "schema",
                 "primary_keys", "cursor_field",  "ingestion_type", "parent",        "deletes"}));
  TableSpec t;
  t.name = name;
  LF_ASSIGN_OR_RETURN(t.endpoint, ParseEndpoint(r, n, where, defaults));
  LF_ASSIGN_OR_RETURN(std::string ddl, r.String(n, "schema", where, true));
  auto schema = ParseDdl(ddl);
  if (!schema.ok()) return r.At(n["schema"], where + ".schema", schema.status().message());
  t.schema = *schema;
  LF_ASSIGN_OR_RETURN(t.metadata.primary_keys, r.Strings(n, "primary_keys", where));
  LF_ASSIGN_OR_RETURN(std::string cursor, r.String(n, "cursor_field", where));
  if (!cursor.empty()) t.metadata.cursor_field = cursor;
  LF_ASSIGN_OR_RETURN(std::string type, r.String(n, "ingestion_type", where));
  if (!type.empty()) {
    auto parsed = ParseIngestionType(type);
    if (!parsed.ok())
      return r.At(n["ingestion_type"], where + ".ingestion_type", parsed.status().message());
    t.metadata.ingestion_type = *parsed;
  }
  if (YAML::Node p = n["parent"]) {
    LF_RETURN_IF_ERROR(r.OnlyKeys(p, where + ".parent", {"table", "bind"}));
    ParentSpec parent;
    LF_ASSIGN_OR_RETURN(parent.table, r.String(p, "table", where + ".parent", true));
    LF_ASSIGN_OR_RETURN(parent.bind, r.Map(p, "bind", where + ".parent"));
    t.parent = std::move(parent);
  }
  if (YAML::Node d = n["deletes"]) {
    const std::string dw = where + ".deletes";
    LF_RETURN_IF_ERROR(r.OnlyKeys(d, dw,
                                  {"path", "params", "records", "paginator", "cursor_param",
                                   "cursor_format", "cursor_order", "method", "body", "body_params",
                                   "errors_path", "format", "csv_delimiter", "cursor_field"}));
    DeletesSpec deletes;
    EndpointSpec plain;  // a deletes endpoint does not inherit the table's parameters
    plain.paginator = defaults.paginator;
    LF_ASSIGN_OR_RETURN(deletes.endpoint, ParseEndpoint(r, d, dw, plain));
    if (deletes.endpoint.paths.empty()) return r.At(d, dw + ".path", "missing");
    LF_ASSIGN_OR_RETURN(deletes.cursor_field, r.String(d, "cursor_field", dw, true));
    t.deletes = std::move(deletes);
  }
  LF_RETURN_IF_ERROR(CheckMetadata(r, n, where, t));
  return t;
}

Status CheckParents(const YamlReader& r, const YAML::Node& tables, const RestSpec& spec) {
  for (const auto& t : spec.tables) {
    if (!t.parent) continue;
    const TableSpec* parent = spec.FindTable(t.parent->table);
    std::string where = "tables." + t.name + ".parent.table";
    if (!parent) return r.At(tables[t.name]["parent"], where, "no table '" + t.parent->table + "'");
    if (parent->parent) return r.At(tables[t.name]["parent"], where, "parents do not nest");
  }
  return Status::OK();
}

Result<RestSpec> Parse(const YamlReader& r, const YAML::Node& root, const std::string& file) {
  LF_RETURN_IF_ERROR(r.OnlyKeys(
      root, "",
      {"source", "description", "options", "base_url", "headers", "auth", "defaults", "tables"}));
  RestSpec spec;
  spec.file = file;
  LF_ASSIGN_OR_RETURN(spec.source, r.String(root, "source", ""));
  LF_ASSIGN_OR_RETURN(spec.description, r.String(root, "description", ""));
  LF_ASSIGN_OR_RETURN(spec.base_url, r.String(root, "base_url", "", true));
  LF_ASSIGN_OR_RETURN(spec.headers, r.Map(root, "headers", ""));
  LF_ASSIGN_OR_RETURN(spec.auth, ParseAuth(r, root["auth"]));
  if (YAML::Node opts = root["options"]) {
    if (!opts.IsMap()) return r.At(opts, "options", "expected a mapping");
    for (const auto& kv : opts) {
      LF_ASSIGN_OR_RETURN(std::string name, r.Key(kv.first, "options"));
      LF_ASSIGN_OR_RETURN(auto o, ParseOption(r, name, kv.second, "options." + name));
      spec.options.push_back(std::move(o));
    }
  }
  EndpointSpec defaults;
  if (YAML::Node d = root["defaults"]) {
    LF_RETURN_IF_ERROR(r.OnlyKeys(d, "defaults",
                                  {"params", "records", "paginator", "cursor_param", "until_param",
                                   "cursor_format", "cursor_order", "method", "body", "body_params",
                                   "errors_path", "format", "csv_delimiter"}));
    LF_ASSIGN_OR_RETURN(defaults, ParseEndpoint(r, d, "defaults", EndpointSpec{}));
  }
  YAML::Node tables = root["tables"];
  if (!tables || !tables.IsMap() || tables.size() == 0)
    return r.At(tables ? tables : root, "tables", "expected a mapping of at least one table");
  for (const auto& kv : tables) {
    LF_ASSIGN_OR_RETURN(std::string name, r.Key(kv.first, "tables"));
    LF_ASSIGN_OR_RETURN(auto t, ParseTable(r, name, kv.second, defaults));
    spec.tables.push_back(std::move(t));
  }
  LF_RETURN_IF_ERROR(CheckParents(r, tables, spec));
  return spec;
}

}  // namespace

const TableSpec* RestSpec::FindTable(std::string_view name) const {
  for (const auto& t : tables)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<std::string> RestSpec::SecretOptions() const {
  std::vector<std::string> out;
  for (const auto& o : options)
    if (o.secret) out.push_back(o.name);
  return out;
}

Result<RestSpec> ParseRestSpec(std::string_view yaml, const std::string& file) {
  return ParseYamlMapping<RestSpec>(yaml, file, [&](const YamlReader& r, const YAML::Node& root) {
    return Parse(r, root, file);
  });
}

Result<RestSpec> LoadRestSpec(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok())
    return Status::Invalid("REST spec '{}' cannot be read: {}", path, text.status().message());
  return ParseRestSpec(*text, path);
}

Result<std::optional<std::string>> ExpandTemplate(std::string_view text, const Options& values,
                                                  std::string_view what, bool unset_ok,
                                                  const TemplateEscape& escape) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find('{', pos);
    size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    std::string_view name = text.substr(open + 1, close - open - 1);
    auto value = values.Get(name);
    if (!value || value->empty()) {
      if (unset_ok) return std::optional<std::string>();
      return Status::Invalid("{} needs option '{}', which is not set", what, name);
    }
    if (escape) {
      LF_ASSIGN_OR_RETURN(std::string escaped, escape(name, *value));
      out.append(escaped);
    } else {
      out.append(*value);
    }
    pos = close + 1;
  }
  return std::optional<std::string>(std::move(out));
}

}  // namespace lakeflow::rest
