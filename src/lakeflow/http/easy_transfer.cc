#include "lakeflow/http/easy_transfer.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "lakeflow/http/url.h"

namespace lakeflow::http {

namespace {

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();  // a new response (after a redirect or 100-continue)
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  // Room for the whole body at once: growing a large string by appends copies
  // it again and again. (A compressed body decodes larger; this is a hint,
  // kept small enough that a lying Content-Length costs little.)
  constexpr size_t kMaxReserve = size_t{32} << 20;
  if (EqualsIgnoreCase(name, "Content-Length")) {
    size_t length = std::strtoull(std::string(value).c_str(), nullptr, 10);
    if (length > 0) response->body.reserve(std::min(length, kMaxReserve));
  }
  auto [it, inserted] = response->headers.emplace(name, std::string(value));
  if (!inserted) it->second += ", " + std::string(value);
  return size * n;
}

}  // namespace

void EnsureCurlInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t EasyTransfer::OnBody(char* data, size_t size, size_t n, void* transfer) {
  auto* self = static_cast<EasyTransfer*>(transfer);
  size_t bytes = size * n;
  if (static_cast<int64_t>(self->response_.body.size() + bytes) > self->max_bytes_) {
    self->too_large_ = true;
    return 0;  // curl stops the transfer with CURLE_WRITE_ERROR
  }
  self->response_.body.append(data, bytes);
  return bytes;
}

EasyTransfer::EasyTransfer(CURL* curl, HttpRequest request, const HttpClientOptions& options,
                           Millis timeout, std::string shown_url)
    : curl_(curl),
      request_(std::move(request)),
      shown_url_(std::move(shown_url)),
      max_bytes_(options.max_response_bytes) {
  curl_easy_reset(curl);
  for (const auto& [k, v] : request_.headers)
    headers_ = curl_slist_append(headers_, (k + ": " + v).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, request_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_bundle.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(timeout.count(), 1)));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options.low_speed_bytes_per_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.low_speed_seconds);
  // Redirects are the client's to follow (request_guard.h); curl speaks only
  // http and https, whatever a URL says.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options.max_response_bytes));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response_);
  if (request_.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request_.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request_.body.size()));
  } else if (request_.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request_.method.c_str());
  }
}

EasyTransfer::~EasyTransfer() {
  curl_slist_free_all(headers_);
}

Result<HttpResponse> EasyTransfer::Finish(CURLcode code) {
  if (too_large_ || code == CURLE_FILESIZE_EXCEEDED) {
    return Status::Invalid(
        "{} {}: the response is larger than {} bytes (max_response_bytes), counted after "
        "decompression",
        request_.method, RedactUrl(shown_url_), max_bytes_);
  }
  if (code != CURLE_OK) {
    return Status::SourceError("{} {}: {}", request_.method, RedactUrl(shown_url_),
                               curl_easy_strerror(code));
  }
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response_.status);
  char* effective = nullptr;
  curl_easy_getinfo(curl_, CURLINFO_EFFECTIVE_URL, &effective);
  response_.url = effective ? effective : request_.url;
  return std::move(response_);
}

}  // namespace lakeflow::http
