// RestRequests: the HTTP side of a REST source. It fills the spec's templates
// from the options, builds each endpoint's first URL (with the cursor bounds
// of an incremental read) and its paginator, and sends requests through one
// client that carries the spec's auth and headers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lakeflow/connectors/rest/page_prefetcher.h"
#include "lakeflow/connectors/rest/rest_offset.h"
#include "lakeflow/connectors/rest/rest_spec.h"
#include "lakeflow/http/auth.h"
#include "lakeflow/http/http_client.h"
#include "lakeflow/http/incremental_cursor.h"
#include "lakeflow/http/multi_fetcher.h"
#include "lakeflow/http/paginator.h"

namespace lakeflow::rest {

class RestRequests {
 public:
  // `connection` holds the connection's options; `parallel_pages` pages may be
  // fetched at once (1: one at a time).
  RestRequests(std::shared_ptr<const RestSpec> spec, Options connection, int64_t parallel_pages)
      : spec_(std::move(spec)), connection_(std::move(connection)), parallel_(parallel_pages) {}

  const RestSpec& spec() const { return *spec_; }

  // Option values for templates: spec defaults < connection < table options.
  // A default may itself name options ("https://{subdomain}.zendesk.com"); it
  // is left unset when they are.
  Options Values(const Options& table_options) const;

  // The first page of `ep` for these values, and for an incremental read the
  // cursor bounds: from the settled cursor (minus the lookback) up to the
  // read's bound, or, continuing a sequence, from the resume point (a second
  // early: APIs differ on whether their `since` is inclusive; the read drops
  // what was delivered). `what` names the table in errors.
  Result<std::string> FirstUrl(const EndpointSpec& ep, const Options& values,
                               const http::IncrementalCursor* cursor,
                               const std::optional<ResumePoint>& resume, const std::string& what);

  Result<http::Paginator> MakePaginator(const EndpointSpec& ep, const Options& values);

  // One request of `ep`, with the spec's auth and headers: `url` itself, or
  // for a POST endpoint the URL without the parameters its body carries, and
  // that body. An answer reporting errors at the endpoint's errors_path is
  // an error naming the first.
  Result<http::HttpResponse> Fetch(const EndpointSpec& ep, const std::string& url,
                                   const Options& values);

  // A URL as offsets and checkpoints may keep it: without the query
  // parameters that carry credentials (the auth's query key, and any
  // endpoint parameter filled from a secret option), which a server may echo
  // in its next links. Fetch puts them back. FirstUrl's URLs are storable.
  std::string Storable(const std::string& url) const;

  // A prefetcher for one walk when pages may be fetched at once; else null.
  Result<std::unique_ptr<PagePrefetcher>> Prefetcher(const Options& values);

 private:
  // The client, made on first use (with the values of the first read).
  Result<http::HttpClient*> Client(const Options& values);
  Result<std::unique_ptr<http::Authenticator>> MakeAuth(const Options& values);
  // The base URL, its placeholders filled (and kept from moving its host),
  // without a trailing '/'.
  Result<std::string> BaseUrl(const Options& values) const;
  // The endpoint parameters whose values come from secret options.
  Result<http::QueryParams> CredentialParams(const Options& values) const;
  // `url` with the credential parameters put back.
  std::string Signed(const std::string& url) const;
  // The POST request `url` stands for (see Fetch).
  Result<http::HttpRequest> PostRequest(const EndpointSpec& ep, const std::string& url,
                                        const Options& values) const;

  std::shared_ptr<const RestSpec> spec_;
  Options connection_;
  int64_t parallel_;
  std::unique_ptr<http::HttpClient> client_;
  std::unique_ptr<http::HttpClient> token_client_;
  std::unique_ptr<http::MultiFetcher> fetcher_;  // parallel_ > 1
  std::unique_ptr<http::Authenticator> auth_;
  std::vector<std::pair<std::string, std::string>> headers_;
  http::QueryParams credential_params_;
};

}  // namespace lakeflow::rest
