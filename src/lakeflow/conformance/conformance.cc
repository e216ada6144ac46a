#include "lakeflow/conformance/conformance.h"

#include <algorithm>
#include <set>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/core/schema.h"

namespace lakeflow {

namespace {

constexpr const char* kNoSuchTable = "__lakeflow_conformance_no_such_table__";

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
  bool Check(std::string name, std::string table, bool passed, std::string detail = "") {
    report_.checks.push_back(
        {std::move(name), std::move(table), passed, passed ? "" : std::move(detail)});
    return passed;
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
    const Options& opts = options_.table_options;
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
    CheckMetadata(table, **schema, *metadata);
    CheckRead(table, *schema, *metadata, /*deletes=*/false);
    if (metadata->ingestion_type == IngestionType::kCdcWithDeletes)
      CheckRead(table, *schema, *metadata, true);
    CheckPartitions(table, *schema);
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

  // Reads as the data source does: a batch read is one call from no offset
  // (following offsets only for a connector whose snapshots come in pages);
  // a stream (tables other than snapshots) starts from {} and follows
  // offsets until they stop moving. Every record must convert and carry its
  // keys, and a read that has caught up must hold no records: the data
  // source would not deliver them.
  void CheckRead(const std::string& table, const SchemaPtr& schema, const TableMetadata& m,
                 bool deletes) {
    std::string prefix = deletes ? "read_table_deletes" : "read_table";
    bool snapshot = m.ingestion_type == IngestionType::kSnapshot;
    for (const Offset& first : {Offset(), Offset(Json::object())}) {
      if (deletes && !first) continue;  // the delete flow is a stream: it starts from {}
      if (snapshot && first) continue;  // snapshots are read in batch
      bool paged = !first && c_.snapshot_in_pages(table);
      std::string mode = first ? ".stream" : ".batch";
      Offset start = first;
      int64_t records = 0;
      int reads = 0;
      bool converged = false;
      for (; reads < options_.max_reads && records < options_.max_records; ++reads) {
        auto read = deletes ? c_.read_table_deletes(table, start, options_.table_options)
                            : c_.read_table(table, start, options_.table_options);
        if (!Check(prefix + mode + ".succeeds", table, read.ok(), read.status().ToString())) return;
        bool caught_up = reads > 0 && OffsetsEqual(read->end, start);
        auto rows =
            CheckRecords(table, schema, m, std::move(read->records), prefix + mode, deletes);
        if (!rows) return;
        if (caught_up) {
          Check(prefix + mode + ".caught_up_holds_nothing", table, *rows == 0,
                fmt::format("a read from {} returned {} records and the same offset: the stream "
                            "has caught up, so they would not be delivered",
                            OffsetToString(start), *rows));
        }
        records += *rows;
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
    }
  }

  // Converts the records; returns their count, or nullopt after a failed check.
  std::optional<int64_t> CheckRecords(const std::string& table, const SchemaPtr& schema,
                                      const TableMetadata& m, RecordStream records,
                                      const std::string& prefix, bool deletes) {
    auto batches = MakeBatchIterator(table, schema, std::move(records));
    int64_t rows = 0;
    while (true) {
      auto batch = batches->Next();
      if (!Check(prefix + ".records_match_schema", table, batch.ok(), batch.status().ToString()))
        return std::nullopt;
      if (!*batch) break;
      rows += (*batch)->num_rows();
      for (const auto& key : m.primary_keys) {
        auto column = (*batch)->GetColumnByName(key);
        if (!column) continue;
        if (!Check(
                prefix + ".primary_keys_non_null", table, column->null_count() == 0,
                fmt::format("primary key '{}' is null in {} records", key, column->null_count()))) {
          return std::nullopt;
        }
      }
    }
    return rows;
  }

  void CheckPartitions(const std::string& table, const SchemaPtr& schema) {
    auto* partitioned = dynamic_cast<SupportsPartition*>(&c_);
    if (!partitioned || !partitioned->supports_partitions(table)) return;
    auto first = partitioned->get_partitions(table, options_.table_options);
    if (!Check("partitions.succeeds", table, first.ok(), first.status().ToString())) return;
    auto second = partitioned->get_partitions(table, options_.table_options);
    Check("partitions.stable", table, second.ok() && *second == *first,
          "two calls returned different partitions");
    for (const auto& p : *first) {
      auto round_trip = Json::parse(p.dump(), nullptr, false);
      Check("partitions.serialisable", table, p.is_object() && round_trip == p,
            "a partition is not a JSON object that survives serialisation: " + p.dump());
      auto records = partitioned->read_partition(table, p, options_.table_options);
      if (!Check("partitions.read_succeeds", table, records.ok(), records.status().ToString()))
        return;
      auto batches = MakeBatchIterator(table, schema, std::move(records).value());
      for (auto b = batches->Next();; b = batches->Next()) {
        if (!Check("partitions.records_match_schema", table, b.ok(), b.status().ToString()) || !*b)
          break;
      }
    }
  }

  LakeflowConnect& c_;
  const ConformanceOptions& options_;
  ConformanceReport report_;
};

}  // namespace

int ConformanceReport::failures() const {
  return static_cast<int>(
      std::count_if(checks.begin(), checks.end(), [](const auto& c) { return !c.passed; }));
}

std::string ConformanceReport::ToText() const {
  std::string out;
  for (const auto& c : checks) {
    out += fmt::format("{} {}{}{}\n", c.passed ? "PASS" : "FAIL", c.name,
                       c.table.empty() ? "" : " [" + c.table + "]",
                       c.detail.empty() ? "" : ": " + c.detail);
  }
  out += fmt::format("{} passed, {} failed\n", checks.size() - failures(), failures());
  return out;
}

ConformanceReport RunConformance(LakeflowConnect& connector, const ConformanceOptions& options) {
  return Checker(connector, options).Run();
}

}  // namespace lakeflow
