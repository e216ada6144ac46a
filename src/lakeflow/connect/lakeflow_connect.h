// The connector contract: the C++ shape of the reference template's
// LakeflowConnect class.
//
// A connector implements five calls. Their names keep the template's
// snake_case on purpose, so an author who knows the Python template finds the
// same methods here:
//
//   list_tables          the tables the source offers
//   get_table_schema     a table's schema (Spark types, as Arrow)
//   read_table_metadata  primary keys, cursor field, ingestion type
//   read_table           records from a start offset, and the offset to resume from
//   read_table_deletes   the same for deleted records (cdc_with_deletes only)
//
// The offset protocol, as the reference data source runs it:
//   - a batch read calls read_table(table, std::nullopt) once and takes every
//     record it returns, whatever offset comes back; only a connector that
//     says its snapshots come in pages (snapshot_in_pages) is called again
//     from each returned offset until the offset stops moving;
//   - a streaming read starts from the empty object {} the first time, then
//     from each returned end offset. Its first micro-batch is delivered
//     whatever offset it returns (Spark runs a query's first batch); after
//     that, an end offset equal to the start means the stream has caught up,
//     and records returned with it are not delivered (the engine says so).
//
// Connectors are constructed with the connection's options merged with the
// read's options (case-insensitive keys). `table_options` are the options
// given for one table (tableConfigs in a multi-table read).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/connect/record_stream.h"
#include "lakeflow/core/offset.h"
#include "lakeflow/core/options.h"
#include "lakeflow/core/types.h"

namespace lakeflow {

enum class IngestionType { kSnapshot, kCdc, kCdcWithDeletes, kAppend };

const char* IngestionTypeName(IngestionType type);  // "snapshot", "cdc", ...
Result<IngestionType> ParseIngestionType(std::string_view name);

struct TableMetadata {
  std::vector<std::string> primary_keys;    // may be empty only for append
  std::optional<std::string> cursor_field;  // required for cdc and cdc_with_deletes
  IngestionType ingestion_type = IngestionType::kSnapshot;
};

struct ReadResult {
  RecordStream records;
  Offset end;  // where the next read starts; equal to the start when caught up
};

class LakeflowConnect {
 public:
  explicit LakeflowConnect(Options options) : options_(std::move(options)) {}
  virtual ~LakeflowConnect() = default;
  LakeflowConnect(const LakeflowConnect&) = delete;
  LakeflowConnect& operator=(const LakeflowConnect&) = delete;

  virtual Result<std::vector<std::string>> list_tables() = 0;
  virtual Result<SchemaPtr> get_table_schema(std::string_view table,
                                             const Options& table_options) = 0;
  virtual Result<TableMetadata> read_table_metadata(std::string_view table,
                                                    const Options& table_options) = 0;
  virtual Result<ReadResult> read_table(std::string_view table, const Offset& start,
                                        const Options& table_options) = 0;
  // Only cdc_with_deletes tables need this; the default says so clearly.
  virtual Result<ReadResult> read_table_deletes(std::string_view table, const Offset& start,
                                                const Options& table_options);

  // Whether a batch read of `table` comes in pages: read_table is then called
  // again from each end offset until it is null or equals its start, and a
  // call that returns its start holds nothing new. No, by default: the
  // reference data source reads a snapshot with one call.
  virtual bool snapshot_in_pages(std::string_view /*table*/) { return false; }

  const Options& options() const { return options_; }

 protected:
  // The error for a table name the connector does not know.
  Status UnknownTable(std::string_view table) const;

 private:
  Options options_;
};

// Optional: a table that can be read in independent pieces, in parallel.
// Partitions are JSON objects, so they can be sent to other processes (Spark
// executors) and must be the same each time for the same table and options.
class SupportsPartition {
 public:
  virtual ~SupportsPartition() = default;
  // Tables for which this returns false are read through read_table.
  virtual bool supports_partitions(std::string_view table) { return true; }
  virtual Result<std::vector<Json>> get_partitions(std::string_view table,
                                                   const Options& table_options) = 0;
  virtual Result<RecordStream> read_partition(std::string_view table, const Json& partition,
                                              const Options& table_options) = 0;
  // Whether read_partition may run on several threads at once, so that one
  // process reads the partitions in parallel (Spark's executors always may).
  virtual bool concurrent_partitions(std::string_view table) { return false; }
};

// Optional: a source that must hear when what it returned is safe downstream,
// such as a database whose replication slot may then release its log. Called
// after each microbatch of a stream is committed (checkpoint or destination),
// in order, with the offset the microbatch ended at.
class SupportsCommit {
 public:
  virtual ~SupportsCommit() = default;
  // Every record of `table`'s flow (its delete flow when `deletes`) up to
  // `end` is committed downstream.
  virtual Status commit(std::string_view table, bool deletes, const Offset& end) = 0;
};

// Optional: a stream whose microbatches can be split into partitions. The
// engine asks for the latest offset, then for the partitions between the last
// committed offset and that one, and reads them with read_partition.
class SupportsPartitionedStream {
 public:
  virtual ~SupportsPartitionedStream() = default;
  // Tables for which this returns false are streamed through read_table.
  virtual bool supports_partitioned_stream(std::string_view table) { return true; }
  virtual Result<Offset> latest_offset(std::string_view table, const Options& table_options,
                                       const Offset& start) = 0;
  virtual Result<std::vector<Json>> get_stream_partitions(std::string_view table,
                                                          const Options& table_options,
                                                          const Offset& start,
                                                          const Offset& end) = 0;
  virtual Result<RecordStream> read_stream_partition(std::string_view table, const Json& partition,
                                                     const Options& table_options) = 0;
};

// Optional: a source whose tables live under hierarchical namespaces (a
// database's schemas; an API's organisations and projects). A namespace is a
// path of names; the empty path is the root. The data source walks the tree
// one level at a time for _community_namespaces, lists one namespace's tables
// for _community_tables, and the whole tree for _lakeflow_table_list.
class SupportsNamespaces {
 public:
  virtual ~SupportsNamespaces() = default;
  // Whether this connector's tables do live in namespaces (a class that
  // implements the mixin for some configurations says so for each).
  virtual bool supports_namespaces() { return true; }
  // The namespaces directly under `prefix`, each a full path (prefix
  // included); none when `prefix` has no children.
  virtual Result<std::vector<std::vector<std::string>>> list_namespaces(
      const std::vector<std::string>& prefix) = 0;
  // The names of the tables directly under `ns` (the root's when empty),
  // without the namespace.
  virtual Result<std::vector<std::string>> list_tables_in_namespace(
      const std::vector<std::string>& ns) = 0;
  // The name a read gives the table `table` of `ns`, as list_tables lists
  // it: by default the names joined by dots (`org.repo.issues`).
  virtual std::string qualified_name(const std::vector<std::string>& ns, const std::string& table);
};

}  // namespace lakeflow
