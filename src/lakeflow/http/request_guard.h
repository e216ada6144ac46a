// What an HTTP client refuses to send, and the redirects it follows.
//
// Credentials stay on their origin. A client bound to an origin (the base URL
// of a connection) sends nothing elsewhere, whatever a response or a stored
// offset names as the next page; every client speaks only http and https;
// and a redirect is followed only within the origin of the request it
// answers (same scheme, host and port: never https to http, never another
// host), so the credentials a request carries go nowhere else. Header values
// holding CR or LF are refused, as they would add headers of their own.
#pragma once

#include <optional>
#include <string>

#include "lakeflow/core/status.h"
#include "lakeflow/http/http_types.h"

namespace lakeflow::http {

// Redirects followed for one request before it is an error.
inline constexpr int kMaxRedirects = 5;

// Checks a request before it is sent: an http(s) URL, on `origin` unless
// that is empty, and header names and values free of CR, LF and NUL. Errors
// are InvalidArgument (never retried) and name the URL without its secrets.
Status CheckRequest(const HttpRequest& request, const std::string& origin);

// After `response` answered `request`: the request its redirect leads to,
// or nullopt when it is not a redirect (3xx with a Location). A redirect to
// another origin is an error. 303, and 301/302 after a POST, become a GET
// without a body, as browsers and curl do.
Result<std::optional<HttpRequest>> Redirected(const HttpRequest& request,
                                              const HttpResponse& response);

}  // namespace lakeflow::http
