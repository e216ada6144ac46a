#include "lakeflow/http/multi_fetcher.h"

#include <curl/curl.h>

#include <deque>
#include <thread>

#include "lakeflow/http/auth.h"
#include "lakeflow/http/easy_transfer.h"
#include "lakeflow/http/request_guard.h"
#include "lakeflow/http/url.h"

namespace lakeflow::http {

using Clock = std::chrono::steady_clock;

// An easy handle and the transfer it is running, if any.
struct MultiFetcher::Slot {
  CURL* curl = nullptr;
  std::unique_ptr<EasyTransfer> transfer;
  size_t index = 0;  // which request
  ~Slot() {
    if (curl) curl_easy_cleanup(curl);
  }
};

namespace {

// A request waiting for its turn, or for its retry delay to pass.
struct Pending {
  size_t index;
  int attempt;  // attempts made so far
  bool refreshed;
  Clock::time_point not_before;
  int hops = 0;  // redirects followed
};

}  // namespace

Result<std::unique_ptr<MultiFetcher>> MultiFetcher::Make(HttpClientOptions options,
                                                         int max_in_flight) {
  if (max_in_flight < 1) return Status::Invalid("max_in_flight must be at least 1");
  EnsureCurlInitialized();
  std::unique_ptr<MultiFetcher> f(new MultiFetcher(std::move(options), max_in_flight));
  f->multi_ = curl_multi_init();
  if (!f->multi_) return Status::Internal("curl_multi_init failed");
  for (int i = 0; i < max_in_flight; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->curl = curl_easy_init();
    if (!slot->curl) return Status::Internal("curl_easy_init failed");
    f->slots_.push_back(std::move(slot));
  }
  return f;
}

MultiFetcher::MultiFetcher(HttpClientOptions options, int max_in_flight)
    : options_(std::move(options)), max_in_flight_(max_in_flight) {
  rng_.seed(options_.seed ? options_.seed
                          : static_cast<uint64_t>(Clock::now().time_since_epoch().count()));
}

MultiFetcher::~MultiFetcher() {
  for (auto& slot : slots_) {
    if (slot->transfer) curl_multi_remove_handle(static_cast<CURLM*>(multi_), slot->curl);
  }
  slots_.clear();
  if (multi_) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

std::vector<Result<HttpResponse>> MultiFetcher::FetchAll(std::vector<HttpRequest> requests) {
  CURLM* multi = static_cast<CURLM*>(multi_);
  std::vector<Result<HttpResponse>> results(requests.size(), Status::Internal("not fetched"));
  std::vector<HttpRequest> shown = requests;  // before credentials, for error lines
  std::deque<Pending> pending;
  for (size_t i = 0; i < requests.size(); ++i) pending.push_back({i, 0, false, Clock::now()});
  std::vector<Pending> running(slots_.size());
  auto started = Clock::now();
  int in_flight = 0;

  auto start_ready = [&] {
    for (size_t s = 0; s < slots_.size() && !pending.empty(); ++s) {
      Slot& slot = *slots_[s];
      if (slot.transfer) continue;
      auto ready = std::find_if(pending.begin(), pending.end(),
                                [](const Pending& p) { return p.not_before <= Clock::now(); });
      if (ready == pending.end()) return;
      HttpRequest request = requests[ready->index];
      Status applied = CheckRequest(request, options_.origin);
      if (applied.ok() && auth_) applied = auth_->Apply(&request);
      if (!applied.ok()) {
        results[ready->index] = applied;
        pending.erase(ready);
        continue;
      }
      auto spent = std::chrono::duration_cast<Millis>(Clock::now() - started);
      Millis timeout = std::min(options_.request_timeout, options_.retry.deadline - spent);
      slot.transfer = std::make_unique<EasyTransfer>(slot.curl, std::move(request), options_,
                                                     timeout, requests[ready->index].url);
      slot.index = ready->index;
      running[s] = *ready;
      pending.erase(ready);
      curl_multi_add_handle(multi, slot.curl);
      ++attempts_;
      max_in_flight_seen_ = std::max(max_in_flight_seen_, ++in_flight);
    }
  };

  // Decides what a finished attempt leads to: a result, or another try.
  auto settle = [&](size_t s, CURLcode code) {
    Slot& slot = *slots_[s];
    curl_multi_remove_handle(multi, slot.curl);
    --in_flight;
    Result<HttpResponse> outcome = slot.transfer->Finish(code);
    slot.transfer.reset();
    Pending p = running[s];
    p.attempt++;
    // Refused requests and oversized bodies will not change on a retry.
    if (!outcome.ok() && outcome.status().code() != StatusCode::kSource) {
      results[p.index] = outcome.status();
      return;
    }
    const HttpResponse* response = outcome.ok() ? &*outcome : nullptr;
    if (response) {
      auto next = Redirected(requests[p.index], *response);
      if (!next.ok()) {
        results[p.index] = next.status();
        return;
      }
      if (*next && p.hops == kMaxRedirects) {
        results[p.index] = Status::Invalid("{} {}: more than {} redirects", shown[p.index].method,
                                           RedactUrl(shown[p.index].url), kMaxRedirects);
        return;
      }
      if (*next) {
        requests[p.index] = std::move(**next);
        pending.push_back({p.index, p.attempt - 1, p.refreshed, Clock::now(), p.hops + 1});
        return;
      }
    }
    if (response && response->status == 401 && auth_ && !p.refreshed) {
      auto fresh = auth_->Refresh();
      if (fresh.ok() && *fresh) {
        pending.push_back({p.index, p.attempt - 1, true, Clock::now(), p.hops});
        return;
      }
    }
    if (IsRetryable(response) && p.attempt < options_.retry.max_attempts) {
      Millis delay = BackoffDelay(options_.retry, p.attempt, &rng_);
      if (response) {
        if (auto asked = ServerRequestedDelay(*response, std::chrono::system_clock::now()))
          delay = *asked;
      }
      if (Clock::now() - started + delay <= options_.retry.deadline) {
        pending.push_back({p.index, p.attempt, p.refreshed, Clock::now() + delay, p.hops});
        return;
      }
    }
    if (response && !response->ok()) {
      results[p.index] = HttpError(shown[p.index], *response);
    } else {
      results[p.index] = std::move(outcome);
    }
  };

  while (!pending.empty() || in_flight > 0) {
    start_ready();
    int still_running = 0;
    curl_multi_perform(multi, &still_running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      for (size_t s = 0; s < slots_.size(); ++s) {
        if (slots_[s]->transfer && slots_[s]->curl == msg->easy_handle) {
          settle(s, msg->data.result);
          break;
        }
      }
    }
    if (in_flight > 0) {
      curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    } else if (!pending.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // only retries waiting
    }
  }
  return results;
}

}  // namespace lakeflow::http
