#include "lakeflow/connectors/rest/rest_requests.h"

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
  LF_ASSIGN_OR_RETURN(client_, http::HttpClient::Make(o));
  LF_ASSIGN_OR_RETURN(auth_, MakeAuth(values));
  if (auth_) client_->set_authenticator(auth_.get());
  if (parallel_ > 1) {
    LF_ASSIGN_OR_RETURN(fetcher_, http::MultiFetcher::Make(o, static_cast<int>(parallel_)));
    if (auth_) fetcher_->set_authenticator(auth_.get());
  }
  for (const auto& [name, value] : spec_->headers) {
    LF_ASSIGN_OR_RETURN(auto v, ExpandTemplate(value, values, "header '" + name + "'"));
    headers_.emplace_back(name, *v);
  }
  return client_.get();
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
    LF_ASSIGN_OR_RETURN(path, ExpandTemplate(candidate, values, what, true));
    if (path) break;
  }
  if (!path) {
    // Report the first candidate's missing option.
    LF_RETURN_IF_ERROR(ExpandTemplate(ep.paths.front(), values, what).status());
  }
  LF_ASSIGN_OR_RETURN(std::string base, ExpandSet(spec_->base_url, values, "base_url"));
  while (!base.empty() && base.back() == '/') base.pop_back();
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
  return pager.FirstUrl(http::WithQuery(base + *path, query));
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

Result<http::HttpResponse> RestRequests::Fetch(const std::string& url, const Options& values) {
  LF_ASSIGN_OR_RETURN(http::HttpClient * client, Client(values));
  http::HttpRequest request;
  request.url = url;
  request.headers = headers_;
  return client->Fetch(std::move(request));
}

Result<std::unique_ptr<PagePrefetcher>> RestRequests::Prefetcher(const Options& values) {
  LF_RETURN_IF_ERROR(Client(values).status());
  if (!fetcher_) return std::unique_ptr<PagePrefetcher>();
  return std::make_unique<PagePrefetcher>(fetcher_.get(), headers_, static_cast<int>(parallel_));
}

}  // namespace lakeflow::rest
