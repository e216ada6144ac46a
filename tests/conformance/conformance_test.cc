// The conformance suite on the test connector (every check must pass), and on
// deliberately broken connectors (the checks must catch each fault).
#include "lakeflow/conformance/conformance.h"

#include <gtest/gtest.h>

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
    kRecordsWhenCaughtUp  // returns its record again with the offset it was given
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
    Offset end = fault_ == Fault::kOffsetsNeverConverge ? Offset(Json{{"n", n + 1}})
                                                        : Offset(Json{{"n", 1}});
    if (n == 1 && fault_ == Fault::kRecordsWhenCaughtUp)
      return ReadResult{RecordStream::FromJsonRecords({record}), start};
    if (n == 1 && fault_ != Fault::kOffsetsNeverConverge)
      return ReadResult{RecordStream::Empty(), start};
    return ReadResult{RecordStream::FromJsonRecords({record}), end};
  }

 private:
  Fault fault_;
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
        FaultCase{BrokenConnector::Fault::kNoDeletes, "read_table_deletes.stream.succeeds"}),
    [](const ::testing::TestParamInfo<FaultCase>& info) {
      std::string name = info.param.failing_check;
      for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

}  // namespace
}  // namespace lakeflow
