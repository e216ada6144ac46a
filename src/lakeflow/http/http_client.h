// An HTTP client over libcurl, with the retry policy and an authenticator.
//
// It speaks only http and https, follows redirects itself and only within a
// request's origin, refuses URLs off its bound origin (request_guard.h), and
// bounds each response: its body (after decompression) to
// max_response_bytes, its time to the retry deadline, attempts included.
//
// One client keeps one curl handle, so consecutive requests to the same host
// reuse the connection (keep-alive, TLS session). TLS peer and host
// verification are always on; `ca_bundle` only says where the trusted roots
// are. Responses may be gzip/deflate/brotli-compressed (curl decodes them),
// and HTTP/2 is used where the server offers it over TLS.
//
// A client is not thread-safe: use one per thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "lakeflow/core/status.h"
#include "lakeflow/http/http_types.h"
#include "lakeflow/http/retry_policy.h"

namespace lakeflow::http {

class Authenticator;

struct HttpClientOptions {
  Millis connect_timeout{10000};
  Millis request_timeout{300000};  // one attempt, transfer included (and
                                   // never past the retry deadline)
  long low_speed_bytes_per_s = 1;  // abort an attempt slower than this...
  long low_speed_seconds = 60;     // ...for this long
  std::string ca_bundle;           // empty: the system's roots
  std::string user_agent = "lakeflow/0.1";
  RetryPolicy retry;
  // When set (an origin as OriginOf gives it), every request and redirect
  // must be on it: a connection's credentials never leave its base URL.
  std::string origin;
  // The largest body accepted, counted after decompression; more is an error.
  int64_t max_response_bytes = int64_t{256} << 20;
  uint64_t seed = 0;  // jitter; 0 = from the clock
  // How the client waits; tests swap in a recorder.
  std::function<void(Millis)> sleep;
};

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> Make(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Credentials added to every request; refreshed once after a 401.
  void set_authenticator(Authenticator* auth) { auth_ = auth; }

  // Sends with retries. Any final status comes back as a response: the caller
  // decides what a 404 means.
  Result<HttpResponse> Send(HttpRequest request);

  // Send, and a non-2xx final status becomes one error line with the status,
  // the URL (secrets removed) and the start of the body.
  Result<HttpResponse> Fetch(HttpRequest request);
  Result<HttpResponse> Get(const std::string& url) {
    return Fetch(HttpRequest{"GET", url, {}, {}});
  }

  // Counters, for tests and progress lines.
  int64_t attempts() const { return attempts_; }
  int64_t retries() const { return retries_; }
  Millis waited() const { return waited_; }

 private:
  explicit HttpClient(HttpClientOptions options);
  // One attempt of at most `timeout`. A transport failure is an error (a
  // refusal or an oversized body: InvalidArgument, never retried); any HTTP
  // status is a response. `shown` is the URL for error lines.
  Result<HttpResponse> Perform(const HttpRequest& request, const std::string& shown,
                               Millis timeout);
  // Perform, following redirects within the request's origin.
  Result<HttpResponse> PerformFollowing(HttpRequest request, const std::string& shown,
                                        Millis timeout);
  void Wait(Millis delay);

  HttpClientOptions options_;
  void* curl_ = nullptr;  // CURL*, kept for connection reuse
  Authenticator* auth_ = nullptr;
  std::mt19937_64 rng_;
  // A rate limit announced as spent on a successful response: the next request
  // waits until it resets instead of being refused.
  std::optional<std::chrono::system_clock::time_point> rate_limit_reset_;
  int64_t attempts_ = 0;
  int64_t retries_ = 0;
  Millis waited_{0};
};

// "HTTP 404 from GET https://api.example.com/x?token=****: {"message":"Not Found"}"
Status HttpError(const HttpRequest& request, const HttpResponse& response,
                 std::string_view context = "");

}  // namespace lakeflow::http
