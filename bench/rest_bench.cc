// REST read throughput: GitHub issues from the simulator into Arrow.
//
//   rest_bench --url=http://127.0.0.1:PORT [--owner=o] [--repo=r] [--reps=3]
//              [--max-records-per-batch=10000] [--in-flight=8] [--group=16]
//              [--convert-pages=1000]
//              [--server-pid=PID] [--modes=http,scan,e2e,inline,parallel,convert]
//
// Reads the issues listing (state=all, sort=updated, direction=asc,
// per_page=100, Link rel="next" pagination) several ways, each in full:
//   http      HttpClient fetching every page, following Link rel="next";
//             bytes counted, nothing parsed.
//   scan      the same, and each page walked by rest::PageScanner (simdjson
//             On-Demand reading updated_at and every record's extent), as the
//             connector does before it hands a page on.
//   e2e       the engine's batch read: DataSource over the `github` source,
//             one read_table call whose pages are fetched as its records are
//             pulled, converted into Arrow batches of 8192 rows (batches
//             counted and dropped). One client thread.
//   inline    e2e's work on one thread, but each page converted as soon as it
//             is fetched and scanned (still in cache), instead of after
//             max_records_per_batch records are held.
//   convert   no HTTP: the first --convert-pages pages (default 1000, 100k
//             records), fetched beforehand, scanned and converted as e2e
//             does: the client's CPU cost past the socket, server idle.
//   parallel  the same pages as page-numbered URLs (?page=1..N) fetched by
//             MultiFetcher with --in-flight requests open, on a fetch thread,
//             while the main thread scans each page and converts it through
//             MakeBatchIterator, as e2e does.
// The time splits as: HTTP = http, parse = scan - http, build = e2e - scan.
// Every mode runs --reps times; the best run counts. The last line is
//   RESULT {"http": {...}, "scan": {...}, ...}
// with seconds, records, bytes, the client's CPU seconds and (with
// --server-pid) the server's, for bench/run_rest.sh.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/connect/registry.h"
#include "lakeflow/connectors/rest/page_scanner.h"
#include "lakeflow/datasource/data_source.h"
#include "lakeflow/http/http_client.h"
#include "lakeflow/http/multi_fetcher.h"
#include "lakeflow/http/paginator.h"

namespace lakeflow {
namespace {

struct Args {
  std::string url;
  std::string owner = "o";
  std::string repo = "r";
  int reps = 3;
  int64_t max_records_per_batch = 10000;
  int in_flight = 8;
  int group = 16;
  int64_t convert_pages = 1000;
  long server_pid = 0;
  std::vector<std::string> modes = {"http", "scan", "e2e", "inline", "parallel", "convert"};
};

struct Run {
  double seconds = 0;
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t pages = 0;
  double client_cpu = 0;  // user + system seconds of this process
  double server_cpu = 0;  // of --server-pid, when given
  int64_t faults = 0;     // minor page faults of this process
};

[[noreturn]] void Die(const std::string& what, const Status& status) {
  std::fprintf(stderr, "rest_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Check(Result<T> result, const std::string& what) {
  if (!result.ok()) Die(what, result.status());
  return std::move(result).value();
}

int64_t MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

double ProcessCpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// utime + stime of another process, from /proc/PID/stat.
double OtherCpu(long pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  double ticks = 0;
  // After the command: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The connector's request for the listing, and its headers (github.yaml).
std::string FirstUrl(const Args& a) {
  return a.url + "/repos/" + a.owner + "/" + a.repo +
         "/issues?state=all&sort=updated&direction=asc&per_page=100";
}

std::vector<std::pair<std::string, std::string>> Headers() {
  return {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}};
}

// http and scan: one client, following Link rel="next".
Run WalkPages(const Args& a, bool scan) {
  Run run;
  auto client = Check(http::HttpClient::Make(), "HttpClient::Make");
  rest::PageScanner scanner({"updated_at"});
  std::optional<std::string> url = FirstUrl(a);
  while (url) {
    auto response = Check(client->Fetch(http::HttpRequest{"GET", *url, Headers(), {}}), *url);
    run.bytes += static_cast<int64_t>(response.body.size());
    ++run.pages;
    if (scan) {
      auto records = Check(scanner.Scan(response.body, ""), "PageScanner::Scan");
      run.records += static_cast<int64_t>(records.size());
    }
    auto link = response.Header("Link");
    url = link ? http::LinkHeaderNext(*link) : std::nullopt;
  }
  return run;
}

Options ReadOptions(const Args& a) {
  Options o;
  o.Set("tableName", "issues");
  o.Set("base_url", a.url);
  o.Set("owner", a.owner);
  o.Set("repo", a.repo);
  o.Set("max_records_per_batch", std::to_string(a.max_records_per_batch));
  return o;
}

// e2e: the engine's batch read of the table.
Run EndToEnd(const Args& a) {
  Run run;
  OpenOptions open;
  open.source = "github";
  auto source = Check(DataSource::Open(ReadOptions(a), open), "DataSource::Open");
  auto batches = Check(source->ReadAll(), "ReadAll");
  while (true) {
    auto batch = Check(batches->Next(), "BatchIterator::Next");
    if (!batch) break;
    run.records += batch->num_rows();
  }
  return run;
}

// inline: one thread, each page fetched (Link rel="next"), scanned and
// converted through MakeBatchIterator at once, while it is still in cache;
// e2e instead holds max_records_per_batch records before converting them.
Run Inline(const Args& a, const SchemaPtr& schema) {
  Run run;
  auto client = Check(http::HttpClient::Make(), "HttpClient::Make");
  rest::PageScanner scanner({"updated_at"});
  std::optional<std::string> url = FirstUrl(a);
  RecordStream records([&]() -> Result<std::optional<Chunk>> {
    if (!url) return std::optional<Chunk>();
    LF_ASSIGN_OR_RETURN(auto response,
                        client->Fetch(http::HttpRequest{"GET", *url, Headers(), {}}));
    run.bytes += static_cast<int64_t>(response.body.size());
    ++run.pages;
    LF_ASSIGN_OR_RETURN(auto scanned, scanner.Scan(response.body, ""));
    (void)scanned;
    auto link = response.Header("Link");
    url = link ? http::LinkHeaderNext(*link) : std::nullopt;
    return std::optional<Chunk>(JsonChunk::Document(std::move(response.body)));
  });
  auto batches = MakeBatchIterator("issues", schema, std::move(records), 8192);
  while (true) {
    auto batch = Check(batches->Next(), "inline conversion");
    if (!batch) break;
    run.records += batch->num_rows();
  }
  return run;
}

// convert: no HTTP; the first --convert-pages pages, fetched beforehand, each
// scanned and converted through MakeBatchIterator: the client's work past the
// socket on this schema, with no server sharing the cores.
Run ConvertOnly(const std::vector<std::string>& pages, const SchemaPtr& schema) {
  Run run;
  rest::PageScanner scanner({"updated_at"});
  size_t next = 0;
  RecordStream records([&]() -> Result<std::optional<Chunk>> {
    if (next >= pages.size()) return std::optional<Chunk>();
    const std::string& page = pages[next++];
    run.bytes += static_cast<int64_t>(page.size());
    ++run.pages;
    LF_ASSIGN_OR_RETURN(auto scanned, scanner.Scan(page, ""));
    (void)scanned;
    return std::optional<Chunk>(JsonChunk::Document(page));  // a copy, as a fetch makes one
  });
  auto batches = MakeBatchIterator("issues", schema, std::move(records), 8192);
  while (true) {
    auto batch = Check(batches->Next(), "conversion");
    if (!batch) break;
    run.records += batch->num_rows();
  }
  return run;
}

// A bounded queue of page bodies between the fetch thread and the converter.
class PageQueue {
 public:
  explicit PageQueue(size_t capacity) : capacity_(capacity) {}
  void Push(std::optional<std::string> page) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return pages_.size() < capacity_; });
    pages_.push_back(std::move(page));
    not_empty_.notify_one();
  }
  std::optional<std::string> Pop() {  // nullopt: the end
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !pages_.empty(); });
    auto page = std::move(pages_.front());
    pages_.pop_front();
    not_full_.notify_one();
    return page;
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::optional<std::string>> pages_;
};

// parallel: page-numbered requests, --in-flight at a time, on a fetch thread;
// scan and conversion on this one.
Run Parallel(const Args& a, int64_t pages, const SchemaPtr& schema) {
  Run run;
  PageQueue queue(static_cast<size_t>(2 * a.group));
  Status fetch_error;
  int64_t bytes = 0;
  std::thread fetcher([&] {
    auto multi = http::MultiFetcher::Make({}, a.in_flight);
    if (!multi.ok()) {
      fetch_error = multi.status();
      queue.Push(std::nullopt);
      return;
    }
    std::string first = FirstUrl(a);
    for (int64_t page = 1; page <= pages && fetch_error.ok(); page += a.group) {
      std::vector<http::HttpRequest> requests;
      for (int64_t p = page; p < std::min(page + a.group, pages + 1); ++p)
        requests.push_back(
            http::HttpRequest{"GET", first + "&page=" + std::to_string(p), Headers(), {}});
      for (auto& response : (*multi)->FetchAll(std::move(requests))) {
        if (!response.ok()) {
          fetch_error = response.status();
          break;
        }
        bytes += static_cast<int64_t>(response->body.size());
        queue.Push(std::move(response->body));
      }
    }
    queue.Push(std::nullopt);
  });
  rest::PageScanner scanner({"updated_at"});
  Status scan_error;
  RecordStream records([&]() -> Result<std::optional<Chunk>> {
    auto page = queue.Pop();
    if (!page) return std::optional<Chunk>();
    // The connector's look at the page: the cursor of each record.
    LF_ASSIGN_OR_RETURN(auto scanned, scanner.Scan(*page, ""));
    ++run.pages;
    (void)scanned;
    return std::optional<Chunk>(JsonChunk::Document(std::move(*page)));
  });
  auto batches = MakeBatchIterator("issues", schema, std::move(records), 8192);
  Status convert_error;
  while (true) {
    auto batch = batches->Next();
    if (!batch.ok()) {
      convert_error = batch.status();
      // Drain, so the fetch thread can finish.
      while (queue.Pop()) {
      }
      break;
    }
    if (!*batch) break;
    run.records += (*batch)->num_rows();
  }
  fetcher.join();
  if (!fetch_error.ok()) Die("MultiFetcher", fetch_error);
  if (!convert_error.ok()) Die("parallel conversion", convert_error);
  run.bytes = bytes;
  return run;
}

template <typename F>
Run Best(const Args& a, const char* name, F&& body) {
  Run best;
  best.seconds = 1e300;
  for (int rep = 0; rep < a.reps; ++rep) {
    double cpu0 = ProcessCpu();
    int64_t faults0 = MinorFaults();
    double server0 = OtherCpu(a.server_pid);
    auto t0 = std::chrono::steady_clock::now();
    Run run = body();
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    run.client_cpu = ProcessCpu() - cpu0;
    run.faults = MinorFaults() - faults0;
    run.server_cpu = OtherCpu(a.server_pid) - server0;
    std::fprintf(stderr,
                 "  %-8s rep %d: %.3f s, %lld records, %.1f MB, client cpu %.2f s, server cpu "
                 "%.2f s, %lld page faults\n",
                 name, rep + 1, run.seconds, static_cast<long long>(run.records), run.bytes / 1e6,
                 run.client_cpu, run.server_cpu, static_cast<long long>(run.faults));
    if (run.seconds < best.seconds) best = run;
  }
  return best;
}

std::string ToJson(const Run& r) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"seconds\": %.6f, \"records\": %lld, \"bytes\": %lld, \"pages\": %lld, "
                "\"client_cpu\": %.3f, \"server_cpu\": %.3f, \"faults\": %lld}",
                r.seconds, static_cast<long long>(r.records), static_cast<long long>(r.bytes),
                static_cast<long long>(r.pages), r.client_cpu, r.server_cpu,
                static_cast<long long>(r.faults));
  return buf;
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      std::string prefix = std::string("--") + name + "=";
      if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
      return std::nullopt;
    };
    if (auto v = value("url")) {
      a.url = *v;
    } else if (auto v = value("owner")) {
      a.owner = *v;
    } else if (auto v = value("repo")) {
      a.repo = *v;
    } else if (auto v = value("reps")) {
      a.reps = std::max(1, std::atoi(v->c_str()));
    } else if (auto v = value("max-records-per-batch")) {
      a.max_records_per_batch = std::atoll(v->c_str());
    } else if (auto v = value("in-flight")) {
      a.in_flight = std::max(1, std::atoi(v->c_str()));
    } else if (auto v = value("convert-pages")) {
      a.convert_pages = std::max<int64_t>(1, std::atoll(v->c_str()));
    } else if (auto v = value("group")) {
      a.group = std::max(1, std::atoi(v->c_str()));
    } else if (auto v = value("server-pid")) {
      a.server_pid = std::atol(v->c_str());
    } else if (auto v = value("modes")) {
      a.modes.clear();
      std::stringstream list(*v);
      for (std::string m; std::getline(list, m, ',');) a.modes.push_back(m);
    } else {
      std::fprintf(stderr, "rest_bench: unknown argument %s (see the top of rest_bench.cc)\n",
                   arg.c_str());
      std::exit(2);
    }
  }
  if (a.url.empty()) {
    std::fprintf(stderr, "rest_bench: --url=http://HOST:PORT is required\n");
    std::exit(2);
  }
  while (!a.url.empty() && a.url.back() == '/') a.url.pop_back();
  return a;
}

int Main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  RegisterBuiltinConnectors(&ConnectorRegistry::Global());
  auto wants = [&](const char* m) {
    return std::find(a.modes.begin(), a.modes.end(), m) != a.modes.end();
  };
  std::map<std::string, Run> results;
  // One untimed walk: warms the server's sorted index and counts the pages.
  std::fprintf(stderr, "rest_bench: counting the pages of %s\n", FirstUrl(a).c_str());
  Run listing = WalkPages(a, /*scan=*/true);
  std::fprintf(stderr, "rest_bench: %lld pages, %lld records, %.1f MB\n",
               static_cast<long long>(listing.pages), static_cast<long long>(listing.records),
               listing.bytes / 1e6);

  if (wants("http")) {
    results["http"] = Best(a, "http", [&] {
      Run r = WalkPages(a, false);
      r.records = listing.records;  // not parsed: the listing's count
      return r;
    });
  }
  if (wants("scan")) results["scan"] = Best(a, "scan", [&] { return WalkPages(a, true); });
  if (wants("e2e")) {
    results["e2e"] = Best(a, "e2e", [&] {
      Run r = EndToEnd(a);
      // The engine does not expose its byte count: the same listing's.
      r.bytes = listing.bytes;
      r.pages = listing.pages;
      return r;
    });
  }
  SchemaPtr schema;
  {
    OpenOptions open;
    open.source = "github";
    auto source = Check(DataSource::Open(ReadOptions(a), open), "DataSource::Open");
    schema = Check(source->Schema(), "schema");
  }
  if (wants("convert")) {
    std::vector<std::string> pages;
    auto client = Check(http::HttpClient::Make(), "HttpClient::Make");
    std::optional<std::string> url = FirstUrl(a);
    while (url && static_cast<int64_t>(pages.size()) < a.convert_pages) {
      auto response = Check(client->Fetch(http::HttpRequest{"GET", *url, Headers(), {}}), *url);
      auto link = response.Header("Link");
      url = link ? http::LinkHeaderNext(*link) : std::nullopt;
      pages.push_back(std::move(response.body));
    }
    results["convert"] = Best(a, "convert", [&] { return ConvertOnly(pages, schema); });
  }
  if (wants("inline")) results["inline"] = Best(a, "inline", [&] { return Inline(a, schema); });
  if (wants("parallel")) {
    // Page-numbered URLs are a different query to the server: warm its index.
    Check(Check(http::HttpClient::Make(), "HttpClient::Make")
              ->Fetch(http::HttpRequest{"GET", FirstUrl(a) + "&page=1", Headers(), {}}),
          "warm-up");
    results["parallel"] = Best(a, "parallel", [&] { return Parallel(a, listing.pages, schema); });
  }

  std::string json = "{";
  for (const auto& [name, run] : results) {
    if (json.size() > 1) json += ", ";
    json += "\"" + name + "\": " + ToJson(run);
  }
  json += ", \"in_flight\": " + std::to_string(a.in_flight) +
          ", \"max_records_per_batch\": " + std::to_string(a.max_records_per_batch) + "}";
  std::printf("RESULT %s\n", json.c_str());
  return 0;
}

}  // namespace
}  // namespace lakeflow

int main(int argc, char** argv) {
  return lakeflow::Main(argc, argv);
}
