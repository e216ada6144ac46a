// The declarative REST engine end to end: the github, zendesk and rest
// sources reading the source simulator over loopback HTTP.
#include "lakeflow/connectors/rest/rest_connector.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/connect/registry.h"
#include "lakeflow/http/http_client.h"
#include "lakeflow/simulator/server.h"
#include "testing/simulator_fixture.h"
#include "testing/test_util.h"

namespace lakeflow::rest {
namespace {

class Simulator {
 public:
  explicit Simulator(const std::string& api, int64_t scale = 0, double faults = 0,
                     std::string auth = "") {
    simulator::ServerOptions o;
    o.spec_dir = api;
    o.scale = scale;
    o.fault_rate = faults;
    o.seed = 7;
    o.auth = std::move(auth);
    server_ = lakeflow::testing::StartSimulator(std::move(o));
  }
  int64_t faults() const { return server_->faults_injected(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  // Control endpoints: change the source between reads.
  Json Upsert(const std::string& corpus, const Json& record) {
    http::HttpRequest r;
    r.method = "POST";
    r.url = url() + "/_simulator/" + corpus + "/records";
    r.headers = {{"Content-Type", "application/json"}};
    r.body = record.dump();
    return Json::parse(Send(std::move(r)).body);
  }
  void Delete(const std::string& corpus, const std::string& id) {
    http::HttpRequest r;
    r.method = "DELETE";
    r.url = url() + "/_simulator/" + corpus + "/records/" + id;
    EXPECT_EQ(Send(std::move(r)).status, 204);
  }

 private:
  http::HttpResponse Send(http::HttpRequest request) {
    auto client = http::HttpClient::Make();
    auto response = (*client)->Send(std::move(request));
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : http::HttpResponse{};
  }
  std::unique_ptr<simulator::Server> server_;
};

std::unique_ptr<LakeflowConnect> Connect(const std::string& source, Options options) {
  RegisterBuiltinConnectors(&ConnectorRegistry::Global());
  auto connector = ConnectorRegistry::Global().Create(source, options);
  EXPECT_TRUE(connector.ok()) << connector.status().ToString();
  return connector.ok() ? std::move(connector).value() : nullptr;
}

Options GithubOptions(const Simulator& sim) {
  return Options{{"base_url", sim.url()}, {"owner", "octo"}, {"repo", "demo"}, {"org", "acme"}};
}

// The key column's values of a read, as text.
Result<std::vector<std::string>> Keys(LakeflowConnect* c, const std::string& table,
                                      RecordStream records, const std::string& key) {
  LF_ASSIGN_OR_RETURN(auto schema, c->get_table_schema(table, {}));
  auto it = MakeBatchIterator(table, schema, std::move(records));
  LF_ASSIGN_OR_RETURN(auto batches, testing::DrainBatches(it.get()));
  std::vector<std::string> out;
  for (const auto& b : batches) {
    auto column = b->GetColumnByName(key);
    for (int64_t i = 0; i < b->num_rows(); ++i) {
      auto scalar = column->GetScalar(i);
      out.push_back((*scalar)->ToString());
    }
  }
  return out;
}

struct FullRead {
  std::vector<std::string> keys;
  Offset end;
  std::vector<Offset> offsets;  // every end offset on the way
};

// Reads from `start` until the offset stops moving, as the engine does.
FullRead ReadToEnd(LakeflowConnect* c, const std::string& table, Offset start,
                   const Options& opts = {}, const std::string& key = "id", bool deletes = false) {
  FullRead out;
  for (int calls = 0; calls < 10000; ++calls) {
    auto read =
        deletes ? c->read_table_deletes(table, start, opts) : c->read_table(table, start, opts);
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    if (!read.ok()) break;
    if (calls > 0 && OffsetsEqual(read->end, start)) break;
    auto keys = Keys(c, table, std::move(read->records), key);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    if (keys.ok()) out.keys.insert(out.keys.end(), keys->begin(), keys->end());
    out.offsets.push_back(read->end);
    start = read->end;
    if (!start) break;
  }
  out.end = start;
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(RestConnectorTest, CappedReadsResumeFromTheLastCursorWithoutLossOrRepeats) {
  Simulator sim("github");
  auto whole = Connect("github", GithubOptions(sim));
  FullRead all = ReadToEnd(whole.get(), "issues", Offset(Json::object()));
  ASSERT_GT(all.keys.size(), 100u);

  Options capped = GithubOptions(sim);
  capped.Set("per_page", "7");
  capped.Set("max_records_per_batch", "5");  // cuts pages of 7 in the middle
  auto c = Connect("github", capped);
  FullRead pieces = ReadToEnd(c.get(), "issues", Offset(Json::object()));
  EXPECT_EQ(Sorted(pieces.keys), Sorted(all.keys));
  std::set<std::string> unique(pieces.keys.begin(), pieces.keys.end());
  EXPECT_EQ(unique.size(), pieces.keys.size()) << "a record came twice";
  // Every stop inside the sequence is a cursor value, never a page.
  for (const auto& o : pieces.offsets) {
    ASSERT_TRUE(o.has_value());
    EXPECT_FALSE(o->contains("page")) << o->dump();
  }
  bool resumed = std::any_of(pieces.offsets.begin(), pieces.offsets.end(),
                             [](const Offset& o) { return o && o->contains("resume"); });
  EXPECT_TRUE(resumed) << "no read stopped inside the sequence";
  EXPECT_EQ(all.end, pieces.end);
}

// A batch read (no offset) is one call: every page, fetched as it is consumed.
TEST(RestConnectorTest, BatchReadIsOneCallOverEveryPage) {
  Simulator sim("github", 300);
  Options o = GithubOptions(sim);
  o.Set("per_page", "7");
  o.Set("max_records_per_batch", "5");  // bounds stream reads, not batch reads
  auto c = Connect("github", o);
  for (const char* table : {"issues", "branches"}) {
    auto read = c->read_table(table, Offset(), {});
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_FALSE(read->end.has_value());
    auto keys = Keys(c.get(), table, std::move(read->records),
                     std::string(table) == "branches" ? "name" : "id");
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    EXPECT_EQ(keys->size(), 300u) << table;  // both corpora scaled to 300
  }
}

// With a lookback, records at or before the settled cursor are read again;
// they do not count toward the cap, so a capped read still moves on and a
// caught-up stream stops.
TEST(RestConnectorTest, ALookbackWithACapStillCatchesUp) {
  Simulator sim("github");
  Options o = GithubOptions(sim);
  o.Set("per_page", "7");
  o.Set("max_records_per_batch", "5");
  o.Set("lookback_seconds", "315360000");  // ten years: every record is in the lookback
  auto c = Connect("github", o);
  FullRead first = ReadToEnd(c.get(), "issues", Offset(Json::object()));
  ASSERT_FALSE(first.keys.empty());
  FullRead again = ReadToEnd(c.get(), "issues", first.end);
  EXPECT_LE(again.offsets.size(), 2u) << "the second read did not catch up";
  EXPECT_EQ(again.end, first.end);
}

// Windows slice streams; a batch read is one pass up to now, and a windowed
// stream stops once its windows reach now.
TEST(RestConnectorTest, WindowsSliceStreamsNotBatchReads) {
  Simulator sim("github");
  Options o = GithubOptions(sim);
  o.Set("start_date", "2024-01-01T00:00:00Z");
  auto plain = Connect("github", o);
  FullRead all = ReadToEnd(plain.get(), "issues", Offset());
  ASSERT_GT(all.keys.size(), 100u);
  o.Set("window_seconds", "2592000");  // 30 days
  auto windowed = Connect("github", o);
  FullRead batch = ReadToEnd(windowed.get(), "issues", Offset());
  EXPECT_EQ(Sorted(batch.keys), Sorted(all.keys));
  FullRead stream = ReadToEnd(windowed.get(), "issues", Offset(Json::object()));
  EXPECT_EQ(Sorted(stream.keys), Sorted(all.keys));
  EXPECT_LT(stream.offsets.size(), 200u) << "the windows did not stop at now";
  FullRead caught_up = ReadToEnd(windowed.get(), "issues", stream.end);
  EXPECT_TRUE(caught_up.keys.empty());
  EXPECT_LE(caught_up.offsets.size(), 1u);
}

TEST(RestConnectorTest, ParallelPagesReadTheSameRecordsInOrder) {
  Simulator sim("github", 500);
  Options o = GithubOptions(sim);
  o.Set("per_page", "7");
  FullRead one_by_one = ReadToEnd(Connect("github", o).get(), "issues", Offset());
  o.Set("parallel_pages", "4");
  o.Set("max_records_per_batch", "45");  // stops inside prefetched pages
  FullRead parallel = ReadToEnd(Connect("github", o).get(), "issues", Offset());
  EXPECT_EQ(parallel.keys, one_by_one.keys);
  EXPECT_EQ(parallel.keys.size(), 500u);

  o.Set("parallel_pages", "17");
  auto bad = ConnectorRegistry::Global().Create("github", o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("parallel_pages"), std::string::npos);
}

TEST(RestConnectorTest, SnapshotPagesResumeAndComplete) {
  Simulator sim("github");
  Options o = GithubOptions(sim);
  o.Set("per_page", "1");
  o.Set("max_records_per_batch", "1");
  auto c = Connect("github", o);
  FullRead branches = ReadToEnd(c.get(), "branches", Offset(Json::object()), {}, "name");
  EXPECT_EQ(branches.keys.size(), 4u);
  EXPECT_EQ(branches.end, Offset(Json{{"complete", true}}));
}

TEST(RestConnectorTest, SecondReadReturnsExactlyTheChangedRecords) {
  Simulator sim("github");
  auto c = Connect("github", GithubOptions(sim));
  FullRead first = ReadToEnd(c.get(), "issues", Offset(Json::object()));
  ASSERT_FALSE(first.keys.empty());

  std::string changed = first.keys[3];
  sim.Upsert("issues", Json{{"id", std::stoll(changed)}, {"title", "retitled"}});
  Json added = sim.Upsert("issues", Json{{"title", "brand new"}, {"number", 100000}});
  FullRead second = ReadToEnd(c.get(), "issues", first.end);
  EXPECT_EQ(Sorted(second.keys), Sorted({changed, std::to_string(added["id"].get<int64_t>())}));

  FullRead third = ReadToEnd(c.get(), "issues", second.end);
  EXPECT_TRUE(third.keys.empty());
  EXPECT_EQ(third.end, second.end);
}

TEST(RestConnectorTest, AppendTablesNeverRepeat) {
  Simulator sim("github");
  auto c = Connect("github", GithubOptions(sim));
  FullRead first = ReadToEnd(c.get(), "commits", Offset(Json::object()), {}, "sha");
  ASSERT_FALSE(first.keys.empty());
  FullRead again = ReadToEnd(c.get(), "commits", first.end, {}, "sha");
  EXPECT_TRUE(again.keys.empty());
}

TEST(RestConnectorTest, DeletesArriveOnTheDeleteFlow) {
  Simulator sim("github");
  Options o = GithubOptions(sim);
  o.Set("spec", LAKEFLOW_TESTDATA "/rest/issues_with_deletes.yaml");
  o.Set("per_page", "50");
  auto c = Connect("rest", o);
  auto meta = c->read_table_metadata("issues", {});
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->ingestion_type, IngestionType::kCdcWithDeletes);

  FullRead rows = ReadToEnd(c.get(), "issues", Offset(Json::object()));
  FullRead none = ReadToEnd(c.get(), "issues", Offset(Json::object()), {}, "id", true);
  EXPECT_TRUE(none.keys.empty());

  std::string gone = rows.keys[10];
  sim.Delete("issues", gone);
  FullRead deleted = ReadToEnd(c.get(), "issues", none.end, {}, "id", true);
  EXPECT_EQ(deleted.keys, std::vector<std::string>{gone});
  // The deletion time becomes the table's cursor field.
  auto read = c->read_table_deletes("issues", none.end, {});
  ASSERT_TRUE(read.ok());
  auto stamps = Keys(c.get(), "issues", std::move(read->records), "updated_at");
  ASSERT_TRUE(stamps.ok());
  ASSERT_EQ(stamps->size(), 1u);
  EXPECT_NE((*stamps)[0], "null");

  FullRead after = ReadToEnd(c.get(), "issues", Offset());
  EXPECT_EQ(std::count(after.keys.begin(), after.keys.end(), gone), 0);
}

// Reviews are read per pull request: what the corpus holds for the pulls it serves.
TEST(RestConnectorTest, FanOutReadsTheChildrenOfEveryParent) {
  std::ifstream pulls_file(LAKEFLOW_TESTDATA "/simulator/github/corpus/pulls.json");
  std::ifstream reviews_file(LAKEFLOW_TESTDATA "/simulator/github/corpus/reviews.json");
  Json pulls = Json::parse(pulls_file), reviews = Json::parse(reviews_file);
  std::set<std::string> expected;
  for (const auto& r : reviews) {
    std::string url = r["pull_request_url"];
    for (const auto& p : pulls) {
      std::string suffix = "/pulls/" + std::to_string(p["number"].get<int64_t>());
      if (url.size() >= suffix.size() &&
          url.compare(url.size() - suffix.size(), suffix.size(), suffix) == 0)
        expected.insert(std::to_string(r["id"].get<int64_t>()));
    }
  }
  ASSERT_FALSE(expected.empty());

  Simulator sim("github");
  Options o = GithubOptions(sim);
  o.Set("per_page", "3");
  o.Set("max_records_per_batch", "2");
  auto c = Connect("github", o);
  for (Offset start : {Offset(), Offset(Json::object())}) {
    FullRead reviews_read = ReadToEnd(c.get(), "reviews", start);
    EXPECT_EQ(std::set<std::string>(reviews_read.keys.begin(), reviews_read.keys.end()), expected);
    EXPECT_EQ(reviews_read.keys.size(), expected.size());
    if (!start) continue;  // a batch read has no offsets
    bool saved_parent =
        std::any_of(reviews_read.offsets.begin(), reviews_read.offsets.end(),
                    [](const Offset& off) { return off && off->contains("parent"); });
    EXPECT_TRUE(saved_parent);
  }
}

TEST(RestConnectorTest, FaultsChangeNothing) {
  Simulator clean("github"), faulty("github", 0, 0.2);
  for (const char* table : {"issues", "comments", "commits", "pull_requests", "branches"}) {
    std::string key = std::string(table) == "commits"    ? "sha"
                      : std::string(table) == "branches" ? "name"
                                                         : "id";
    Options a = GithubOptions(clean), b = GithubOptions(faulty);
    a.Set("per_page", "20");
    b.Set("per_page", "20");
    FullRead want = ReadToEnd(Connect("github", a).get(), table, Offset(), {}, key);
    FullRead got = ReadToEnd(Connect("github", b).get(), table, Offset(), {}, key);
    EXPECT_EQ(Sorted(got.keys), Sorted(want.keys)) << table;
  }
  EXPECT_GT(faulty.faults(), 2) << "the faults did not happen";
}

TEST(RestConnectorTest, BadCredentialsAreOneLineWithoutTheSecret) {
  Simulator sim("github", 0, 0, "Bearer right-token");
  Options o = GithubOptions(sim);
  o.Set("token", "wrong-secret-123");
  auto c = Connect("github", o);
  auto read = c->read_table("issues", Offset(), {});
  ASSERT_FALSE(read.ok());
  std::string message = read.status().ToString();
  EXPECT_NE(message.find("HTTP 401"), std::string::npos) << message;
  EXPECT_NE(message.find("Bad credentials"), std::string::npos) << message;
  EXPECT_EQ(message.find("wrong-secret-123"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;

  o.Set("token", "right-token");
  EXPECT_TRUE(Connect("github", o)->read_table("issues", Offset(), {}).ok());
}

TEST(RestConnectorTest, MissingOptionsNameTheOptionAndTable) {
  Simulator sim("github");
  auto c = Connect("github", Options{{"base_url", sim.url()}});
  auto read = c->read_table("issues", Offset(), {});
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(), "table 'issues' needs option 'owner', which is not set");
  // Per-table options fill them in.
  EXPECT_TRUE(c->read_table("issues", Offset(), Options{{"owner", "o"}, {"repo", "r"}}).ok());

  auto zendesk = ConnectorRegistry::Global().Create("zendesk", Options{{"subdomain", "acme"}});
  ASSERT_FALSE(zendesk.ok());
  EXPECT_NE(zendesk.status().message().find("needs option 'email'"), std::string::npos);
}

TEST(RestConnectorTest, ZendeskIncrementalExportPagesAndResumes) {
  Simulator sim("zendesk", 2500);
  Options o{{"base_url", sim.url()}, {"email", "agent@example.com"}, {"api_token", "t0k"}};
  auto c = Connect("zendesk", o);
  FullRead tickets = ReadToEnd(c.get(), "tickets", Offset(Json::object()));
  std::set<std::string> unique(tickets.keys.begin(), tickets.keys.end());
  EXPECT_EQ(unique.size(), 2500u);
  EXPECT_EQ(tickets.keys.size(), 2500u) << "pages overlapped";

  Json changed =
      sim.Upsert("tickets", Json{{"id", std::stoll(tickets.keys[42])}, {"subject", "x"}});
  FullRead second = ReadToEnd(c.get(), "tickets", tickets.end);
  EXPECT_EQ(second.keys, std::vector<std::string>{tickets.keys[42]});

  FullRead brands = ReadToEnd(c.get(), "brands", Offset());
  EXPECT_EQ(brands.keys.size(), 2500u);
}

}  // namespace
}  // namespace lakeflow::rest
