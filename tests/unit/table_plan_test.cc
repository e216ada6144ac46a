// Planning a pipeline against a real connector: metadata, schemas, overrides
// and the errors a spec can cause, all before any data moves.
#include "lakeflow/pipeline/table_plan.h"

#include <gtest/gtest.h>

#include "lakeflow/pipeline/pipeline_runner.h"
#include "testing/test_connector.h"
#include "testing/test_util.h"

namespace lakeflow::pipeline {
namespace {

class TablePlanTest : public ::testing::Test {
 protected:
  TablePlanTest() : store_(home_.path()) {
    lakeflow::testing::RegisterTestConnector(&registry_);
    Connection c;
    c.name = "conn";
    c.source = "test";
    c.options = Options{{"num_rows", "4"}};
    c.allowed_options = {"page_size"};
    EXPECT_TRUE(store_.Create(c).ok());
  }

  Result<std::vector<TablePlan>> Plan(const std::string& yaml) {
    LF_ASSIGN_OR_RETURN(auto spec, ParsePipelineSpec(yaml, "p.yaml"));
    return PlanPipeline(spec, store_, &registry_);
  }

  lakeflow::testing::TempDir home_;
  ConnectionStore store_;
  ConnectorRegistry registry_;
};

TEST_F(TablePlanTest, AppliesTheSpecOverTheSourceMetadata) {
  auto plans = Plan(R"(connection_name: conn
objects:
  - table: {source_table: users}
  - table:
      source_table: orders
      destination_table: all_orders
      table_configuration: {primary_keys: [order_id, modified], page_size: "2"}
)");
  ASSERT_TRUE(plans.ok()) << plans.status().ToString();
  ASSERT_EQ(plans->size(), 2u);
  EXPECT_EQ((*plans)[0].metadata.ingestion_type, IngestionType::kSnapshot);
  EXPECT_EQ((*plans)[0].metadata.primary_keys, std::vector<std::string>{"id"});
  const TablePlan& orders = (*plans)[1];
  EXPECT_EQ(orders.metadata.ingestion_type, IngestionType::kCdcWithDeletes);
  EXPECT_EQ(orders.metadata.primary_keys, (std::vector<std::string>{"order_id", "modified"}));
  EXPECT_EQ(orders.sequence_by, orders.metadata.cursor_field.value_or("?"));
  EXPECT_EQ(orders.read_options.GetOr("page_size", ""), "2");
  EXPECT_EQ(orders.read_options.GetOr("tableName", ""), "orders");
  EXPECT_NE(orders.schema, nullptr);
}

// The pipeline tells the connector of each microbatch after the destination
// has committed it, for both flows of a cdc_with_deletes table.
TEST_F(TablePlanTest, APipelineRunTellsTheConnectorWhatItCommitted) {
  const std::string yaml =
      "connection_name: conn\ndestination: {type: sqlite, path: " + home_.path() +
      "/out.db}\nobjects:\n  - table: {source_table: orders}\n";
  auto spec = ParsePipelineSpec(yaml, "p.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto plans = PlanPipeline(*spec, store_, &registry_);
  ASSERT_TRUE(plans.ok()) << plans.status().ToString();
  lakeflow::testing::TestConnectorCommits().clear();
  auto runs = RunPipeline(*spec, *plans, RunOptions{});
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  const auto& commits = lakeflow::testing::TestConnectorCommits();
  ASSERT_EQ(commits.size(), 2u) << ::testing::PrintToString(commits);
  EXPECT_TRUE(commits[0].starts_with("orders {")) << commits[0];
  EXPECT_TRUE(commits[1].starts_with("orders deletes {")) << commits[1];
}

TEST_F(TablePlanTest, ErrorsNameTheSpecLineAndTable) {
  auto bad_key = Plan(R"(connection_name: conn
objects:
  - table: {source_table: users}
  - table:
      source_table: orders
      table_configuration: {primary_keys: [nope]}
)");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().message(),
            "p.yaml:5: orders: primary key 'nope' is not a column of source table 'orders'");

  auto bad_sequence = Plan(R"(connection_name: conn
objects:
  - table: {source_table: orders, table_configuration: {sequence_by: when}}
)");
  ASSERT_FALSE(bad_sequence.ok());
  EXPECT_NE(bad_sequence.status().message().find(
                "sequence_by 'when' is not a column of source table 'orders'"),
            std::string::npos);

  auto no_connection = Plan("connection_name: nope\nobjects: [{table: {source_table: users}}]\n");
  ASSERT_FALSE(no_connection.ok());
  EXPECT_NE(no_connection.status().message().find("p.yaml"), std::string::npos);
  EXPECT_NE(no_connection.status().message().find("nope"), std::string::npos);

  auto no_table = Plan("connection_name: conn\nobjects: [{table: {source_table: ghosts}}]\n");
  ASSERT_FALSE(no_table.ok());
  EXPECT_NE(no_table.status().message().find("ghosts"), std::string::npos);
  EXPECT_EQ(no_table.status().message().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace lakeflow::pipeline
