#include "lakeflow/connectors/rest/rest_requests.h"

#include <simdjson.h>

#include "lakeflow/core/json_access.h"
#include "lakeflow/core/redaction.h"
#include "lakeflow/core/time_parse.h"
#include "lakeflow/http/url.h"

namespace lakeflow::rest {
namespace {

std::string FormatForRequest(int64_t micros, CursorFormat format) {
  if (format == CursorFormat::kIso8601) return http::FormatCursor(micros);
  return std::to_string(std::max<int64_t>(micros / 1000000, 0));
}

std::string FormatForRequest(const std::string& iso, CursorFormat format) {
  auto micros = ParseTimestampMicros(iso);
  if (format == CursorFormat::kIso8601 || !micros) return iso;
  return FormatForRequest(*micros, format);
}

// A template whose options must all be set, as text (ExpandTemplate without
// unset_ok fails on an unset option, so there is always a value).
Result<std::string> ExpandSet(std::string_view text, const Options& values, std::string_view what) {
  LF_ASSIGN_OR_RETURN(std::optional<std::string> expanded, ExpandTemplate(text, values, what));
  return expanded.value_or(std::string());
}

// A value written into a URL path: one segment, percent-encoded. A value
// that would leave its segment ('/', '\\', '?', '#', or a whole "." or "..")
// is refused: a record's field must not rewrite the request's path.
Result<std::string> PathSegment(std::string_view option, const std::string& value) {
  bool dots = value == "." || value == "..";
  if (dots || value.find_first_of("/\\?#") != std::string::npos) {
    return Status::Invalid(
        "option '{}' = '{}' cannot go into a URL path: a path value may not hold '/', '\\', "
        "'?' or '#', nor be '.' or '..'",
        option, value);
  }
  return http::UrlEncode(value);
}

// A value written into the base URL. Only a placeholder that starts the
// template may give the scheme and host whole ("{base_url}"); any other may
// not move the host ("https://{subdomain}.zendesk.com" with a subdomain of
// "evil.example/#").
TemplateEscape BaseUrlPart(std::string_view text) {
  bool whole = text.starts_with("{");
  return [whole](std::string_view option, const std::string& value) -> Result<std::string> {
    if (whole || value.find_first_of("/\\?#@:") == std::string::npos) return value;
    return Status::Invalid(
        "option '{}' = '{}' cannot go into the base URL: it would change its host", option, value);
  };
}

// A value written into a header: no line breaks, which would add headers.
Result<std::string> HeaderValue(std::string_view option, const std::string& value) {
  if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos)
    return Status::Invalid("option '{}' cannot go into a header: it holds a line break", option);
  return value;
}

// Whether a template names one of `options` ("{token}").
bool Names(std::string_view text, const std::vector<std::string>& options) {
  for (const auto& o : options) {
    if (text.find("{" + o + "}") != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

Options RestRequests::Values(const Options& table_options) const {
  Options given = connection_;
  given.Merge(table_options);
  Options values;
  for (const auto& o : spec_->options) {
    if (!o.default_value) continue;
    auto expanded = ExpandTemplate(*o.default_value, given, "default", /*unset_ok=*/true);
    if (expanded.ok() && *expanded) values.Set(o.name, **expanded);
  }
  values.Merge(given);
  return values;
}

Result<http::HttpClient*> RestRequests::Client(const Options& values) {
  if (client_) return client_.get();
  http::HttpClientOptions o;
  o.ca_bundle = values.GetOr("ca_bundle", "");
  LF_ASSIGN_OR_RETURN(std::string base, BaseUrl(values));
  LF_ASSIGN_OR_RETURN(o.origin, http::OriginOf(base));
  LF_ASSIGN_OR_RETURN(o.max_response_bytes,
                      values.GetIntOr("max_response_bytes", o.max_response_bytes));
  if (o.max_response_bytes < 1)
    return Status::Invalid("option 'max_response_bytes' must be positive, got {}",
                           o.max_response_bytes);
  LF_ASSIGN_OR_RETURN(credential_params_, CredentialParams(values));
  LF_ASSIGN_OR_RETURN(client_, http::HttpClient::Make(o));
  LF_ASSIGN_OR_RETURN(auth_, MakeAuth(values));
  if (auth_) client_->set_authenticator(auth_.get());
  if (parallel_ > 1) {
    LF_ASSIGN_OR_RETURN(fetcher_, http::MultiFetcher::Make(o, static_cast<int>(parallel_)));
    if (auth_) fetcher_->set_authenticator(auth_.get());
  }
  for (const auto& [name, value] : spec_->headers) {
    LF_ASSIGN_OR_RETURN(auto v,
                        ExpandTemplate(value, values, "header '" + name + "'", false, HeaderValue));
    headers_.emplace_back(name, *v);
  }
  return client_.get();
}

Result<std::string> RestRequests::BaseUrl(const Options& values) const {
  LF_ASSIGN_OR_RETURN(auto base, ExpandTemplate(spec_->base_url, values, "base_url", false,
                                                BaseUrlPart(spec_->base_url)));
  std::string out = base.value_or(std::string());
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

Result<http::QueryParams> RestRequests::CredentialParams(const Options& values) const {
  http::QueryParams out;
  std::vector<std::string> secrets = spec_->SecretOptions();
  for (const auto& [k, v] : values) {
    if (LooksSecret(k)) secrets.push_back(k);
  }
  for (const auto& table : spec_->tables) {
    for (const auto* ep : {&table.endpoint, table.deletes ? &table.deletes->endpoint : nullptr}) {
      if (!ep) continue;
      for (const auto& [name, value] : ep->params) {
        if (!Names(value, secrets)) continue;
        LF_ASSIGN_OR_RETURN(auto expanded, ExpandTemplate(value, values, "params", true));
        if (expanded) out.emplace_back(name, *expanded);
      }
    }
  }
  return out;
}

std::string RestRequests::Storable(const std::string& url) const {
  std::vector<std::string> names;
  for (const auto& [name, value] : credential_params_) names.push_back(name);
  if (spec_->auth.kind == AuthSpec::Kind::kApiKeyQuery) names.push_back(spec_->auth.key_name);
  return http::WithoutQueryParams(url, names);
}

std::string RestRequests::Signed(const std::string& url) const {
  std::string out = url;
  for (const auto& [name, value] : credential_params_) out = http::SetQueryParam(out, name, value);
  return out;
}

Result<std::unique_ptr<http::Authenticator>> RestRequests::MakeAuth(const Options& values) {
  const AuthSpec& a = spec_->auth;
  auto expand = [&](const std::string& text, bool unset_ok) {
    return ExpandTemplate(text, values, "auth", unset_ok);
  };
  using K = AuthSpec::Kind;
  std::unique_ptr<http::Authenticator> none;
  switch (a.kind) {
    case K::kNone:
      return none;
    case K::kBearer: {
      LF_ASSIGN_OR_RETURN(auto token, expand(a.token, true));
      if (!token) return none;  // anonymous
      return http::MakeBearerAuth(*token);
    }
    case K::kBasic: {
      LF_ASSIGN_OR_RETURN(std::string user, ExpandSet(a.username, values, "auth"));
      LF_ASSIGN_OR_RETURN(std::string password, ExpandSet(a.password, values, "auth"));
      return http::MakeBasicAuth(user, password);
    }
    case K::kApiKeyHeader:
    case K::kApiKeyQuery: {
      LF_ASSIGN_OR_RETURN(std::string key, ExpandSet(a.key, values, "auth"));
      return http::MakeApiKeyAuth(
          a.key_name, key,
          a.kind == K::kApiKeyQuery ? http::KeyPlacement::kQuery : http::KeyPlacement::kHeader);
    }
    case K::kOAuth2: {
      http::OAuth2Config c;
      LF_ASSIGN_OR_RETURN(c.token_url, ExpandSet(a.token_url, values, "auth"));
      LF_ASSIGN_OR_RETURN(c.client_id, ExpandSet(a.client_id, values, "auth"));
      LF_ASSIGN_OR_RETURN(c.client_secret, ExpandSet(a.client_secret, values, "auth"));
      LF_ASSIGN_OR_RETURN(auto refresh, expand(a.refresh_token, true));
      LF_ASSIGN_OR_RETURN(auto scope, expand(a.scope, true));
      c.refresh_token = refresh.value_or("");
      c.scope = scope.value_or("");
      LF_ASSIGN_OR_RETURN(token_client_, http::HttpClient::Make());
      return http::MakeOAuth2Auth(std::move(c), token_client_.get());
    }
  }
  return none;
}

Result<std::string> RestRequests::FirstUrl(const EndpointSpec& ep, const Options& values,
                                           const http::IncrementalCursor* cursor,
                                           const std::optional<ResumePoint>& resume,
                                           const std::string& what) {
  std::optional<std::string> path;
  for (const auto& candidate : ep.paths) {
    LF_ASSIGN_OR_RETURN(path, ExpandTemplate(candidate, values, what, true, PathSegment));
    if (path) break;
  }
  if (!path) {
    // Report the first candidate's missing option.
    LF_RETURN_IF_ERROR(ExpandTemplate(ep.paths.front(), values, what).status());
  }
  LF_ASSIGN_OR_RETURN(std::string base, BaseUrl(values));
  http::QueryParams query;
  for (const auto& [name, value] : ep.params) {
    LF_ASSIGN_OR_RETURN(auto v, ExpandTemplate(value, values, what, true));
    if (v) query.emplace_back(name, *v);
  }
  constexpr int64_t kSecond = 1000000;
  std::optional<int64_t> parsed = resume ? ParseTimestampMicros(resume->at) : std::nullopt;
  bool ascending_resume = parsed && !resume->descending;
  bool descending_resume = parsed && resume->descending;
  int64_t resume_at = parsed.value_or(0);
  if (cursor && !ep.cursor_param.empty()) {
    if (ascending_resume)
      query.emplace_back(ep.cursor_param, FormatForRequest(resume_at - kSecond, ep.cursor_format));
    else if (auto since = cursor->Since())
      query.emplace_back(ep.cursor_param, FormatForRequest(*since, ep.cursor_format));
    else if (ep.cursor_format == CursorFormat::kUnixSeconds)
      query.emplace_back(ep.cursor_param, "0");  // incremental exports need a start
  }
  if (cursor && !ep.until_param.empty()) {
    int64_t until = cursor->until_micros();
    if (descending_resume) until = std::min(until, resume_at + kSecond);
    query.emplace_back(ep.until_param, FormatForRequest(until, ep.cursor_format));
  }
  LF_ASSIGN_OR_RETURN(http::Paginator pager, MakePaginator(ep, values));
  LF_RETURN_IF_ERROR(Client(values).status());  // the credential parameters
  return Storable(pager.FirstUrl(http::WithQuery(base + *path, query)));
}

Result<http::Paginator> RestRequests::MakePaginator(const EndpointSpec& ep, const Options& values) {
  http::PaginatorSpec p = ep.paginator;
  if (!ep.page_size.empty()) {
    LF_ASSIGN_OR_RETURN(std::string size, ExpandSet(ep.page_size, values, "page_size"));
    p.page_size = std::strtoll(size.c_str(), nullptr, 10);
    if (p.page_size <= 0) return Status::Invalid("page size '{}' must be a positive number", size);
  }
  return http::Paginator(std::move(p));
}

namespace {

// The body template with its strings filled from `values`; a member whose
// template names an unset option is left out (an array's element is null).
Result<std::optional<Json>> FillBody(const Json& tpl, const Options& values,
                                     const std::string& what) {
  if (tpl.is_string()) {
    LF_ASSIGN_OR_RETURN(auto text, ExpandTemplate(tpl.get<std::string>(), values, what, true));
    if (!text) return std::optional<Json>();
    return std::optional<Json>(Json(*text));
  }
  if (!tpl.is_structured()) return std::optional<Json>(tpl);
  Json out = tpl.is_object() ? Json::object() : Json::array();
  for (auto it = tpl.begin(); it != tpl.end(); ++it) {
    LF_ASSIGN_OR_RETURN(auto value, FillBody(*it, values, what));
    if (tpl.is_object()) {
      if (value) out[it.key()] = std::move(*value);
    } else {
      out.push_back(value ? std::move(*value) : Json());
    }
  }
  return std::optional<Json>(std::move(out));
}

// The errors an answer reports at `pointer`, as one line; empty when none.
std::string ReportedErrors(const std::string& body, const std::string& pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc, errors;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS ||
      doc.at_pointer(pointer).get(errors) != simdjson::SUCCESS || errors.is_null()) {
    return "";
  }
  simdjson::dom::element first = errors;
  size_t count = 1;
  simdjson::dom::array list;
  if (errors.get(list) == simdjson::SUCCESS) {
    count = list.size();
    if (count == 0 || list.at(0).get(first) != simdjson::SUCCESS) return "";
  }
  std::string_view text;
  std::string message = first["message"].get(text) == simdjson::SUCCESS
                            ? std::string(text)
                            : std::string(simdjson::minify(first));
  if (message.size() > 300) message = message.substr(0, 300) + "...";
  return count > 1 ? fmt::format("{} (and {} more)", message, count - 1) : message;
}

}  // namespace

Result<http::HttpRequest> RestRequests::PostRequest(const EndpointSpec& ep, const std::string& url,
                                                    const Options& values) const {
  http::HttpRequest request;
  request.method = "POST";
  Json body = Json::object();
  if (!ep.body.is_null()) {
    LF_ASSIGN_OR_RETURN(auto filled, FillBody(ep.body, values, "body"));
    if (filled) body = std::move(*filled);
  }
  // Paging parameters that count are numbers; the rest (cursors) strings.
  const auto& p = ep.paginator;
  std::vector<std::string> moved;
  for (const auto& path : ep.body_params) {
    std::string name = path.substr(path.rfind('.') + 1);
    auto value = http::QueryValue(url, name);
    if (!value) continue;  // absent from this page's request: absent from the body
    moved.push_back(name);
    bool count = name == p.page_param || name == p.size_param || name == p.offset_param;
    char* end = nullptr;
    long long number = std::strtoll(value->c_str(), &end, 10);
    bool integer = count && !value->empty() && end && *end == '\0';
    SetDottedMember(&body, path, integer ? Json(number) : Json(*value));
  }
  request.url = Signed(http::WithoutQueryParams(url, moved));
  request.body = body.dump();
  request.headers = headers_;
  request.headers.emplace_back("Content-Type", "application/json");
  return request;
}

Result<http::HttpResponse> RestRequests::Fetch(const EndpointSpec& ep, const std::string& url,
                                               const Options& values) {
  LF_ASSIGN_OR_RETURN(http::HttpClient * client, Client(values));
  http::HttpRequest request;
  if (ep.method == "POST") {
    LF_ASSIGN_OR_RETURN(request, PostRequest(ep, url, values));
  } else {
    request.url = Signed(url);
    request.headers = headers_;
  }
  std::string shown = http::RedactUrl(request.url);
  LF_ASSIGN_OR_RETURN(http::HttpResponse response, client->Fetch(std::move(request)));
  if (ep.errors_pointer.empty()) return response;
  std::string errors = ReportedErrors(response.body, ep.errors_pointer);
  if (errors.empty()) return response;
  return Status::SourceError("{} {}: the API reported an error: {}", ep.method, shown, errors);
}

Result<std::unique_ptr<PagePrefetcher>> RestRequests::Prefetcher(const Options& values) {
  LF_RETURN_IF_ERROR(Client(values).status());
  if (!fetcher_) return std::unique_ptr<PagePrefetcher>();
  return std::make_unique<PagePrefetcher>(fetcher_.get(), headers_, credential_params_,
                                          static_cast<int>(parallel_));
}

}  // namespace lakeflow::rest
