// The pipeline spec: the reference project's format, strictly read.
#include "lakeflow/pipeline/pipeline_spec.h"

#include <gtest/gtest.h>

namespace lakeflow::pipeline {
namespace {

constexpr const char* kSpec = R"(connection_name: gh
destination: {type: sqlite, path: lake.db}
objects:
  - table:
      source_table: issues
      destination_catalog: main
      destination_schema: github
      destination_table: gh_issues
      table_configuration:
        scd_type: SCD_TYPE_2
        primary_keys: ["id"]
        sequence_by: updated_at
        owner: octocat
  - table:
      source_table: commits
)";

TEST(PipelineSpecTest, ReadsTheReferenceFormat) {
  auto spec = ParsePipelineSpec(kSpec, "p.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->connection_name, "gh");
  EXPECT_EQ(spec->destination.type, DestinationSpec::Type::kSqlite);
  EXPECT_EQ(spec->destination.path, "lake.db");
  ASSERT_EQ(spec->objects.size(), 2u);
  const TableObject& issues = spec->objects[0];
  EXPECT_EQ(issues.DestinationName(), "main.github.gh_issues");
  EXPECT_EQ(issues.scd_type, ScdType::kType2);
  EXPECT_EQ(issues.primary_keys, std::vector<std::string>{"id"});
  EXPECT_EQ(issues.sequence_by.value_or(""), "updated_at");
  EXPECT_EQ(issues.source_options.GetOr("owner", ""), "octocat");
  EXPECT_EQ(issues.line, 5);
  const TableObject& commits = spec->objects[1];
  EXPECT_EQ(commits.DestinationName(), "commits");
  EXPECT_EQ(commits.scd_type, ScdType::kType1);
  EXPECT_TRUE(commits.primary_keys.empty());
}

TEST(PipelineSpecTest, JsonAndDefaults) {
  auto spec = ParsePipelineSpec(
      R"({"connection_name": "pg", "objects": [{"table": {"source_table": "public.t"}}]})",
      "p.json");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->destination.type, DestinationSpec::Type::kSqlite);
  EXPECT_EQ(spec->destination.path, "lakeflow.db");
  auto delta = ParsePipelineSpec(
      "connection_name: c\ndestination: {type: delta}\nobjects: [{table: {source_table: t}}]\n",
      "d.yaml");
  ASSERT_TRUE(delta.ok()) << delta.status().ToString();
  EXPECT_EQ(delta->destination.type, DestinationSpec::Type::kDelta);
}

struct Bad {
  std::string from, to, expected;
};
class PipelineSpecErrorTest : public ::testing::TestWithParam<Bad> {};

TEST_P(PipelineSpecErrorTest, OneLineWithFileLineAndField) {
  std::string text = kSpec;
  size_t at = text.find(GetParam().from);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, GetParam().from.size(), GetParam().to);
  auto spec = ParsePipelineSpec(text, "p.yaml");
  ASSERT_FALSE(spec.ok());
  std::string message = spec.status().message();
  EXPECT_NE(message.find(GetParam().expected), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, PipelineSpecErrorTest,
    ::testing::Values(
        Bad{"      destination_table: gh_issues", "      destination_tabel: gh_issues",
            "p.yaml:8: objects[0].table.destination_tabel: unknown field"},
        Bad{"SCD_TYPE_2", "SCD_TYPE_3",
            "p.yaml:10: objects[0].table.table_configuration.scd_type: unknown scd_type "
            "'SCD_TYPE_3'"},
        Bad{"connection_name: gh\n", "", "connection_name: missing"},
        Bad{"{type: sqlite,", "{type: oracle,", "destination.type: unknown destination 'oracle'"},
        Bad{"      source_table: commits",
            "      source_table: issues\n      destination_catalog: main\n      "
            "destination_schema: github\n      destination_table: gh_issues",
            "'main.github.gh_issues' is the destination of an earlier table too"},
        Bad{"        owner: octocat", "        owner: [a, b]", "a source option must be a string"},
        Bad{"objects:", "object:", "p.yaml:3: object: unknown field"}));

}  // namespace
}  // namespace lakeflow::pipeline
