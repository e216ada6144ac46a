#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "lakeflow/simulator/spec.h"

namespace lakeflow::simulator {
namespace {

std::string WriteSpec(const std::string& name, const std::string& yaml) {
  auto dir = std::filesystem::temp_directory_path() / ("lf_sim_spec_" + name);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "endpoints.yaml") << yaml;
  return dir.string();
}

TEST(SimulatorSpec, LoadsGithubSpec) {
  auto spec = LoadSpec(LAKEFLOW_TESTDATA "/simulator/github");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_GT(spec->endpoints.size(), 10u);
  const EndpointSpec& issues = spec->endpoints[2];
  EXPECT_EQ(issues.path, "/repos/{owner}/{repo}/issues");
  EXPECT_EQ(issues.pagination, Pagination::kPageNumberWithLinkHeader);
  EXPECT_EQ(issues.default_sort.field, "updated_at");
  EXPECT_TRUE(issues.default_sort.descending);
  bool saw_sort = false;
  for (const auto& p : issues.params) {
    if (p.role != ParamRole::kSortBy) continue;
    saw_sort = true;
    EXPECT_EQ(p.sort_options.at("created"), "created_at");
    EXPECT_EQ(p.sort_options.at("comments"), "comments");
  }
  EXPECT_TRUE(saw_sort);
  EXPECT_EQ(spec->endpoints[0].future_count, 3);
}

TEST(SimulatorSpec, ZendeskWrapperExtras) {
  auto spec = LoadSpec(LAKEFLOW_TESTDATA "/simulator/zendesk");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const EndpointSpec& tickets = spec->endpoints[0];
  EXPECT_EQ(tickets.records_key, "tickets");
  EXPECT_EQ(tickets.extras_json, "{}");
  EXPECT_EQ(tickets.pagination, Pagination::kTimeBased);
  // time_based pins its order: the start_time field ascending, ties by id.
  EXPECT_EQ(tickets.default_sort.field, "updated_at");
  EXPECT_FALSE(tickets.default_sort.descending);
  EXPECT_EQ(tickets.default_sort.tie_field, "id");
  EXPECT_EQ(spec->endpoints[4].records_key, "articles");
  EXPECT_EQ(spec->endpoints[4].pagination, Pagination::kNextPageUrl);
}

TEST(SimulatorSpec, BadOpNamesFileLineAndField) {
  std::string dir = WriteSpec("badop",
                              "endpoints:\n"
                              "  - path: /x\n"
                              "    corpus: x\n"
                              "    params:\n"
                              "      since: {role: filter, field: updated_at, op: between}\n");
  auto spec = LoadSpec(dir);
  ASSERT_FALSE(spec.ok());
  const std::string& msg = spec.status().message();
  EXPECT_NE(msg.find("endpoints.yaml:5:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("endpoints[0].params.since.op"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(SimulatorSpec, MissingFieldAndBadPagination) {
  auto missing = LoadSpec(WriteSpec("missing", "endpoints:\n  - path: /x\n    method: GET\n"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(":2: endpoints[0].corpus: missing"), std::string::npos)
      << missing.status().message();

  auto bad = LoadSpec(WriteSpec("badpage",
                                "endpoints:\n  - path: /x\n    corpus: x\n    response:\n"
                                "      pagination_style: cursor\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(":5: endpoints[0].response.pagination_style"),
            std::string::npos)
      << bad.status().message();
}

TEST(SimulatorSpec, BodyPagedStylesNeedWrapperAndStartTime) {
  auto no_start = LoadSpec(WriteSpec("nostart",
                                     "endpoints:\n  - path: /x\n    corpus: x\n    response:\n"
                                     "      pagination_style: time_based\n"
                                     "      wrapper: {records_key: x}\n"));
  ASSERT_FALSE(no_start.ok());
  EXPECT_NE(no_start.status().message().find("role start_time"), std::string::npos)
      << no_start.status().message();
  auto no_wrapper = LoadSpec(WriteSpec("nowrapper",
                                       "endpoints:\n  - path: /x\n    corpus: x\n    response:\n"
                                       "      pagination_style: next_page_url\n"));
  ASSERT_FALSE(no_wrapper.ok());
  EXPECT_NE(no_wrapper.status().message().find(":5: endpoints[0].response.wrapper"),
            std::string::npos)
      << no_wrapper.status().message();
  auto no_field = LoadSpec(WriteSpec("nofield",
                                     "endpoints:\n  - path: /x\n    corpus: x\n    params:\n"
                                     "      start_time: {role: start_time}\n"));
  ASSERT_FALSE(no_field.ok());
  EXPECT_NE(no_field.status().message().find("params.start_time.field: missing"), std::string::npos)
      << no_field.status().message();
}

TEST(SimulatorSpec, AllValueAndGithubOrgEndpoints) {
  auto spec = LoadSpec(LAKEFLOW_TESTDATA "/simulator/github");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->endpoints[2].params[0].name, "state");
  EXPECT_EQ(spec->endpoints[2].params[0].all_value, "all");
  std::set<std::string> paths;
  for (const auto& ep : spec->endpoints) paths.insert(ep.path);
  EXPECT_TRUE(paths.count("/orgs/{org}/teams"));
  EXPECT_TRUE(paths.count("/orgs/{org}/members"));
}

TEST(SimulatorSpec, YamlSyntaxErrorNamesLine) {
  auto spec = LoadSpec(WriteSpec("syntax", "endpoints:\n  - path: [unclosed\n"));
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("endpoints.yaml:"), std::string::npos);
}

}  // namespace
}  // namespace lakeflow::simulator
