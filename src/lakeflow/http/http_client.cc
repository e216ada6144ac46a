#include "lakeflow/http/http_client.h"

#include <curl/curl.h>

#include <thread>

#include "lakeflow/http/auth.h"
#include "lakeflow/http/easy_transfer.h"
#include "lakeflow/http/request_guard.h"
#include "lakeflow/http/url.h"

namespace lakeflow::http {

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
  EnsureCurlInitialized();
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

Result<HttpResponse> HttpClient::Perform(const HttpRequest& request, const std::string& shown,
                                         Millis timeout) {
  LF_RETURN_IF_ERROR(CheckRequest(request, options_.origin));
  EasyTransfer transfer(static_cast<CURL*>(curl_), request, options_, timeout, shown);
  ++attempts_;
  return transfer.Finish(curl_easy_perform(static_cast<CURL*>(curl_)));
}

Result<HttpResponse> HttpClient::PerformFollowing(HttpRequest request, const std::string& shown,
                                                  Millis timeout) {
  std::string shown_url = shown;
  for (int hops = 0;; ++hops) {
    LF_ASSIGN_OR_RETURN(HttpResponse response, Perform(request, shown_url, timeout));
    LF_ASSIGN_OR_RETURN(std::optional<HttpRequest> next, Redirected(request, response));
    if (!next) return response;
    if (hops == kMaxRedirects) {
      return Status::Invalid("{} {}: more than {} redirects", request.method, RedactUrl(shown),
                             kMaxRedirects);
    }
    shown_url = next->url;
    request = std::move(*next);
    if (auth_) LF_RETURN_IF_ERROR(auth_->Apply(&request));
  }
}

Result<HttpResponse> HttpClient::Send(HttpRequest request) {
  auto started = std::chrono::steady_clock::now();
  const std::string shown = request.url;  // before credentials are added
  if (rate_limit_reset_) {
    auto wait =
        std::chrono::duration_cast<Millis>(*rate_limit_reset_ - std::chrono::system_clock::now());
    rate_limit_reset_.reset();
    Wait(std::min(wait, options_.retry.deadline));
  }
  bool refreshed = false;
  if (auth_) LF_RETURN_IF_ERROR(auth_->Apply(&request));
  for (int attempt = 1;; ++attempt) {
    auto spent = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
    Millis timeout = std::min(options_.request_timeout, options_.retry.deadline - spent);
    auto result = PerformFollowing(request, shown, timeout);
    // Refused requests and oversized bodies will not change on a retry.
    if (!result.ok() && result.status().code() != StatusCode::kSource) return result;
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
