#include "lakeflow/sinks/delta_destination.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>

#include "lakeflow/core/json_access.h"
#include "lakeflow/core/strings.h"
#include "lakeflow/sinks/delta_checkpoint.h"
#include "lakeflow/sinks/delta_data.h"
#include "lakeflow/sinks/delta_log.h"
#include "lakeflow/sinks/delta_schema.h"
#include "lakeflow/sinks/delta_side_files.h"
#include "lakeflow/sinks/delta_writes.h"

namespace lakeflow::sinks {
namespace {

using namespace delta;  // NOLINT: this file is the Delta destination
namespace fs = std::filesystem;

// Tables being reset are moved here first, so a crash mid-delete leaves
// nothing that reads as a table.
constexpr const char* kTrash = ".lakeflow-trash";

// `root/a/b/c` for "a.b.c", after checking each part names a plain folder.
Result<std::string> TableDir(const std::string& root, const std::string& table) {
  std::string dir = root;
  for (const auto& part : Split(table, '.')) {
    if (part.empty() || part.find('/') != std::string::npos ||
        part.find('\0') != std::string::npos || part[0] == '.' || part == "_delta_log" ||
        IsReservedName(part)) {
      return Status::Invalid(
          "table name '{}': each dot-separated part must be non-empty, without '/', and not "
          "start with '.' or be a reserved name (_delta_log, _lakeflow...)",
          table);
    }
    std::error_code ec;
    if (dir != root && fs::is_directory(dir + "/_delta_log", ec)) {
      return Status::Invalid("table name '{}': {} is already a table", table, dir);
    }
    dir += "/" + part;
  }
  return dir;
}

// A new table's folder may not hold another table ("a" over "a.b").
Status CheckNoTablesInside(const std::string& table, const std::string& dir) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() == "_delta_log" && it->path().parent_path() != fs::path(dir)) {
      return Status::Invalid("table '{}': folder {} already holds table {}", table, dir,
                             it->path().parent_path().string());
    }
  }
  return Status::OK();
}

Status CheckFlow(const std::string& table, const std::string& flow) {
  if (flow.empty() || IsReservedName(flow)) {
    return Status::Invalid("table '{}': flow name '{}' is empty or reserved", table, flow);
  }
  return Status::OK();
}

Result<int> ColumnIndex(const std::string& table, const arrow::Schema& schema,
                        const std::string& name, const char* role) {
  int index = schema.GetFieldIndex(name);
  if (index < 0) return Status::Invalid("table '{}': {} '{}' is not a column", table, role, name);
  return index;
}

// Where the merge finds keys, sequence and history in the table's schema.
Result<MergeColumns> FindColumns(const TableWrite& w, const arrow::Schema& schema) {
  MergeColumns c;
  for (const auto& key : w.primary_keys) {
    LF_ASSIGN_OR_RETURN(int k, ColumnIndex(w.table, schema, key, "primary key"));
    c.keys.push_back(k);
  }
  if (!w.sequence_by.empty()) {
    LF_ASSIGN_OR_RETURN(c.sequence, ColumnIndex(w.table, schema, w.sequence_by, "sequence_by"));
    if (!IsOrderable(*schema.field(c.sequence)->type())) {
      return Status::Invalid("table '{}': sequence_by '{}' has type {}, which has no order",
                             w.table, w.sequence_by, schema.field(c.sequence)->type()->ToString());
    }
  }
  c.start = schema.GetFieldIndex(kStartAt);
  c.end = schema.GetFieldIndex(kEndAt);
  return c;
}

// The type of SCD2's validity columns: snapshot versions, or the sequence's.
Result<TypePtr> HistoryType(const TableWrite& w, bool snapshot) {
  if (w.history != History::kScd2) return TypePtr();
  if (snapshot) return arrow::int64();
  if (w.sequence_by.empty()) {
    return Status::Invalid("table '{}': SCD2 history needs a sequence_by column", w.table);
  }
  auto field = w.schema->GetFieldByName(w.sequence_by);
  if (!field) {
    return Status::Invalid("table '{}': sequence_by '{}' is not a column", w.table, w.sequence_by);
  }
  return field->type();
}

// The table features a table uses: timestamps without a time zone, and
// clustering (which brings domain metadata).
struct Features {
  bool ntz = false;
  bool clustering = false;
  bool operator==(const Features& o) const { return ntz == o.ntz && clustering == o.clustering; }
};

bool ListsFeature(const Json& protocol, const char* list, const char* feature) {
  const Json* features =
      protocol.is_object() && protocol.contains(list) ? &protocol[list] : nullptr;
  if (!features || !features->is_array()) return false;
  return std::find(features->begin(), features->end(), Json(feature)) != features->end();
}

Features FeaturesOf(const TableState& state) {
  if (state.version < 0) return {};
  return {state.reader_version >= 3, ListsFeature(state.protocol, "writerFeatures", "clustering")};
}

Json ProtocolFor(const Features& f) {
  if (!f.ntz && !f.clustering) return Json{{"minReaderVersion", 1}, {"minWriterVersion", 2}};
  Json writer = Json::array();
  if (f.ntz) writer.push_back("timestampNtz");
  if (f.clustering) {
    writer.push_back("domainMetadata");
    writer.push_back("clustering");
  }
  Json protocol = {{"minReaderVersion", f.ntz ? 3 : 1},
                   {"minWriterVersion", 7},
                   {"writerFeatures", std::move(writer)}};
  if (f.ntz) protocol["readerFeatures"] = {"timestampNtz"};
  return protocol;
}

Json NewMetadata(const std::string& table, const arrow::Schema& schema) {
  std::string id = RandomHex();
  // A UUID's 8-4-4-4-12 shape, as Delta's metaData.id.
  id = id.substr(0, 8) + "-" + id.substr(8, 4) + "-" + id.substr(12, 4) + "-" + id.substr(16, 4) +
       "-" + id.substr(20);
  return Json{{"id", id},
              {"name", table},
              {"format", {{"provider", "parquet"}, {"options", Json::object()}}},
              {"schemaString", DeltaSchemaJson(schema).dump()},
              {"partitionColumns", Json::array()},
              {"configuration", Json::object()},
              {"createdTime", NowMillis()}};
}

// A protocol action when the table is new or needs a feature it lacks.
// Features are only ever added: a reader may rely on one a file needs.
void PrepareProtocol(const TableWrite& w, const TableState& state, const arrow::Schema& schema,
                     Pending* out) {
  Features had = FeaturesOf(state);
  Features need{had.ntz || NeedsTimestampNtz(schema), had.clustering || !w.cluster_by.empty()};
  if (state.version < 0 || !(need == had)) {
    out->actions.push_back(Json{{"protocol", ProtocolFor(need)}});
  }
}

// cluster_by's columns in the table's schema; top-level, with statistics.
Result<std::vector<int>> ClusterColumns(const TableWrite& w, const arrow::Schema& schema) {
  if (w.cluster_by.size() > kMaxClusterColumns) {
    return Status::Invalid("table '{}': at most {} clustering columns, not {}", w.table,
                           kMaxClusterColumns, w.cluster_by.size());
  }
  std::vector<int> out;
  for (const auto& name : w.cluster_by) {
    int i = schema.GetFieldIndex(name);
    if (i < 0) return Status::Invalid("table '{}': cluster_by '{}' is not a column", w.table, name);
    if (!HasMinMaxStats(*schema.field(i)->type())) {
      return Status::Invalid("table '{}': cluster_by '{}' has type {}, which cannot be clustered",
                             w.table, name, schema.field(i)->type()->ToString());
    }
    out.push_back(i);
  }
  return out;
}

// The clustering columns the table records, as Delta's configuration lists
// them; null when the table records none or they cannot be read.
Json RecordedClustering(const TableState& state) {
  auto it = state.domains.find(kClusteringDomain);
  if (it == state.domains.end()) return Json();
  auto config = ParseJson(it->second, "clustering domain");
  if (!config.ok() || !config->is_object() || !config->contains("clusteringColumns")) return Json();
  return (*config)["clusteringColumns"];
}

// A domainMetadata action when the clustering columns change: set on a new
// clustered table, replaced when the spec's change, emptied when the spec no
// longer gives any (as CLUSTER BY NONE).
void PrepareClustering(const TableWrite& w, const TableState& state, Pending* out) {
  Json recorded = RecordedClustering(state);
  if (w.cluster_by.empty() && recorded.is_null()) return;
  Json columns = Json::array();
  for (const auto& name : w.cluster_by) columns.push_back(Json::array({name}));
  if (columns == recorded) return;
  out->actions.push_back(Json{{"domainMetadata",
                               {{"domain", kClusteringDomain},
                                {"configuration", Json{{"clusteringColumns", columns}}.dump()},
                                {"removed", false}}}});
}

// The table's schema after this write, with the protocol, metaData and
// domainMetadata actions that a new table, new columns or new clustering need.
Status PrepareSchema(const TableWrite& w, bool snapshot, TableContext* t, Pending* out) {
  if (!w.schema) return Status::Invalid("table '{}': the write has no schema", w.table);
  LF_ASSIGN_OR_RETURN(auto history, HistoryType(w, snapshot));
  LF_ASSIGN_OR_RETURN(t->schema, EvolveSchema(w.table, t->state->schema, *w.schema, history));
  LF_ASSIGN_OR_RETURN(t->columns, FindColumns(w, *t->schema));
  if ((w.history == History::kScd2) != (t->columns.start >= 0)) {
    return Status::Invalid("table '{}': the table {} SCD2 history but the write {}", w.table,
                           t->columns.start >= 0 ? "has" : "has no",
                           w.history == History::kScd2 ? "wants it" : "does not");
  }
  LF_ASSIGN_OR_RETURN(t->cluster_columns, ClusterColumns(w, *t->schema));
  const bool exists = t->state->version >= 0;
  PrepareProtocol(w, *t->state, *t->schema, out);
  if (!exists) {
    out->actions.push_back(Json{{"metaData", NewMetadata(w.table, *t->schema)}});
  } else if (DeltaSchemaJson(*t->schema) != DeltaSchemaJson(*t->state->schema)) {
    Json metadata;
    // A checkpoint gives absent fields as null; the commit leaves them out.
    for (const auto& [key, value] : t->state->metadata.items()) {
      if (!value.is_null()) metadata[key] = value;
    }
    metadata["schemaString"] = DeltaSchemaJson(*t->schema).dump();
    out->actions.push_back(Json{{"metaData", std::move(metadata)}});
  }
  PrepareClustering(w, *t->state, out);
  return Status::OK();
}

// Whether the flow has committed this batch already (Delta's own idempotent
// writes: a txn's version is the last batch of its appId).
bool AlreadyCommitted(const TableState& state, const std::string& flow,
                      const FlowProgress& progress) {
  auto it = state.txns.find(flow);
  return it != state.txns.end() && progress.batch_id <= it->second.version;
}

Json TxnAction(const std::string& app, int64_t version) {
  return Json{{"txn", {{"appId", app}, {"version", version}, {"lastUpdated", NowMillis()}}}};
}

// Writes the side files the commit names, then the commit itself.
Result<std::vector<Json>> WriteCommitFiles(const TableContext& t, const std::string& flow,
                                           const FlowProgress& progress, const Pending& p) {
  const int64_t version = t.state->version + 1;
  ProgressRecord record{progress.end, p.rows, NowIso()};
  auto last = t.state->txns.find(flow);
  if (last != t.state->txns.end()) {
    LF_ASSIGN_OR_RETURN(auto prev, ReadProgress(t.dir, flow, last->second.version, t.name));
    record.rows += prev.rows;
  }
  LF_RETURN_IF_ERROR(WriteProgress(t.dir, flow, progress.batch_id, record, t.name));
  std::vector<Json> actions;
  actions.push_back(Json{{"commitInfo",
                          {{"timestamp", NowMillis()},
                           {"operation", p.operation},
                           {"operationParameters", Json::object()},
                           {"engineInfo", "lakeflow"},
                           {"isBlindAppend", p.operation == "WRITE"},
                           {"lakeflow", {{"flow", flow}, {"batchId", progress.batch_id}}}}}});
  actions.insert(actions.end(), p.actions.begin(), p.actions.end());
  actions.push_back(TxnAction(flow, progress.batch_id));
  if (p.tombstones) {
    LF_RETURN_IF_ERROR(WriteParquetFile(TombstonePath(t.dir, version), p.tombstones, t.name));
    actions.push_back(TxnAction(kTombstoneApp, version));
  }
  if (p.stage) {
    LF_RETURN_IF_ERROR(WriteStageManifest(t.dir, version, *p.stage, t.name));
    actions.push_back(TxnAction(kStageApp, version));
  }
  LF_RETURN_IF_ERROR(WriteCommit(t.dir, version, actions, t.name));
  return actions;
}

// After a commit: a checkpoint when due, and files no longer named removed.
// Neither changes what the commit means, so neither fails it.
void AfterCommit(const TableContext& t, const std::vector<Json>& actions, const Pending& p) {
  const int64_t version = t.state->version + 1;
  if (version > 0 && version % DeltaDestination::kCheckpointInterval == 0) {
    TableState next = *t.state;
    bool ok = true;
    for (const auto& a : actions) ok = ok && ApplyAction(a, &next, t.name).ok();
    next.version = version;
    if (ok) (void)WriteCheckpoint(t.dir, next, t.name);
  }
  for (const auto& path : p.garbage) std::remove(path.c_str());
}

// The runs file is shared by every table of a destination; the workers of
// one pipeline run take turns with it (other processes are kept out by the
// destination's lock).
std::mutex& RunsMutex() {
  static std::mutex mutex;
  return mutex;
}

// Changes the recorded runs with `edit`, which says whether it changed any.
Status EditRuns(const std::string& root, const std::function<bool(std::vector<FlowRun>*)>& edit) {
  std::lock_guard lock(RunsMutex());
  LF_ASSIGN_OR_RETURN(auto runs, ReadRuns(root));
  if (!edit(&runs)) return Status::OK();
  return WriteRuns(root, runs);
}

// Forgets the runs of (table, flow) pairs `match` selects.
Status DropRuns(const std::string& root, const std::function<bool(const FlowRun&)>& match) {
  return EditRuns(root, [&](std::vector<FlowRun>* runs) {
    auto end = std::remove_if(runs->begin(), runs->end(), match);
    bool changed = end != runs->end();
    runs->erase(end, runs->end());
    return changed;
  });
}

// One commit of `flow`'s next batch to `write.table`: the table loaded, its
// schema evolved, `change` run, then the side files and the commit written.
Status CommitChange(const std::string& root, const TableWrite& write, bool snapshot,
                    const std::string& flow, const FlowProgress& progress,
                    const std::function<Status(const TableContext&, Pending*)>& change) {
  LF_RETURN_IF_ERROR(CheckFlow(write.table, flow));
  TableContext t;
  t.name = write.table;
  LF_ASSIGN_OR_RETURN(t.dir, TableDir(root, write.table));
  LF_ASSIGN_OR_RETURN(auto state, LoadTable(t.dir, write.table));
  t.state = &state;
  if (AlreadyCommitted(state, flow, progress)) return Status::OK();  // a retry: done before
  if (state.version < 0) LF_RETURN_IF_ERROR(CheckNoTablesInside(write.table, t.dir));
  Pending pending;
  LF_RETURN_IF_ERROR(PrepareSchema(write, snapshot, &t, &pending));
  LF_RETURN_IF_ERROR(change(t, &pending));
  LF_ASSIGN_OR_RETURN(auto actions, WriteCommitFiles(t, flow, progress, pending));
  AfterCommit(t, actions, pending);
  // Status only: a failure to clear an old error does not undo the commit.
  (void)EditRuns(root, [&](std::vector<FlowRun>* runs) {
    bool changed = false;
    for (auto& r : *runs) {
      if (r.table != write.table || r.flow != flow || r.error.empty()) continue;
      r.error.clear();
      r.error_at.clear();
      changed = true;
    }
    return changed;
  });
  return Status::OK();
}

// Every table folder under `root`, by table name.
std::map<std::string, std::string> ListTables(const std::string& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || name == "_delta_log" || IsReservedName(name)) {
      it.disable_recursion_pending();
      continue;
    }
    if (fs::is_directory(it->path() / "_delta_log", ec)) {
      std::string table = fs::relative(it->path(), root, ec).string();
      std::replace(table.begin(), table.end(), '/', '.');
      out[table] = it->path().string();
      it.disable_recursion_pending();
    }
  }
  return out;
}

Status FlowsOfTable(const std::string& table, const std::string& dir,
                    std::vector<FlowStatus>* out) {
  LF_ASSIGN_OR_RETURN(auto state, LoadTable(dir, table));
  for (const auto& [app, txn] : state.txns) {
    if (IsReservedName(app)) continue;
    LF_ASSIGN_OR_RETURN(auto record, ReadProgress(dir, app, txn.version, table));
    FlowStatus s;
    s.table = table;
    s.flow = app;
    s.batch_id = txn.version;
    s.end = record.end;
    s.rows = record.rows;
    s.committed_at = record.committed_at;
    out->push_back(std::move(s));
  }
  return Status::OK();
}

// Errors leave as one line that names the table: Arrow's own messages may
// span lines and know nothing of tables.
Status Named(const std::string& table, Status st) {
  if (st.ok()) return st;
  std::string message = st.message();
  std::replace(message.begin(), message.end(), '\n', ' ');
  if (message.find("'" + table + "'") == std::string::npos) {
    message = fmt::format("table '{}': {}", table, message);
  }
  return Status(st.code(), message);
}

}  // namespace

DeltaDestination::DeltaDestination(std::string root) : root_(std::move(root)) {}
DeltaDestination::~DeltaDestination() = default;

Result<std::unique_ptr<DeltaDestination>> DeltaDestination::Open(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec || !fs::is_directory(root, ec)) {
    return Status::IOError("cannot create Delta destination folder {}", root);
  }
  // Tables a crashed Reset moved aside.
  fs::remove_all(fs::path(root) / kTrash, ec);
  return std::unique_ptr<DeltaDestination>(new DeltaDestination(root));
}

Result<std::optional<FlowProgress>> DeltaDestination::Progress(const std::string& table,
                                                               const std::string& flow) {
  LF_ASSIGN_OR_RETURN(auto dir, TableDir(root_, table));
  LF_ASSIGN_OR_RETURN(auto state, LoadTable(dir, table));
  auto it = state.txns.find(flow);
  if (it == state.txns.end() || IsReservedName(flow)) return std::optional<FlowProgress>();
  LF_ASSIGN_OR_RETURN(auto record, ReadProgress(dir, flow, it->second.version, table));
  return std::optional<FlowProgress>(FlowProgress{it->second.version, record.end});
}

Status DeltaDestination::CommitMicroBatch(const TableWrite& write, ChangeKind kind,
                                          BatchIterator* rows, const std::string& flow,
                                          const FlowProgress& progress) {
  auto change = [&](const TableContext& t, Pending* pending) -> Status {
    if (kind != ChangeKind::kAppend && t.columns.keys.empty()) {
      return Status::Invalid("table '{}': upserts, deletes and snapshots need primary keys",
                             t.name);
    }
    switch (kind) {
      case ChangeKind::kAppend:
        return WriteAppend(t, rows, pending);
      case ChangeKind::kUpsert:
      case ChangeKind::kDelete:
        return WriteMerge(t, rows, kind == ChangeKind::kDelete, pending);
      case ChangeKind::kStage:
      case ChangeKind::kRestage:
        return WriteStage(t, rows, kind == ChangeKind::kRestage, pending);
    }
    return Status::Internal("table '{}': unknown change kind", t.name);
  };
  return Named(write.table, CommitChange(root_, write,
                                         kind == ChangeKind::kStage || kind == ChangeKind::kRestage,
                                         flow, progress, change));
}

Status DeltaDestination::ApplySnapshot(const TableWrite& write, int64_t version,
                                       const std::string& flow, const FlowProgress& progress) {
  auto change = [&](const TableContext& t, Pending* pending) -> Status {
    if (t.columns.keys.empty()) {
      return Status::Invalid("table '{}': a snapshot needs primary keys", t.name);
    }
    return WriteSnapshot(t, version, pending);
  };
  return Named(write.table, CommitChange(root_, write, /*snapshot=*/true, flow, progress, change));
}

Status DeltaDestination::SetClustering(const TableWrite& write) {
  TableContext t;
  t.name = write.table;
  LF_ASSIGN_OR_RETURN(t.dir, TableDir(root_, write.table));
  LF_ASSIGN_OR_RETURN(auto state, LoadTable(t.dir, write.table));
  if (state.version < 0) return Status::OK();  // its first commit lays it out
  t.state = &state;
  t.schema = state.schema;
  LF_RETURN_IF_ERROR(Named(write.table, ClusterColumns(write, *state.schema).status()));
  Pending pending;
  PrepareProtocol(write, state, *state.schema, &pending);
  PrepareClustering(write, state, &pending);
  if (pending.actions.empty()) return Status::OK();
  std::vector<Json> actions = {Json{{"commitInfo",
                                     {{"timestamp", NowMillis()},
                                      {"operation", "CLUSTER BY"},
                                      {"operationParameters", Json::object()},
                                      {"engineInfo", "lakeflow"},
                                      {"isBlindAppend", false}}}}};
  actions.insert(actions.end(), pending.actions.begin(), pending.actions.end());
  LF_RETURN_IF_ERROR(WriteCommit(t.dir, state.version + 1, actions, write.table));
  AfterCommit(t, actions, pending);
  return Status::OK();
}

Status DeltaDestination::Reset(const std::string& table, const std::vector<std::string>& flows) {
  LF_ASSIGN_OR_RETURN(auto dir, TableDir(root_, table));
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    // One rename takes the table, its tombstones, stage and progress out of
    // view at once; the delete that follows may be interrupted harmlessly.
    // The table starts again at version 0.
    fs::path trash = fs::path(root_) / kTrash;
    fs::create_directories(trash, ec);
    fs::path aside = trash / RandomHex();
    fs::rename(dir, aside, ec);
    if (ec)
      return Status::IOError("table '{}': cannot move {} aside: {}", table, dir, ec.message());
    fs::remove_all(aside, ec);
  }
  return DropRuns(root_, [&](const FlowRun& r) {
    return r.table == table && std::find(flows.begin(), flows.end(), r.flow) != flows.end();
  });
}

Status DeltaDestination::RecordRun(const std::string& table, const std::string& flow,
                                   const std::string& error) {
  return EditRuns(root_, [&](std::vector<FlowRun>* runs) {
    auto it = std::find_if(runs->begin(), runs->end(),
                           [&](const FlowRun& r) { return r.table == table && r.flow == flow; });
    if (it == runs->end()) it = runs->insert(runs->end(), FlowRun{table, flow, "", "", ""});
    it->ran_at = NowIso();
    it->error = error;
    it->error_at = error.empty() ? "" : it->ran_at;
    return true;
  });
}

Result<std::vector<FlowStatus>> DeltaDestination::Flows() {
  std::vector<FlowStatus> out;
  for (const auto& [table, dir] : ListTables(root_)) {
    LF_RETURN_IF_ERROR(FlowsOfTable(table, dir, &out));
  }
  LF_ASSIGN_OR_RETURN(auto runs, ReadRuns(root_));
  for (const auto& r : runs) {
    auto it = std::find_if(out.begin(), out.end(), [&](const FlowStatus& s) {
      return s.table == r.table && s.flow == r.flow;
    });
    if (it == out.end()) {
      FlowStatus s;
      s.table = r.table;
      s.flow = r.flow;
      it = out.insert(out.end(), std::move(s));
    }
    it->ran_at = r.ran_at;
    it->last_error = r.error;
    it->error_at = r.error_at;
  }
  std::sort(out.begin(), out.end(), [](const FlowStatus& a, const FlowStatus& b) {
    return std::tie(a.table, a.flow) < std::tie(b.table, b.flow);
  });
  return out;
}

}  // namespace lakeflow::sinks
