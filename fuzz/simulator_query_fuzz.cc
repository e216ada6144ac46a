// libFuzzer target: the simulator's request handling short of HTTP
// (simulator/query.cc, corpus.cc): query parameters and path captures into
// a query, the query evaluated over a corpus, a record body upserted.
//
// Input: "E QUERY\nBODY": the first byte picks one of the GitHub spec's
// endpoints, QUERY is "name=value&..." (also used for the path captures),
// BODY a record to upsert. Evaluated indexes must be live records.
#include <map>
#include <memory>

#include "fuzz/fuzz_util.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/strings.h"
#include "lakeflow/simulator/corpus.h"
#include "lakeflow/simulator/query.h"
#include "lakeflow/simulator/spec.h"

namespace {

using namespace lakeflow;
using namespace lakeflow::simulator;

constexpr const char* kRecords = R"([
  {"id": 1, "number": 1, "state": "open", "title": "a", "updated_at": "2024-01-02T03:04:05Z",
   "created_at": "2024-01-01T00:00:00Z", "user": {"login": "x"}, "labels": [{"name": "bug"}],
   "generated_timestamp": 1700000000, "sha": "0123456789abcdef"},
  {"id": 2, "number": 2, "state": "closed", "title": null, "updated_at": "2024-01-03T00:00:00Z",
   "created_at": "2023-12-31T00:00:00.5+01:00", "user": null, "labels": []},
  {"id": 3, "state": "open", "updated_at": "not a time", "pull_request": {"url": "u"}}
])";

const Spec& GithubSpec() {
  static const Spec spec = [] {
    auto loaded = LoadSpec(LAKEFLOW_TESTDATA "/simulator/github");
    FUZZ_CHECK(loaded.ok() && !loaded->endpoints.empty());
    return *loaded;
  }();
  return spec;
}

std::multimap<std::string, std::string> Params(std::string_view query) {
  std::multimap<std::string, std::string> out;
  for (const auto& pair : Split(query, '&')) {
    size_t eq = pair.find('=');
    out.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Spec& spec = GithubSpec();
  const EndpointSpec& ep = spec.endpoints[data[0] % spec.endpoints.size()];
  std::string_view rest = fuzz::AsText(data + 1, size - 1);
  size_t newline = rest.find('\n');
  std::string_view query = rest.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? "" : rest.substr(newline + 1);

  static const std::string file = fuzz::ScratchDir() + "/corpus.json";
  static const bool written = (fuzz::WriteFile(file, kRecords), true);
  (void)written;
  auto corpus = Corpus::Load(file, /*scale=*/data[0] & 0x80 ? 50 : 0);
  FUZZ_CHECK(corpus.ok());
  if (auto record = ParseOrderedJson(body, "body"); record.ok()) {
    (void)(*corpus)->Upsert(*record, 1700000000000000);
  }
  auto params = Params(query);
  std::map<std::string, std::string> captures(params.begin(), params.end());
  auto q = BuildQuery(ep, params, captures);
  if (!q.ok()) return 0;
  (void)q->CacheKey();
  for (uint32_t i : Evaluate(**corpus, *q)) FUZZ_CHECK(i < (*corpus)->size() && (*corpus)->live(i));
  (void)ParseSort(std::string(query));
  return 0;
}
