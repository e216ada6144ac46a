// PagePrefetcher: the next pages of a listing, fetched several at once.
//
// A Link-header listing (GitHub) names its last page, so the pages between
// are known before they are read: `?page=N` up to the last. Fetching a few of
// them concurrently lets the server work on them while the client scans, which
// a one-page-at-a-time walk never does. Pages are handed out in order and only
// when asked for by their exact URL; anything unexpected (a listing without a
// last page, a URL that differs) falls back to one request at a time.
//
// Off by default for GitHub, whose guidelines ask clients to send one request
// at a time; the `parallel_pages` option turns it on.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lakeflow/http/multi_fetcher.h"
#include "lakeflow/http/url.h"

namespace lakeflow::rest {

class PagePrefetcher {
 public:
  // `credentials` are query parameters set on every request (and never in
  // the URLs Take is asked for).
  PagePrefetcher(http::MultiFetcher* fetcher,
                 std::vector<std::pair<std::string, std::string>> headers,
                 http::QueryParams credentials, int depth)
      : fetcher_(fetcher),
        headers_(std::move(headers)),
        credentials_(std::move(credentials)),
        depth_(depth) {}

  // The answer for `url`, if it was fetched ahead; otherwise nullopt, and the
  // pages fetched ahead are dropped.
  std::optional<Result<http::HttpResponse>> Take(const std::string& url);

  // After `response` answered a page whose next page is `next`: fetches up to
  // `depth` pages from `next` on, no more than `wanted`, when the listing says
  // where it ends. Does nothing while fetched pages remain.
  void Prefetch(const http::HttpResponse& response, const std::string& next, int64_t wanted);

 private:
  http::MultiFetcher* fetcher_;
  std::vector<std::pair<std::string, std::string>> headers_;
  http::QueryParams credentials_;
  int depth_;
  std::deque<std::pair<std::string, Result<http::HttpResponse>>> ahead_;
};

}  // namespace lakeflow::rest
