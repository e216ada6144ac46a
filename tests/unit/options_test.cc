#include "lakeflow/core/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakeflow {
namespace {

using Keys = std::vector<std::string>;

TEST(Options, GetAndHasIgnoreKeyCase) {
  Options o;
  o.Set("tableName", "users");
  EXPECT_TRUE(o.Has("TABLENAME"));
  EXPECT_TRUE(o.Has("tablename"));
  EXPECT_FALSE(o.Has("table"));
  EXPECT_EQ(o.Get("TableName"), std::optional<std::string>("users"));
  EXPECT_EQ(o.Get("tableNames"), std::nullopt);
  EXPECT_EQ(o.GetOr("TABLENAME", "x"), "users");
  EXPECT_EQ(o.GetOr("missing", "fallback"), "fallback");
}

TEST(Options, SetWithOtherCaseReplacesValueButKeepsFirstSpelling) {
  Options o;
  o.Set("pageSize", "10");
  o.Set("PAGESIZE", "20");
  EXPECT_EQ(o.size(), 1u);
  EXPECT_EQ(o.Keys(), Keys{"pageSize"});
  EXPECT_EQ(o.Get("pagesize"), std::optional<std::string>("20"));
}

TEST(Options, InitializerListFoldsKeysThatDifferOnlyInCase) {
  Options o{{"Key", "1"}, {"KEY", "2"}, {"other", "3"}};
  EXPECT_EQ(o.size(), 2u);
  EXPECT_EQ(o.Keys(), (Keys{"Key", "other"}));
  EXPECT_EQ(o.Get("key"), std::optional<std::string>("2"));
}

TEST(Options, EraseIgnoresCaseAndReportsWhetherAnythingWent) {
  Options o{{"Token", "t"}, {"keep", "k"}};
  EXPECT_TRUE(o.Erase("TOKEN"));
  EXPECT_FALSE(o.Has("token"));
  EXPECT_FALSE(o.Erase("token"));
  EXPECT_EQ(o.Keys(), Keys{"keep"});
}

TEST(Options, EraseThenSetUsesTheNewSpelling) {
  Options o{{"Token", "t"}};
  ASSERT_TRUE(o.Erase("token"));
  o.Set("TOKEN", "u");
  EXPECT_EQ(o.Keys(), Keys{"TOKEN"});
}

TEST(Options, KeysAreOrderedWithoutRegardToCase) {
  Options o{{"b", "1"}, {"A", "2"}, {"c", "3"}};
  EXPECT_EQ(o.Keys(), (Keys{"A", "b", "c"}));
}

TEST(Options, GetIntParsesPresentValuesAndReportsAbsence) {
  Options o{{"num_rows", "25"}, {"neg", "-7"}};
  auto n = o.GetInt("NUM_ROWS");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, std::optional<int64_t>(25));
  auto neg = o.GetInt("neg");
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(*neg, std::optional<int64_t>(-7));
  auto missing = o.GetInt("page_size");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, std::nullopt);
}

TEST(Options, GetIntErrorNamesTheOptionAndTheValue) {
  Options o{{"num_rows", "12x"}};
  auto n = o.GetInt("num_rows");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(n.status().message().find("'num_rows'"), std::string::npos) << n.status().message();
  EXPECT_NE(n.status().message().find("12x"), std::string::npos) << n.status().message();
}

TEST(Options, GetIntRefusesEmptyFractionalAndOverflowingValues) {
  Options o{{"empty", ""}, {"frac", "1.5"}, {"big", "99999999999999999999"}, {"space", " 5"}};
  for (const char* key : {"empty", "frac", "big", "space"}) {
    auto n = o.GetInt(key);
    ASSERT_FALSE(n.ok()) << key;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_NE(n.status().message().find(std::string("'") + key + "'"), std::string::npos)
        << n.status().message();
  }
}

TEST(Options, GetIntOrUsesFallbackOnlyWhenAbsent) {
  Options o{{"page_size", "3"}, {"bad", "x"}};
  auto present = o.GetIntOr("page_size", 10);
  ASSERT_TRUE(present.ok());
  EXPECT_EQ(*present, 3);
  auto absent = o.GetIntOr("num_rows", 25);
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(*absent, 25);
  auto bad = o.GetIntOr("bad", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'bad'"), std::string::npos);
}

TEST(Options, GetBoolOrParsesTrueFalseInAnyCase) {
  Options o{{"a", "TRUE"}, {"b", "False"}, {"c", "true"}};
  EXPECT_TRUE(*o.GetBoolOr("a", false));
  EXPECT_FALSE(*o.GetBoolOr("b", true));
  EXPECT_TRUE(*o.GetBoolOr("C", false));
  EXPECT_TRUE(*o.GetBoolOr("missing", true));
  EXPECT_FALSE(*o.GetBoolOr("missing", false));
}

TEST(Options, GetBoolOrErrorNamesTheOption) {
  Options o{{"isDeleteFlow", "yes"}};
  auto b = o.GetBoolOr("isdeleteflow", false);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(b.status().message().find("isdeleteflow"), std::string::npos) << b.status().message();
  EXPECT_NE(b.status().message().find("'yes'"), std::string::npos) << b.status().message();
}

TEST(Options, RequireReturnsValueOrNamesTheMissingOption) {
  Options o{{"host", "example.test"}};
  auto host = o.Require("HOST");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(*host, "example.test");
  auto port = o.Require("port");
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(port.status().message().find("'port'"), std::string::npos);
}

TEST(Options, MergeOverridesValuesAndAddsNewKeys) {
  Options base{{"Token", "old"}, {"x", "1"}};
  Options over{{"TOKEN", "new"}, {"y", "2"}};
  base.Merge(over);
  EXPECT_EQ(base.size(), 3u);
  EXPECT_EQ(base.Get("token"), std::optional<std::string>("new"));
  EXPECT_EQ(base.Get("x"), std::optional<std::string>("1"));
  EXPECT_EQ(base.Get("y"), std::optional<std::string>("2"));
  EXPECT_EQ(base.Keys(), (Keys{"Token", "x", "y"}));
  // The merged-in options are untouched.
  EXPECT_EQ(over.size(), 2u);
}

TEST(Options, EqualityIgnoresKeyCaseButNotValueCase) {
  Options a{{"Key", "Value"}};
  EXPECT_TRUE(a == (Options{{"KEY", "Value"}}));
  EXPECT_FALSE(a == (Options{{"key", "value"}}));
  EXPECT_FALSE(a == (Options{{"key", "Value"}, {"other", "1"}}));
  EXPECT_TRUE(Options() == Options());
  EXPECT_TRUE(Options().empty());
}

TEST(OptionsHelpers, AsciiLowerEqualsIgnoreCaseAndParseBool) {
  EXPECT_EQ(AsciiLower("TableName_1"), "tablename_1");
  EXPECT_TRUE(EqualsIgnoreCase("isDeleteFlow", "ISDELETEFLOW"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  EXPECT_EQ(ParseBool("TrUe"), std::optional<bool>(true));
  EXPECT_EQ(ParseBool("FALSE"), std::optional<bool>(false));
  EXPECT_EQ(ParseBool("1"), std::nullopt);
  EXPECT_EQ(ParseBool(""), std::nullopt);
}

}  // namespace
}  // namespace lakeflow
