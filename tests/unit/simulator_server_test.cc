// The simulator served in-process and read with httplib::Client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "lakeflow/core/time_parse.h"
#include "lakeflow/simulator/server.h"
#include "testing/simulator_fixture.h"

namespace lakeflow::simulator {
namespace {

using nlohmann::json;

class Simulator {
 public:
  // `spec` names a folder under testdata/simulator, or is an absolute path.
  explicit Simulator(const std::string& spec, int64_t scale = 0, double faults = 0,
                     uint64_t seed = 0) {
    ServerOptions o;
    o.spec_dir = spec;
    o.scale = scale;
    o.fault_rate = faults;
    o.seed = seed;
    server_ = lakeflow::testing::StartSimulator(o);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }
  httplib::Client& client() { return *client_; }
  int port() const { return server_->port(); }

 private:
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

json GetJson(httplib::Client& c, const std::string& path, httplib::Headers* headers = nullptr) {
  auto res = c.Get(path);
  EXPECT_TRUE(res) << path;
  if (!res) return json();
  EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  if (headers) *headers = res->headers;
  return json::parse(res->body);
}

std::string Rel(const std::string& link, const std::string& rel) {
  std::smatch m;
  std::regex re("<([^>]*)>; rel=\"" + rel + "\"");
  return std::regex_search(link, m, re) ? m[1].str() : "";
}

int64_t Micros(const json& v) {
  return *ParseTimestampMicros(v.get<std::string>());
}

TEST(SimulatorServer, LinkHeaderPagingYieldsEveryIssueOnceInOrder) {
  Simulator sim("github");
  std::string path = "/repos/o/r/issues?per_page=40";
  std::set<int64_t> ids;
  std::vector<int64_t> updated;
  int pages = 0;
  while (!path.empty()) {
    httplib::Headers headers;
    json page = GetJson(sim.client(), path, &headers);
    ++pages;
    for (const auto& r : page) {
      EXPECT_TRUE(ids.insert(r["id"].get<int64_t>()).second);
      updated.push_back(Micros(r["updated_at"]));
    }
    auto link = headers.find("Link");
    std::string next = link == headers.end() ? "" : Rel(link->second, "next");
    if (!next.empty()) {
      EXPECT_EQ(next.rfind("http://127.0.0.1:", 0), 0u) << next;
      EXPECT_NE(next.find("per_page=40"), std::string::npos);
      EXPECT_TRUE(std::regex_search(Rel(link->second, "last"), std::regex("[?&]page=4(&|$)")));
      path = next.substr(next.find("/repos"));
    } else {
      path.clear();
    }
  }
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(ids.size(), 150u);
  EXPECT_TRUE(std::is_sorted(updated.rbegin(), updated.rend()));
}

TEST(SimulatorServer, SinceAndStateFilters) {
  Simulator sim("github");
  json all = GetJson(sim.client(), "/repos/o/r/issues?per_page=100&page=1");
  json rest = GetJson(sim.client(), "/repos/o/r/issues?per_page=100&page=2");
  for (auto& r : rest) all.push_back(r);
  ASSERT_EQ(all.size(), 150u);
  const std::string since = "2024-06-21T18:36:07Z";
  size_t want_since = 0, want_open = 0;
  for (const auto& r : all) {
    want_since += Micros(r["updated_at"]) >= *ParseTimestampMicros(since);
    want_open += r["state"] == "open";
  }
  json got = GetJson(sim.client(), "/repos/o/r/issues?per_page=100&since=" + since);
  EXPECT_EQ(got.size(), want_since);
  for (const auto& r : got) EXPECT_GE(Micros(r["updated_at"]), *ParseTimestampMicros(since));
  // An instant in another zone compares as the same instant.
  json shifted =
      GetJson(sim.client(), "/repos/o/r/issues?per_page=100&since=2024-06-21T20:36:07%2B02:00");
  EXPECT_EQ(shifted.size(), want_since);
  json open = GetJson(sim.client(), "/repos/o/r/issues?per_page=100&state=open");
  json open2 = GetJson(sim.client(), "/repos/o/r/issues?per_page=100&state=open&page=2");
  EXPECT_EQ(open.size() + open2.size(), want_open);
  for (const auto& r : open) EXPECT_EQ(r["state"], "open");
}

TEST(SimulatorServer, SortByCreatedAscending) {
  Simulator sim("github");
  json got = GetJson(sim.client(), "/repos/o/r/issues?per_page=100&sort=created&direction=asc");
  ASSERT_EQ(got.size(), 100u);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_LE(Micros(got[i - 1]["created_at"]), Micros(got[i]["created_at"]));
  }
}

TEST(SimulatorServer, PathParamEndsWithFilter) {
  Simulator sim("github");
  json all = GetJson(sim.client(), "/repos/o/r/pulls/1/reviews?per_page=100");
  for (const auto& r : all) {
    std::string url = r["pull_request_url"];
    EXPECT_EQ(url.substr(url.size() - 8), "/pulls/1");
  }
}

TEST(SimulatorServer, ZendeskWrapperAndSingleEntityAndNotFound) {
  Simulator zd("zendesk");
  json tickets = GetJson(zd.client(), "/api/v2/incremental/tickets.json?start_time=0");
  ASSERT_TRUE(tickets.is_object());
  EXPECT_EQ(tickets["tickets"].size(), 4u);
  EXPECT_EQ(tickets["end_of_stream"], true);
  json articles = GetJson(zd.client(), "/api/v2/help_center/articles.json");
  EXPECT_TRUE(articles["next_page"].is_null());

  Simulator gh("github");
  json user = GetJson(gh.client(), "/user");
  EXPECT_TRUE(user.is_object());
  EXPECT_TRUE(user.contains("login"));
  auto res = gh.client().Get("/no/such/path");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(json::parse(res->body)["message"], "Not Found");
}

// A spec of its own: the shipped specs have no offset_limit endpoint.
std::string OffsetLimitSpec() {
  auto dir = std::filesystem::temp_directory_path() / "lf_sim_offset_limit";
  std::filesystem::create_directories(dir / "corpus");
  std::ofstream(dir / "endpoints.yaml") << R"(endpoints:
  - path: /api/v2/tickets
    corpus: tickets
    response:
      pagination_style: offset_limit
      default_sort: "id asc"
      wrapper: {records_key: tickets, extras: {end_of_stream: true, next_page: null}}
    params:
      offset: {role: offset}
      limit:  {role: limit, default: 2, max: 3}
)";
  std::filesystem::copy_file(LAKEFLOW_TESTDATA "/simulator/zendesk/corpus/tickets.json",
                             dir / "corpus" / "tickets.json",
                             std::filesystem::copy_options::overwrite_existing);
  return dir.string();
}

TEST(SimulatorServer, OffsetLimitWrapped) {
  Simulator sim(OffsetLimitSpec());
  json first = GetJson(sim.client(), "/api/v2/tickets");
  ASSERT_EQ(first["tickets"].size(), 2u);  // the default limit
  EXPECT_EQ(first["end_of_stream"], true);
  EXPECT_TRUE(first.contains("next_page"));
  json capped = GetJson(sim.client(), "/api/v2/tickets?offset=0&limit=50");
  ASSERT_EQ(capped["tickets"].size(), 3u);  // the max
  json rest = GetJson(sim.client(), "/api/v2/tickets?offset=3&limit=3");
  ASSERT_EQ(rest["tickets"].size(), 1u);
  std::vector<int64_t> ids;
  for (const auto& r : capped["tickets"]) ids.push_back(r["id"]);
  ids.push_back(rest["tickets"][0]["id"]);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 4u);
  json past = GetJson(sim.client(), "/api/v2/tickets?offset=10");
  EXPECT_TRUE(past["tickets"].empty());
}

TEST(SimulatorServer, ControlOnScaledCorpus) {
  Simulator sim("github", 1000);
  auto& c = sim.client();
  json top = GetJson(c, "/repos/o/r/issues?per_page=1&sort=created&direction=asc");
  int64_t id = top[0]["id"];
  auto upd = c.Post("/_simulator/issues/records", json{{"id", id}, {"state", "weird"}}.dump(),
                    "application/json");
  ASSERT_TRUE(upd);
  EXPECT_EQ(upd->status, 200);
  json weird = GetJson(c, "/repos/o/r/issues?state=weird");
  ASSERT_EQ(weird.size(), 1u);
  EXPECT_EQ(weird[0]["id"], id);
  auto del = c.Delete("/_simulator/issues/records/" + std::to_string(id));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 204);
  EXPECT_TRUE(GetJson(c, "/repos/o/r/issues?state=weird").empty());
}

TEST(SimulatorServer, FutureRecordsAreAfterNow) {
  Simulator sim("github");
  json commits = GetJson(sim.client(), "/repos/o/r/commits?per_page=100");
  EXPECT_EQ(commits.size(), 28u);  // 25 recorded + 3 synthesized
  int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  EXPECT_GT(Micros(commits[0]["commit"]["author"]["date"]), now);
}

// Text ids too: a future copy that kept its id would be one record twice.
TEST(SimulatorServer, FutureCopiesOfTextIdRecordsGetFreshIds) {
  auto dir = std::filesystem::temp_directory_path() / "lf_sim_text_ids";
  std::filesystem::create_directories(dir / "corpus");
  std::ofstream(dir / "endpoints.yaml") << R"(endpoints:
  - path: /items
    corpus: items
    synthesize_future_records: {cursor_field: modified, count: 3}
)";
  std::ofstream(dir / "corpus" / "items.json")
      << R"([{"id": "a1", "modified": "2024-01-01T00:00:00Z"},
            {"id": "b2", "modified": "2024-01-02T00:00:00Z"}])";
  Simulator sim(dir.string());
  json items = GetJson(sim.client(), "/items");
  ASSERT_EQ(items.size(), 5u);
  std::set<std::string> ids;
  for (const auto& r : items) ids.insert(r["id"].get<std::string>());
  EXPECT_EQ(ids.size(), 5u) << items.dump();
}

TEST(SimulatorServer, ScaleGivesUniqueIdsAndIncreasingTimestamps) {
  Simulator sim("github", 10000);
  std::set<int64_t> ids;
  std::set<int64_t> numbers;
  std::vector<int64_t> created;
  for (int page = 1; page <= 100; ++page) {
    json got =
        GetJson(sim.client(), "/repos/o/r/issues?per_page=100&sort=created&direction=asc&page=" +
                                  std::to_string(page));
    ASSERT_EQ(got.size(), 100u);
    for (const auto& r : got) {
      ids.insert(r["id"].get<int64_t>());
      numbers.insert(r["number"].get<int64_t>());
      created.push_back(Micros(r["created_at"]));
    }
  }
  EXPECT_EQ(ids.size(), 10000u);
  EXPECT_EQ(numbers.size(), 10000u);
  EXPECT_TRUE(std::is_sorted(created.begin(), created.end()));
  EXPECT_LT(created.front(), created.back());
}

std::vector<int> Statuses(uint64_t seed, int n) {
  Simulator sim("github", 0, 1.0, seed);
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    auto res = sim.client().Get("/user");
    // A truncated body surfaces as a failed read: record it as -1.
    out.push_back(res ? res->status * 10 + (res->get_header_value("Retry-After") == "1") : -1);
  }
  return out;
}

TEST(SimulatorServer, FaultsAtRateOneAreDeterministicAndCoverEveryKind) {
  FaultPlan plan(1.0, 7);
  std::set<Fault> kinds;
  for (uint64_t n = 0; n < 100; ++n) {
    EXPECT_NE(plan.At(n), Fault::kNone);
    kinds.insert(plan.At(n));
  }
  EXPECT_EQ(kinds.size(), static_cast<size_t>(kFaultKinds));

  std::vector<int> a = Statuses(7, 12);
  std::vector<int> b = Statuses(7, 12);
  EXPECT_EQ(a, b);
  for (size_t i = 0; i < a.size(); ++i) {
    switch (plan.At(i)) {
      case Fault::kTooManyRequests:
        EXPECT_EQ(a[i], 4291);
        break;
      case Fault::kInternalError:
        EXPECT_EQ(a[i], 5000);
        break;
      case Fault::kServiceUnavailable:
        EXPECT_EQ(a[i], 5030);
        break;
      case Fault::kSlow:
        EXPECT_EQ(a[i], 2000);
        break;
      case Fault::kTruncated:
        EXPECT_EQ(a[i], -1);
        break;
      case Fault::kNone:
        ADD_FAILURE();
    }
  }
  // Control endpoints are never faulted.
  Simulator sim("github", 0, 1.0, 7);
  for (int i = 0; i < 5; ++i) {
    auto res = sim.client().Get("/_simulator/health");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
}

TEST(SimulatorServer, ControlInsertUpdateDelete) {
  Simulator sim("github");
  auto& c = sim.client();
  json before = GetJson(c, "/repos/o/r/issues?per_page=1");
  int64_t id = before[0]["id"];

  auto ins =
      c.Post("/_simulator/issues/records",
             R"({"id": 42, "title": "new", "state": "open", "updated_at": "2030-01-01T00:00:00Z"})",
             "application/json");
  ASSERT_TRUE(ins);
  EXPECT_EQ(ins->status, 200);
  json top = GetJson(c, "/repos/o/r/issues?per_page=1");
  EXPECT_EQ(top[0]["id"], 42);

  // An update replaces the given fields and moves updated_at to now.
  std::string body = json{{"id", id}, {"title", "changed"}}.dump();
  auto upd = c.Post("/_simulator/issues/records", body, "application/json");
  ASSERT_TRUE(upd);
  json since_now = GetJson(c, "/repos/o/r/issues?per_page=100&since=2026-01-01T00:00:00Z");
  bool found = false;
  for (const auto& r : since_now) found |= r["id"] == id && r["title"] == "changed";
  EXPECT_TRUE(found);

  auto del = c.Delete("/_simulator/issues/records/42");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 204);
  json after = GetJson(c, "/repos/o/r/issues?per_page=100&since=2029-01-01T00:00:00Z");
  EXPECT_TRUE(after.empty());
  json deleted = GetJson(c, "/_simulator/issues/deleted?since=2020-01-01T00:00:00Z");
  ASSERT_EQ(deleted["deleted"].size(), 1u);
  EXPECT_EQ(deleted["deleted"][0]["id"], 42);
  auto missing = c.Delete("/_simulator/issues/records/42");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// The parts of the format the reference APIs use: filter ops beyond eq/gte/
// lte, ignored parameters, limit and offset on an unpaginated endpoint, POST
// with a JSON body, a corpus file that is absent, and a text corpus.
std::string ReferenceFormatSpec() {
  auto dir = std::filesystem::temp_directory_path() / "lf_sim_reference_format";
  std::filesystem::create_directories(dir / "corpus");
  std::ofstream(dir / "endpoints.yaml") << R"(endpoints:
  - path: /tickets
    corpus: tickets
    response: {pagination_style: none, default_sort: "id asc"}
    params:
      above: {role: filter, field: id, op: gt}
      below: {role: filter, field: id, op: lt}
      not_status: {role: filter, field: status, op: ne}
      ids: {role: filter, field: id, op: in}
      fields: {role: ignore}
      limit: {role: limit, default: 100, max: 100}
      skip: {role: offset}
      archived: {role: deleted}
      since: {role: filter, field: updated_at, op: gte}
  - path: /tickets/search
    method: POST
    corpus: tickets
    response: {pagination_style: none, default_sort: "id desc", wrapper: {records_key: results}}
    params:
      ids: {role: filter, field: id, op: in}
      limit: {role: limit, default: 100}
  - path: /absent
    corpus: absent
    response: {wrapper: {records_key: value}}
  - path: /absent/{id}
    corpus: absent
    response: {single_entity: true}
  - path: /readme
    corpus: readme
  - path: /pages
    corpus: tickets
    response:
      pagination_style: cursor
      default_sort: "id asc"
      wrapper: {records_key: items, extras: {object: list}}
      cursor: {next: meta.next_cursor, has_more: meta.has_more}
    params:
      cursor: {role: cursor}
      page_size: {role: per_page, default: 3}
  - path: /graphql
    method: POST
    corpus: tickets
    response:
      pagination_style: cursor
      default_sort: "id desc"
      wrapper: {records_key: data.tickets.nodes}
      cursor: {next: data.tickets.pageInfo.endCursor, has_more: data.tickets.pageInfo.hasNextPage}
    params:
      after: {role: cursor}
      first: {role: limit, default: 2}
)";
  std::ofstream(dir / "corpus" / "readme.json") << R"("line one\nline two")";
  std::filesystem::copy_file(LAKEFLOW_TESTDATA "/simulator/zendesk/corpus/tickets.json",
                             dir / "corpus" / "tickets.json",
                             std::filesystem::copy_options::overwrite_existing);
  return dir.string();
}

std::vector<int64_t> Ids(const json& records) {
  std::vector<int64_t> out;
  for (const auto& r : records) out.push_back(r["id"]);
  return out;
}

TEST(SimulatorServer, FilterOpsIgnoredParamsAndLimitWithoutPaging) {
  Simulator sim(ReferenceFormatSpec());
  auto& c = sim.client();
  // The corpus: ids 1000..1003, statuses delta-132, zulu-905, golf-496, yankee-724.
  EXPECT_EQ(Ids(GetJson(c, "/tickets")), (std::vector<int64_t>{1000, 1001, 1002, 1003}));
  EXPECT_EQ(Ids(GetJson(c, "/tickets?above=1000&below=1003")), (std::vector<int64_t>{1001, 1002}));
  EXPECT_EQ(Ids(GetJson(c, "/tickets?not_status=zulu-905")),
            (std::vector<int64_t>{1000, 1002, 1003}));
  EXPECT_EQ(Ids(GetJson(c, "/tickets?ids=1003,1000,7")), (std::vector<int64_t>{1000, 1003}));
  EXPECT_EQ(Ids(GetJson(c, "/tickets?fields=id,status&limit=2&skip=1")),
            (std::vector<int64_t>{1001, 1002}));
}

TEST(SimulatorServer, PostTakesItsParametersFromAJsonBody) {
  Simulator sim(ReferenceFormatSpec());
  auto res = sim.client().Post("/tickets/search", R"({"ids": [1001, 1002, 1003], "limit": 2})",
                               "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(Ids(json::parse(res->body)["results"]), (std::vector<int64_t>{1003, 1002}));
  auto bad = sim.client().Post("/tickets/search", "[1, 2]", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  // GET is not the endpoint's method.
  auto get = sim.client().Get("/tickets/search");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 404);
}

TEST(SimulatorServer, AnAbsentCorpusIsAnEmptyTableAndTextIsServedAsText) {
  Simulator sim(ReferenceFormatSpec());
  json empty = GetJson(sim.client(), "/absent");
  EXPECT_EQ(empty, json::parse(R"({"value": []})"));
  auto one = sim.client().Get("/absent/7");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 404);
  auto text = sim.client().Get("/readme");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 200);
  EXPECT_EQ(text->body, "line one\nline two");
  EXPECT_EQ(text->get_header_value("Content-Type"), "text/plain; charset=utf-8");
}

// A delete flow reads the deleted records as an API lists them
// (`archived=true`): those deleted since, with updated_at moved to the delete.
TEST(SimulatorServer, DeletedRecordsAreListedWithRoleDeleted) {
  Simulator sim(ReferenceFormatSpec());
  auto& c = sim.client();
  EXPECT_TRUE(GetJson(c, "/tickets?archived=true").empty());
  auto del = c.Delete("/_simulator/tickets/records/1001");
  ASSERT_TRUE(del);
  ASSERT_EQ(del->status, 204);
  json deleted = GetJson(c, "/tickets?archived=true");
  EXPECT_EQ(Ids(deleted), (std::vector<int64_t>{1001}));
  EXPECT_EQ(Ids(GetJson(c, "/tickets?archived=false")), (std::vector<int64_t>{1000, 1002, 1003}));
  EXPECT_EQ(Ids(GetJson(c, "/tickets?archived=true&since=2026-01-01T00:00:00Z")),
            (std::vector<int64_t>{1001}));
  EXPECT_TRUE(GetJson(c, "/tickets?archived=true&since=2099-01-01T00:00:00Z").empty());
}

// The cursor style: opaque tokens in the body, flat or nested as GraphQL
// nests them, until a null token; the cursor paginator reads it.
TEST(SimulatorServer, CursorPagesFollowTheirTokensToTheEnd) {
  Simulator sim(ReferenceFormatSpec());
  auto& c = sim.client();
  json first = GetJson(c, "/pages");
  EXPECT_EQ(first["object"], "list");
  EXPECT_EQ(Ids(first["items"]), (std::vector<int64_t>{1000, 1001, 1002}));
  EXPECT_EQ(first["meta"]["has_more"], true);
  std::string token = first["meta"]["next_cursor"];
  json last = GetJson(c, "/pages?cursor=" + token);
  EXPECT_EQ(Ids(last["items"]), (std::vector<int64_t>{1003}));
  EXPECT_TRUE(last["meta"]["next_cursor"].is_null());
  EXPECT_EQ(last["meta"]["has_more"], false);
  auto bad = c.Get("/pages?cursor=zz");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("invalid cursor 'zz'"), std::string::npos);

  // GraphQL's shape: records and pageInfo nested in data, the cursor posted back.
  std::vector<int64_t> ids;
  json after = nullptr;
  for (int pages = 0; pages < 5; ++pages) {
    auto res = c.Post("/graphql", json{{"after", after}}.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    json page = json::parse(res->body)["data"]["tickets"];
    for (int64_t id : Ids(page["nodes"])) ids.push_back(id);
    after = page["pageInfo"]["endCursor"];
    if (!page["pageInfo"]["hasNextPage"].get<bool>()) break;
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{1003, 1002, 1001, 1000}));
  EXPECT_TRUE(after.is_null());
}

// Every shared API folder serves every endpoint: 200 with JSON (or text), or
// 404 for one entity of a table without records.
TEST(SimulatorServer, EveryReferenceApiServesEveryEndpoint) {
  int served = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(LAKEFLOW_TESTDATA "/simulator/reference")) {
    auto spec = LoadSpec(entry.path().string());
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    Simulator sim(entry.path().string());
    for (const auto& ep : spec->endpoints) {
      std::string path = std::regex_replace(ep.path, std::regex("\\{[^}]*\\}"), "x");
      auto res = ep.method == "POST" ? sim.client().Post(path, "{}", "application/json")
                                     : sim.client().Get(path);
      ASSERT_TRUE(res) << entry.path() << " " << path;
      bool not_found_entity = res->status == 404 && ep.single_entity;
      EXPECT_TRUE(res->status == 200 || not_found_entity)
          << entry.path() << " " << ep.method << " " << path << ": " << res->status << " "
          << res->body.substr(0, 200);
      if (res->status == 200 && res->get_header_value("Content-Type") == "application/json") {
        EXPECT_FALSE(json::parse(res->body, nullptr, false).is_discarded()) << path;
      }
      ++served;
    }
  }
  EXPECT_GT(served, 300);
}

// A pipeline of many tables keeps one connection per flow: 64 kept-alive
// connections are served at once. A server with fewer workers than
// connections makes the ones beyond wait out the keep-alive timeout (5 s).
TEST(SimulatorServer, SixtyFourKeptAliveConnectionsAreServedAtOnce) {
  Simulator sim("github");
  constexpr int kConnections = 64;
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", sim.port()));
    clients.back()->set_keep_alive(true);
    clients.back()->set_read_timeout(20, 0);
  }
  auto start = std::chrono::steady_clock::now();
  std::atomic<int> ok{0};
  for (int round = 0; round < 2; ++round) {
    std::vector<std::thread> threads;
    for (auto& c : clients) {
      threads.emplace_back([&c, &ok] {
        auto res = c->Get("/repos/o/r/issues?per_page=1");
        if (res && res->status == 200) ++ok;
      });
    }
    for (auto& t : threads) t.join();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(ok.load(), 2 * kConnections);
  EXPECT_LT(seconds, 4.0) << "connections queued behind kept-alive ones";
}

}  // namespace
}  // namespace lakeflow::simulator
