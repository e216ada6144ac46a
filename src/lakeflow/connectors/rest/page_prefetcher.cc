#include "lakeflow/connectors/rest/page_prefetcher.h"

#include "lakeflow/http/paginator.h"

namespace lakeflow::rest {
namespace {
constexpr const char* kPageParam = "page";
}  // namespace

std::optional<Result<http::HttpResponse>> PagePrefetcher::Take(const std::string& url) {
  if (ahead_.empty()) return std::nullopt;
  if (ahead_.front().first != url) {
    ahead_.clear();
    return std::nullopt;
  }
  auto out = std::move(ahead_.front().second);
  ahead_.pop_front();
  return out;
}

void PagePrefetcher::Prefetch(const http::HttpResponse& response, const std::string& next,
                              int64_t wanted) {
  if (!ahead_.empty() || depth_ <= 1 || wanted <= 0) return;
  auto link = response.Header("Link");
  if (!link) return;
  auto last_url = http::LinkHeaderTarget(*link, "last");
  if (!last_url) return;
  int64_t first = http::QueryInt(next, kPageParam, -1);
  int64_t last = http::QueryInt(*last_url, kPageParam, -1);
  if (first < 1 || last < first) return;
  int64_t count = std::min<int64_t>({last - first + 1, depth_, wanted});
  std::vector<std::string> urls;
  std::vector<http::HttpRequest> requests;
  for (int64_t page = first; page < first + count; ++page) {
    urls.push_back(page == first ? next
                                 : http::SetQueryParam(next, kPageParam, std::to_string(page)));
    http::HttpRequest r;
    r.url = urls.back();
    for (const auto& [name, value] : credentials_) r.url = http::SetQueryParam(r.url, name, value);
    r.headers = headers_;
    requests.push_back(std::move(r));
  }
  auto results = fetcher_->FetchAll(requests);
  for (size_t i = 0; i < results.size(); ++i) ahead_.emplace_back(urls[i], std::move(results[i]));
}

}  // namespace lakeflow::rest
