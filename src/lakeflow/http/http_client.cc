#include "lakeflow/http/http_client.h"

#include <curl/curl.h>

#include <thread>

#include "lakeflow/http/auth.h"
#include "lakeflow/http/easy_transfer.h"
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

Result<HttpResponse> HttpClient::Perform(const HttpRequest& request) {
  EasyTransfer transfer(static_cast<CURL*>(curl_), request, options_);
  ++attempts_;
  return transfer.Finish(curl_easy_perform(static_cast<CURL*>(curl_)));
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
