#include "lakeflow/http/request_guard.h"

#include "lakeflow/http/url.h"

namespace lakeflow::http {

namespace {

bool HasLineBreak(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool IsRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

Status CheckRequest(const HttpRequest& request, const std::string& origin) {
  LF_ASSIGN_OR_RETURN(std::string own, OriginOf(request.url));
  if (!origin.empty() && own != origin) {
    return Status::Invalid(
        "refused to send {} {}: it is not on the connection's origin {} (credentials stay on "
        "their origin; a next-page link or offset that points elsewhere is refused)",
        request.method, RedactUrl(request.url), origin);
  }
  for (const auto& [name, value] : request.headers) {
    if (HasLineBreak(name) || HasLineBreak(value) || name.find(':') != std::string::npos) {
      return Status::Invalid("refused to send {} {}: header '{}' holds a line break or a colon",
                             request.method, RedactUrl(request.url),
                             HasLineBreak(name) ? "(unprintable)" : name);
    }
  }
  return Status::OK();
}

Result<std::optional<HttpRequest>> Redirected(const HttpRequest& request,
                                              const HttpResponse& response) {
  auto location = response.Header("Location");
  if (!IsRedirect(response.status) || !location) return std::optional<HttpRequest>();
  LF_ASSIGN_OR_RETURN(std::string target, ResolveUrl(request.url, *location));
  LF_ASSIGN_OR_RETURN(std::string from, OriginOf(request.url));
  auto to = OriginOf(target);
  if (!to.ok() || *to != from) {
    return Status::Invalid(
        "refused the redirect from {} {} to {}: it leaves the origin {} (credentials stay on "
        "their origin)",
        request.method, RedactUrl(request.url), RedactUrl(target), from);
  }
  HttpRequest next = request;
  next.url = std::move(target);
  bool to_get = response.status == 303 ||
                ((response.status == 301 || response.status == 302) && request.method == "POST");
  if (to_get) {
    next.method = "GET";
    next.body.clear();
  }
  return std::optional<HttpRequest>(std::move(next));
}

}  // namespace lakeflow::http
