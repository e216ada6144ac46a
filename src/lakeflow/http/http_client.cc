#include "lakeflow/http/http_client.h"

#include <curl/curl.h>

#include <mutex>
#include <thread>

#include "lakeflow/http/auth.h"
#include "lakeflow/http/url.h"

namespace lakeflow::http {

namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

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
  auto [it, inserted] = response->headers.emplace(name, std::string(value));
  if (!inserted) it->second += ", " + std::string(value);
  return size * n;
}

// RAII for a curl header list.
struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void Add(const std::string& line) { list = curl_slist_append(list, line.c_str()); }
};

}  // namespace

Status HttpError(const HttpRequest& request, const HttpResponse& response,
                 std::string_view context) {
  std::string body = response.body.substr(0, 200);
  for (char& c : body) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return Status::SourceError("{}HTTP {} from {} {}: {}",
                             context.empty() ? "" : std::string(context) + ": ", response.status,
                             request.method, RedactUrl(request.url), body);
}

Result<std::unique_ptr<HttpClient>> HttpClient::Make(HttpClientOptions options) {
  GlobalInitOnce();
  std::unique_ptr<HttpClient> client(new HttpClient(std::move(options)));
  client->curl_ = curl_easy_init();
  if (!client->curl_) return Status::Internal("curl_easy_init failed");
  return client;
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  uint64_t seed =
      options_.seed
          ? options_.seed
          : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  rng_.seed(seed);
  if (!options_.sleep) options_.sleep = [](Millis d) { std::this_thread::sleep_for(d); };
}

HttpClient::~HttpClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

void HttpClient::Wait(Millis delay) {
  if (delay.count() <= 0) return;
  waited_ += delay;
  options_.sleep(delay);
}

Result<HttpResponse> HttpClient::Perform(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // options only: the connection cache survives
  HttpResponse response;
  HeaderList headers;
  for (const auto& [k, v] : request.headers) headers.Add(k + ": " + v);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_bundle.empty())
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes_per_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options_.low_speed_seconds);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  ++attempts_;
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    return Status::SourceError("{} {}: {}", request.method, RedactUrl(request.url),
                               curl_easy_strerror(rc));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  char* effective = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  response.url = effective ? effective : request.url;
  return response;
}

Result<HttpResponse> HttpClient::Send(HttpRequest request) {
  auto started = std::chrono::steady_clock::now();
  if (rate_limit_reset_) {
    auto wait =
        std::chrono::duration_cast<Millis>(*rate_limit_reset_ - std::chrono::system_clock::now());
    rate_limit_reset_.reset();
    Wait(std::min(wait, options_.retry.deadline));
  }
  bool refreshed = false;
  if (auth_) LF_RETURN_IF_ERROR(auth_->Apply(&request));
  for (int attempt = 1;; ++attempt) {
    auto result = Perform(request);
    const HttpResponse* response = result.ok() ? &*result : nullptr;
    if (response && response->status == 401 && auth_ && !refreshed) {
      LF_ASSIGN_OR_RETURN(bool fresh, auth_->Refresh());
      if (fresh) {
        refreshed = true;
        LF_RETURN_IF_ERROR(auth_->Apply(&request));
        --attempt;  // a refresh is not a failed attempt
        continue;
      }
    }
    if (!IsRetryable(response)) {
      if (response && response->ok()) {
        if (auto delay = ServerRequestedDelay(*response, std::chrono::system_clock::now())) {
          rate_limit_reset_ = std::chrono::system_clock::now() + *delay;
        }
      }
      return result;
    }
    auto elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
    Millis delay = BackoffDelay(options_.retry, attempt, &rng_);
    if (response) {
      if (auto asked = ServerRequestedDelay(*response, std::chrono::system_clock::now()))
        delay = *asked;
    }
    bool out_of_attempts = attempt >= options_.retry.max_attempts;
    bool out_of_time = elapsed + delay > options_.retry.deadline;
    if (out_of_attempts || out_of_time) {
      std::string why =
          fmt::format("gave up after {} attempt{}{}", attempt, attempt == 1 ? "" : "s",
                      out_of_time && !out_of_attempts ? " (deadline)" : "");
      if (!response) return result.status().WithContext(why);
      return result;  // the last response; Fetch turns it into an error line
    }
    ++retries_;
    Wait(delay);
  }
}

Result<HttpResponse> HttpClient::Fetch(HttpRequest request) {
  HttpRequest shown = request;  // before credentials are added
  LF_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request)));
  if (!response.ok()) return HttpError(shown, response);
  return response;
}

}  // namespace lakeflow::http
