#include "lakeflow/conformance/conformance.h"

#include <arrow/scalar.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/schema.h"

namespace lakeflow {

namespace {

constexpr const char* kNoSuchTable = "__lakeflow_conformance_no_such_table__";

// What the records of one table's reads looked like, for the checks that
// need all of them: which columns were ever non-null, how many records were
// entirely null, and the primary keys read (as text, for comparing reads).
struct RecordStats {
  int64_t rows = 0;
  int64_t all_null_rows = 0;
  std::set<std::string> non_null_columns;
  std::vector<std::string> keys;

  void Add(const RecordStats& other) {
    rows += other.rows;
    all_null_rows += other.all_null_rows;
    non_null_columns.insert(other.non_null_columns.begin(), other.non_null_columns.end());
    keys.insert(keys.end(), other.keys.begin(), other.keys.end());
  }
};

class Checker {
 public:
  Checker(LakeflowConnect& connector, const ConformanceOptions& options)
      : c_(connector), options_(options) {}

  ConformanceReport Run() {
    auto tables = c_.list_tables();
    if (!Check("list_tables.succeeds", "", tables.ok(), tables.status().ToString()))
      return std::move(report_);
    CheckTableList(*tables);
    CheckUnknownTable();
    for (const auto& table : *tables) {
      if (options_.table && *options_.table != table) continue;
      CheckTable(table);
    }
    if (options_.table) {
      Check("table.listed", *options_.table,
            std::find(tables->begin(), tables->end(), *options_.table) != tables->end(),
            "the table is not in list_tables");
    }
    return std::move(report_);
  }

 private:
  // Records one outcome of a check. A check that runs again for the same
  // table (each page, each batch) stays one entry, failed if any run failed.
  bool Check(const std::string& name, const std::string& table, bool passed,
             std::string detail = "") {
    auto [it, added] = index_.try_emplace(std::make_pair(name, table), report_.checks.size());
    if (added) {
      report_.checks.push_back({name, table, passed, false, passed ? "" : std::move(detail)});
      return passed;
    }
    ConformanceCheck& check = report_.checks[it->second];
    if (check.passed && !passed) {
      check.passed = false;
      check.detail = std::move(detail);
    }
    return passed;
  }

  Options OptionsFor(const std::string& table) const {
    Options out = options_.table_options;
    if (auto it = options_.table_configs.find(table); it != options_.table_configs.end())
      out.Merge(it->second);
    return out;
  }

  void CheckTableList(const std::vector<std::string>& tables) {
    Check("list_tables.non_empty", "", !tables.empty(), "no tables");
    bool all_named =
        std::all_of(tables.begin(), tables.end(), [](const auto& t) { return !t.empty(); });
    Check("list_tables.names_non_empty", "", all_named, "an empty table name");
    std::set<std::string> unique(tables.begin(), tables.end());
    Check("list_tables.no_duplicates", "", unique.size() == tables.size(),
          "a table is listed twice");
  }

  void CheckUnknownTable() {
    auto schema = c_.get_table_schema(kNoSuchTable, options_.table_options);
    Check("unknown_table.get_table_schema_refused", "", !schema.ok(),
          "an unknown table got a schema");
    auto metadata = c_.read_table_metadata(kNoSuchTable, options_.table_options);
    Check("unknown_table.read_table_metadata_refused", "", !metadata.ok(),
          "an unknown table got metadata");
    auto read = c_.read_table(kNoSuchTable, std::nullopt, options_.table_options);
    Check("unknown_table.read_table_refused", "", !read.ok(), "an unknown table could be read");
  }

  void CheckTable(const std::string& table) {
    const Options opts = OptionsFor(table);
    auto schema = c_.get_table_schema(table, opts);
    if (!Check("get_table_schema.succeeds", table, schema.ok(), schema.status().ToString())) return;
    auto again = c_.get_table_schema(table, opts);
    Check("get_table_schema.deterministic", table, again.ok() && (*again)->Equals(**schema, true),
          "two calls returned different schemas");
    auto dupes = CheckNoDuplicateFields(**schema);
    Check("get_table_schema.no_duplicate_fields", table, dupes.ok(), dupes.message());
    Status types = Status::OK();
    for (const auto& f : (*schema)->fields()) {
      if (types.ok()) types = CheckSupportedType(*f);
    }
    Check("get_table_schema.supported_types", table, types.ok(), types.message());
    Check("get_table_schema.non_empty", table, (*schema)->num_fields() > 0, "no fields");

    auto metadata = c_.read_table_metadata(table, opts);
    if (!Check("read_table_metadata.succeeds", table, metadata.ok(), metadata.status().ToString()))
      return;
    auto metadata_again = c_.read_table_metadata(table, opts);
    Check("read_table_metadata.deterministic", table,
          metadata_again.ok() && SameMetadata(*metadata, *metadata_again),
          "two calls returned different metadata");
    CheckMetadata(table, **schema, *metadata);

    RecordStats stats;
    bool batch_in_partitions = PartitionsOf(table) != nullptr;
    bool stream_in_partitions = PartitionedStreamOf(table) != nullptr;
    CheckRead(table, *schema, *metadata, /*deletes=*/false, !batch_in_partitions,
              !stream_in_partitions, &stats);
    if (metadata->ingestion_type == IngestionType::kCdcWithDeletes)
      CheckRead(table, *schema, *metadata, /*deletes=*/true, false, true, nullptr);
    auto batch_keys = CheckPartitions(table, *schema, *metadata, &stats);
    CheckPartitionedStream(table, *schema, *metadata, batch_keys, &stats);
    CheckRecordStats(table, **schema, stats);
  }

  static bool SameMetadata(const TableMetadata& a, const TableMetadata& b) {
    return a.primary_keys == b.primary_keys && a.cursor_field == b.cursor_field &&
           a.ingestion_type == b.ingestion_type;
  }

  void CheckMetadata(const std::string& table, const arrow::Schema& schema,
                     const TableMetadata& m) {
    bool append = m.ingestion_type == IngestionType::kAppend;
    Check("metadata.primary_keys_present", table, append || !m.primary_keys.empty(),
          fmt::format("{} tables need primary keys", IngestionTypeName(m.ingestion_type)));
    for (const auto& key : m.primary_keys) {
      Check("metadata.primary_key_in_schema", table, schema.GetFieldByName(key) != nullptr,
            fmt::format("primary key '{}' is not a field of the schema", key));
    }
    bool cdc = m.ingestion_type == IngestionType::kCdc ||
               m.ingestion_type == IngestionType::kCdcWithDeletes;
    if (cdc) {
      bool has_cursor = m.cursor_field.has_value() && !m.cursor_field->empty();
      Check("metadata.cursor_field_present", table, has_cursor, "cdc tables need a cursor_field");
      if (has_cursor) {
        std::string top = m.cursor_field->substr(0, m.cursor_field->find('.'));
        Check("metadata.cursor_field_in_schema", table, schema.GetFieldByName(top) != nullptr,
              fmt::format("cursor field '{}' is not a field of the schema", *m.cursor_field));
      }
    }
  }

  // The records of every read together: a table that returns records has no
  // record entirely null, and every column is non-null in at least one record
  // (a column never filled is a field the connector forgot to map).
  void CheckRecordStats(const std::string& table, const arrow::Schema& schema,
                        const RecordStats& stats) {
    if (stats.rows == 0) return;
    Check("records.no_record_entirely_null", table, stats.all_null_rows == 0,
          fmt::format("{} of {} records have every column null", stats.all_null_rows, stats.rows));
    std::vector<std::string> never;
    for (const auto& f : schema.fields()) {
      if (!stats.non_null_columns.count(f->name())) never.push_back(f->name());
    }
    // A warning, not a failure: a field may be rare in the records read (an
    // app that acted on an issue), or it may be one the connector never maps.
    Check("records.every_column_non_null_somewhere", table, true);
    if (!never.empty()) {
      ConformanceCheck& check = report_.checks.back();
      check.warning = true;
      check.detail =
          fmt::format("null in all {} records read: {}", stats.rows, fmt::join(never, ", "));
    }
  }

  // Reads as the data source does: a batch read is one call from no offset
  // (following offsets only for a connector whose snapshots come in pages);
  // a stream (tables other than snapshots) starts from {} and follows
  // offsets until they stop moving. Every record must convert and carry its
  // keys, and a read that has caught up must hold no records: the data
  // source would not deliver them. A table read in partitions is not read
  // through read_table in that mode (`batch`, `stream` false).
  void CheckRead(const std::string& table, const SchemaPtr& schema, const TableMetadata& m,
                 bool deletes, bool batch, bool stream, RecordStats* stats) {
    std::string prefix = deletes ? "read_table_deletes" : "read_table";
    bool snapshot = m.ingestion_type == IngestionType::kSnapshot;
    const Options opts = OptionsFor(table);
    for (const Offset& first : {Offset(), Offset(Json::object())}) {
      if (first ? !stream : !batch) continue;
      if (snapshot && first) continue;  // snapshots are read in batch
      bool paged = !first && c_.snapshot_in_pages(table);
      std::string mode = first ? ".stream" : ".batch";
      // A snapshot is the table's content: a key in it twice is a row the
      // destination would merge away (or keep twice).
      const bool unique_keys = snapshot && !first && !deletes && !m.primary_keys.empty();
      std::vector<std::string> keys;
      Offset start = first;
      int64_t records = 0;
      int reads = 0;
      bool converged = false;
      for (; reads < options_.max_reads && records < options_.max_records; ++reads) {
        auto read =
            deletes ? c_.read_table_deletes(table, start, opts) : c_.read_table(table, start, opts);
        if (!Check(prefix + mode + ".succeeds", table, read.ok(), read.status().ToString())) return;
        bool caught_up = reads > 0 && OffsetsEqual(read->end, start);
        auto rows = CheckRecords(table, schema, m, std::move(read->records), prefix + mode);
        if (!rows) return;
        if (caught_up) {
          Check(prefix + mode + ".caught_up_holds_nothing", table, rows->rows == 0,
                fmt::format("a read from {} returned {} records and the same offset: the stream "
                            "has caught up, so they would not be delivered",
                            OffsetToString(start), rows->rows));
        }
        records += rows->rows;
        if (unique_keys) keys.insert(keys.end(), rows->keys.begin(), rows->keys.end());
        // One mode's records suffice for the column checks: the batch read's,
        // or a stream's when the table has no batch read here.
        if (stats && (!first || !batch)) stats->Add(*rows);
        if (!read->end || caught_up || (!first && !paged)) {
          converged = true;
          break;
        }
        auto round_trip = OffsetFromString(OffsetToString(read->end), "offset");
        if (!Check(prefix + mode + ".offset_serialisable", table,
                   round_trip.ok() && OffsetsEqual(*round_trip, read->end),
                   OffsetToString(read->end))) {
          return;
        }
        start = read->end;
      }
      Check(prefix + mode + ".offsets_converge", table,
            converged || records >= options_.max_records,
            fmt::format("offsets still moving after {} reads", reads));
      if (unique_keys) CheckKeysUnique(table, prefix + mode, &keys);
    }
  }

  // The keys of one snapshot read, each once.
  void CheckKeysUnique(const std::string& table, const std::string& prefix,
                       std::vector<std::string>* keys) {
    std::sort(keys->begin(), keys->end());
    auto dup = std::adjacent_find(keys->begin(), keys->end());
    std::string shown;
    if (dup != keys->end()) {
      shown = *dup;
      std::replace(shown.begin(), shown.end(), '\x1f', ',');
      if (!shown.empty() && shown.back() == ',') shown.pop_back();
    }
    Check(prefix + ".primary_keys_unique", table, dup == keys->end(),
          fmt::format("primary key ({}) appears {} times in one snapshot", shown,
                      dup == keys->end() ? 0 : std::count(keys->begin(), keys->end(), *dup)));
  }

  // Converts the records and checks each batch; their stats, or nullopt
  // after a failed check.
  std::optional<RecordStats> CheckRecords(const std::string& table, const SchemaPtr& schema,
                                          const TableMetadata& m, RecordStream records,
                                          const std::string& prefix) {
    auto batches = MakeBatchIterator(table, schema, std::move(records));
    RecordStats stats;
    while (true) {
      auto batch = batches->Next();
      if (!Check(prefix + ".records_match_schema", table, batch.ok(), batch.status().ToString()))
        return std::nullopt;
      if (!*batch) break;
      if (!CheckKeys(table, **batch, m, prefix)) return std::nullopt;
      AddBatch(**batch, m, &stats);
    }
    return stats;
  }

  bool CheckKeys(const std::string& table, const arrow::RecordBatch& batch, const TableMetadata& m,
                 const std::string& prefix) {
    for (const auto& key : m.primary_keys) {
      auto column = batch.GetColumnByName(key);
      if (!column) continue;
      if (!Check(
              prefix + ".primary_keys_non_null", table, column->null_count() == 0,
              fmt::format("primary key '{}' is null in {} records", key, column->null_count()))) {
        return false;
      }
    }
    return true;
  }

  static void AddBatch(const arrow::RecordBatch& batch, const TableMetadata& m,
                       RecordStats* stats) {
    stats->rows += batch.num_rows();
    for (int c = 0; c < batch.num_columns(); ++c) {
      if (batch.column(c)->null_count() < batch.num_rows())
        stats->non_null_columns.insert(batch.schema()->field(c)->name());
    }
    for (int64_t row = 0; row < batch.num_rows(); ++row) {
      bool all_null = true;
      for (int c = 0; c < batch.num_columns() && all_null; ++c)
        all_null = batch.column(c)->IsNull(row);
      stats->all_null_rows += all_null;
      std::string key;
      for (const auto& name : m.primary_keys) {
        auto column = batch.GetColumnByName(name);
        auto value = column ? column->GetScalar(row) : arrow::Status::KeyError(name);
        key += (value.ok() ? (*value)->ToString() : std::string("?")) + "\x1f";
      }
      stats->keys.push_back(std::move(key));
    }
  }

  SupportsPartition* PartitionsOf(const std::string& table) {
    auto* partitioned = dynamic_cast<SupportsPartition*>(&c_);
    return partitioned && partitioned->supports_partitions(table) ? partitioned : nullptr;
  }

  SupportsPartitionedStream* PartitionedStreamOf(const std::string& table) {
    auto* partitioned = dynamic_cast<SupportsPartitionedStream*>(&c_);
    return partitioned && partitioned->supports_partitioned_stream(table) ? partitioned : nullptr;
  }

  bool CheckPartitionSerialises(const std::string& table, const Json& p, const std::string& name) {
    auto text = DumpExactJson(p, "a partition");
    auto round_trip = text.ok() ? ParseJson(*text, "a partition") : Result<Json>(text.status());
    return Check(name, table, p.is_object() && round_trip.ok() && *round_trip == p,
                 "a partition is not a JSON object that survives serialisation: " + DumpJson(p));
  }

  // The batch read in partitions; the keys it read (sorted), for the stream.
  std::optional<std::vector<std::string>> CheckPartitions(const std::string& table,
                                                          const SchemaPtr& schema,
                                                          const TableMetadata& m,
                                                          RecordStats* stats) {
    auto* partitioned = PartitionsOf(table);
    if (!partitioned) return std::nullopt;
    const Options opts = OptionsFor(table);
    auto first = partitioned->get_partitions(table, opts);
    if (!Check("partitions.succeeds", table, first.ok(), first.status().ToString()))
      return std::nullopt;
    auto second = partitioned->get_partitions(table, opts);
    Check("partitions.stable", table, second.ok() && *second == *first,
          "two calls returned different partitions");
    RecordStats read;
    for (const auto& p : *first) {
      CheckPartitionSerialises(table, p, "partitions.serialisable");
      auto records = partitioned->read_partition(table, p, opts);
      if (!Check("partitions.read_succeeds", table, records.ok(), records.status().ToString()))
        return std::nullopt;
      auto rows = CheckRecords(table, schema, m, std::move(records).value(), "partitions");
      if (!rows) return std::nullopt;
      read.Add(*rows);
    }
    stats->Add(read);
    std::sort(read.keys.begin(), read.keys.end());
    return read.keys;
  }

  // A partitioned stream from {}: latest_offset until it stops moving, the
  // partitions between each pair of offsets read, and all of it compared
  // with the batch read (when there is one).
  void CheckPartitionedStream(const std::string& table, const SchemaPtr& schema,
                              const TableMetadata& m,
                              const std::optional<std::vector<std::string>>& batch_keys,
                              RecordStats* stats) {
    auto* stream = PartitionedStreamOf(table);
    if (!stream) return;
    const Options opts = OptionsFor(table);
    Offset start = Json::object();
    RecordStats read;
    bool converged = false;
    for (int step = 0; step < options_.max_reads && !converged; ++step) {
      auto end = stream->latest_offset(table, opts, start);
      if (!Check("partitioned_stream.latest_offset_succeeds", table, end.ok(),
                 end.status().ToString()))
        return;
      if (OffsetsEqual(*end, start)) {
        auto none = stream->get_stream_partitions(table, opts, start, *end);
        Check("partitioned_stream.equal_offsets_no_partitions", table, none.ok() && none->empty(),
              none.ok() ? fmt::format("{} partitions between {} and itself", none->size(),
                                      OffsetToString(start))
                        : none.status().ToString());
        converged = true;
        break;
      }
      auto parts = stream->get_stream_partitions(table, opts, start, *end);
      if (!Check("partitioned_stream.partitions_succeed", table, parts.ok(),
                 parts.status().ToString()))
        return;
      for (const auto& p : *parts) {
        CheckPartitionSerialises(table, p, "partitioned_stream.partitions_serialisable");
        auto records = stream->read_stream_partition(table, p, opts);
        if (!Check("partitioned_stream.read_succeeds", table, records.ok(),
                   records.status().ToString()))
          return;
        auto rows =
            CheckRecords(table, schema, m, std::move(records).value(), "partitioned_stream");
        if (!rows) return;
        read.Add(*rows);
      }
      start = *end;
    }
    Check("partitioned_stream.latest_offset_converges", table, converged,
          fmt::format("latest_offset still moving after {} calls", options_.max_reads));
    if (!converged) return;
    if (stats->rows == 0) stats->Add(read);
    if (!batch_keys || m.primary_keys.empty()) return;
    std::sort(read.keys.begin(), read.keys.end());
    Check("partitioned_stream.reads_everything_once", table, read.keys == *batch_keys,
          fmt::format("the stream read {} records, the batch read {}", read.keys.size(),
                      batch_keys->size()));
  }

  LakeflowConnect& c_;
  const ConformanceOptions& options_;
  ConformanceReport report_;
  std::map<std::pair<std::string, std::string>, size_t> index_;  // (name, table) -> check
};

}  // namespace

int ConformanceReport::failures() const {
  return static_cast<int>(
      std::count_if(checks.begin(), checks.end(), [](const auto& c) { return !c.passed; }));
}

std::string ConformanceReport::ToText() const {
  std::string out;
  int warnings = 0;
  for (const auto& c : checks) {
    const char* verdict = !c.passed ? "FAIL" : c.warning ? "WARN" : "PASS";
    warnings += c.passed && c.warning;
    out += fmt::format("{} {}{}{}\n", verdict, c.name, c.table.empty() ? "" : " [" + c.table + "]",
                       c.detail.empty() ? "" : ": " + c.detail);
  }
  std::string warned = warnings ? fmt::format(" ({} with warnings)", warnings) : "";
  out += fmt::format("{} passed{}, {} failed\n", checks.size() - failures(), warned, failures());
  return out;
}

ConformanceReport RunConformance(LakeflowConnect& connector, const ConformanceOptions& options) {
  return Checker(connector, options).Run();
}

}  // namespace lakeflow
