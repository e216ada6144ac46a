// The conformance suite on the test connector (every check must pass), and on
// deliberately broken connectors (the checks must catch each fault).
#include "lakeflow/conformance/conformance.h"

#include <gtest/gtest.h>

#include <set>

#include "lakeflow/core/schema.h"
#include "testing/test_connector.h"

namespace lakeflow {
namespace {

std::unique_ptr<LakeflowConnect> MakeTestConnector(const Options& options = {}) {
  ConnectorRegistry registry;
  testing::RegisterTestConnector(&registry);
  auto connector = registry.Create("test", options);
  EXPECT_TRUE(connector.ok()) << connector.status().ToString();
  return std::move(connector).value();
}

std::string Failures(const ConformanceReport& report) {
  std::string out;
  for (const auto& c : report.checks) {
    if (!c.passed) out += c.name + " [" + c.table + "]: " + c.detail + "\n";
  }
  return out;
}

class TestConnectorConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(TestConnectorConformance, PassesEveryCheck) {
  auto connector = MakeTestConnector();
  ConformanceOptions options;
  options.table = GetParam();
  auto report = RunConformance(*connector, options);
  EXPECT_EQ(report.failures(), 0) << Failures(report);
  // The table's own checks ran: schema, metadata, reads.
  int table_checks = 0;
  for (const auto& c : report.checks) table_checks += c.table == GetParam();
  EXPECT_GE(table_checks, 10);
}

INSTANTIATE_TEST_SUITE_P(AllTables, TestConnectorConformance,
                         ::testing::Values("users", "events", "orders", "logs", "regions",
                                           "metrics"));

// A connector with one configurable fault.
class BrokenConnector : public LakeflowConnect {
 public:
  enum class Fault {
    kDuplicateTables,
    kCursorMissing,
    kKeyNotInSchema,
    kOffsetsNeverConverge,
    kNullKey,
    kAcceptsUnknownTable,
    kNoDeletes,
    kRecordsWhenCaughtUp,   // returns its record again with the offset it was given
    kMetadataChanges,       // each read_table_metadata call says something else
    kColumnNeverFilled,     // `at` is null in every record
    kAllNullRecord,         // an append table with a record of nulls only
    kDeleteWithoutKey,      // a deleted record without its key
    kSnapshotNoOffset,      // a snapshot returning a None offset: allowed, must pass
    kSnapshotDuplicateKey,  // a snapshot listing one key twice (pages that overlap)
  };
  explicit BrokenConnector(Fault fault) : LakeflowConnect({}), fault_(fault) {}

  Result<std::vector<std::string>> list_tables() override {
    if (fault_ == Fault::kDuplicateTables) return std::vector<std::string>{"t", "t"};
    return std::vector<std::string>{"t"};
  }
  Result<SchemaPtr> get_table_schema(std::string_view table, const Options&) override {
    if (table != "t" && fault_ != Fault::kAcceptsUnknownTable) return UnknownTable(table);
    return ParseDdl("id LONG, at STRING");
  }
  Result<TableMetadata> read_table_metadata(std::string_view table, const Options&) override {
    if (table != "t" && fault_ != Fault::kAcceptsUnknownTable) return UnknownTable(table);
    if (fault_ == Fault::kMetadataChanges)
      return TableMetadata{{"id"}, ++calls_ % 2 ? "at" : "id", IngestionType::kCdc};
    if (fault_ == Fault::kAllNullRecord)
      return TableMetadata{{}, std::nullopt, IngestionType::kAppend};
    if (fault_ == Fault::kDeleteWithoutKey)
      return TableMetadata{{"id"}, "at", IngestionType::kCdcWithDeletes};
    if (fault_ == Fault::kSnapshotNoOffset || fault_ == Fault::kSnapshotDuplicateKey)
      return TableMetadata{{"id"}, std::nullopt, IngestionType::kSnapshot};
    if (fault_ == Fault::kCursorMissing)
      return TableMetadata{{"id"}, std::nullopt, IngestionType::kCdc};
    if (fault_ == Fault::kKeyNotInSchema) return TableMetadata{{"nope"}, "at", IngestionType::kCdc};
    if (fault_ == Fault::kNoDeletes)
      return TableMetadata{{"id"}, "at", IngestionType::kCdcWithDeletes};
    return TableMetadata{{"id"}, "at", IngestionType::kCdc};
  }
  Result<ReadResult> read_table(std::string_view table, const Offset& start,
                                const Options&) override {
    if (table != "t" && fault_ != Fault::kAcceptsUnknownTable) return UnknownTable(table);
    int64_t n = start && start->contains("n") ? (*start)["n"].get<int64_t>() : 0;
    std::string record =
        fault_ == Fault::kNullKey ? R"({"id": null, "at": "x"})" : R"({"id": 1, "at": "x"})";
    if (fault_ == Fault::kColumnNeverFilled) record = R"({"id": 1, "at": null})";
    if (fault_ == Fault::kSnapshotNoOffset)
      return ReadResult{RecordStream::FromJsonRecords({record}), std::nullopt};
    if (fault_ == Fault::kSnapshotDuplicateKey) {
      return ReadResult{RecordStream::FromJsonRecords({record, R"({"id": 2, "at": "y"})", record}),
                        std::nullopt};
    }
    if (fault_ == Fault::kAllNullRecord && n == 0)
      return ReadResult{RecordStream::FromJsonRecords({record, R"({"id": null, "at": null})"}),
                        Offset(Json{{"n", 1}})};
    Offset end = fault_ == Fault::kOffsetsNeverConverge ? Offset(Json{{"n", n + 1}})
                                                        : Offset(Json{{"n", 1}});
    if (n == 1 && fault_ == Fault::kRecordsWhenCaughtUp)
      return ReadResult{RecordStream::FromJsonRecords({record}), start};
    if (n == 1 && fault_ != Fault::kOffsetsNeverConverge)
      return ReadResult{RecordStream::Empty(), start};
    return ReadResult{RecordStream::FromJsonRecords({record}), end};
  }
  Result<ReadResult> read_table_deletes(std::string_view table, const Offset& start,
                                        const Options& options) override {
    if (fault_ != Fault::kDeleteWithoutKey)
      return LakeflowConnect::read_table_deletes(table, start, options);
    if (start && start->contains("n")) return ReadResult{RecordStream::Empty(), start};
    return ReadResult{RecordStream::FromJsonRecords({R"({"id": null, "at": "y"})"}),
                      Offset(Json{{"n", 1}})};
  }

 private:
  Fault fault_;
  int calls_ = 0;
};

struct FaultCase {
  BrokenConnector::Fault fault;
  std::string failing_check;
};

class ConformanceCatchesFaults : public ::testing::TestWithParam<FaultCase> {};

TEST_P(ConformanceCatchesFaults, ReportsTheFault) {
  BrokenConnector connector(GetParam().fault);
  ConformanceOptions options;
  options.max_reads = 20;
  auto report = RunConformance(connector, options);
  bool found = false;
  for (const auto& c : report.checks)
    found = found || (!c.passed && c.name == GetParam().failing_check);
  EXPECT_TRUE(found) << "expected a failure of " << GetParam().failing_check << "\n"
                     << report.ToText();
}

INSTANTIATE_TEST_SUITE_P(
    Faults, ConformanceCatchesFaults,
    ::testing::Values(
        FaultCase{BrokenConnector::Fault::kDuplicateTables, "list_tables.no_duplicates"},
        FaultCase{BrokenConnector::Fault::kCursorMissing, "metadata.cursor_field_present"},
        FaultCase{BrokenConnector::Fault::kKeyNotInSchema, "metadata.primary_key_in_schema"},
        FaultCase{BrokenConnector::Fault::kOffsetsNeverConverge,
                  "read_table.stream.offsets_converge"},
        FaultCase{BrokenConnector::Fault::kRecordsWhenCaughtUp,
                  "read_table.stream.caught_up_holds_nothing"},
        FaultCase{BrokenConnector::Fault::kNullKey, "read_table.batch.primary_keys_non_null"},
        FaultCase{BrokenConnector::Fault::kAcceptsUnknownTable,
                  "unknown_table.get_table_schema_refused"},
        FaultCase{BrokenConnector::Fault::kNoDeletes, "read_table_deletes.stream.succeeds"},
        FaultCase{BrokenConnector::Fault::kMetadataChanges, "read_table_metadata.deterministic"},
        FaultCase{BrokenConnector::Fault::kAllNullRecord, "records.no_record_entirely_null"},
        FaultCase{BrokenConnector::Fault::kDeleteWithoutKey,
                  "read_table_deletes.stream.primary_keys_non_null"},
        FaultCase{BrokenConnector::Fault::kSnapshotDuplicateKey,
                  "read_table.batch.primary_keys_unique"}),
    [](const ::testing::TestParamInfo<FaultCase>& info) {
      std::string name = info.param.failing_check;
      for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

TEST(Conformance, AColumnNoRecordFillsIsAWarning) {
  BrokenConnector connector(BrokenConnector::Fault::kColumnNeverFilled);
  auto report = RunConformance(connector, {});
  EXPECT_EQ(report.failures(), 0) << report.ToText();
  bool warned = false;
  for (const auto& c : report.checks)
    warned = warned || (c.warning && c.name == "records.every_column_non_null_somewhere" &&
                        c.detail.find(": at") != std::string::npos);
  EXPECT_TRUE(warned) << report.ToText();
  EXPECT_NE(report.ToText().find("WARN records.every_column_non_null_somewhere [t]"),
            std::string::npos);
}

TEST(Conformance, ASnapshotMayReturnNoOffset) {
  BrokenConnector connector(BrokenConnector::Fault::kSnapshotNoOffset);
  auto report = RunConformance(connector, {});
  EXPECT_EQ(report.failures(), 0) << report.ToText();
}

TEST(Conformance, EachCheckIsReportedOncePerTable) {
  auto connector = MakeTestConnector({{"num_rows", "40"}, {"page_size", "7"}});
  auto report = RunConformance(*connector, {});
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& c : report.checks) {
    EXPECT_TRUE(seen.insert({c.name, c.table}).second) << c.name << " [" << c.table << "]";
  }
}

TEST(Conformance, TableConfigsReachEveryCheck) {
  // The test connector refuses reads whose table options say refuse_read:
  // set for users alone, only the checks of users fail.
  auto connector = MakeTestConnector();
  ConformanceOptions options;
  options.table_configs["users"].Set("refuse_read", "true");
  auto report = RunConformance(*connector, options);
  std::set<std::string> failed_tables;
  for (const auto& c : report.checks) {
    if (!c.passed) failed_tables.insert(c.table);
  }
  EXPECT_EQ(failed_tables, std::set<std::string>{"users"}) << report.ToText();
}

// A partitioned stream (SupportsPartition + SupportsPartitionedStream) of
// ten records in offsets of 0..10, with one configurable fault.
class PartitionedConnector : public LakeflowConnect,
                             public SupportsPartition,
                             public SupportsPartitionedStream {
 public:
  enum class Fault { kNone, kLatestNeverSettles, kPartitionsForEqualOffsets, kOverlap };
  explicit PartitionedConnector(Fault fault) : LakeflowConnect({}), fault_(fault) {}

  Result<std::vector<std::string>> list_tables() override { return std::vector<std::string>{"p"}; }
  Result<SchemaPtr> get_table_schema(std::string_view table, const Options&) override {
    if (table != "p") return UnknownTable(table);
    return ParseDdl("id LONG, v STRING");
  }
  Result<TableMetadata> read_table_metadata(std::string_view table, const Options&) override {
    if (table != "p") return UnknownTable(table);
    return TableMetadata{{"id"}, "id", IngestionType::kAppend};
  }
  Result<ReadResult> read_table(std::string_view table, const Offset&, const Options&) override {
    return Status::Invalid("table '{}' is read in partitions only", table);
  }
  Result<std::vector<Json>> get_partitions(std::string_view, const Options&) override {
    return std::vector<Json>{Json{{"from", 0}, {"to", 5}}, Json{{"from", 5}, {"to", 10}}};
  }
  Result<RecordStream> read_partition(std::string_view, const Json& p, const Options&) override {
    std::vector<std::string> records;
    for (int64_t i = p["from"].get<int64_t>(); i < p["to"].get<int64_t>(); ++i)
      records.push_back(fmt::format(R"({{"id": {}, "v": "x"}})", i));
    return RecordStream::FromJsonRecords(std::move(records));
  }
  Result<Offset> latest_offset(std::string_view, const Options&, const Offset& start) override {
    int64_t at = start && start->contains("at") ? (*start)["at"].get<int64_t>() : 0;
    if (fault_ == Fault::kLatestNeverSettles) return Offset(Json{{"at", at + 1}});
    return Offset(Json{{"at", std::min<int64_t>(at + 4, 10)}});
  }
  Result<std::vector<Json>> get_stream_partitions(std::string_view, const Options&,
                                                  const Offset& start, const Offset& end) override {
    int64_t from = start && start->contains("at") ? (*start)["at"].get<int64_t>() : 0;
    int64_t to = (*end)["at"].get<int64_t>();
    if (from == to && fault_ != Fault::kPartitionsForEqualOffsets) return std::vector<Json>{};
    if (fault_ == Fault::kOverlap && from > 0) --from;  // re-reads the record before
    return std::vector<Json>{Json{{"from", from}, {"to", std::max(from, to)}}};
  }
  Result<RecordStream> read_stream_partition(std::string_view table, const Json& p,
                                             const Options& options) override {
    return read_partition(table, p, options);
  }

 private:
  Fault fault_;
};

TEST(Conformance, APartitionedStreamIsReadThroughItsPartitions) {
  PartitionedConnector connector(PartitionedConnector::Fault::kNone);
  ConformanceOptions options;
  options.max_reads = 30;
  auto report = RunConformance(connector, options);
  EXPECT_EQ(report.failures(), 0) << report.ToText();
  bool compared = false;
  for (const auto& c : report.checks)
    compared |= c.name == "partitioned_stream.reads_everything_once";
  EXPECT_TRUE(compared) << report.ToText();
}

TEST(Conformance, PartitionedStreamFaultsAreCaught) {
  for (auto [fault, check] : {std::pair{PartitionedConnector::Fault::kLatestNeverSettles,
                                        "partitioned_stream.latest_offset_converges"},
                              std::pair{PartitionedConnector::Fault::kPartitionsForEqualOffsets,
                                        "partitioned_stream.equal_offsets_no_partitions"},
                              std::pair{PartitionedConnector::Fault::kOverlap,
                                        "partitioned_stream.reads_everything_once"}}) {
    PartitionedConnector connector(fault);
    ConformanceOptions options;
    options.max_reads = 30;
    auto report = RunConformance(connector, options);
    bool found = false;
    for (const auto& c : report.checks) found = found || (!c.passed && c.name == check);
    EXPECT_TRUE(found) << "expected a failure of " << check << "\n" << report.ToText();
  }
}

}  // namespace
}  // namespace lakeflow
