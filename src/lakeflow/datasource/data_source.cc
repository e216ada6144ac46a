#include "lakeflow/datasource/data_source.h"

#include <arrow/builder.h>

#include <algorithm>
#include <thread>

#include "lakeflow/connect/parallel_batch_iterator.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/log.h"
#include "lakeflow/core/strings.h"

namespace lakeflow {

namespace {

bool AllowedByDefault(std::string_view key) {
  for (const auto& a : DefaultAllowedOptions())
    if (EqualsIgnoreCase(a, key)) return true;
  return false;
}

bool Allows(const Connection& connection, std::string_view key) {
  if (AllowedByDefault(key)) return true;
  for (const auto& a : connection.allowed_options)
    if (EqualsIgnoreCase(a, key)) return true;
  return false;
}

Status NotAllowed(const Connection& connection, std::string_view key, std::string_view where) {
  // The owner's additions only: a default allowed again is no addition.
  std::vector<std::string> extra;
  for (const auto& a : connection.allowed_options) {
    if (!AllowedByDefault(a)) extra.push_back(a);
  }
  std::string list = Join(extra, ", ");
  return Status::Invalid(
      "option '{}'{} is not allowed by connection '{}' (allowed beyond the defaults: {}); its "
      "owner can add it with --allow",
      key, where, connection.name, list.empty() ? "none" : list);
}

// Refuses read options the connection does not allow, as Unity Catalog does
// with a connection's externalOptionsAllowList — at every depth: the keys of
// each tableConfigs entry are read options too, merged over the connection's.
Status CheckAllowed(const Connection& connection, const Options& read_options) {
  LF_ASSIGN_OR_RETURN(ReadRequest request, ParseReadRequest(read_options));
  for (const auto& [key, value] : read_options) {
    if (EqualsIgnoreCase(key, kConnectionOption)) continue;
    // A listing's namespace options go to the data source, never the connector.
    if (request.ListsNamespaces() && IsNamespaceOption(key)) continue;
    if (!Allows(connection, key)) return NotAllowed(connection, key, "");
  }
  for (const auto& [table, config] : request.table_configs) {
    for (const auto& [key, value] : config) {
      if (!Allows(connection, key) || IsReservedOption(key))
        return NotAllowed(connection, key, fmt::format(" in tableConfigs for table '{}'", table));
    }
  }
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> StringColumnsBatch(
    const SchemaPtr& schema, const std::vector<std::vector<std::optional<std::string>>>& columns) {
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (const auto& column : columns) {
    arrow::StringBuilder builder;
    for (const auto& v : column) {
      LF_RETURN_IF_ARROW_ERROR(v ? builder.Append(*v) : builder.AppendNull());
    }
    LF_ASSIGN_OR_RETURN_ARROW(auto array, builder.Finish());
    arrays.push_back(std::move(array));
  }
  int64_t rows = columns.empty() ? 0 : static_cast<int64_t>(columns[0].size());
  return arrow::RecordBatch::Make(schema, rows, std::move(arrays));
}

class DecoratingIterator : public BatchIterator {
 public:
  DecoratingIterator(const DataSource* source, std::unique_ptr<BatchIterator> inner)
      : source_(source), inner_(std::move(inner)) {}
  const SchemaPtr& schema() const override { return inner_->schema(); }
  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    auto batch = inner_->Next();
    if (!batch.ok()) return source_->Decorate(batch.status());
    return batch;
  }

 private:
  const DataSource* source_;
  std::unique_ptr<BatchIterator> inner_;
};

}  // namespace

std::unique_ptr<BatchIterator> DataSource::MakeDecoratingIterator(
    std::unique_ptr<BatchIterator> inner) const {
  return std::make_unique<DecoratingIterator>(this, std::move(inner));
}

SchemaPtr DataSource::MetadataSchema() {
  return arrow::schema(
      {arrow::field("tableName", arrow::utf8(), false),
       arrow::field("primary_keys", arrow::list(arrow::field("element", arrow::utf8()))),
       arrow::field("cursor_field", arrow::utf8()), arrow::field("ingestion_type", arrow::utf8())});
}

SchemaPtr DataSource::TableListSchema() {
  return arrow::schema(
      {arrow::field("table_schema", arrow::utf8()), arrow::field("table_name", arrow::utf8())});
}

namespace {

std::shared_ptr<arrow::DataType> NamespaceType() {
  return arrow::list(arrow::field("element", arrow::utf8()));
}

// A column of namespaces, each a list of names.
Result<std::shared_ptr<arrow::Array>> NamespaceColumn(const std::vector<Namespace>& values) {
  auto names = std::make_shared<arrow::StringBuilder>();
  arrow::ListBuilder lists(arrow::default_memory_pool(), names, NamespaceType());
  for (const auto& ns : values) {
    LF_RETURN_IF_ARROW_ERROR(lists.Append());
    for (const auto& name : ns) LF_RETURN_IF_ARROW_ERROR(names->Append(name));
  }
  LF_ASSIGN_OR_RETURN_ARROW(auto array, lists.Finish());
  return array;
}

// How deep the seed's table list walks a namespace tree: deeper is a
// connector whose namespaces never end.
constexpr size_t kMaxNamespaceDepth = 32;

}  // namespace

SchemaPtr DataSource::CommunityTablesSchema() {
  return arrow::schema({arrow::field("namespace", NamespaceType(), false),
                        arrow::field("tableName", arrow::utf8(), false)});
}

SchemaPtr DataSource::NamespacesSchema() {
  return arrow::schema({arrow::field("namespace", NamespaceType(), false)});
}

Result<std::unique_ptr<DataSource>> DataSource::Open(const Options& read_options,
                                                     const OpenOptions& open) {
  const ConnectorRegistry& registry = open.registry ? *open.registry : ConnectorRegistry::Global();
  std::unique_ptr<DataSource> ds(new DataSource());
  ds->batch_rows_ = open.batch_rows;
  ds->partition_threads_ = open.partition_threads;
  LF_ASSIGN_OR_RETURN(Options resolved, ds->InjectConnection(read_options, open, registry));
  auto request = ParseReadRequest(resolved);
  if (!request.ok()) return ds->Decorate(request.status());
  ds->request_ = std::move(request).value();
  Options connector_options;
  for (const auto& [k, v] : resolved) {
    if (IsReservedOption(k)) continue;
    if (ds->request_.ListsNamespaces() && IsNamespaceOption(k)) continue;
    connector_options.Set(k, v);
  }
  auto connector = registry.Create(ds->source_, connector_options);
  if (!connector.ok()) return ds->redactor_.Apply(connector.status());
  ds->connector_ = std::move(connector).value();
  return ds;
}

Result<Options> DataSource::InjectConnection(const Options& read_options, const OpenOptions& open,
                                             const ConnectorRegistry& registry) {
  auto name = read_options.Get(kConnectionOption);
  if (!name) {
    // No connection: whoever passes the options holds the credentials, and
    // their references (env:, file:) are theirs to resolve.
    if (!open.source) {
      return Status::Invalid(
          "no source: name a connection (databricks.connection / --connection) or a source "
          "(--source)");
    }
    source_ = *open.source;
    LF_ASSIGN_OR_RETURN(const ConnectorInfo* info, registry.Find(source_));
    LF_ASSIGN_OR_RETURN(
        Options resolved,
        ResolveOptions(read_options, info->SecretOptions(read_options), &redactor_));
    for (const auto& [k, v] : resolved) {
      if (!IsReservedOption(k)) connection_options_.Set(k, v);
    }
    return resolved;
  }
  if (!open.store) return Status::Invalid("option databricks.connection needs a connection store");
  LF_ASSIGN_OR_RETURN(Connection connection, open.store->Get(*name));
  LF_RETURN_IF_ERROR(CheckAllowed(connection, read_options));
  source_ = connection.source;
  LF_ASSIGN_OR_RETURN(const ConnectorInfo* info, registry.Find(source_));
  std::vector<std::string> secrets = info->SecretOptions(connection.options);
  secrets.insert(secrets.end(), connection.secret_options.begin(), connection.secret_options.end());
  // Only the connection's own values are secret references: a read option
  // is taken as written, so that whoever reads cannot make lakeflow send a
  // file or an environment variable of this machine to the source.
  LF_ASSIGN_OR_RETURN(Options options, ResolveOptions(connection.options, secrets, &redactor_));
  connection_options_ = options;
  for (const auto& [k, v] : read_options) {
    if (!EqualsIgnoreCase(k, kConnectionOption)) options.Set(k, v);
  }
  return options;
}

Status DataSource::Decorate(const Status& status) const {
  if (status.ok()) return status;
  std::string where = fmt::format("source '{}'", source_);
  if (request_.kind == ReadRequest::Kind::kTable && !request_.table.empty()) {
    where += fmt::format(", table '{}'", request_.table);
    if (request_.delete_flow) where += " (delete flow)";
  }
  return redactor_.Apply(status.WithContext(where));
}

Result<std::vector<std::string>> DataSource::Tables() {
  if (!tables_) {
    auto tables = connector_->list_tables();
    if (!tables.ok()) return Decorate(tables.status().WithContext("list_tables"));
    tables_ = std::move(tables).value();
  }
  return *tables_;
}

Status DataSource::CheckTableExists(const std::string& table) {
  LF_ASSIGN_OR_RETURN(auto tables, Tables());
  if (std::find(tables.begin(), tables.end(), table) != tables.end()) return Status::OK();
  std::string known;
  for (size_t i = 0; i < tables.size() && i < 20; ++i) known += (i ? ", " : "") + tables[i];
  if (tables.size() > 20) known += ", ...";
  return redactor_.Apply(
      Status::NotFound("source '{}': unknown table '{}' (tables: {})", source_, table, known));
}

Result<SchemaPtr> DataSource::Schema() {
  switch (request_.kind) {
    case ReadRequest::Kind::kMetadata:
      return MetadataSchema();
    case ReadRequest::Kind::kTableList:
      return TableListSchema();
    case ReadRequest::Kind::kTables:
      return CommunityTablesSchema();
    case ReadRequest::Kind::kNamespaces:
      return NamespacesSchema();
    case ReadRequest::Kind::kTable:
      break;
  }
  if (table_schema_) return table_schema_;
  LF_RETURN_IF_ERROR(CheckTableExists(request_.table));
  auto schema = connector_->get_table_schema(request_.table, request_.OptionsFor(request_.table));
  if (!schema.ok()) return Decorate(schema.status().WithContext("get_table_schema"));
  table_schema_ = *schema;
  return table_schema_;
}

Result<std::unique_ptr<BatchIterator>> DataSource::ReadAll() {
  switch (request_.kind) {
    case ReadRequest::Kind::kMetadata:
      return ReadMetadata();
    case ReadRequest::Kind::kTableList:
      return ReadTableList();
    case ReadRequest::Kind::kTables:
      return ReadCommunityTables();
    case ReadRequest::Kind::kNamespaces:
      return ReadNamespaces();
    case ReadRequest::Kind::kTable:
      return ReadTable();
  }
  return Status::Internal("unknown read kind");
}

Result<std::unique_ptr<BatchIterator>> DataSource::ReadMetadata() {
  std::vector<std::string> tables = request_.table_list;
  if (tables.empty()) {
    LF_ASSIGN_OR_RETURN(tables, Tables());
  }
  arrow::StringBuilder names, cursors, types;
  auto keys_values = std::make_shared<arrow::StringBuilder>();
  arrow::ListBuilder keys(arrow::default_memory_pool(), keys_values,
                          arrow::list(arrow::field("element", arrow::utf8())));
  for (const auto& table : tables) {
    LF_RETURN_IF_ERROR(CheckTableExists(table));
    // As the reference does: the table's own options, not the read's.
    Options options = connection_options_;
    if (auto it = request_.table_configs.find(table); it != request_.table_configs.end())
      options.Merge(it->second);
    auto metadata = connector_->read_table_metadata(table, options);
    if (!metadata.ok()) {
      return redactor_.Apply(metadata.status().WithContext(
          fmt::format("source '{}', table '{}': read_table_metadata", source_, table)));
    }
    LF_RETURN_IF_ARROW_ERROR(names.Append(table));
    LF_RETURN_IF_ARROW_ERROR(keys.Append());
    for (const auto& k : metadata->primary_keys) LF_RETURN_IF_ARROW_ERROR(keys_values->Append(k));
    LF_RETURN_IF_ARROW_ERROR(metadata->cursor_field ? cursors.Append(*metadata->cursor_field)
                                                    : cursors.AppendNull());
    LF_RETURN_IF_ARROW_ERROR(types.Append(IngestionTypeName(metadata->ingestion_type)));
  }
  std::shared_ptr<arrow::Array> a, b, c, d;
  LF_RETURN_IF_ARROW_ERROR(names.Finish(&a));
  LF_RETURN_IF_ARROW_ERROR(keys.Finish(&b));
  LF_RETURN_IF_ARROW_ERROR(cursors.Finish(&c));
  LF_RETURN_IF_ARROW_ERROR(types.Finish(&d));
  auto batch = arrow::RecordBatch::Make(MetadataSchema(), a->length(), {a, b, c, d});
  return MakeBatchIterator(MetadataSchema(), {batch});
}

SupportsNamespaces* DataSource::Namespaced() {
  auto* namespaced = dynamic_cast<SupportsNamespaces*>(connector_.get());
  return namespaced && namespaced->supports_namespaces() ? namespaced : nullptr;
}

Result<std::vector<Namespace>> DataSource::ChildNamespaces(SupportsNamespaces* namespaced,
                                                           const Namespace& prefix) {
  auto children = namespaced->list_namespaces(prefix);
  if (!children.ok()) return Decorate(children.status().WithContext("list_namespaces"));
  for (const auto& child : *children) {
    // Each child extends its prefix: that is what bounds a walk of the tree.
    if (child.size() <= prefix.size() || !std::equal(prefix.begin(), prefix.end(), child.begin()))
      return Decorate(
          Status::SourceError("list_namespaces({}) returned {}, which is not a namespace under it",
                              DumpJson(Json(prefix)), DumpJson(Json(child))));
  }
  std::sort(children->begin(), children->end());
  return children;
}

Result<std::vector<std::string>> DataSource::TablesIn(SupportsNamespaces* namespaced,
                                                      const Namespace& ns) {
  auto tables = namespaced->list_tables_in_namespace(ns);
  if (!tables.ok())
    return Decorate(tables.status().WithContext(
        fmt::format("list_tables_in_namespace({})", DumpJson(Json(ns)))));
  std::sort(tables->begin(), tables->end());
  return tables;
}

Result<std::unique_ptr<BatchIterator>> DataSource::ReadTableList() {
  // tableNameList, when given, filters the list; each name must be a table.
  const std::vector<std::string>& wanted = request_.table_list;
  for (const auto& table : wanted) LF_RETURN_IF_ERROR(CheckTableExists(table));
  auto listed = [&](const std::string& name) {
    return wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  };
  std::vector<std::optional<std::string>> schemas, names;
  if (auto* namespaced = Namespaced()) {
    // The whole tree, depth first: each namespace's tables, then its children.
    std::vector<Namespace> pending = {{}};
    while (!pending.empty()) {
      Namespace ns = std::move(pending.back());
      pending.pop_back();
      LF_ASSIGN_OR_RETURN(auto tables, TablesIn(namespaced, ns));
      for (const auto& t : tables) {
        // tableNameList names a table as a read does, or by its bare name.
        if (!listed(namespaced->qualified_name(ns, t)) && !listed(t)) continue;
        schemas.emplace_back(ns.empty() ? std::nullopt : std::optional(Join(ns, ".")));
        names.emplace_back(t);
      }
      if (ns.size() >= kMaxNamespaceDepth) {
        return Decorate(Status::SourceError("namespaces nest deeper than {} levels under {}",
                                            kMaxNamespaceDepth, DumpJson(Json(ns))));
      }
      LF_ASSIGN_OR_RETURN(auto children, ChildNamespaces(namespaced, ns));
      pending.insert(pending.end(), std::make_move_iterator(children.rbegin()),
                     std::make_move_iterator(children.rend()));
    }
  } else {
    LF_ASSIGN_OR_RETURN(auto tables, Tables());
    for (const auto& t : tables) {
      if (!listed(t)) continue;
      schemas.emplace_back(std::nullopt);
      names.emplace_back(t);
    }
  }
  LF_ASSIGN_OR_RETURN(auto batch, StringColumnsBatch(TableListSchema(), {schemas, names}));
  return MakeBatchIterator(TableListSchema(), {batch});
}

Result<std::unique_ptr<BatchIterator>> DataSource::ReadCommunityTables() {
  std::vector<Namespace> namespaces;
  std::vector<std::string> tables;
  if (auto* namespaced = Namespaced()) {
    if (!request_.in_namespace) {
      return Decorate(Status::Invalid(
          "option {} is required: this source's tables live in namespaces; pass a JSON list "
          "of names ([] for the root's tables; {} lists the namespaces)",
          kNamespaceOption, kCommunityNamespacesTable));
    }
    LF_ASSIGN_OR_RETURN(tables, TablesIn(namespaced, *request_.in_namespace));
    namespaces.assign(tables.size(), *request_.in_namespace);
  } else {
    if (request_.in_namespace) {
      return Decorate(
          Status::Invalid("option {} was given, but this source has no namespaces: leave it out",
                          kNamespaceOption));
    }
    LF_ASSIGN_OR_RETURN(tables, Tables());
    std::sort(tables.begin(), tables.end());
    namespaces.assign(tables.size(), Namespace());
  }
  LF_ASSIGN_OR_RETURN(auto ns_column, NamespaceColumn(namespaces));
  arrow::StringBuilder names;
  LF_RETURN_IF_ARROW_ERROR(names.AppendValues(tables));
  LF_ASSIGN_OR_RETURN_ARROW(auto name_column, names.Finish());
  auto batch = arrow::RecordBatch::Make(CommunityTablesSchema(), name_column->length(),
                                        {ns_column, name_column});
  return MakeBatchIterator(CommunityTablesSchema(), {batch});
}

Result<std::unique_ptr<BatchIterator>> DataSource::ReadNamespaces() {
  std::vector<Namespace> namespaces;
  // A source without namespaces has none: no rows.
  if (auto* namespaced = Namespaced()) {
    LF_ASSIGN_OR_RETURN(namespaces, ChildNamespaces(namespaced, request_.namespace_prefix));
  }
  LF_ASSIGN_OR_RETURN(auto column, NamespaceColumn(namespaces));
  auto batch = arrow::RecordBatch::Make(NamespacesSchema(), column->length(), {column});
  return MakeBatchIterator(NamespacesSchema(), {batch});
}

Result<std::unique_ptr<BatchIterator>> DataSource::ReadTable() {
  if (request_.delete_flow) {
    return Decorate(
        Status::Invalid("isDeleteFlow=true is a streaming read: use readStream (lakeflow stream)"));
  }
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, Schema());
  LF_ASSIGN_OR_RETURN(auto partitions, Partitions());
  if (partitions) return ReadPartitions(std::move(*partitions));
  const std::string& table = request_.table;
  if (connector_->snapshot_in_pages(table)) return ReadSnapshotPages();
  // One call, every record it returns: the offset that comes back is the
  // connector's business (many template connectors return {} or their start).
  auto read = connector_->read_table(table, std::nullopt, request_.OptionsFor(table));
  if (!read.ok()) return Decorate(read.status().WithContext("read_table"));
  return MakeDecoratingIterator(
      MakeBatchIterator(table, schema, std::move(read->records), batch_rows_));
}

Result<std::unique_ptr<BatchIterator>> DataSource::ReadPartitions(std::vector<Json> partitions) {
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, Schema());
  auto* partitioned = dynamic_cast<SupportsPartition*>(connector_.get());
  auto list = std::make_shared<std::vector<Json>>(std::move(partitions));
  auto open_part = [this, list](size_t index) { return ReadPartition((*list)[index]); };
  if (list->size() > 1 && partitioned->concurrent_partitions(request_.table)) {
    size_t threads = partition_threads_ > 0 ? partition_threads_
                                            : std::max(1u, std::thread::hardware_concurrency());
    return std::unique_ptr<BatchIterator>(
        ParallelBatchIterators(schema, list->size(), open_part, threads, 2 * threads));
  }
  auto next = std::make_shared<size_t>(0);
  return ChainBatchIterators(schema,
                             [list, next, open_part]() -> Result<std::unique_ptr<BatchIterator>> {
                               if (*next >= list->size()) return std::unique_ptr<BatchIterator>();
                               return open_part((*next)++);
                             });
}

// A snapshot in pages: follow offsets until they stop moving. A call whose
// end equals its start has caught up: by the protocol it holds nothing new,
// so its records are not taken.
Result<std::unique_ptr<BatchIterator>> DataSource::ReadSnapshotPages() {
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, Schema());
  struct State {
    Offset start;
    bool first = true;
    bool done = false;
  };
  auto state = std::make_shared<State>();
  std::string table = request_.table;
  Options table_options = request_.OptionsFor(table);
  return ChainBatchIterators(
      schema,
      [this, state, schema, table, table_options]() -> Result<std::unique_ptr<BatchIterator>> {
        if (state->done) return std::unique_ptr<BatchIterator>();
        auto read = connector_->read_table(table, state->start, table_options);
        if (!read.ok()) return Decorate(read.status().WithContext("read_table"));
        bool caught_up = !state->first && OffsetsEqual(read->end, state->start);
        state->first = false;
        if (caught_up) {
          state->done = true;
          WarnUndelivered(MakeBatchIterator(table, schema, std::move(read->records), batch_rows_),
                          read->end, "read_table");
          return std::unique_ptr<BatchIterator>();
        }
        if (!read->end) state->done = true;  // no offset: the whole table came at once
        state->start = read->end;
        return MakeDecoratingIterator(
            MakeBatchIterator(table, schema, std::move(read->records), batch_rows_));
      });
}

Result<std::optional<std::vector<Json>>> DataSource::Partitions() {
  if (request_.kind != ReadRequest::Kind::kTable || request_.delete_flow)
    return std::optional<std::vector<Json>>();
  LF_RETURN_IF_ERROR(Schema().status());  // the table exists
  auto* partitioned = dynamic_cast<SupportsPartition*>(connector_.get());
  if (!partitioned || !partitioned->supports_partitions(request_.table))
    return std::optional<std::vector<Json>>();
  auto partitions =
      partitioned->get_partitions(request_.table, request_.OptionsFor(request_.table));
  if (!partitions.ok()) return Decorate(partitions.status().WithContext("get_partitions"));
  return std::optional<std::vector<Json>>(std::move(partitions).value());
}

Result<std::unique_ptr<BatchIterator>> DataSource::ReadPartition(const Json& partition) {
  auto* partitioned = dynamic_cast<SupportsPartition*>(connector_.get());
  if (!partitioned) return Decorate(Status::Invalid("the source does not read partitions"));
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, Schema());
  const std::string& table = request_.table;
  auto records = partitioned->read_partition(table, partition, request_.OptionsFor(table));
  if (!records.ok())
    return Decorate(records.status().WithContext("read_partition " + partition.dump()));
  return MakeDecoratingIterator(
      MakeBatchIterator(table, schema, std::move(records).value(), batch_rows_));
}

Status DataSource::Committed(const Offset& end) {
  auto* committing = dynamic_cast<SupportsCommit*>(connector_.get());
  if (committing == nullptr) return Status::OK();
  Status status = committing->commit(request_.table, request_.delete_flow, end);
  return status.ok() ? status : Decorate(status.WithContext("commit"));
}

SupportsPartitionedStream* DataSource::PartitionedStream() {
  auto* partitioned = dynamic_cast<SupportsPartitionedStream*>(connector_.get());
  if (!partitioned || request_.delete_flow) return nullptr;
  return partitioned->supports_partitioned_stream(request_.table) ? partitioned : nullptr;
}

Result<std::optional<Offset>> DataSource::PlannedStreamEnd(const Offset& start) {
  SupportsPartitionedStream* partitioned = PartitionedStream();
  if (!partitioned) return std::optional<Offset>();
  auto end = partitioned->latest_offset(request_.table, request_.OptionsFor(request_.table), start);
  if (!end.ok()) return Decorate(end.status().WithContext("latest_offset"));
  return std::optional<Offset>(std::move(end).value());
}

Result<std::vector<Json>> DataSource::StreamPartitions(const Offset& start, const Offset& end) {
  SupportsPartitionedStream* partitioned = PartitionedStream();
  if (!partitioned) return Decorate(Status::Invalid("the stream is not read in partitions"));
  auto partitions = partitioned->get_stream_partitions(
      request_.table, request_.OptionsFor(request_.table), start, end);
  if (!partitions.ok()) return Decorate(partitions.status().WithContext("get_stream_partitions"));
  return std::move(partitions).value();
}

Result<std::unique_ptr<BatchIterator>> DataSource::ReadStreamPartition(const Json& partition) {
  SupportsPartitionedStream* partitioned = PartitionedStream();
  if (!partitioned) return Decorate(Status::Invalid("the stream is not read in partitions"));
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, Schema());
  const std::string& table = request_.table;
  auto records = partitioned->read_stream_partition(table, partition, request_.OptionsFor(table));
  if (!records.ok()) return Decorate(records.status().WithContext("read_stream_partition"));
  return MakeDecoratingIterator(
      MakeBatchIterator(table, schema, std::move(records).value(), batch_rows_));
}

Result<MicroBatchRead> DataSource::ReadMicroBatch(const Offset& start, StreamPosition position) {
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, Schema());
  bool first = position == StreamPosition::kFirst;
  LF_ASSIGN_OR_RETURN(std::optional<Offset> planned, PlannedStreamEnd(start));
  if (planned) {
    MicroBatchRead out{*planned, MakeBatchIterator(schema, {})};
    out.caught_up = !first && OffsetsEqual(*planned, start);
    if (out.caught_up) return out;
    LF_ASSIGN_OR_RETURN(std::vector<Json> partitions, StreamPartitions(start, *planned));
    auto list = std::make_shared<std::vector<Json>>(std::move(partitions));
    auto next = std::make_shared<size_t>(0);
    out.batches =
        ChainBatchIterators(schema, [this, list, next]() -> Result<std::unique_ptr<BatchIterator>> {
          if (*next >= list->size()) return std::unique_ptr<BatchIterator>();
          return ReadStreamPartition((*list)[(*next)++]);
        });
    return out;
  }

  const std::string& table = request_.table;
  Options table_options = request_.OptionsFor(table);
  const char* call = request_.delete_flow ? "read_table_deletes" : "read_table";
  auto read = request_.delete_flow ? connector_->read_table_deletes(table, start, table_options)
                                   : connector_->read_table(table, start, table_options);
  if (!read.ok()) return Decorate(read.status().WithContext(call));
  MicroBatchRead out{read->end, MakeBatchIterator(schema, {})};
  auto records = MakeDecoratingIterator(
      MakeBatchIterator(table, schema, std::move(read->records), batch_rows_));
  out.caught_up = !first && OffsetsEqual(read->end, start);
  if (out.caught_up) {
    WarnUndelivered(std::move(records), read->end, call);
    return out;
  }
  out.batches = std::move(records);
  return out;
}

void DataSource::WarnUndelivered(std::unique_ptr<BatchIterator> batches, const Offset& end,
                                 const char* call) {
  // Counted up to a bound: an endless iterator must not hang the stream.
  constexpr int64_t kCountAtMost = 100000;
  int64_t rows = 0;
  while (rows < kCountAtMost) {
    auto batch = batches->Next();
    if (!batch.ok() || !*batch) break;
    rows += (*batch)->num_rows();
  }
  if (rows == 0) return;
  std::string count = rows >= kCountAtMost ? fmt::format("{} or more records", rows)
                      : rows == 1          ? "1 record"
                                           : fmt::format("{} records", rows);
  Status line = Decorate(Status::Invalid(
      "{} returned {} with an offset that did not move ({}): the stream has caught up, so they "
      "are not delivered; a connector moves its offset past the records it returns",
      call, count, OffsetToString(end)));
  Warn("{}", line.message());
}

}  // namespace lakeflow
