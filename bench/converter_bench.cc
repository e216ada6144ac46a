// JSON -> Arrow converter throughput, against the simdjson On-Demand limit.
//
//   converter_bench --issues=PATH [benchmark flags]
//
// PATH holds GitHub-issue pages, one JSON array per line (bench/gen_issues.py).
// Two benchmarks read the same pages:
//   BM_SimdjsonOnDemandTouchAll: simdjson On-Demand visiting every key and
//     every value of every record and building nothing: the ceiling.
//   BM_JsonConverter: JsonConverter appending every page to Arrow builders,
//     flushing a RecordBatch every ~8192 rows.
// Both report bytes/s and items/s (records).
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lakeflow/core/json_converter.h"
#include "lakeflow/core/schema.h"

namespace lakeflow {
namespace {

namespace od = simdjson::ondemand;

// The issues table as a connector would declare it (GitHub's issue shape).
constexpr const char* kIssuesDdl = R"(
  id LONG NOT NULL, node_id STRING, number INT, title STRING, body STRING, state STRING,
  locked BOOLEAN,
  user STRUCT<login: STRING, id: LONG, node_id: STRING, avatar_url: STRING, type: STRING,
              site_admin: BOOLEAN>,
  labels ARRAY<STRUCT<id: LONG, node_id: STRING, name: STRING, color: STRING, `default`: BOOLEAN,
                      description: STRING>>,
  assignee STRUCT<login: STRING, id: LONG>,
  assignees ARRAY<STRUCT<login: STRING, id: LONG>>,
  milestone STRUCT<id: LONG, number: INT, title: STRING, description: STRING, state: STRING,
                   open_issues: INT, closed_issues: INT, created_at: TIMESTAMP, due_on: TIMESTAMP>,
  comments INT, created_at TIMESTAMP, updated_at TIMESTAMP, closed_at TIMESTAMP,
  author_association STRING,
  pull_request STRUCT<url: STRING, html_url: STRING, merged_at: TIMESTAMP>,
  reactions STRUCT<total_count: INT, `+1`: INT, `-1`: INT, laugh: INT, hooray: INT, confused: INT,
                   heart: INT, rocket: INT, eyes: INT>,
  state_reason STRING, html_url STRING)";

constexpr int64_t kFlushRows = 8192;

struct Corpus {
  std::string text;
  std::vector<std::string_view> pages;
  std::vector<simdjson::padded_string> padded;  // the same pages, padded for simdjson
  int64_t records = 0;
};

std::string g_issues_path;  // NOLINT: set once in main

// Loads the pages once and counts the records (with simdjson, outside any timing).
const Corpus& GetCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus();
    std::ifstream in(g_issues_path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s (pass --issues=PATH)\n", g_issues_path.c_str());
      std::exit(2);
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    c->text = buffer.str();
    std::string_view rest = c->text;
    while (!rest.empty()) {
      size_t end = rest.find('\n');
      std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      if (line.empty()) continue;
      c->pages.push_back(line);
      c->padded.emplace_back(line);
    }
    od::parser parser;
    for (auto& page : c->padded) {
      od::document doc;
      size_t count = 0;
      if (parser.iterate(page).get(doc) || doc.count_elements().get(count)) {
        std::fprintf(stderr, "%s: a page is not a JSON array\n", g_issues_path.c_str());
        std::exit(2);
      }
      c->records += static_cast<int64_t>(count);
    }
    return c;
  }();
  return *corpus;
}

int64_t CorpusBytes(const Corpus& c) {
  int64_t bytes = 0;
  for (auto page : c.pages) bytes += static_cast<int64_t>(page.size());
  return bytes;
}

// Visits every key and value below `v`, folding something of each into
// `sink` so that nothing can be skipped.
simdjson::error_code TouchAll(od::value& v, uint64_t* sink) {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto e = v.get_object().get(object)) return e;
      for (auto member : object) {
        if (auto e = member.error()) return e;
        od::field& field = member.value_unsafe();
        *sink += static_cast<unsigned char>(*field.key().raw());
        if (auto e = TouchAll(field.value(), sink)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto e = v.get_array().get(array)) return e;
      for (auto item : array) {
        if (auto e = item.error()) return e;
        if (auto e = TouchAll(item.value_unsafe(), sink)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return e;
      *sink += s.size();
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      od::number n;
      if (auto e = v.get_number().get(n)) return e;
      *sink += static_cast<uint64_t>(n.is_double() ? n.get_double()
                                                   : static_cast<double>(n.get_int64()));
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (auto e = v.get_bool().get(b)) return e;
      *sink += b;
      return simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      *sink += is_null;
      return simdjson::SUCCESS;
    }
  }
  return simdjson::SUCCESS;
}

void ReportRates(benchmark::State& state, const Corpus& c) {
  state.SetBytesProcessed(state.iterations() * CorpusBytes(c));
  state.SetItemsProcessed(state.iterations() * c.records);
  state.counters["records"] = static_cast<double>(c.records);
}

void BM_SimdjsonOnDemandTouchAll(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  od::parser parser;
  uint64_t sink = 0;
  for (auto _ : state) {
    for (auto& page : c.padded) {
      od::document doc;
      od::array records;
      if (parser.iterate(page).get(doc) || doc.get_array().get(records)) {
        state.SkipWithError("simdjson failed to parse a page");
        return;
      }
      for (auto item : records) {
        // Values are used in place in their results, as the converter does
        // (moving them out costs a store-forwarding stall each).
        if (item.error() || TouchAll(item.value_unsafe(), &sink)) {
          state.SkipWithError("simdjson failed on a record");
          return;
        }
      }
    }
    benchmark::DoNotOptimize(sink);
  }
  ReportRates(state, c);
}

void BM_JsonConverter(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  auto schema = ParseDdl(kIssuesDdl);
  if (!schema.ok()) {
    state.SkipWithError(schema.status().ToString().c_str());
    return;
  }
  auto made = JsonConverter::Make("issues", *schema);
  if (!made.ok()) {
    state.SkipWithError(made.status().ToString().c_str());
    return;
  }
  auto converter = std::move(made).value();
  int64_t rows = 0, batches = 0;
  for (auto _ : state) {
    for (auto page : c.pages) {
      Status st = converter->AppendDocument(page);
      if (!st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
      if (converter->num_rows() < kFlushRows) continue;
      auto batch = converter->Flush();
      if (!batch.ok()) {
        state.SkipWithError(batch.status().ToString().c_str());
        return;
      }
      rows += (*batch)->num_rows();
      ++batches;
      benchmark::DoNotOptimize(batch);
    }
    auto last = converter->Flush();
    if (!last.ok()) {
      state.SkipWithError(last.status().ToString().c_str());
      return;
    }
    rows += (*last)->num_rows();
  }
  if (rows != state.iterations() * c.records) {
    state.SkipWithError("the converter produced the wrong number of rows");
    return;
  }
  ReportRates(state, c);
  state.counters["batches"] =
      static_cast<double>(batches) / static_cast<double>(state.iterations());
}

BENCHMARK(BM_SimdjsonOnDemandTouchAll)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_JsonConverter)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace lakeflow

int main(int argc, char** argv) {
  // Take --issues=PATH out before Google Benchmark sees the flags.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--issues=")) {
      lakeflow::g_issues_path = std::string(arg.substr(std::strlen("--issues=")));
    } else {
      args.push_back(argv[i]);
    }
  }
  if (lakeflow::g_issues_path.empty()) {
    std::fprintf(stderr, "usage: %s --issues=PATH [benchmark flags]\n", argv[0]);
    return 2;
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  lakeflow::GetCorpus();  // load before timing starts
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
