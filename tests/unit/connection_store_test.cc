#include "lakeflow/connections/connection_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testing/test_util.h"

namespace lakeflow {
namespace {

namespace fs = std::filesystem;

class ConnectionStoreTest : public ::testing::Test {
 protected:
  static Connection Github() {
    Connection c;
    c.name = "prod_github-2";
    c.source = "github";
    c.options = Options{{"Token", "env:GH_TOKEN"}, {"owner", "acme"}};
    c.allowed_options = {"page_size", "since"};
    return c;
  }

  void WriteFile(const std::string& name, const std::string& text) {
    fs::create_directories(home_ + "/connections");
    std::ofstream(home_ + "/connections/" + name) << text;
  }

  static mode_t ModeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  }

  testing::TempDir tmp_{"lakeflow_conn"};
  std::string home_ = tmp_.path();
};

TEST_F(ConnectionStoreTest, CreateThenGetRoundTrips) {
  ConnectionStore store(home_);
  ASSERT_TRUE(store.Create(Github()).ok());
  auto got = store.Get("prod_github-2");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->name, "prod_github-2");
  EXPECT_EQ(got->source, "github");
  EXPECT_EQ(got->options, Github().options);
  EXPECT_EQ(got->options.Keys(), (std::vector<std::string>{"owner", "Token"}));
  EXPECT_EQ(got->allowed_options, (std::vector<std::string>{"page_size", "since"}));
}

TEST_F(ConnectionStoreTest, FileIsPrivateAndDirectoryOwnerOnly) {
  ConnectionStore store(home_);
  ASSERT_TRUE(store.Create(Github()).ok());
  EXPECT_EQ(ModeOf(home_ + "/connections/prod_github-2.json"), 0600u);
  EXPECT_EQ(ModeOf(home_ + "/connections"), 0700u);
  EXPECT_FALSE(fs::exists(home_ + "/connections/prod_github-2.json.tmp"));
}

TEST_F(ConnectionStoreTest, DuplicateCreateIsRefusedUnlessReplacing) {
  ConnectionStore store(home_);
  ASSERT_TRUE(store.Create(Github()).ok());
  Connection changed = Github();
  changed.options.Set("owner", "other");
  Status st = store.Create(changed);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'prod_github-2' already exists"), std::string::npos) << st.message();
  EXPECT_EQ(store.Get("prod_github-2")->options.Get("owner"), std::optional<std::string>("acme"));

  ASSERT_TRUE(store.Create(changed, /*replace=*/true).ok());
  EXPECT_EQ(store.Get("prod_github-2")->options.Get("owner"), std::optional<std::string>("other"));
  EXPECT_EQ(ModeOf(home_ + "/connections/prod_github-2.json"), 0600u);
}

TEST_F(ConnectionStoreTest, ListIsSortedByName) {
  ConnectionStore store(home_);
  for (const char* name : {"zeta", "alpha", "mid"}) {
    Connection c = Github();
    c.name = name;
    ASSERT_TRUE(store.Create(c).ok()) << name;
  }
  auto list = store.List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  std::vector<std::string> names;
  for (const auto& c : *list) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "mid", "zeta"}));
}

TEST_F(ConnectionStoreTest, ListOfAStoreNotYetCreatedIsEmpty) {
  ConnectionStore store(home_ + "/nothing-here");
  auto list = store.List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->empty());
}

TEST_F(ConnectionStoreTest, DeleteRemovesTheConnection) {
  ConnectionStore store(home_);
  ASSERT_TRUE(store.Create(Github()).ok());
  ASSERT_TRUE(store.Delete("prod_github-2").ok());
  EXPECT_FALSE(fs::exists(home_ + "/connections/prod_github-2.json"));
  EXPECT_EQ(store.Get("prod_github-2").status().code(), StatusCode::kNotFound);
  Status again = store.Delete("prod_github-2");
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_NE(again.message().find("'prod_github-2'"), std::string::npos) << again.message();
}

TEST_F(ConnectionStoreTest, UnknownConnectionIsNotFoundNamingNameAndStore) {
  ConnectionStore store(home_);
  auto got = store.Get("missing");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
  EXPECT_NE(got.status().message().find("'missing'"), std::string::npos) << got.status().message();
  EXPECT_NE(got.status().message().find(home_), std::string::npos) << got.status().message();
}

TEST_F(ConnectionStoreTest, BadNamesAreRefusedEverywhere) {
  ConnectionStore store(home_);
  for (std::string name : {std::string(""), std::string("a/b"), std::string("../escape"),
                           std::string("a b"), std::string("x.json"), std::string(129, 'a')}) {
    Connection c = Github();
    c.name = name;
    EXPECT_EQ(store.Create(c).code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(store.Get(name).status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(store.Delete(name).code(), StatusCode::kInvalidArgument) << name;
  }
  EXPECT_FALSE(fs::exists(home_ + "/connections"));
  EXPECT_TRUE(ValidateConnectionName(std::string(128, 'a')).ok());
  Status st = ValidateConnectionName("bad/name");
  EXPECT_NE(st.message().find("'bad/name'"), std::string::npos) << st.message();
}

TEST_F(ConnectionStoreTest, CorruptFileIsAnIOErrorNamingThePath) {
  WriteFile("broken.json", "{not json");
  ConnectionStore store(home_);
  auto got = store.Get("broken");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kIO);
  EXPECT_NE(got.status().message().find(home_ + "/connections/broken.json"), std::string::npos)
      << got.status().message();
  // A corrupt file spoils the listing too, rather than being skipped silently.
  EXPECT_EQ(store.List().status().code(), StatusCode::kIO);
}

TEST_F(ConnectionStoreTest, FileWithoutSourceOrWithNonStringOptionIsCorrupt) {
  WriteFile("nosource.json", R"({"name": "nosource"})");
  WriteFile("badopt.json", R"({"name": "badopt", "source": "test", "options": {"num_rows": 5}})");
  ConnectionStore store(home_);
  auto a = store.Get("nosource");
  EXPECT_EQ(a.status().code(), StatusCode::kIO);
  EXPECT_NE(a.status().message().find("nosource.json"), std::string::npos) << a.status().message();
  auto b = store.Get("badopt");
  EXPECT_EQ(b.status().code(), StatusCode::kIO);
  EXPECT_NE(b.status().message().find("badopt.json"), std::string::npos) << b.status().message();
  EXPECT_NE(b.status().message().find("'num_rows'"), std::string::npos) << b.status().message();
}

TEST_F(ConnectionStoreTest, DefaultStoreFollowsLakeflowHome) {
  const char* old = std::getenv("LAKEFLOW_HOME");
  std::string saved = old ? old : "";
  ::setenv("LAKEFLOW_HOME", home_.c_str(), 1);
  EXPECT_EQ(ConnectionStore::Default().home(), home_);
  if (old) {
    ::setenv("LAKEFLOW_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("LAKEFLOW_HOME");
  }
}

TEST(ConnectionDefaults, DefaultAllowedOptionsAreTheReservedReadOptions) {
  EXPECT_EQ(DefaultAllowedOptions(),
            (std::vector<std::string>{"tableName", "tableNameList", "tableConfigs", "isDeleteFlow",
                                      "max_records_per_batch"}));
}

}  // namespace
}  // namespace lakeflow
