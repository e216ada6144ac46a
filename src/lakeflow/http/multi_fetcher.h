// Several HTTP requests in flight at once (curl's multi interface), for
// partitioned reads: the pages of a page-numbered listing, or the children of
// many parents, fetched concurrently on one thread.
//
// Each request gets the same treatment as with HttpClient: credentials, the
// retry policy (Retry-After, rate limits, backoff), a refresh after a 401.
// Results come back in the order of the requests; a request that fails does
// not stop the others.
#pragma once

#include <memory>
#include <vector>

#include "lakeflow/http/http_client.h"

namespace lakeflow::http {

class MultiFetcher {
 public:
  static Result<std::unique_ptr<MultiFetcher>> Make(HttpClientOptions options,
                                                    int max_in_flight = 4);
  ~MultiFetcher();
  MultiFetcher(const MultiFetcher&) = delete;
  MultiFetcher& operator=(const MultiFetcher&) = delete;

  void set_authenticator(Authenticator* auth) { auth_ = auth; }

  // Fetches every request; a non-2xx final status is an error line as with
  // HttpClient::Fetch.
  std::vector<Result<HttpResponse>> FetchAll(std::vector<HttpRequest> requests);

  int64_t attempts() const { return attempts_; }
  int max_in_flight_seen() const { return max_in_flight_seen_; }

 private:
  struct Slot;
  MultiFetcher(HttpClientOptions options, int max_in_flight);

  HttpClientOptions options_;
  int max_in_flight_;
  void* multi_ = nullptr;                     // CURLM*
  std::vector<std::unique_ptr<Slot>> slots_;  // one easy handle each, reused
  Authenticator* auth_ = nullptr;
  std::mt19937_64 rng_;
  int64_t attempts_ = 0;
  int max_in_flight_seen_ = 0;
};

}  // namespace lakeflow::http
