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

TEST(PipelineSpecTest, TheReferencesOtherSpellings) {
  auto spec = ParsePipelineSpec(R"(connection_name: gh
objects:
  - table:
      source_table: a
      table_configuration: {scd_type: scd_type_2, primary_keys: '["id", "org"]'}
  - table:
      source_table: b
      table_configuration:
        scd_type: Append_Only
        primary_keys: sha
        per_page: 100
        ratio: 1.10
        strict: True
        quoted: "true"
        labels: [bug, "help wanted"]
        window: {days: 7, tz: UTC}
        nothing: ~
)",
                                "p.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const TableObject& a = spec->objects[0];
  EXPECT_EQ(a.scd_type, ScdType::kType2);
  EXPECT_EQ(a.primary_keys, (std::vector<std::string>{"id", "org"}));
  const TableObject& b = spec->objects[1];
  EXPECT_EQ(b.scd_type, ScdType::kAppendOnly);
  EXPECT_EQ(b.primary_keys, std::vector<std::string>{"sha"});
  // Values that are not strings reach the source as their JSON text.
  EXPECT_EQ(b.source_options.GetOr("per_page", ""), "100");
  EXPECT_EQ(b.source_options.GetOr("ratio", ""), "1.10");
  EXPECT_EQ(b.source_options.GetOr("strict", ""), "true");
  EXPECT_EQ(b.source_options.GetOr("quoted", ""), "true");
  EXPECT_EQ(b.source_options.GetOr("labels", ""), R"(["bug","help wanted"])");
  EXPECT_EQ(b.source_options.GetOr("window", ""), R"({"days":7,"tz":"UTC"})");
  EXPECT_EQ(b.source_options.GetOr("nothing", ""), "null");
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
        Bad{"        primary_keys: [\"id\"]", "        primary_keys: []",
            "p.yaml:11: objects[0].table.table_configuration.primary_keys: expected at least one "
            "column"},
        Bad{"        primary_keys: [\"id\"]", "        primary_keys: '[\"id\", 2]'",
            "table_configuration.primary_keys: expected a list of column names"},
        Bad{"        primary_keys: [\"id\"]", "        primary_keys: '[id'",
            "table_configuration.primary_keys: not a JSON list of column names"},
        Bad{"objects:", "object:", "p.yaml:3: object: unknown field"}));

}  // namespace
}  // namespace lakeflow::pipeline
