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
  auto missing = LoadSpec(WriteSpec("missing", "endpoints:\n  - corpus: x\n    method: GET\n"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(":2: endpoints[0].path: missing"), std::string::npos)
      << missing.status().message();

  auto bad = LoadSpec(WriteSpec("badpage",
                                "endpoints:\n  - path: /x\n    corpus: x\n    response:\n"
                                "      pagination_style: tokens\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                ":5: endpoints[0].response.pagination_style: unknown pagination_style 'tokens' "
                "(expected one of: page_number_with_link_header, page_number, offset_limit, "),
            std::string::npos)
      << bad.status().message();
}

// A spec author fixes every problem in one go: all are reported, one line
// each, naming the value and what is accepted; the good endpoints say nothing.
TEST(SimulatorSpec, EveryProblemIsReportedAtOnce) {
  auto spec = LoadSpec(WriteSpec("many",
                                 "endpoints:\n"
                                 "  - path: /a\n"
                                 "    corpus: a\n"
                                 "    params:\n"
                                 "      sortField: {role: sortby}\n"
                                 "      since: {role: filter, field: updated_at, op: between}\n"
                                 "  - path: /fine\n"
                                 "    corpus: fine\n"
                                 "  - path: b\n"
                                 "    method: PUT\n"));
  ASSERT_FALSE(spec.ok());
  const std::string& msg = spec.status().message();
  std::vector<std::string> lines;
  for (size_t start = 0; start <= msg.size();) {
    size_t end = std::min(msg.find('\n', start), msg.size());
    lines.push_back(msg.substr(start, end - start));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 4u) << msg;
  EXPECT_NE(lines[0].find(":5: endpoints[0].params.sortField.role: unknown role 'sortby' "
                          "(expected one of: filter, ignore, sort_by, sort_order, page, "
                          "per_page, offset, limit, start_time, deleted, cursor)"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find(":6: endpoints[0].params.since.op: unknown op 'between' (expected "
                          "one of: eq, ne, gt, gte, lt, lte, in, ends_with)"),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find(":9: endpoints[2].path: 'b' must start with /"), std::string::npos)
      << lines[2];
  EXPECT_NE(lines[3].find(":10: endpoints[2].method: unknown method 'PUT' (expected one of: "
                          "GET, POST)"),
            std::string::npos)
      << lines[3];
}

TEST(SimulatorSpec, EveryReferenceApiFolderLoads) {
  size_t folders = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(LAKEFLOW_TESTDATA "/simulator/reference")) {
    auto spec = LoadSpec(entry.path().string());
    EXPECT_TRUE(spec.ok()) << entry.path() << ": " << spec.status().ToString();
    if (spec.ok()) {
      EXPECT_FALSE(spec->endpoints.empty()) << entry.path();
    }
    ++folders;
  }
  EXPECT_EQ(folders, 14u);
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
