// URLs: query building, origins, and the redaction that keeps secrets out of
// messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow::http {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes a query component (RFC 3986 unreserved characters pass).
std::string UrlEncode(std::string_view text);

// `base` with `params` appended as a query string (after '?' or '&').
std::string WithQuery(const std::string& base, const QueryParams& params);

// The URL with the values of query parameters that look secret (token,
// api_key, access_token, client_secret, password, key, sig...) and any
// user:password@ replaced by ****, for messages and logs.
std::string RedactUrl(std::string_view url);

// The origin of an absolute http or https URL: "scheme://host:port", scheme
// and host lower-cased, the port explicit. Any other URL is an error naming it.
Result<std::string> OriginOf(std::string_view url);

// `ref` (absolute, or relative as a Link header or a body may give it)
// resolved against `base`; bytes past ASCII in `ref` come out percent-encoded.
Result<std::string> ResolveUrl(std::string_view base, std::string_view ref);

// `url` without the query parameters named in `names` (compared without
// case): credentials a server echoes in the links it returns.
std::string WithoutQueryParams(const std::string& url, const std::vector<std::string>& names);

// The value of the first query parameter `name` of `url`, percent-decoded;
// nullopt when there is none.
std::optional<std::string> QueryValue(std::string_view url, std::string_view name);

}  // namespace lakeflow::http
