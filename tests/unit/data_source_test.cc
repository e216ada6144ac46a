#include "lakeflow/datasource/data_source.h"

#include <arrow/array.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "lakeflow/core/arrow_json.h"
#include "testing/test_connector.h"
#include "testing/test_util.h"

namespace lakeflow {
namespace {

namespace fs = std::filesystem;
using testing::Batches;
using Strings = std::vector<std::string>;
using Ids = std::vector<int64_t>;

Result<Batches> Drain(BatchIterator* it) {
  return testing::DrainBatches(it);
}

Strings JsonRows(const Batches& batches) {
  Strings out;
  for (const auto& b : batches) {
    for (int64_t i = 0; i < b->num_rows(); ++i) {
      std::string row;
      AppendJsonRecord(*b, i, &row);
      out.push_back(std::move(row));
    }
  }
  return out;
}

Ids Int64Column(const Batches& batches, const std::string& name) {
  Ids out;
  for (const auto& b : batches) {
    auto column = std::static_pointer_cast<arrow::Int64Array>(b->GetColumnByName(name));
    EXPECT_NE(column, nullptr) << name;
    if (!column) return out;
    for (int64_t i = 0; i < column->length(); ++i)
      out.push_back(column->IsNull(i) ? -1 : column->Value(i));
  }
  return out;
}

Strings StringColumn(const Batches& batches, const std::string& name) {
  Strings out;
  for (const auto& b : batches) {
    auto column = std::static_pointer_cast<arrow::StringArray>(b->GetColumnByName(name));
    EXPECT_NE(column, nullptr) << name;
    if (!column) return out;
    for (int64_t i = 0; i < column->length(); ++i) {
      out.push_back(column->IsNull(i) ? "<null>" : std::string(column->GetView(i)));
    }
  }
  return out;
}

Ids Range(int64_t from, int64_t to) {
  Ids out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

void ExpectContains(const std::string& text, const std::vector<std::string>& fragments) {
  for (const auto& f : fragments)
    EXPECT_NE(text.find(f), std::string::npos) << "'" << f << "' not in: " << text;
}

class DataSourceTest : public ::testing::Test {
 protected:
  DataSourceTest() { lakeflow::testing::RegisterTestConnector(&registry_); }

  Result<std::unique_ptr<DataSource>> Open(const Options& options) {
    return DataSource::Open(
        options, OpenOptions{.store = nullptr, .registry = &registry_, .source = "test"});
  }

  // Reads everything; the first error (from ReadAll or any batch) fails.
  Result<Batches> ReadAll(const Options& options) {
    LF_ASSIGN_OR_RETURN(auto ds, Open(options));
    LF_ASSIGN_OR_RETURN(auto it, ds->ReadAll());
    return Drain(it.get());
  }

  Batches ReadAllOk(const Options& options) {
    auto batches = ReadAll(options);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    return batches.ok() ? *batches : Batches();
  }

  ConnectorRegistry registry_;
};

TEST_F(DataSourceTest, MetadataForATableNameList) {
  auto ds =
      Open({{"tableName", "_lakeflow_metadata"}, {"tableNameList", "users,events,orders,logs"}});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  auto schema = (*ds)->Schema();
  ASSERT_TRUE(schema.ok());
  EXPECT_TRUE((*schema)->Equals(*DataSource::MetadataSchema()));
  Batches batches = ReadAllOk(
      {{"tableName", "_lakeflow_metadata"}, {"tableNameList", "users,events,orders,logs"}});
  EXPECT_EQ(
      JsonRows(batches),
      (Strings{
          R"({"tableName":"users","primary_keys":["id"],"cursor_field":null,"ingestion_type":"snapshot"})",
          R"({"tableName":"events","primary_keys":["id"],"cursor_field":"updated_at","ingestion_type":"cdc"})",
          R"({"tableName":"orders","primary_keys":["order_id"],"cursor_field":"modified","ingestion_type":"cdc_with_deletes"})",
          R"({"tableName":"logs","primary_keys":[],"cursor_field":null,"ingestion_type":"append"})"}));
}

TEST_F(DataSourceTest, MetadataForAllTablesWhenNoListIsGiven) {
  Batches batches = ReadAllOk({{"tableName", "_community_table_metadata"}});
  EXPECT_EQ(StringColumn(batches, "tableName"),
            (Strings{"users", "events", "orders", "logs", "regions", "metrics"}));
  EXPECT_EQ(StringColumn(batches, "ingestion_type"),
            (Strings{"snapshot", "cdc", "cdc_with_deletes", "append", "snapshot", "cdc"}));
  EXPECT_EQ(StringColumn(batches, "cursor_field"),
            (Strings{"<null>", "updated_at", "modified", "<null>", "<null>", "seq"}));
}

TEST_F(DataSourceTest, MetadataOfAnUnknownTableIsNotFound) {
  auto batches = ReadAll({{"tableName", "_lakeflow_metadata"}, {"tableNameList", "users,nope"}});
  ASSERT_FALSE(batches.ok());
  EXPECT_EQ(batches.status().code(), StatusCode::kNotFound);
  ExpectContains(batches.status().message(), {"'nope'", "source 'test'"});
}

TEST_F(DataSourceTest, TableListNamesEveryTable) {
  Batches batches = ReadAllOk({{"tableName", "_lakeflow_table_list"}});
  ASSERT_FALSE(batches.empty());
  EXPECT_TRUE(batches[0]->schema()->Equals(*DataSource::TableListSchema()));
  EXPECT_EQ(StringColumn(batches, "table_name"),
            (Strings{"users", "events", "orders", "logs", "regions", "metrics"}));
  EXPECT_EQ(StringColumn(batches, "table_schema"), Strings(6, "<null>"));
}

TEST_F(DataSourceTest, CommunityTablesOfAFlatSourceAreAtTheRoot) {
  Batches batches = ReadAllOk({{"tableName", "_community_tables"}});
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_TRUE(batches[0]->schema()->Equals(*DataSource::CommunityTablesSchema()));
  EXPECT_EQ(StringColumn(batches, "tableName"),
            (Strings{"events", "logs", "metrics", "orders", "regions", "users"}));
  auto ns = std::static_pointer_cast<arrow::ListArray>(batches[0]->GetColumnByName("namespace"));
  for (int64_t i = 0; i < ns->length(); ++i) {
    EXPECT_FALSE(ns->IsNull(i));
    EXPECT_EQ(ns->value_length(i), 0) << "row " << i;
  }
  // A namespace given to a source without them is a mistake, not ignored.
  auto stray = ReadAll({{"tableName", "_community_tables"}, {"namespace", R"(["a"])"}});
  ASSERT_FALSE(stray.ok());
  ExpectContains(stray.status().message(), {"option namespace", "no namespaces"});
}

TEST_F(DataSourceTest, AMisspeltCommunityTableIsRefused) {
  auto batches = ReadAll({{"tableName", "_community_table"}});
  ASSERT_FALSE(batches.ok());
  ExpectContains(batches.status().message(),
                 {"'_community_table'", "_community_tables", "_community_namespaces"});
}

TEST_F(DataSourceTest, NamespacesOfASourceWithoutThemIsEmpty) {
  Batches batches = ReadAllOk({{"tableName", "_community_namespaces"}});
  int64_t rows = 0;
  for (const auto& b : batches) rows += b->num_rows();
  EXPECT_EQ(rows, 0);
}

TEST_F(DataSourceTest, UsersBatchReadPagesThroughOffsets) {
  Batches batches = ReadAllOk({{"tableName", "users"}, {"num_rows", "25"}, {"page_size", "10"}});
  EXPECT_EQ(Int64Column(batches, "id"), Range(1, 25));
  // One batch per page: the pages were followed, not read at once.
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0]->num_rows(), 10);
  EXPECT_EQ(batches[2]->num_rows(), 5);
  EXPECT_TRUE(batches[0]->schema()->Equals(*batches[2]->schema(), /*check_metadata=*/true));
}

// The reference data source calls read_table(table, None) once: a connector
// that does not say its snapshots come in pages is read with one call, and
// every record of it is taken whatever offset comes back.
TEST_F(DataSourceTest, BatchReadIsOneCallUnlessTheConnectorPagesItsSnapshots) {
  Batches batches = ReadAllOk({{"tableName", "users"},
                               {"num_rows", "25"},
                               {"page_size", "10"},
                               {"snapshot_pages", "false"}});
  EXPECT_EQ(Int64Column(batches, "id"), Range(1, 10));
}

TEST_F(DataSourceTest, UsersValuesAreConvertedWithTheSchema) {
  Batches batches = ReadAllOk({{"tableName", "users"}, {"num_rows", "4"}});
  Strings rows = JsonRows(batches);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(
      rows[1],
      R"({"id":2,"name":"user 2","email":"u2@example.test","tags":["solo"],)"
      R"("address":{"city":"Paris","zip":"00002"},"attrs":{"k":"v2"},"score":2.25,"birthday":"1990-02-03",)"
      R"("active":true,"avatar":"aGVsbG8=","profile":{"nested":[1,2,2]},"level":2,"rank":20,"ratio":0.5,)"
      R"("weight":70.25,"age":22,"created_at":"2024-01-01T00:02:00Z","local_at":"2024-01-01T10:00:00"})");
  EXPECT_EQ(StringColumn(batches, "email")[3], "<null>");
}

TEST_F(DataSourceTest, UsersBatchEdgeSizes) {
  EXPECT_EQ(Int64Column(
                ReadAllOk({{"tableName", "users"}, {"num_rows", "20"}, {"page_size", "10"}}), "id"),
            Range(1, 20));
  EXPECT_EQ(
      Int64Column(ReadAllOk({{"tableName", "users"}, {"num_rows", "7"}, {"page_size", "1"}}), "id"),
      Range(1, 7));
  EXPECT_TRUE(Int64Column(ReadAllOk({{"tableName", "users"}, {"num_rows", "0"}}), "id").empty());
}

TEST_F(DataSourceTest, EventsBatchReadReturnsEveryRowOnce) {
  Batches batches = ReadAllOk({{"tableName", "events"}, {"num_rows", "25"}, {"page_size", "10"}});
  EXPECT_EQ(Int64Column(batches, "id"), Range(1, 25));
  Strings rows = JsonRows(batches);
  ASSERT_EQ(rows.size(), 25u);
  EXPECT_EQ(rows[0],
            R"({"id":1,"kind":"click","payload":{"n":1},"updated_at":"2024-01-01T00:01:00Z"})");
  EXPECT_EQ(rows[24],
            R"({"id":25,"kind":"click","payload":{"n":25},"updated_at":"2024-01-01T00:25:00Z"})");
}

TEST_F(DataSourceTest, OrdersBatchReadPassesArrowBatchesWithoutDeletedIds) {
  Batches batches = ReadAllOk({{"tableName", "orders"}, {"num_rows", "12"}, {"page_size", "4"}});
  Ids expected = {1, 2, 4, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(Int64Column(batches, "order_id"), expected);
}

TEST_F(DataSourceTest, RegionsAreReadThroughEveryPartition) {
  Batches batches = ReadAllOk({{"tableName", "regions"}, {"num_rows", "10"}});
  Strings codes = StringColumn(batches, "code");
  EXPECT_EQ(codes.size(), 10u);
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), 10u);
  Strings regions = StringColumn(batches, "region");
  EXPECT_EQ(std::set<std::string>(regions.begin(), regions.end()),
            (std::set<std::string>{"ap", "eu", "us"}));
  // Partition order: every "ap" row, then "eu", then "us".
  EXPECT_EQ(regions, (Strings{"ap", "ap", "ap", "ap", "eu", "eu", "eu", "us", "us", "us"}));
}

TEST_F(DataSourceTest, RegionsWithEmptyPartitions) {
  Batches batches = ReadAllOk({{"tableName", "regions"}, {"num_rows", "1"}});
  EXPECT_EQ(StringColumn(batches, "code"), Strings{"R0000"});
}

TEST_F(DataSourceTest, MicroBatchOnEventsReadsOnePageAndCatchesUp) {
  auto ds = Open({{"tableName", "events"}, {"num_rows", "25"}, {"page_size", "10"}});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  Offset start = Json::object();
  auto first = (*ds)->ReadMicroBatch(start, StreamPosition::kFirst);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(OffsetToString(first->end), R"({"cursor":"2024-01-01T00:10:00Z","minute":10})");
  auto rows = Drain(first->batches.get());
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Int64Column(*rows, "id"), Range(1, 10));

  auto second = (*ds)->ReadMicroBatch(first->end, StreamPosition::kLater);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Int64Column(*Drain(second->batches.get()), "id"), Range(11, 20));
  auto third = (*ds)->ReadMicroBatch(second->end, StreamPosition::kLater);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(Int64Column(*Drain(third->batches.get()), "id"), Range(21, 25));

  auto caught_up = (*ds)->ReadMicroBatch(third->end, StreamPosition::kLater);
  ASSERT_TRUE(caught_up.ok());
  EXPECT_TRUE(caught_up->caught_up);
  EXPECT_TRUE(OffsetsEqual(caught_up->end, third->end));
  auto none = Drain(caught_up->batches.get());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(DataSourceTest, MicroBatchReplaysTheSameRowsFromTheSameStart) {
  auto ds = Open({{"tableName", "events"}});
  ASSERT_TRUE(ds.ok());
  Offset start(Json{{"cursor", "2024-01-01T00:10:00Z"}, {"minute", 10}});
  auto a = (*ds)->ReadMicroBatch(start, StreamPosition::kLater);
  auto b = (*ds)->ReadMicroBatch(start, StreamPosition::kLater);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(OffsetsEqual(a->end, b->end));
  EXPECT_EQ(JsonRows(*Drain(a->batches.get())), JsonRows(*Drain(b->batches.get())));
}

TEST_F(DataSourceTest, DeleteFlowOnOrdersReturnsTheDeletedIds) {
  auto ds = Open({{"tableName", "orders"}, {"isDeleteFlow", "true"}});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  auto read = (*ds)->ReadMicroBatch(Offset(Json::object()), StreamPosition::kFirst);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  auto batches = Drain(read->batches.get());
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ(Int64Column(*batches, "order_id"), (Ids{3, 5}));
  EXPECT_EQ(OffsetToString(read->end), R"({"id":25})");

  auto custom = Open({{"tableName", "orders"}, {"isDeleteFlow", "true"}, {"deleted", "7,20"}});
  ASSERT_TRUE(custom.ok());
  auto read7 = (*custom)->ReadMicroBatch(Offset(Json::object()), StreamPosition::kFirst);
  ASSERT_TRUE(read7.ok());
  EXPECT_EQ(Int64Column(*Drain(read7->batches.get()), "order_id"), (Ids{7, 20}));
}

TEST_F(DataSourceTest, DeleteFlowIsNotABatchRead) {
  auto batches = ReadAll({{"tableName", "orders"}, {"isDeleteFlow", "true"}});
  ASSERT_FALSE(batches.ok());
  EXPECT_EQ(batches.status().code(), StatusCode::kInvalidArgument);
  ExpectContains(batches.status().message(),
                 {"source 'test'", "table 'orders' (delete flow)", "isDeleteFlow"});
}

TEST_F(DataSourceTest, DeleteFlowOnATableWithoutDeletesIsRefused) {
  auto ds = Open({{"tableName", "events"}, {"isDeleteFlow", "true"}});
  ASSERT_TRUE(ds.ok());
  auto read = (*ds)->ReadMicroBatch(Offset(Json::object()), StreamPosition::kFirst);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument);
  ExpectContains(read.status().message(), {"table 'events'", "delete flow", "read_table_deletes"});
}

TEST_F(DataSourceTest, MetricsPartitionedStreamHonoursMaxRecordsPerBatch) {
  auto ds = Open({{"tableName", "metrics"}, {"num_rows", "25"}, {"max_records_per_batch", "7"}});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  auto first = (*ds)->ReadMicroBatch(Offset(Json::object()), StreamPosition::kFirst);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(OffsetToString(first->end), R"({"seq":7})");
  EXPECT_EQ(Int64Column(*Drain(first->batches.get()), "id"), Range(1, 7));

  auto last = (*ds)->ReadMicroBatch(Offset(Json{{"seq", 21}}), StreamPosition::kLater);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(OffsetToString(last->end), R"({"seq":25})");
  EXPECT_EQ(Int64Column(*Drain(last->batches.get()), "id"), Range(22, 25));

  auto caught_up = (*ds)->ReadMicroBatch(Offset(Json{{"seq", 25}}), StreamPosition::kLater);
  ASSERT_TRUE(caught_up.ok());
  EXPECT_EQ(OffsetToString(caught_up->end), R"({"seq":25})");
  EXPECT_TRUE(Drain(caught_up->batches.get())->empty());
}

TEST_F(DataSourceTest, UnknownTableIsNotFoundListingTheTables) {
  auto ds = Open({{"tableName", "nope"}});
  ASSERT_TRUE(ds.ok());
  auto schema = (*ds)->Schema();
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().code(), StatusCode::kNotFound);
  ExpectContains(schema.status().message(), {"source 'test'", "unknown table 'nope'",
                                             "users, events, orders, logs, regions, metrics"});
  auto batches = ReadAll({{"tableName", "nope"}});
  EXPECT_EQ(batches.status().code(), StatusCode::kNotFound);
}

TEST_F(DataSourceTest, FailingReadIsRedactedAndNamesSourceAndTable) {
  auto batches =
      ReadAll({{"tableName", "events"}, {"fail_table", "events"}, {"token", "supersecret99"}});
  ASSERT_FALSE(batches.ok());
  EXPECT_EQ(batches.status().code(), StatusCode::kSource);
  const std::string& m = batches.status().message();
  EXPECT_EQ(m.find("supersecret99"), std::string::npos) << m;
  ExpectContains(m, {"source 'test'", "table 'events'", "token=****", "HTTP 401"});
}

TEST_F(DataSourceTest, FailingMicroBatchIsRedactedToo) {
  auto ds = Open({{"tableName", "events"}, {"fail_table", "events"}, {"token", "supersecret99"}});
  ASSERT_TRUE(ds.ok());
  auto read = (*ds)->ReadMicroBatch(Offset(Json::object()), StreamPosition::kFirst);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().message().find("supersecret99"), std::string::npos)
      << read.status().message();
  ExpectContains(read.status().message(), {"source 'test'", "table 'events'", "****"});
}

TEST_F(DataSourceTest, BadRecordIsAConversionErrorNamingTableFieldAndValue) {
  auto batches = ReadAll({{"tableName", "events"}, {"bad_record", "true"}});
  ASSERT_FALSE(batches.ok());
  EXPECT_EQ(batches.status().code(), StatusCode::kConversion);
  ExpectContains(batches.status().message(),
                 {"source 'test'", "table 'events'", "field 'id'", "abc"});
}

TEST_F(DataSourceTest, OpenErrors) {
  auto no_source = DataSource::Open(
      {{"tableName", "users"}},
      OpenOptions{.store = nullptr, .registry = &registry_, .source = std::nullopt});
  EXPECT_EQ(no_source.status().code(), StatusCode::kInvalidArgument);

  auto unknown =
      DataSource::Open({{"tableName", "users"}},
                       OpenOptions{.store = nullptr, .registry = &registry_, .source = "nosuch"});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  ExpectContains(unknown.status().message(), {"'nosuch'", "test"});

  auto missing_table = Open({{"num_rows", "3"}});
  EXPECT_EQ(missing_table.status().code(), StatusCode::kInvalidArgument);
  ExpectContains(missing_table.status().message(), {"source 'test'", "tableName"});

  auto bad_option = Open({{"tableName", "users"}, {"num_rows", "many"}});
  EXPECT_EQ(bad_option.status().code(), StatusCode::kInvalidArgument);
  ExpectContains(bad_option.status().message(), {"connector 'test'", "'num_rows'", "many"});
}

TEST_F(DataSourceTest, ConnectionWithoutAStoreIsRefused) {
  auto ds = Open({{"databricks.connection", "c"}, {"tableName", "users"}});
  EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
  ExpectContains(ds.status().message(), {"databricks.connection"});
}

class DataSourceConnectionTest : public DataSourceTest {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "lakeflow_ds_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    home_ = tmpl;
    store_ = std::make_unique<ConnectionStore>(home_);
    Connection c;
    c.name = "testconn";
    c.source = "test";
    c.options = Options{{"num_rows", "4"}, {"token", "conn-token-1234"}};
    c.allowed_options = {"page_size", "fail_table"};
    ASSERT_TRUE(store_->Create(c).ok());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(home_, ec);
  }

  Result<std::unique_ptr<DataSource>> OpenWithStore(const Options& options) {
    return DataSource::Open(
        options,
        OpenOptions{.store = store_.get(), .registry = &registry_, .source = std::nullopt});
  }

  Result<Batches> ReadWithStore(const Options& options) {
    LF_ASSIGN_OR_RETURN(auto ds, OpenWithStore(options));
    LF_ASSIGN_OR_RETURN(auto it, ds->ReadAll());
    return Drain(it.get());
  }

  std::string home_;
  std::unique_ptr<ConnectionStore> store_;
};

TEST_F(DataSourceConnectionTest, ConnectionOptionsAreInjected) {
  auto ds = OpenWithStore({{"databricks.connection", "testconn"}, {"tableName", "users"}});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->source_name(), "test");
  EXPECT_EQ((*ds)->connector().options().Get("num_rows"), std::optional<std::string>("4"));
  EXPECT_FALSE((*ds)->connector().options().Has("databricks.connection"));
  EXPECT_FALSE((*ds)->connector().options().Has("tableName"));
  auto batches = ReadWithStore({{"databricks.connection", "testconn"}, {"tableName", "users"}});
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  EXPECT_EQ(Int64Column(*batches, "id"), Range(1, 4));
}

TEST_F(DataSourceConnectionTest, ReadOptionOutsideTheAllowListIsRefused) {
  auto ds = OpenWithStore(
      {{"databricks.connection", "testconn"}, {"tableName", "users"}, {"num_rows", "8"}});
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
  ExpectContains(ds.status().message(), {"'num_rows'", "'testconn'", "page_size, fail_table"});
}

TEST_F(DataSourceConnectionTest, AllowedReadOptionsPassInAnyCase) {
  auto batches = ReadWithStore(
      {{"databricks.connection", "testconn"}, {"tableName", "users"}, {"PAGE_SIZE", "3"}});
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  EXPECT_EQ(Int64Column(*batches, "id"), Range(1, 4));
  EXPECT_EQ(batches->size(), 2u);  // pages of 3
}

TEST_F(DataSourceConnectionTest, DefaultReadOptionsAreAlwaysAllowed) {
  auto batches = ReadWithStore({{"databricks.connection", "testconn"},
                                {"TABLENAME", "_lakeflow_metadata"},
                                {"tableNameList", "users"},
                                {"tableConfigs", R"({"users": {}})"},
                                {"isDeleteFlow", "false"}});
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  EXPECT_EQ(StringColumn(*batches, "tableName"), Strings{"users"});
}

TEST_F(DataSourceConnectionTest, UnknownConnectionIsNotFound) {
  auto ds = OpenWithStore({{"databricks.connection", "other"}, {"tableName", "users"}});
  EXPECT_EQ(ds.status().code(), StatusCode::kNotFound);
  ExpectContains(ds.status().message(), {"'other'"});
}

TEST_F(DataSourceConnectionTest, ConnectionSecretsAreRedacted) {
  auto batches = ReadWithStore(
      {{"databricks.connection", "testconn"}, {"tableName", "events"}, {"fail_table", "events"}});
  ASSERT_FALSE(batches.ok());
  EXPECT_EQ(batches.status().code(), StatusCode::kSource);
  EXPECT_EQ(batches.status().message().find("conn-token-1234"), std::string::npos)
      << batches.status().message();
  ExpectContains(batches.status().message(), {"token=****", "table 'events'"});
}

TEST_F(DataSourceConnectionTest, EnvReferencesInAConnectionAreResolvedAndRedacted) {
  Connection c;
  c.name = "envconn";
  c.source = "test";
  c.options = Options{{"token", "env:LAKEFLOW_TEST_DS_TOKEN"}, {"fail_table", "events"}};
  ASSERT_TRUE(store_->Create(c).ok());
  ::setenv("LAKEFLOW_TEST_DS_TOKEN", "envsecret-7788", 1);
  auto ds = OpenWithStore({{"databricks.connection", "envconn"}, {"tableName", "events"}});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->connector().options().Get("token"),
            std::optional<std::string>("envsecret-7788"));
  auto batches = ReadWithStore({{"databricks.connection", "envconn"}, {"tableName", "events"}});
  ::unsetenv("LAKEFLOW_TEST_DS_TOKEN");
  ASSERT_FALSE(batches.ok());
  EXPECT_EQ(batches.status().message().find("envsecret-7788"), std::string::npos)
      << batches.status().message();
  ExpectContains(batches.status().message(), {"token=****"});
}

}  // namespace
}  // namespace lakeflow
