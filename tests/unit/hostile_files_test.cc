// Files lakeflow reads back (stream checkpoints, Delta logs and side files,
// connection files) corrupted or crafted: each is one error line naming the
// file, never an exception, an abort or a stack overflow.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lakeflow/connections/connection_store.h"
#include "lakeflow/datasource/checkpoint.h"
#include "lakeflow/sinks/delta_log.h"
#include "lakeflow/sinks/delta_side_files.h"
#include "testing/hostile.h"
#include "testing/test_util.h"

namespace lakeflow {
namespace {

namespace fs = std::filesystem;
using testing::DeepJsonObject;

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// Fails the test unless `st` is an error naming `path`, on one line.
void ExpectErrorNaming(const Status& st, const std::string& path) {
  ASSERT_FALSE(st.ok()) << path;
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
  EXPECT_LT(st.message().size(), 600u) << st.message();
}

class HostileCheckpoint : public ::testing::Test {
 protected:
  Json Identity() const { return {{"source", "test"}, {"table", "t"}, {"delete_flow", false}}; }
  testing::TempDir tmp_{"lakeflow_hostile_ckpt"};
  std::string dir_ = tmp_.path() + "/stream";
};

TEST_F(HostileCheckpoint, DeepOffsetInAnOffsetsFile) {
  auto c = Checkpoint::Open(dir_, Identity());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::string path = dir_ + "/offsets/0";
  Write(path, R"({"batch":0,"start":{},"end":)" + DeepJsonObject(100000) + "}");
  ExpectErrorNaming(c->LastPlanned().status(), path);
}

TEST_F(HostileCheckpoint, DeepMetadata) {
  ASSERT_TRUE(Checkpoint::Open(dir_, Identity()).ok());
  Write(dir_ + "/metadata", DeepJsonObject(100000));
  ExpectErrorNaming(Checkpoint::Open(dir_, Identity()).status(), dir_ + "/metadata");
}

class HostileDelta : public ::testing::Test {
 protected:
  // A table whose commit 0 holds `line` after a valid protocol and metaData.
  void CommitLine(const std::string& line) {
    Write(sinks::delta::CommitPath(dir_, 0),
          R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})"
          "\n"
          R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},)"
          R"("schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],)"
          R"("configuration":{},"createdTime":0}})"
          "\n" +
              line + "\n");
  }
  Status Load() { return sinks::delta::LoadTable(dir_, "t").status(); }

  testing::TempDir tmp_{"lakeflow_hostile_delta"};
  std::string dir_ = tmp_.path() + "/t";
};

TEST_F(HostileDelta, ValidLogLoads) {
  CommitLine(R"({"add":{"path":"a.parquet","size":5,"modificationTime":1,"dataChange":true}})");
  auto state = sinks::delta::LoadTable(dir_, "t");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->files.size(), 1u);
}

TEST_F(HostileDelta, ActionMembersOfTheWrongTypeAreErrorsNamingTheCommit) {
  for (const char* line : {
           R"({"add":{"path":"a.parquet","size":"big"}})",
           R"({"add":{"path":"a.parquet","size":1,"modificationTime":[]}})",
           R"({"add":"nope"})",
           R"({"remove":{"path":7}})",
           R"({"remove":[1]})",
           R"({"txn":{"appId":5,"version":1}})",
           R"({"txn":{"appId":"f","version":"1"}})",
           R"({"protocol":{"minReaderVersion":"1","minWriterVersion":2}})",
           R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2.5}})",
           R"({"protocol":{"minReaderVersion":1e300,"minWriterVersion":2}})",
           R"({"metaData":{"schemaString":"{}","configuration":{"delta.columnMapping.mode":5}}})",
           R"({"metaData":{"schemaString":"not json"}})",
       }) {
    CommitLine(line);
    ExpectErrorNaming(Load(), sinks::delta::CommitPath(dir_, 0));
  }
}

TEST_F(HostileDelta, DeepCommitLine) {
  CommitLine(R"({"commitInfo":)" + DeepJsonObject(100000) + "}");
  ExpectErrorNaming(Load(), sinks::delta::CommitPath(dir_, 0));
}

TEST_F(HostileDelta, DeepStatsAreNoStats) {
  std::string deep = DeepJsonObject(100000);
  std::string escaped;
  for (char c : deep) escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
  CommitLine(R"({"add":{"path":"a.parquet","size":1,"stats":")" + escaped + R"("}})");
  auto state = sinks::delta::LoadTable(dir_, "t");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  ASSERT_EQ(state->files.size(), 1u);
  EXPECT_TRUE(state->files.begin()->second.stats.is_null());  // never skipped
}

TEST_F(HostileDelta, DeepSchemaString) {
  std::string deep = DeepJsonObject(100000);
  std::string escaped;
  for (char c : deep) escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
  CommitLine(R"({"metaData":{"schemaString":")" + escaped + R"("}})");
  ExpectErrorNaming(Load(), sinks::delta::CommitPath(dir_, 0));
}

TEST_F(HostileDelta, CorruptLastCheckpoint) {
  CommitLine("{}");
  std::string path = dir_ + "/_delta_log/_last_checkpoint";
  for (const std::string& text : {std::string(R"({"version":"3"})"), DeepJsonObject(100000),
                                  std::string(R"({"version":-4})")}) {
    Write(path, text);
    ExpectErrorNaming(Load(), path);
  }
}

TEST_F(HostileDelta, CorruptProgressFile) {
  std::string path = dir_ + "/_lakeflow/progress/f-3.json";
  for (const std::string& text :
       {std::string(R"({"end":{},"rows":"many"})"), std::string(R"({"end":{},"committed_at":1})"),
        R"({"end":)" + DeepJsonObject(100000) + "}", std::string(R"({"end":[1]})")}) {
    Write(path, text);
    ExpectErrorNaming(sinks::delta::ReadProgress(dir_, "f", 3, "t").status(), path);
  }
}

TEST_F(HostileDelta, CorruptStageManifestAndRuns) {
  std::string manifest = sinks::delta::StageManifestPath(dir_, 2);
  Write(manifest, R"({"files":["a.parquet",7]})");
  ExpectErrorNaming(sinks::delta::ReadStageManifest(dir_, 2, "t").status(), manifest);
  Write(manifest, DeepJsonObject(100000));
  ExpectErrorNaming(sinks::delta::ReadStageManifest(dir_, 2, "t").status(), manifest);
  std::string runs = tmp_.path() + "/_lakeflow_runs.json";
  Write(runs, "[" + DeepJsonObject(100000) + "]");
  ExpectErrorNaming(sinks::delta::ReadRuns(tmp_.path()).status(), runs);
  Write(runs, R"([{"table":"t","flow":"f","ran_at":5}])");
  ExpectErrorNaming(sinks::delta::ReadRuns(tmp_.path()).status(), runs);
}

class HostileConnectionFile : public ::testing::Test {
 protected:
  std::string PathOf(const std::string& name) const {
    return tmp_.path() + "/connections/" + name + ".json";
  }
  testing::TempDir tmp_{"lakeflow_hostile_conn"};
  ConnectionStore store_{tmp_.path()};
};

TEST_F(HostileConnectionFile, DeepOrMistypedFilesAreErrorsNamingTheFile) {
  for (const std::string& text : {
           std::string(R"({"name":"c","source":"test","allowed_options":"tableName"})"),
           std::string(R"({"name":"c","source":"test","allowed_options":[1]})"),
           R"({"name":"c","source":"test","options":{"a":)" + DeepJsonObject(100000) + "}}",
       }) {
    Write(PathOf("c"), text);
    ExpectErrorNaming(store_.Get("c").status(), PathOf("c"));
  }
}

TEST_F(HostileConnectionFile, OptionsThatAreNotUtf8AreRefusedNamingTheOption) {
  Connection c;
  c.name = "c";
  c.source = "test";
  c.options.Set("owner", testing::kNotUtf8);
  Status st = store_.Create(c, false);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'owner'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("UTF-8"), std::string::npos) << st.message();
  c.options = Options{};
  c.options.Set(testing::kNotUtf8, "x");
  EXPECT_FALSE(store_.Create(c, false).ok());
  c.options = Options{};
  c.allowed_options = {testing::kNotUtf8};
  EXPECT_FALSE(store_.Create(c, false).ok());
}

}  // namespace
}  // namespace lakeflow
