#include "test_connector.h"

#include <arrow/builder.h>

#include <mutex>
#include <set>

#include "lakeflow/core/schema.h"

namespace lakeflow::testing {

namespace {

constexpr const char* kUsersDdl =
    "id LONG NOT NULL, name STRING, email STRING, tags ARRAY<STRING>, "
    "address STRUCT<city: STRING, zip: STRING>, attrs MAP<STRING, STRING>, score DECIMAL(10,2), "
    "birthday DATE, active BOOLEAN, avatar BINARY, profile VARIANT, level BYTE, rank SHORT, "
    "ratio FLOAT, weight DOUBLE, age INT, created_at TIMESTAMP, local_at TIMESTAMP_NTZ";

std::string Ts(int64_t minutes) {
  return fmt::format("2024-01-01T{:02d}:{:02d}:00Z", minutes / 60 % 24, minutes % 60);
}

std::mutex& CommitsMutex() {
  static std::mutex mu;
  return mu;
}

class TestConnector : public LakeflowConnect,
                      public SupportsPartition,
                      public SupportsPartitionedStream,
                      public SupportsCommit {
 public:
  static Result<std::unique_ptr<LakeflowConnect>> Make(const Options& options) {
    auto connector = std::unique_ptr<TestConnector>(new TestConnector(options));
    LF_ASSIGN_OR_RETURN(connector->num_rows_, options.GetIntOr("num_rows", 25));
    LF_ASSIGN_OR_RETURN(connector->page_size_, options.GetIntOr("page_size", 10));
    if (connector->num_rows_ < 0 || connector->num_rows_ > 1000) {
      return Status::Invalid(
          "option 'num_rows' must be 0..1000 (the clock in the data wraps after a day)");
    }
    if (connector->page_size_ <= 0) return Status::Invalid("option 'page_size' must be positive");
    std::string deleted = options.GetOr("deleted", "3,5");
    for (size_t pos = 0; pos < deleted.size();) {
      size_t comma = deleted.find(',', pos);
      std::string id = deleted.substr(pos, comma - pos);
      if (!id.empty()) connector->deleted_.insert(std::stoll(id));
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    return std::unique_ptr<LakeflowConnect>(std::move(connector));
  }

  Result<std::vector<std::string>> list_tables() override {
    return std::vector<std::string>{"users", "events", "orders", "logs", "regions", "metrics"};
  }

  // users, orders and logs are read in pages even in a batch read (unless
  // option snapshot_pages=false: then a batch read takes the first call's
  // records, as the reference does); events returns everything to a read
  // without an offset.
  bool snapshot_in_pages(std::string_view table) override {
    if (options().GetOr("snapshot_pages", "true") == "false") return false;
    return table == "users" || table == "orders" || table == "logs";
  }

  Result<SchemaPtr> get_table_schema(std::string_view table, const Options&) override {
    if (table == "users") return ParseDdl(kUsersDdl);
    if (table == "events")
      return ParseDdl(
          "id LONG NOT NULL, kind STRING, payload STRUCT<n: INT>, updated_at TIMESTAMP");
    if (table == "orders")
      return ParseDdl("order_id LONG NOT NULL, amount DOUBLE, modified TIMESTAMP");
    if (table == "logs") return ParseDdl("seq LONG, line STRING");
    if (table == "regions") return ParseDdl("code STRING NOT NULL, region STRING, n INT");
    if (table == "metrics") return ParseDdl("id LONG NOT NULL, seq LONG, value DOUBLE");
    return UnknownTable(table);
  }

  Result<TableMetadata> read_table_metadata(std::string_view table, const Options&) override {
    if (table == "users") return TableMetadata{{"id"}, std::nullopt, IngestionType::kSnapshot};
    if (table == "events") return TableMetadata{{"id"}, "updated_at", IngestionType::kCdc};
    if (table == "orders")
      return TableMetadata{{"order_id"}, "modified", IngestionType::kCdcWithDeletes};
    if (table == "logs") return TableMetadata{{}, std::nullopt, IngestionType::kAppend};
    if (table == "regions") return TableMetadata{{"code"}, std::nullopt, IngestionType::kSnapshot};
    if (table == "metrics") return TableMetadata{{"id"}, "seq", IngestionType::kCdc};
    return UnknownTable(table);
  }

  Result<ReadResult> read_table(std::string_view table, const Offset& start,
                                const Options& opts) override {
    if (options().Get("fail_table") == std::string(table)) {
      return Status::SourceError("HTTP 401 from https://api.example.test/{}?token={}", table,
                                 options().GetOr("token", ""));
    }
    // A per-table option (tableConfigs), for the tests that they reach the read.
    if (opts.GetOr("refuse_read", "") == "true")
      return Status::SourceError("table '{}': its table options say refuse_read", table);
    if (table == "users") return ReadUsers(start);
    if (table == "events") return ReadEvents(start);
    if (table == "orders") return ReadOrders(start, false);
    if (table == "logs") return ReadLogs(start);
    if (table == "regions" || table == "metrics") {
      // Read whole through the plain protocol too, as the template allows.
      LF_ASSIGN_OR_RETURN(
          auto parts, table == "regions" ? get_partitions(table, opts)
                                         : get_stream_partitions(table, opts, Offset(),
                                                                 Offset(Json{{"seq", num_rows_}})));
      std::vector<RecordStream> streams;
      for (const auto& p : parts) {
        LF_ASSIGN_OR_RETURN(auto s, table == "regions" ? read_partition(table, p, opts)
                                                       : read_stream_partition(table, p, opts));
        streams.push_back(std::move(s));
      }
      Offset end = table == "regions" ? Offset() : Offset(Json{{"seq", num_rows_}});
      if (start && OffsetsEqual(start, end)) return ReadResult{RecordStream::Empty(), start};
      return ReadResult{RecordStream::Concat(std::move(streams)), end};
    }
    return UnknownTable(table);
  }

  Result<ReadResult> read_table_deletes(std::string_view table, const Offset& start,
                                        const Options&) override {
    if (table != "orders") return LakeflowConnect::read_table_deletes(table, start, {});
    return ReadOrders(start, true);
  }

  Status commit(std::string_view table, bool deletes, const Offset& end) override {
    std::lock_guard lock(CommitsMutex());
    TestConnectorCommits().push_back(std::string(table) + (deletes ? " deletes " : " ") +
                                     (end ? end->dump() : "null"));
    return Status::OK();
  }

  // SupportsPartition: only regions is partitioned.
  bool supports_partitions(std::string_view table) override { return table == "regions"; }
  Result<std::vector<Json>> get_partitions(std::string_view table, const Options&) override {
    if (table != "regions") return UnknownTable(table);
    return std::vector<Json>{{{"region", "ap"}}, {{"region", "eu"}}, {{"region", "us"}}};
  }
  Result<RecordStream> read_partition(std::string_view table, const Json& partition,
                                      const Options&) override {
    if (table != "regions") return UnknownTable(table);
    if (!partition.contains("region")) return Status::Invalid("bad partition {}", partition.dump());
    std::string region = partition["region"].get<std::string>();
    std::vector<std::string> records;
    static const char* kRegions[] = {"ap", "eu", "us"};
    for (int64_t i = 0; i < num_rows_; ++i) {
      if (kRegions[i % 3] != region) continue;
      records.push_back(
          Json{{"code", fmt::format("R{:04d}", i)}, {"region", region}, {"n", i}}.dump());
    }
    return RecordStream::FromJsonRecords(records);
  }

  // SupportsPartitionedStream: only metrics. Offsets {"seq": n}; a batch ends
  // at most max_records_per_batch past its start; partitions of 5 rows.
  bool supports_partitioned_stream(std::string_view table) override { return table == "metrics"; }
  Result<Offset> latest_offset(std::string_view table, const Options& opts,
                               const Offset& start) override {
    LF_ASSIGN_OR_RETURN(int64_t limit, opts.GetIntOr("max_records_per_batch", num_rows_));
    int64_t from = SeqOf(start);
    return Offset(Json{{"seq", std::min(num_rows_, from + std::max<int64_t>(limit, 1))}});
  }
  Result<std::vector<Json>> get_stream_partitions(std::string_view, const Options&,
                                                  const Offset& start, const Offset& end) override {
    std::vector<Json> out;
    for (int64_t from = SeqOf(start); from < SeqOf(end); from += 5) {
      out.push_back({{"from", from}, {"to", std::min(from + 5, SeqOf(end))}});
    }
    return out;
  }
  Result<RecordStream> read_stream_partition(std::string_view, const Json& partition,
                                             const Options&) override {
    std::vector<std::string> records;
    for (int64_t i = partition.value("from", 0); i < partition.value("to", 0); ++i) {
      records.push_back(Json{{"id", i + 1}, {"seq", i + 1}, {"value", i * 0.5}}.dump());
    }
    return RecordStream::FromJsonRecords(records);
  }

 private:
  explicit TestConnector(Options options) : LakeflowConnect(std::move(options)) {}

  static int64_t SeqOf(const Offset& o) {
    return o && o->contains("seq") ? (*o)["seq"].get<int64_t>() : 0;
  }

  // users: a page of page_size rows per call; {"page": n} is the next page.
  Result<ReadResult> ReadUsers(const Offset& start) {
    int64_t page = start && start->contains("page") ? (*start)["page"].get<int64_t>() : 0;
    int64_t from = page * page_size_;
    if (from >= num_rows_) return ReadResult{RecordStream::Empty(), start};
    Json data = Json::array();
    for (int64_t id = from + 1; id <= std::min(num_rows_, from + page_size_); ++id)
      data.push_back(User(id));
    std::string doc = Json{{"data", data}, {"page", page}}.dump();
    std::vector<Chunk> chunks;
    chunks.emplace_back(JsonChunk::Document(std::move(doc), "/data"));
    return ReadResult{RecordStream::FromChunks(std::move(chunks)),
                      Offset(Json{{"page", page + 1}})};
  }

  Json User(int64_t id) const {
    Json user = {
        {"id", id},
        {"name", fmt::format("user {}", id)},
        {"email", id % 4 == 0 ? Json() : Json(fmt::format("u{}@example.test", id))},
        {"tags", id % 2 ? Json::array({"a", "b"}) : Json("solo")},  // scalar -> one-element array
        {"address", {{"city", "Paris"}, {"zip", fmt::format("{:05d}", id)}}},
        {"attrs", {{"k", fmt::format("v{}", id)}}},
        {"score", fmt::format("{}.25", id)},
        {"birthday", "1990-02-03"},
        {"active", id % 3 ? "yes" : "no"},
        {"avatar", "aGVsbG8="},
        {"profile", {{"nested", {1, 2, id}}}},
        {"level", id % 100},
        {"rank", id * 10},
        {"ratio", 0.5},
        {"weight", 70.25},
        {"age", fmt::format("{}", 20 + id % 50)},  // integer from a numeric string
        {"created_at", Ts(id)},
        {"local_at", "2024-01-01 10:00:00"}};
    return user;
  }

  // events: records with updated_at after the cursor, page_size at a time.
  Result<ReadResult> ReadEvents(const Offset& start) {
    int64_t after = start && start->contains("minute") ? (*start)["minute"].get<int64_t>() : 0;
    std::string lines;
    int64_t last = after;
    int64_t limit = start ? page_size_ : num_rows_;  // a batch read (no offset) takes all
    for (int64_t id = after + 1; id <= num_rows_ && id <= after + limit; ++id) {
      Json e = {{"id", id},
                {"kind", id % 2 ? "click" : "view"},
                {"payload", {{"n", id}}},
                {"updated_at", Ts(id)}};
      if (id == 2 && options().GetOr("bad_record", "") == "true") e["id"] = "abc";
      lines += e.dump() + "\n";
      last = id;
    }
    if (last == after && start) return ReadResult{RecordStream::Empty(), start};
    std::vector<Chunk> chunks;
    chunks.emplace_back(JsonChunk::Lines(std::move(lines)));
    return ReadResult{RecordStream::FromChunks(std::move(chunks)),
                      Offset(Json{{"cursor", Ts(last)}, {"minute", last}})};
  }

  // orders: Arrow batches built here. The delete flow returns the deleted ids.
  Result<ReadResult> ReadOrders(const Offset& start, bool deletes) {
    int64_t after = start && start->contains("id") ? (*start)["id"].get<int64_t>() : 0;
    arrow::Int64Builder ids;
    arrow::DoubleBuilder amounts;
    arrow::TimestampBuilder modified(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                     arrow::default_memory_pool());
    int64_t last = after;
    for (int64_t id = after + 1; id <= num_rows_ && ids.length() < page_size_; ++id) {
      last = id;
      if (deleted_.count(id) != static_cast<size_t>(deletes)) continue;
      LF_RETURN_IF_ARROW_ERROR(ids.Append(id));
      LF_RETURN_IF_ARROW_ERROR(deletes ? amounts.AppendNull() : amounts.Append(id * 1.5));
      LF_RETURN_IF_ARROW_ERROR(modified.Append(1704067200000000LL + id * 60000000LL));
    }
    if (last == after && start) return ReadResult{RecordStream::Empty(), start};
    LF_ASSIGN_OR_RETURN(auto schema, get_table_schema("orders", {}));
    std::shared_ptr<arrow::Array> a, b, c;
    LF_RETURN_IF_ARROW_ERROR(ids.Finish(&a));
    LF_RETURN_IF_ARROW_ERROR(amounts.Finish(&b));
    LF_RETURN_IF_ARROW_ERROR(modified.Finish(&c));
    std::vector<Chunk> chunks;
    chunks.emplace_back(arrow::RecordBatch::Make(schema, a->length(), {a, b, c}));
    return ReadResult{RecordStream::FromChunks(std::move(chunks)), Offset(Json{{"id", last}})};
  }

  // logs: append-only lines; {"seq": n} is the last line read.
  Result<ReadResult> ReadLogs(const Offset& start) {
    int64_t after = start && start->contains("seq") ? (*start)["seq"].get<int64_t>() : 0;
    std::vector<std::string> records;
    for (int64_t seq = after + 1; seq <= num_rows_ && seq <= after + page_size_; ++seq) {
      records.push_back(Json{{"seq", seq}, {"line", fmt::format("log line {}", seq)}}.dump());
    }
    if (records.empty() && start) return ReadResult{RecordStream::Empty(), start};
    int64_t last = after + static_cast<int64_t>(records.size());
    return ReadResult{RecordStream::FromJsonRecords(records), Offset(Json{{"seq", last}})};
  }

  int64_t num_rows_ = 25;
  int64_t page_size_ = 10;
  std::set<int64_t> deleted_;
};

}  // namespace

std::vector<std::string>& TestConnectorCommits() {
  static std::vector<std::string> commits;
  return commits;
}

void RegisterTestConnector(ConnectorRegistry* registry) {
  registry->Register({"test",
                      "in-memory connector exercising the whole contract (tests only)",
                      {"token"},
                      &TestConnector::Make});
}

}  // namespace lakeflow::testing

// The plugin entry point, so the lakeflow binary can load this connector.
LAKEFLOW_CONNECTOR_PLUGIN(registry) {
  lakeflow::testing::RegisterTestConnector(registry);
}
