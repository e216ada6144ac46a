// URLs: query building and the redaction that keeps secrets out of messages.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

}  // namespace lakeflow::http
