// Specs written by hand (pipeline specs, REST specs) with bytes that are not
// UTF-8 or types nested without end: one error line naming the file and the
// field, never an abort later when a name reaches JSON.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "lakeflow/connectors/rest/rest_spec.h"
#include "lakeflow/pipeline/pipeline_spec.h"
#include "lakeflow/simulator/spec.h"
#include "testing/hostile.h"
#include "testing/test_util.h"

namespace lakeflow {
namespace {

using testing::kNotUtf8;

// Replaces the first `from` in `text` with `to`.
std::string With(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

void ExpectNames(const Status& st, const std::string& file, const std::string& field) {
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(file), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(field), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("UTF-8"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
}

constexpr const char* kPipeline = R"(connection_name: gh
destination: {type: delta, path: lake}
objects:
  - table:
      source_table: issues
      destination_table: gh_issues
      table_configuration:
        scd_type: SCD_TYPE_2
        primary_keys: [id]
        owner: octocat
)";

TEST(HostilePipelineSpec, TheValidSpecParses) {
  auto spec = pipeline::ParsePipelineSpec(kPipeline, "p.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
}

TEST(HostilePipelineSpec, FieldsThatAreNotUtf8NameTheFileAndField) {
  struct Case {
    std::string from, field;
  };
  for (const Case& c : {Case{"issues", "objects[0].table.source_table"},
                        Case{"gh_issues", "objects[0].table.destination_table"},
                        Case{"octocat", "objects[0].table.table_configuration.owner"},
                        Case{"owner", "objects[0].table.table_configuration"},
                        Case{"[id]", "objects[0].table.table_configuration.primary_keys"},
                        Case{"gh\n", "connection_name"}, Case{"lake", "destination.path"}}) {
    std::string to = c.from == "gh\n"   ? std::string("gh") + kNotUtf8 + "\n"
                     : c.from == "[id]" ? std::string("[i") + kNotUtf8 + "]"
                                        : c.from + kNotUtf8;
    auto spec = pipeline::ParsePipelineSpec(With(kPipeline, c.from, to), "p.yaml");
    ExpectNames(spec.status(), "p.yaml", c.field);
  }
}

constexpr const char* kRest = R"(source: demo
options:
  token: {secret: true}
base_url: "https://api.example.com"
auth: {type: bearer, token: "{token}"}
tables:
  things:
    path: "/things"
    schema: "id BIGINT, name STRING"
    primary_keys: [id]
)";

TEST(HostileRestSpec, TheValidSpecParses) {
  auto spec = rest::ParseRestSpec(kRest, "demo.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
}

TEST(HostileRestSpec, FieldsThatAreNotUtf8NameTheFileAndField) {
  for (const char* from : {"/things", "things:", "api.example.com", "name STRING"}) {
    std::string to = std::string(from) == "things:" ? std::string("thi") + kNotUtf8 + "ngs:"
                                                    : std::string(from) + kNotUtf8;
    auto spec = rest::ParseRestSpec(With(kRest, from, to), "demo.yaml");
    ASSERT_FALSE(spec.ok()) << from;
    EXPECT_NE(spec.status().message().find("demo.yaml"), std::string::npos)
        << spec.status().message();
    EXPECT_NE(spec.status().message().find("UTF-8"), std::string::npos) << spec.status().message();
  }
}

TEST(HostileRestSpec, DeepSchemaIsOneErrorLine) {
  std::string deep = "id BIGINT, x " + testing::Deep("ARRAY<", "INT", ">", 200000);
  auto spec = rest::ParseRestSpec(With(kRest, "id BIGINT, name STRING", deep), "demo.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("nested deeper"), std::string::npos)
      << spec.status().message().substr(0, 300);
}

TEST(HostileSimulatorSpec, BytesThatAreNotUtf8NameTheFileAndLine) {
  testing::TempDir dir("lakeflow_hostile_sim");
  std::ofstream(dir.path() + "/endpoints.yaml")
      << "endpoints:\n  - path: /x" << kNotUtf8 << "\n    corpus: x\n";
  auto spec = simulator::LoadSpec(dir.path());
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("endpoints.yaml:2: not valid UTF-8"), std::string::npos)
      << spec.status().message();
}

}  // namespace
}  // namespace lakeflow
