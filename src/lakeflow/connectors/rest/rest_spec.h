// A declarative REST source: the YAML a user writes instead of C++.
//
// The spec is parsed and checked once, when the connector is created; every
// problem is one line "FILE:LINE: FIELD: problem". Values may hold
// placeholders, "{name}", filled at read time from the connection's and the
// table's options (and, for fan-out tables, from the parent record). The
// format is documented in docs/rest-connectors.md.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lakeflow/connect/lakeflow_connect.h"
#include "lakeflow/connectors/rest/response_format.h"
#include "lakeflow/core/options.h"
#include "lakeflow/core/types.h"
#include "lakeflow/http/paginator.h"

namespace lakeflow::rest {

// An option the source accepts.
struct OptionSpec {
  std::string name;
  std::optional<std::string> default_value;
  bool required = false;
  bool secret = false;
  std::string description;
};

struct AuthSpec {
  enum class Kind { kNone, kBearer, kBasic, kApiKeyHeader, kApiKeyQuery, kOAuth2 };
  Kind kind = Kind::kNone;
  // Templates. A bearer token or basic password that expands to nothing means
  // "no credentials": public APIs (GitHub) answer anonymous requests too.
  std::string token;               // bearer
  std::string username, password;  // basic
  std::string key_name, key;       // api key: header or query parameter name, value
  std::string token_url, client_id, client_secret, refresh_token, scope;  // oauth2
};

// How the cursor is written into a request parameter.
enum class CursorFormat { kIso8601, kUnixSeconds };

// The order an endpoint lists records in, by cursor. A capped read stops
// inside an ordered sequence and resumes from the last cursor value it
// delivered; an unordered one (`none`) is read to its end before a read stops.
enum class CursorOrder { kAscending, kDescending, kNone };

// One request sequence: where the records are and how to page through them.
struct EndpointSpec {
  // Candidates, first usable wins: a path whose placeholders are not all set
  // is skipped ("/orgs/{org}/repos" when org is given, else "/users/{owner}/repos").
  std::vector<std::string> paths;
  KeyValues params;     // a parameter whose placeholder is unset is left out
  std::string records;  // JSON pointer to the records ("" = the body)
  http::PaginatorSpec paginator;
  std::string page_size;     // template; feeds paginator.page_size at read time
  std::string cursor_param;  // the request parameter the cursor feeds ("since")
  std::string until_param;   // optional upper bound parameter
  CursorFormat cursor_format = CursorFormat::kIso8601;
  CursorOrder cursor_order = CursorOrder::kAscending;
  // POST endpoints (search APIs, GraphQL): the JSON body, whose strings are
  // templates (a member whose only placeholder is unset is left out), and
  // the request parameters it carries instead of the query (dotted paths
  // whose last part names the parameter: "variables.after").
  std::string method = "GET";
  Json body;  // null: no body
  std::vector<std::string> body_params;
  // A JSON pointer where the API reports errors in a successful answer
  // (GraphQL's /errors): a non-empty array there fails the read.
  std::string errors_pointer;
  // What the answers are written in; JSON lines and CSV are the records
  // themselves (no `records` pointer).
  ResponseFormat format = ResponseFormat::kJson;
  char csv_delimiter = ',';
  int line = 0;
};

// A table read once per record of another table (reviews of each pull request).
struct ParentSpec {
  std::string table;
  KeyValues bind;  // placeholder -> dotted field of the parent record
};

struct DeletesSpec {
  EndpointSpec endpoint;
  std::string cursor_field;  // the deletion time in a deleted record ("deleted_at")
};

struct TableSpec {
  std::string name;
  EndpointSpec endpoint;
  SchemaPtr schema;
  TableMetadata metadata;
  std::optional<ParentSpec> parent;
  std::optional<DeletesSpec> deletes;
};

struct RestSpec {
  std::string file;  // for messages
  std::string source;
  std::string description;
  std::vector<OptionSpec> options;
  std::string base_url;  // template
  KeyValues headers;     // templates
  AuthSpec auth;
  std::vector<TableSpec> tables;

  const TableSpec* FindTable(std::string_view name) const;
  std::vector<std::string> SecretOptions() const;
};

// Parses a spec; `file` names it in errors.
Result<RestSpec> ParseRestSpec(std::string_view yaml, const std::string& file);
Result<RestSpec> LoadRestSpec(const std::string& path);

// How a value is written into the text a template expands to (a URL path
// escapes it): the written form, or an error naming the option.
using TemplateEscape =
    std::function<Result<std::string>(std::string_view option, const std::string& value)>;

// Fills "{name}" placeholders from `values`, each through `escape` when one
// is given. An unset name is an error naming `what` and the option, unless
// `unset_ok`, which returns nullopt instead.
Result<std::optional<std::string>> ExpandTemplate(std::string_view text, const Options& values,
                                                  std::string_view what, bool unset_ok = false,
                                                  const TemplateEscape& escape = nullptr);

}  // namespace lakeflow::rest
