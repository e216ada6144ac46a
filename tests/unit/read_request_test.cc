#include "lakeflow/datasource/read_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakeflow {
namespace {

using Names = std::vector<std::string>;

ReadRequest Parse(const Options& options) {
  auto request = ParseReadRequest(options);
  EXPECT_TRUE(request.ok()) << request.status().ToString();
  return request.ok() ? *request : ReadRequest();
}

void ExpectInvalid(const Options& options, std::vector<std::string> fragments) {
  auto request = ParseReadRequest(options);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().code(), StatusCode::kInvalidArgument);
  for (const auto& f : fragments) {
    EXPECT_NE(request.status().message().find(f), std::string::npos)
        << "'" << f << "' not in: " << request.status().message();
  }
}

TEST(ReadRequest, NamespaceOptionsAreTheListingsOwn) {
  ReadRequest tables = Parse(
      {{"tableName", "_community_tables"}, {"namespace", R"(["org", "repo"])"}, {"owner", "x"}});
  ASSERT_TRUE(tables.in_namespace.has_value());
  EXPECT_EQ(*tables.in_namespace, (Namespace{"org", "repo"}));
  EXPECT_FALSE(tables.table_options.Get("namespace").has_value());
  ReadRequest root = Parse({{"tableName", "_community_tables"}, {"namespace", "[]"}});
  ASSERT_TRUE(root.in_namespace.has_value());
  EXPECT_TRUE(root.in_namespace->empty());
  ReadRequest spaces =
      Parse({{"tableName", "_community_namespaces"}, {"namespaceprefix", R"(["a"])"}});
  EXPECT_EQ(spaces.namespace_prefix, (Namespace{"a"}));
  // A table read passes a `namespace` option on to the connector.
  ReadRequest table = Parse({{"tableName", "users"}, {"namespace", "prod"}});
  EXPECT_EQ(table.table_options.Get("namespace"), std::optional<std::string>("prod"));
}

TEST(ReadRequest, BadNamespaceOptionsAreNamed) {
  ExpectInvalid({{"tableName", "_community_tables"}, {"namespace", "org"}},
                {"option namespace", "not valid JSON"});
  ExpectInvalid({{"tableName", "_community_tables"}, {"namespace", R"(["a", 1])"}},
                {"option namespace", "JSON list of strings"});
  ExpectInvalid({{"tableName", "_community_namespaces"}, {"namespacePrefix", R"({"a": 1})"}},
                {"option namespacePrefix", "JSON list of strings"});
  ExpectInvalid({{"tableName", "_community_stuff"}}, {"unknown table '_community_stuff'"});
}

TEST(ReadRequest, SpecialTableNamesSelectTheKind) {
  EXPECT_EQ(Parse({{"tableName", "_lakeflow_metadata"}}).kind, ReadRequest::Kind::kMetadata);
  EXPECT_EQ(Parse({{"tableName", "_community_table_metadata"}}).kind, ReadRequest::Kind::kMetadata);
  EXPECT_EQ(Parse({{"tableName", "_lakeflow_table_list"}}).kind, ReadRequest::Kind::kTableList);
  EXPECT_EQ(Parse({{"tableName", "_community_tables"}}).kind, ReadRequest::Kind::kTables);
  EXPECT_EQ(Parse({{"tableName", "_community_namespaces"}}).kind, ReadRequest::Kind::kNamespaces);
  ReadRequest users = Parse({{"tableName", "users"}});
  EXPECT_EQ(users.kind, ReadRequest::Kind::kTable);
  EXPECT_EQ(users.table, "users");
  EXPECT_FALSE(users.delete_flow);
}

TEST(ReadRequest, TableNameIsTrimmedAndItsKeyCaseInsensitive) {
  ReadRequest r = Parse({{"TABLENAME", "  users \t"}});
  EXPECT_EQ(r.table, "users");
  EXPECT_EQ(Parse({{"tablename", " _lakeflow_metadata "}}).kind, ReadRequest::Kind::kMetadata);
}

TEST(ReadRequest, MissingOrBlankTableNameIsRefused) {
  ExpectInvalid({{"tableNameList", "users"}}, {"tableName"});
  ExpectInvalid({{"tableName", "   "}}, {"missing option tableName"});
}

TEST(ReadRequest, TableNameListCommaForm) {
  ReadRequest r =
      Parse({{"tableName", "_lakeflow_metadata"}, {"tableNameList", " users, events ,orders "}});
  EXPECT_EQ(r.table_list, (Names{"users", "events", "orders"}));
  EXPECT_EQ(Parse({{"tableName", "_lakeflow_metadata"}, {"tableNameList", "users"}}).table_list,
            Names{"users"});
}

TEST(ReadRequest, TableNameListJsonArrayForm) {
  ReadRequest r =
      Parse({{"tableName", "_lakeflow_metadata"}, {"tableNameList", R"(  ["users", "a,b"])"}});
  EXPECT_EQ(r.table_list, (Names{"users", "a,b"}));
  EXPECT_TRUE(
      Parse({{"tableName", "_lakeflow_metadata"}, {"tableNameList", "[]"}}).table_list.empty());
}

TEST(ReadRequest, TableNameListWithAnEmptyEntryIsRefused) {
  ExpectInvalid({{"tableName", "_lakeflow_metadata"}, {"tableNameList", "users,,events"}},
                {"tableNameList", "empty table name", "users,,events"});
  ExpectInvalid({{"tableName", "_lakeflow_metadata"}, {"tableNameList", "users,"}},
                {"tableNameList"});
  ExpectInvalid({{"tableName", "_lakeflow_metadata"}, {"tableNameList", R"([""])"}},
                {"tableNameList"});
}

TEST(ReadRequest, TableNameListBadJsonIsRefused) {
  ExpectInvalid({{"tableName", "_lakeflow_metadata"}, {"tableNameList", R"(["users")"}},
                {"option tableNameList", "not valid JSON"});
}

TEST(ReadRequest, TableNameListNonStringEntryIsRefused) {
  ExpectInvalid({{"tableName", "_lakeflow_metadata"}, {"tableNameList", R"(["users", 3])"}},
                {"tableNameList", "non-empty string", "3"});
  ExpectInvalid({{"tableName", "_lakeflow_metadata"}, {"tableNameList", R"(["users", null])"}},
                {"tableNameList", "null"});
}

TEST(ReadRequest, TableConfigsNotJsonIsRefused) {
  ExpectInvalid({{"tableName", "users"}, {"tableConfigs", "{users: 1"}},
                {"option tableConfigs", "not valid JSON"});
}

TEST(ReadRequest, TableConfigsNotAnObjectIsRefused) {
  ExpectInvalid({{"tableName", "users"}, {"tableConfigs", R"([{"users": {}}])"}}, {"tableConfigs"});
  ExpectInvalid({{"tableName", "users"}, {"tableConfigs", R"("users")"}}, {"tableConfigs"});
}

TEST(ReadRequest, TableConfigsEntryNotAnObjectIsRefused) {
  ExpectInvalid({{"tableName", "users"}, {"tableConfigs", R"({"users": {}, "events": 5})"}},
                {"tableConfigs", "'events'", "must be an object"});
}

TEST(ReadRequest, IsDeleteFlowParsing) {
  EXPECT_TRUE(Parse({{"tableName", "orders"}, {"isDeleteFlow", "TRUE"}}).delete_flow);
  EXPECT_TRUE(Parse({{"tableName", "orders"}, {"ISDELETEFLOW", "true"}}).delete_flow);
  EXPECT_FALSE(Parse({{"tableName", "orders"}, {"isDeleteFlow", "false"}}).delete_flow);
  ExpectInvalid({{"tableName", "orders"}, {"isDeleteFlow", "yes"}}, {"isDeleteFlow", "'yes'"});
}

TEST(ReadRequest, ReservedOptionsAreNotTableOptions) {
  ReadRequest r = Parse({{"tableName", "users"},
                         {"Databricks.Connection", "c"},
                         {"TABLECONFIGS", "{}"},
                         {"tableNameList", "users"},
                         {"isDeleteFlow", "false"},
                         {"page_size", "3"},
                         {"Token", "t0k3n"}});
  EXPECT_EQ(r.table_options, (Options{{"page_size", "3"}, {"token", "t0k3n"}}));
  EXPECT_EQ(r.table_options.Keys(), (Names{"page_size", "Token"}));
}

TEST(ReadRequest, IsReservedOptionIgnoresCase) {
  for (const char* key :
       {"databricks.connection", "TABLENAME", "tableNameList", "tableconfigs", "IsDeleteFlow"}) {
    EXPECT_TRUE(IsReservedOption(key)) << key;
  }
  EXPECT_FALSE(IsReservedOption("table"));
  EXPECT_FALSE(IsReservedOption("page_size"));
}

TEST(ReadRequest, OptionsForMergesTableConfigsOverReadOptions) {
  ReadRequest r = Parse(
      {{"tableName", "users"},
       {"page_size", "10"},
       {"num_rows", "5"},
       {"tableConfigs", R"({"users": {"PAGE_SIZE": "3", "cursor": "x", "primary_keys": ["a", "b"],
                                              "n": 5, "flag": true}, "events": {"num_rows": "9"}})"}});
  Options users = r.OptionsFor("users");
  EXPECT_EQ(users.Get("page_size"), std::optional<std::string>("3"));
  EXPECT_EQ(users.Get("num_rows"), std::optional<std::string>("5"));
  EXPECT_EQ(users.Get("cursor"), std::optional<std::string>("x"));
  EXPECT_EQ(users.Get("primary_keys"), std::optional<std::string>(R"(["a","b"])"));
  EXPECT_EQ(users.Get("n"), std::optional<std::string>("5"));
  EXPECT_EQ(users.Get("flag"), std::optional<std::string>("true"));
  EXPECT_EQ(users.size(), 6u);

  Options events = r.OptionsFor("events");
  EXPECT_EQ(events, (Options{{"page_size", "10"}, {"num_rows", "9"}}));
  // A table without an entry gets the read options alone.
  EXPECT_EQ(r.OptionsFor("orders"), (Options{{"page_size", "10"}, {"num_rows", "5"}}));
  // The read's own options are not changed by asking.
  EXPECT_EQ(r.table_options.Get("page_size"), std::optional<std::string>("10"));
}

}  // namespace
}  // namespace lakeflow
