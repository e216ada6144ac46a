// One HTTP exchange on a curl easy handle: the handle's options for a request
// and the buffers its response lands in. Shared by the one-at-a-time client
// and the multi fetcher, so both send exactly the same requests.
#pragma once

#include <curl/curl.h>

#include "lakeflow/core/status.h"
#include "lakeflow/http/http_client.h"

namespace lakeflow::http {

// curl_global_init, once per process, before the first handle.
void EnsureCurlInitialized();

class EasyTransfer {
 public:
  // Configures `curl` (reset first: its connection cache survives) for
  // `request`, given at most `timeout`. The transfer must outlive the
  // exchange: curl points into it. `shown_url` names the request in errors
  // (the URL before credentials were added).
  EasyTransfer(CURL* curl, HttpRequest request, const HttpClientOptions& options, Millis timeout,
               std::string shown_url);
  ~EasyTransfer();
  EasyTransfer(const EasyTransfer&) = delete;
  EasyTransfer& operator=(const EasyTransfer&) = delete;

  // The outcome once curl is done with the handle: a transport failure is an
  // error naming the request (SourceError, worth a retry; a body over the
  // limit is InvalidArgument); any HTTP status is a response.
  Result<HttpResponse> Finish(CURLcode code);

  // curl's write callback: appends to the body up to the limit.
  static size_t OnBody(char* data, size_t size, size_t n, void* transfer);

  const HttpRequest& request() const { return request_; }

 private:
  CURL* curl_;
  HttpRequest request_;
  std::string shown_url_;
  int64_t max_bytes_;
  bool too_large_ = false;
  curl_slist* headers_ = nullptr;
  HttpResponse response_;
};

}  // namespace lakeflow::http
