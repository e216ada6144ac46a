// The lakeflow_connect data source: the seed's five calls over one connector.
//
//   metadata      tableName=_lakeflow_metadata (or _community_table_metadata),
//                 tableNameList=a,b (or ["a","b"]), tableConfigs={"a": {...}}
//   table list    tableName=_lakeflow_table_list: table_schema, table_name
//   namespaces    tableName=_community_namespaces, namespacePrefix=["org"]
//   tables        tableName=_community_tables, namespace=["org","repo"]
//   batch read    tableName=<table>
//   stream read   tableName=<table>            (see StreamReader)
//   delete flow   tableName=<table>, isDeleteFlow=true
//
// Open() does what Spark and Unity Catalog do around a read: it injects the
// options of the connection named by databricks.connection, refuses read
// options the connection does not allow, resolves secret references, and
// creates the connector. Every error it returns has secrets scrubbed and says
// which source and table it concerns.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/connect/lakeflow_connect.h"
#include "lakeflow/connect/registry.h"
#include "lakeflow/connections/connection_store.h"
#include "lakeflow/connections/secret.h"
#include "lakeflow/datasource/read_request.h"

namespace lakeflow {

struct OpenOptions {
  const ConnectionStore* store = nullptr;       // for databricks.connection
  const ConnectorRegistry* registry = nullptr;  // defaults to the global one
  std::optional<std::string> source;            // the source when no connection is named
  int64_t batch_rows = 8192;                    // rows per converted Arrow batch
  // Partitions read at once when the connector allows it (0: one per core).
  size_t partition_threads = 0;
};

// One micro-batch of a stream: its records and the offset after them.
struct MicroBatchRead {
  Offset end;
  std::unique_ptr<BatchIterator> batches;
  // The stream has caught up: there is no micro-batch, `batches` is empty.
  bool caught_up = false;
};

// Which micro-batch of a stream a read is for.
enum class StreamPosition {
  kFirst,  // no micro-batch committed yet: delivered whatever offset it ends at
  kLater,  // an unmoved offset means caught up
};

class DataSource {
 public:
  static Result<std::unique_ptr<DataSource>> Open(const Options& read_options,
                                                  const OpenOptions& open);

  const ReadRequest& request() const { return request_; }
  const std::string& source_name() const { return source_; }
  LakeflowConnect& connector() { return *connector_; }

  // The schema of what this read returns.
  Result<SchemaPtr> Schema();

  // Iterators returned by ReadAll and ReadMicroBatch refer to this object and
  // must not outlive it.
  //
  // A batch read: metadata, the table list, or a whole table. A table is read
  // with one read_table(table, nullopt) call whose records are all taken, as
  // the reference data source does; partition by partition when the connector
  // supports partitions; or following offsets until they stop moving when the
  // connector says its snapshots come in pages.
  Result<std::unique_ptr<BatchIterator>> ReadAll();

  // A batch read split for readers elsewhere (Spark's executors): the
  // table's partitions, or nullopt when the connector does not split it (then
  // ReadAll reads it whole). ReadPartition reads one of them.
  Result<std::optional<std::vector<Json>>> Partitions();
  Result<std::unique_ptr<BatchIterator>> ReadPartition(const Json& partition);

  // One micro-batch of the stream from `start` (the delete flow when the read
  // asks for it). A first micro-batch is delivered whatever its end. A later
  // one whose end equals `start` has caught up: `caught_up` is set, `batches`
  // is empty, and records the connector returned with it are counted and
  // named in one warning line. Calling it again with the same start replays
  // the same records, as long as the source has them.
  Result<MicroBatchRead> ReadMicroBatch(const Offset& start, StreamPosition position);

  // The pieces of ReadMicroBatch for a stream the connector plans in
  // partitions (SupportsPartitionedStream), so that readers elsewhere can read
  // them: the offset after the records available from `start`, found without
  // reading them, or nullopt when the stream's end is known only by reading
  // it (then ReadMicroBatch is the way); the partitions between two offsets;
  // and one partition's records.
  bool StreamsInPartitions() { return PartitionedStream() != nullptr; }
  Result<std::optional<Offset>> PlannedStreamEnd(const Offset& start);
  Result<std::vector<Json>> StreamPartitions(const Offset& start, const Offset& end);
  Result<std::unique_ptr<BatchIterator>> ReadStreamPartition(const Json& partition);

  // Tells a connector that implements SupportsCommit that the micro-batch
  // ending at `end` is committed downstream; nothing for other connectors.
  Status Committed(const Offset& end);

  // Scrubs secrets from a status and names the source and table.
  Status Decorate(const Status& status) const;
  const Redactor& redactor() const { return redactor_; }

  // The schemas of the special tables.
  static SchemaPtr MetadataSchema();
  static SchemaPtr TableListSchema();
  static SchemaPtr CommunityTablesSchema();
  static SchemaPtr NamespacesSchema();

 private:
  DataSource() = default;
  // The options the connector gets: the connection's (references resolved,
  // secrets handed to the redactor) under the read's, once the read's are
  // checked against the connection's allow-list. Sets source_.
  Result<Options> InjectConnection(const Options& read_options, const OpenOptions& open,
                                   const ConnectorRegistry& registry);
  Status CheckTableExists(const std::string& table);
  Result<std::unique_ptr<BatchIterator>> ReadMetadata();
  Result<std::unique_ptr<BatchIterator>> ReadTableList();
  Result<std::unique_ptr<BatchIterator>> ReadCommunityTables();
  Result<std::unique_ptr<BatchIterator>> ReadNamespaces();
  // The connector as a source with namespaces, or null.
  SupportsNamespaces* Namespaced();
  // One level of a connector's namespace tree, sorted, each checked to lie
  // under `prefix`; one namespace's tables, sorted.
  Result<std::vector<Namespace>> ChildNamespaces(SupportsNamespaces* namespaced,
                                                 const Namespace& prefix);
  Result<std::vector<std::string>> TablesIn(SupportsNamespaces* namespaced, const Namespace& ns);
  Result<std::unique_ptr<BatchIterator>> ReadTable();
  Result<std::unique_ptr<BatchIterator>> ReadPartitions(std::vector<Json> partitions);
  Result<std::unique_ptr<BatchIterator>> ReadSnapshotPages();
  // Says, in one line, that a caught-up read returned records (and how many).
  void WarnUndelivered(std::unique_ptr<BatchIterator> batches, const Offset& end, const char* call);
  Result<std::vector<std::string>> Tables();
  // The connector as a partitioned stream of this read's table, or null.
  SupportsPartitionedStream* PartitionedStream();
  // Wraps an iterator so its errors are decorated too (see Decorate).
  std::unique_ptr<BatchIterator> MakeDecoratingIterator(std::unique_ptr<BatchIterator> inner) const;

  std::string source_;
  ReadRequest request_;
  // The connection's options (references resolved), or with no connection
  // the read's own, reserved ones left out: what a metadata read gives each
  // table under its tableConfigs entry.
  Options connection_options_;
  Redactor redactor_;
  int64_t batch_rows_ = 8192;
  size_t partition_threads_ = 0;
  std::unique_ptr<LakeflowConnect> connector_;
  std::optional<std::vector<std::string>> tables_;  // list_tables, asked once
  SchemaPtr table_schema_;
};

}  // namespace lakeflow
