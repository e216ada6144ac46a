// The simulator's Zendesk-style paging, --auth, and the GitHub endpoints
// connectors page through, served in-process and read over loopback.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "lakeflow/core/time_parse.h"
#include "lakeflow/simulator/server.h"
#include "testing/simulator_fixture.h"

namespace lakeflow::simulator {
namespace {

using nlohmann::json;

constexpr int64_t kMicros = 1000000;

class Sim {
 public:
  explicit Sim(ServerOptions o) {
    server_ = lakeflow::testing::StartSimulator(std::move(o));
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }
  explicit Sim(const std::string& spec, int64_t scale = 0) : Sim(Options(spec, scale)) {}
  httplib::Client& client() { return *client_; }

  // The JSON body of a GET that must answer 200.
  json Get(const std::string& path) {
    auto res = client_->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return json();
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
    return json::parse(res->body);
  }

 private:
  static ServerOptions Options(const std::string& spec, int64_t scale) {
    ServerOptions o;
    o.spec_dir = spec;
    o.scale = scale;
    return o;
  }
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

int64_t Micros(const json& v) {
  return *ParseTimestampMicros(v.get<std::string>());
}

// "http://127.0.0.1:PORT/api/..." -> "/api/...".
std::string PathOf(const std::string& url) {
  return url.substr(url.find('/', std::string("http://").size()));
}

struct Walk {
  std::vector<int64_t> ids;
  std::vector<int64_t> updated;
  int pages = 0;
};

// Follows next_page until end_of_stream, checking each page's shape.
Walk WalkExport(Sim& sim, std::string path, const std::string& key, int max_pages) {
  Walk w;
  for (;;) {
    json page = sim.Get(path);
    ++w.pages;
    EXPECT_EQ(page["count"], page[key].size());
    int64_t start = std::stoll(path.substr(path.find("start_time=") + 11));
    for (const auto& r : page[key]) {
      w.ids.push_back(r["id"]);
      w.updated.push_back(Micros(r["updated_at"]));
      EXPECT_GE(w.updated.back(), start * kMicros);
    }
    EXPECT_GE(page["end_time"].get<int64_t>(), start);
    std::string next = page["next_page"];
    EXPECT_NE(next.find("start_time=" + std::to_string(page["end_time"].get<int64_t>())),
              std::string::npos);
    if (page["end_of_stream"] == true || w.pages >= max_pages) break;
    path = PathOf(next);
  }
  return w;
}

TEST(SimulatorZendesk, TimeBasedExportPagesInUpdatedOrder) {
  Sim sim("zendesk");
  json all = sim.Get("/api/v2/incremental/tickets.json?start_time=0");
  ASSERT_EQ(all["tickets"].size(), 4u);
  EXPECT_EQ(all["end_of_stream"], true);
  EXPECT_EQ(all["count"], 4);
  // end_time: the last record's updated_at in unix seconds.
  EXPECT_EQ(all["end_time"].get<int64_t>() * kMicros, Micros(all["tickets"][3]["updated_at"]));
  auto raw = sim.client().Get("/api/v2/incremental/tickets.json?start_time=0");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->body.rfind("{\"tickets\":[", 0), 0u);  // the records come first
  EXPECT_NE(raw->body.find("],\"next_page\":\"http"), std::string::npos);

  Walk w =
      WalkExport(sim, "/api/v2/incremental/tickets.json?start_time=0&per_page=2", "tickets", 10);
  EXPECT_EQ(std::set<int64_t>(w.ids.begin(), w.ids.end()).size(), 4u);
  EXPECT_TRUE(std::is_sorted(w.updated.begin(), w.updated.end()));
  EXPECT_LE(w.pages, 4);

  // start_time filters on updated_at: the last two records.
  int64_t third = Micros(all["tickets"][2]["updated_at"]) / kMicros;
  json tail = sim.Get("/api/v2/incremental/tickets.json?start_time=" + std::to_string(third));
  EXPECT_EQ(tail["tickets"].size(), 2u);
  json none = sim.Get("/api/v2/incremental/users.json?start_time=4000000000");
  EXPECT_TRUE(none["users"].empty());
  EXPECT_EQ(none["end_time"], 4000000000LL);
  EXPECT_EQ(none["end_of_stream"], true);
  json events = sim.Get("/api/v2/incremental/ticket_events.json?start_time=0");
  EXPECT_EQ(events["ticket_events"].size(), 4u);
}

TEST(SimulatorZendesk, TimeBasedWithoutStartTimeIs400) {
  Sim sim("zendesk");
  for (const char* path : {"/api/v2/incremental/organizations.json",
                           "/api/v2/incremental/tickets.json?start_time=yesterday"}) {
    auto res = sim.client().Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << path;
    json body = json::parse(res->body);
    EXPECT_EQ(body["error"], "InvalidValue");
    EXPECT_TRUE(body["description"].is_string());
  }
}

// Twelve tickets: ids 1..10 share one second, 11 and 12 come later.
std::string SameSecondSpec() {
  auto dir = std::filesystem::temp_directory_path() / "lf_sim_same_second";
  std::filesystem::create_directories(dir / "corpus");
  std::ofstream(dir / "endpoints.yaml") << R"(endpoints:
  - path: /export.json
    corpus: tickets
    response:
      pagination_style: time_based
      wrapper: {records_key: tickets}
    params:
      start_time: {role: start_time, field: updated_at}
      per_page: {role: per_page, default: 1000, max: 1000}
)";
  json records = json::array();
  for (int id = 12; id >= 1; --id) {  // reverse: the order comes from the sort
    std::string t =
        id <= 10 ? "2024-01-01T00:00:00Z" : "2024-01-02T00:00:0" + std::to_string(id - 10) + "Z";
    records.push_back({{"id", id}, {"updated_at", t}});
  }
  std::ofstream(dir / "corpus" / "tickets.json") << records.dump();
  return dir.string();
}

TEST(SimulatorZendesk, TimeBasedMovesPastASecondFullerThanAPage) {
  Sim sim(SameSecondSpec());
  json first = sim.Get("/export.json?start_time=0&per_page=3");
  std::vector<int64_t> ids;
  for (const auto& r : first["tickets"]) ids.push_back(r["id"]);
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, 3}));  // ties by id
  EXPECT_EQ(first["end_time"], 1704067200);
  EXPECT_EQ(first["end_of_stream"], false);
  // Asked from that second, the whole second comes back and the next page moves on.
  json stuck = sim.Get(PathOf(first["next_page"]));
  EXPECT_EQ(stuck["tickets"].size(), 10u);
  EXPECT_EQ(stuck["end_time"], 1704067201);
  Walk w = WalkExport(sim, "/export.json?start_time=0&per_page=3", "tickets", 20);
  std::set<int64_t> seen(w.ids.begin(), w.ids.end());
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_LE(w.pages, 5);
}

TEST(SimulatorZendesk, TimeBasedScaledCorpusPagesAtMostAThousand) {
  Sim sim("zendesk", 2500);
  json big = sim.Get("/api/v2/incremental/tickets.json?start_time=0&per_page=5000");
  EXPECT_EQ(big["tickets"].size(), 1000u);  // the max
  Walk w = WalkExport(sim, "/api/v2/incremental/tickets.json?start_time=0", "tickets", 10);
  EXPECT_EQ(std::set<int64_t>(w.ids.begin(), w.ids.end()).size(), 2500u);
  EXPECT_TRUE(std::is_sorted(w.updated.begin(), w.updated.end()));
  EXPECT_EQ(w.pages, 3);
}

TEST(SimulatorZendesk, ScaledTimestampsIncreaseAndUnixTimesFollow) {
  Sim sim("zendesk", 400);
  json page = sim.Get("/api/v2/incremental/tickets.json?start_time=0");
  ASSERT_EQ(page["tickets"].size(), 400u);
  std::map<int64_t, int64_t> created_by_id;
  for (const auto& t : page["tickets"]) {
    created_by_id[t["id"]] = Micros(t["created_at"]);
    // generated_timestamp moves with the record, as updated_at does.
    EXPECT_EQ(t["generated_timestamp"].get<int64_t>(), Micros(t["updated_at"]) / kMicros);
  }
  int64_t prev = 0;
  for (const auto& [id, created] : created_by_id) {
    EXPECT_GT(created, prev) << id;
    prev = created;
  }
}

TEST(SimulatorZendesk, NextPageUrlLists) {
  Sim sim("zendesk", 250);
  json p1 = sim.Get("/api/v2/groups.json");
  ASSERT_EQ(p1["groups"].size(), 100u);  // default per_page
  EXPECT_EQ(p1["count"], 250);
  EXPECT_TRUE(p1["previous_page"].is_null());
  std::string next = p1["next_page"];
  EXPECT_EQ(next.rfind("http://127.0.0.1:", 0), 0u);
  EXPECT_NE(next.find("page=2"), std::string::npos);
  std::set<int64_t> ids;
  std::string path = "/api/v2/groups.json?per_page=100";
  int pages = 0;
  json page;
  while (!path.empty() && pages < 10) {
    page = sim.Get(path);
    ++pages;
    for (const auto& g : page["groups"]) ids.insert(g["id"].get<int64_t>());
    path = page["next_page"].is_null() ? "" : PathOf(page["next_page"]);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ids.size(), 250u);
  EXPECT_NE(page["previous_page"].get<std::string>().find("page=2"), std::string::npos);
  json capped = sim.Get("/api/v2/groups.json?per_page=500");
  EXPECT_EQ(capped["groups"].size(), 100u);  // the max
  json past = sim.Get("/api/v2/groups.json?page=9");
  EXPECT_TRUE(past["groups"].empty());
  EXPECT_TRUE(past["next_page"].is_null());

  Sim plain("zendesk");
  for (const char* key : {"articles", "brands", "topics"}) {
    std::string p = std::string(key) == "articles" ? "/api/v2/help_center/articles.json"
                    : std::string(key) == "topics" ? "/api/v2/community/topics.json"
                                                   : "/api/v2/brands.json";
    json one = plain.Get(p + "?per_page=3");
    EXPECT_EQ(one[key].size(), 3u) << key;
    EXPECT_EQ(one["count"], 4) << key;
    json two = plain.Get(PathOf(one["next_page"]));
    EXPECT_EQ(two[key].size(), 1u) << key;
    EXPECT_TRUE(two["next_page"].is_null()) << key;
  }
}

TEST(SimulatorAuth, RequiresExactAuthorizationHeader) {
  ServerOptions o;
  o.spec_dir = "github";
  o.auth = "token sekrit";
  Sim sim(o);
  auto& c = sim.client();
  for (const httplib::Headers& h :
       {httplib::Headers{}, httplib::Headers{{"Authorization", "token wrong"}}}) {
    auto res = c.Get("/user", h);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    EXPECT_EQ(
        res->body,
        R"({"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"})");
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  }
  auto ok = c.Get("/user", httplib::Headers{{"Authorization", "token sekrit"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto health = c.Get("/_simulator/health");  // control endpoints need no credentials
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(SimulatorGithub, OrgTeamsAndMembers) {
  Sim sim("github");
  EXPECT_EQ(sim.Get("/orgs/acme/teams").size(), 3u);
  json members = sim.Get("/orgs/acme/members?per_page=2");
  ASSERT_EQ(members.size(), 2u);
  json all = sim.Get("/orgs/acme/members");
  std::set<std::string> logins;
  std::set<int64_t> ids;
  for (const auto& m : all) {
    logins.insert(m["login"]);
    ids.insert(m["id"].get<int64_t>());
    EXPECT_TRUE(m.contains("avatar_url"));
  }
  EXPECT_GE(all.size(), 3u);
  EXPECT_EQ(logins.size(), all.size());
  EXPECT_EQ(ids.size(), all.size());
}

std::vector<int64_t> Times(const json& records, const char* field) {
  std::vector<int64_t> out;
  for (const auto& r : records) out.push_back(Micros(r[field]));
  return out;
}

TEST(SimulatorGithub, StateAllIsNoFilter) {
  Sim sim("github");
  json all = sim.Get("/repos/o/r/issues?state=all&per_page=100");
  json rest = sim.Get("/repos/o/r/issues?state=all&per_page=100&page=2");
  EXPECT_EQ(all.size() + rest.size(), 150u);
  json pulls = sim.Get("/repos/o/r/pulls?state=all&per_page=100");
  json open = sim.Get("/repos/o/r/pulls?state=open&per_page=100");
  json closed = sim.Get("/repos/o/r/pulls?state=closed&per_page=100");
  EXPECT_EQ(pulls.size(), open.size() + closed.size());
  EXPECT_GT(closed.size(), 0u);
}

TEST(SimulatorGithub, SortUpdatedBothDirectionsAndSince) {
  Sim sim("github");
  json asc = sim.Get("/repos/o/r/pulls?state=all&sort=updated&direction=asc&per_page=100");
  std::vector<int64_t> a = Times(asc, "updated_at");
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  json desc = sim.Get("/repos/o/r/pulls?state=all&sort=updated&direction=desc&per_page=100");
  std::vector<int64_t> d = Times(desc, "updated_at");
  EXPECT_TRUE(std::is_sorted(d.rbegin(), d.rend()));
  EXPECT_EQ(a.size(), d.size());
  for (const char* path : {"/repos/o/r/issues", "/repos/o/r/issues/comments"}) {
    json base = sim.Get(std::string(path) + "?sort=updated&direction=asc&per_page=100");
    ASSERT_GT(base.size(), 4u) << path;
    std::string since = base[base.size() / 2]["updated_at"];
    json got =
        sim.Get(std::string(path) + "?since=" + since + "&sort=updated&direction=asc&per_page=100");
    std::vector<int64_t> t = Times(got, "updated_at");
    ASSERT_FALSE(t.empty()) << path;
    EXPECT_TRUE(std::is_sorted(t.begin(), t.end())) << path;
    EXPECT_GE(t.front(), Micros(json(since))) << path;
  }
}

}  // namespace
}  // namespace lakeflow::simulator
