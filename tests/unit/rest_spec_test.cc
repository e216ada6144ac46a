// The REST spec parser: what it accepts, and the one-line errors for what it does not.
#include "lakeflow/connectors/rest/rest_spec.h"

#include <gtest/gtest.h>

namespace lakeflow::rest {
namespace {

constexpr const char* kMinimal = R"(source: demo
options:
  token: {secret: true}
  host: {default: "https://{region}.example.com"}
base_url: "{host}"
auth: {type: bearer, token: "{token}"}
defaults:
  paginator: {type: link_header}
  params: {per_page: "50"}
tables:
  things:
    path: ["/orgs/{org}/things", "/things"]
    params: {state: all}
    schema: "id BIGINT, updated_at TIMESTAMP, name STRING"
    primary_keys: [id]
    cursor_field: updated_at
    ingestion_type: cdc
    cursor_param: since
  parts:
    parent: {table: things, bind: {thing_id: id}}
    path: "/things/{thing_id}/parts"
    schema: "id BIGINT"
    primary_keys: [id]
)";

TEST(RestSpecTest, ParsesTablesWithDefaults) {
  auto spec = ParseRestSpec(kMinimal, "demo.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->tables.size(), 2u);
  const TableSpec* things = spec->FindTable("things");
  ASSERT_NE(things, nullptr);
  EXPECT_EQ(things->endpoint.paths.size(), 2u);
  EXPECT_EQ(things->endpoint.paginator.kind, http::PaginatorSpec::Kind::kLinkHeader);
  // Table parameters add to the defaults.
  ASSERT_EQ(things->endpoint.params.size(), 2u);
  EXPECT_EQ(things->endpoint.params[0].first, "per_page");
  EXPECT_EQ(things->endpoint.params[1].first, "state");
  EXPECT_EQ(things->metadata.ingestion_type, IngestionType::kCdc);
  EXPECT_EQ(things->metadata.cursor_field.value_or(""), "updated_at");
  EXPECT_EQ(spec->FindTable("parts")->parent->table, "things");
  EXPECT_EQ(spec->SecretOptions(), std::vector<std::string>{"token"});
}

// Each broken spec gives one line naming the file, the line and the field.
struct BadSpec {
  std::string from, to;  // a replacement applied to kMinimal
  std::string expected;  // a substring of the error
};

class RestSpecErrorTest : public ::testing::TestWithParam<BadSpec> {};

TEST_P(RestSpecErrorTest, NamesFileLineAndField) {
  std::string text = kMinimal;
  size_t at = text.find(GetParam().from);
  ASSERT_NE(at, std::string::npos) << GetParam().from;
  text.replace(at, GetParam().from.size(), GetParam().to);
  auto spec = ParseRestSpec(text, "demo.yaml");
  ASSERT_FALSE(spec.ok());
  std::string message = spec.status().message();
  EXPECT_NE(message.find(GetParam().expected), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.rfind("demo.yaml:", 0), 0u) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, RestSpecErrorTest,
    ::testing::Values(
        BadSpec{"    cursor_param: since", "    cursor_parm: since",
                "demo.yaml:18: tables.things.cursor_parm: unknown field"},
        BadSpec{"ingestion_type: cdc", "ingestion_type: sometimes",
                "demo.yaml:17: tables.things.ingestion_type"},
        BadSpec{"    cursor_field: updated_at\n", "",
                "tables.things.cursor_field: missing (required for ingestion_type cdc)"},
        BadSpec{"primary_keys: [id]\n    cursor_field", "primary_keys: [uid]\n    cursor_field",
                "tables.things.primary_keys: 'uid' is not a column"},
        BadSpec{"updated_at TIMESTAMP, name STRING", "updated_at TIMESTAMP, name STRNG",
                "demo.yaml:14: tables.things.schema"},
        BadSpec{"{table: things,", "{table: widgets,",
                "tables.parts.parent.table: no table 'widgets'"},
        BadSpec{"{type: link_header}", "{type: next_url}",
                "demo.yaml:8: defaults.paginator.next_url_path: missing"},
        BadSpec{"{type: bearer,", "{type: kerberos,", "auth.type: unknown auth type 'kerberos'"},
        BadSpec{"base_url: \"{host}\"\n", "", "base_url: missing"},
        BadSpec{"    params: {state: all}", "    params: {state: [all", "demo.yaml:"}));

TEST(RestSpecTest, UnreadableFileIsOneLine) {
  auto spec = LoadRestSpec("/nonexistent/spec.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("/nonexistent/spec.yaml"), std::string::npos);
}

TEST(RestSpecTest, ExpandTemplate) {
  Options values{{"owner", "octo"}, {"repo", "hello world"}};
  auto out = ExpandTemplate("/repos/{owner}/{repo}", values, "path");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->value_or(""), "/repos/octo/hello world");
  auto missing = ExpandTemplate("/orgs/{org}/repos", values, "table 'repositories'");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "table 'repositories' needs option 'org', which is not set");
  auto optional = ExpandTemplate("{org}", values, "param", /*unset_ok=*/true);
  ASSERT_TRUE(optional.ok());
  EXPECT_FALSE(optional->has_value());
}

}  // namespace
}  // namespace lakeflow::rest
