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
  // `request`. The transfer must outlive the exchange: curl points into it.
  EasyTransfer(CURL* curl, HttpRequest request, const HttpClientOptions& options);
  ~EasyTransfer();
  EasyTransfer(const EasyTransfer&) = delete;
  EasyTransfer& operator=(const EasyTransfer&) = delete;

  // The outcome once curl is done with the handle: a transport failure is an
  // error naming the request; any HTTP status is a response.
  Result<HttpResponse> Finish(CURLcode code);

  const HttpRequest& request() const { return request_; }

 private:
  CURL* curl_;
  HttpRequest request_;
  curl_slist* headers_ = nullptr;
  HttpResponse response_;
};

}  // namespace lakeflow::http
