// lakeflow_connect._native: the engine inside a Python process, for the
// PySpark data source (python/lakeflow_connect). A Source is one
// lakeflow_connect read, opened from Spark's options exactly as the CLI opens
// one (databricks.connection resolves through the local connection store);
// its batches leave as an Arrow C stream, so no row ever becomes a Python
// object. Errors raise lakeflow_connect.LakeflowError with the engine's one
// line.
#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>
#include <arrow/record_batch.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lakeflow/connect/registry.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/schema.h"
#include "lakeflow/datasource/data_source.h"
#include "lakeflow/datasource/read_request.h"
#include "lakeflow/pipeline/table_plan.h"

namespace py = pybind11;

namespace lakeflow::bindings {
namespace {

// Raised for every engine error; set when the module loads.
PyObject* lakeflow_error = nullptr;

[[noreturn]] void Raise(const Status& status) {
  PyErr_SetString(lakeflow_error, status.message().c_str());
  throw py::error_already_set();
}

template <typename T>
T Check(Result<T> result) {
  if (!result.ok()) Raise(result.status());
  return std::move(result).value();
}

// The connections of LAKEFLOW_HOME, where `lakeflow connection create` keeps
// them, found once per process.
const ConnectionStore& LocalStore() {
  static const ConnectionStore store = ConnectionStore::Default();
  return store;
}

Offset ParseOffset(const std::string& text, std::string_view what) {
  return Check(OffsetFromString(text, what));
}

Json ParsePartition(const std::string& text) {
  return Check(ParseJson(text, "a partition"));
}

// Runs `f` (the engine's work, which may take long and may itself call into
// Python) without the GIL. Raise needs the GIL: check the result after.
template <typename F>
auto Unlocked(F f) {
  py::gil_scoped_release unlocked;
  return f();
}

// A BatchIterator as an Arrow reader, keeping its DataSource alive.
class IteratorReader final : public arrow::RecordBatchReader {
 public:
  IteratorReader(std::shared_ptr<DataSource> source, std::unique_ptr<BatchIterator> batches)
      : source_(std::move(source)), batches_(std::move(batches)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return batches_->schema(); }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    auto next = batches_->Next();
    if (!next.ok()) return arrow::Status::IOError(next.status().message());
    *batch = std::move(next).value();
    return arrow::Status::OK();
  }

 private:
  std::shared_ptr<DataSource> source_;
  std::unique_ptr<BatchIterator> batches_;
};

// The batches as a PyCapsule named "arrow_array_stream" (the Arrow PyCapsule
// interface), which pyarrow imports without copying.
py::capsule StreamCapsule(std::shared_ptr<DataSource> source,
                          std::unique_ptr<BatchIterator> batches) {
  auto reader = std::make_shared<IteratorReader>(std::move(source), std::move(batches));
  auto* stream = new ArrowArrayStream();
  arrow::Status exported = arrow::ExportRecordBatchReader(reader, stream);
  if (!exported.ok()) {
    delete stream;
    Raise(Status::Internal("arrow: {}", exported.ToString()));
  }
  return py::capsule(stream, "arrow_array_stream", [](PyObject* capsule) {
    auto* s = static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule, "arrow_array_stream"));
    if (s == nullptr) return;
    if (s->release != nullptr) s->release(s);
    delete s;
  });
}

// The option a format bound to one source carries (lakeflow_connect.register).
constexpr const char* kBoundSourceOption = "lakeflow.boundSource";

// The source of a read through a bound format: none when the connection it
// names is a local one (whose own source must be the bound one), else the
// bound source, the connection's options having been injected by Unity Catalog.
std::optional<std::string> BoundSource(const std::string& bound,
                                       const std::optional<std::string>& connection) {
  if (!connection) return bound;
  auto local = LocalStore().Get(*connection);
  if (!local.ok() && local.status().code() == StatusCode::kNotFound) return bound;
  if (!local.ok()) Raise(local.status());
  if (local->source != bound)
    Raise(Status::Invalid(
        "connection '{}' is a '{}' connection, but this lakeflow_connect format is registered "
        "for source '{}'",
        *connection, local->source, bound));
  return std::nullopt;
}

class Source {
 public:
  explicit Source(const std::map<std::string, std::string>& options) {
    // Option `source` names the source when no connection does (the CLI's
    // --source). On Databricks, Unity Catalog has already injected the
    // connection's options, `source` among them, into the read's: then there is
    // no connection left to look up in the local store. A format registered
    // for one source (register(spark, "github")) passes it as
    // lakeflow.boundSource: it stands for `source` unless the named connection
    // is one of the local store's.
    Options read_options;
    OpenOptions open;
    std::optional<std::string> connection, bound;
    for (const auto& [key, value] : options) {
      if (key == "source") {
        open.source = value;
      } else if (EqualsIgnoreCase(key, kBoundSourceOption)) {
        bound = value;
      } else {
        if (EqualsIgnoreCase(key, kConnectionOption)) connection = value;
        read_options.Set(key, value);
      }
    }
    if (bound && !open.source) open.source = BoundSource(*bound, connection);
    if (open.source && connection) read_options.Erase(kConnectionOption);
    open.store = &LocalStore();
    source_ = Check(Unlocked([&] { return DataSource::Open(read_options, open); }));
  }

  // The read's schema as Spark's StructType JSON.
  std::string SchemaJson() {
    SchemaPtr schema = Check(Unlocked([&] { return source_->Schema(); }));
    return SchemaToSparkJson(*schema).dump();
  }

  // The batch read's partitions as JSON texts; None when it is read whole.
  std::optional<std::vector<std::string>> Partitions() {
    auto partitions = Check(Unlocked([&] { return source_->Partitions(); }));
    if (!partitions) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& partition : *partitions) out.push_back(partition.dump());
    return out;
  }

  // A batch read, whole or of one partition (its JSON text).
  py::capsule Read(const std::optional<std::string>& partition) {
    std::optional<Json> parsed;
    if (partition) parsed = ParsePartition(*partition);
    auto batches = Check(
        Unlocked([&] { return parsed ? source_->ReadPartition(*parsed) : source_->ReadAll(); }));
    return StreamCapsule(source_, std::move(batches));
  }

  // Stream reads. Offsets travel as JSON texts; those returned are canonical.

  // One micro-batch from `start`: (end, batches). With `first`, records come
  // back even when the offset did not move: Spark decides whether the batch
  // runs (it runs a query's first one whatever its offsets).
  std::pair<std::string, py::capsule> ReadMicroBatch(const std::string& start, bool first) {
    Offset from = ParseOffset(start, "start offset");
    StreamPosition position = first ? StreamPosition::kFirst : StreamPosition::kLater;
    MicroBatchRead read = Check(Unlocked([&] { return source_->ReadMicroBatch(from, position); }));
    return {OffsetToString(read.end), StreamCapsule(source_, std::move(read.batches))};
  }

  // Whether the connector plans this stream in partitions, which the tasks read.
  bool StreamsInPartitions() { return source_->StreamsInPartitions(); }

  // The end of the records after `start` for a stream read in partitions,
  // without reading them; None when only reading finds the end.
  std::optional<std::string> PlannedStreamEnd(const std::string& start) {
    Offset from = ParseOffset(start, "start offset");
    auto end = Check(Unlocked([&] { return source_->PlannedStreamEnd(from); }));
    if (!end) return std::nullopt;
    return OffsetToString(*end);
  }

  std::vector<std::string> StreamPartitions(const std::string& start, const std::string& end) {
    Offset from = ParseOffset(start, "start offset");
    Offset to = ParseOffset(end, "end offset");
    auto partitions = Check(Unlocked([&] { return source_->StreamPartitions(from, to); }));
    std::vector<std::string> out;
    for (const auto& partition : partitions) out.push_back(partition.dump());
    return out;
  }

  py::capsule ReadStreamPartition(const std::string& partition) {
    Json parsed = ParsePartition(partition);
    auto batches = Check(Unlocked([&] { return source_->ReadStreamPartition(parsed); }));
    return StreamCapsule(source_, std::move(batches));
  }

  // Spark committed the micro-batch ending at `end` (SupportsCommit).
  void Commit(const std::string& end) {
    Offset to = ParseOffset(end, "end offset");
    Status committed = Unlocked([&] { return source_->Committed(to); });
    if (!committed.ok()) Raise(committed);
  }

 private:
  std::shared_ptr<DataSource> source_;
};

// A pipeline spec's plan, as `lakeflow pipeline validate` makes it (the spec
// checked against the source's metadata), in JSON for lakeflow_connect.pipeline:
//   {"file", "connection", "destination": {"type", "path"},
//    "tables": [{"source_table", "destination", "ingestion_type", "scd_type",
//                "primary_keys", "sequence_by", "appends", "deletes", "read_options"}]}
// The read options hold no secret: the connection's are injected when a read opens.
// The plan of a pipeline spec: a file, or (with `text`) the spec itself as
// YAML or JSON, `spec_path` then only naming it in errors.
std::string PlanPipeline(const std::string& spec_path, const std::optional<std::string>& text) {
  using namespace lakeflow::pipeline;  // NOLINT
  PipelineSpec spec =
      Check(text ? ParsePipelineSpec(*text, spec_path) : LoadPipelineSpec(spec_path));
  std::vector<TablePlan> plans = Check(Unlocked([&] { return PlanPipeline(spec, LocalStore()); }));
  Json tables = Json::array();
  for (const TablePlan& plan : plans) {
    Json options = Json::object();
    for (const auto& [key, value] : plan.read_options) options[key] = value;
    tables.push_back({
        {"source_table", plan.object.source_table},
        {"destination", plan.object.DestinationName()},
        {"ingestion_type", IngestionTypeName(plan.metadata.ingestion_type)},
        {"scd_type", ScdTypeName(plan.object.scd_type)},
        {"primary_keys", plan.metadata.primary_keys},
        {"sequence_by", plan.sequence_by.empty() ? Json() : Json(plan.sequence_by)},
        {"appends", plan.Appends()},
        {"deletes", plan.delete_source != nullptr},
        {"read_options", options},
        {"columns", plan.schema->field_names()},
        {"row_filter", plan.object.row_filter ? Json(*plan.object.row_filter) : Json()},
        {"cluster_by", plan.object.cluster_by},
    });
  }
  bool delta = spec.destination.type == DestinationSpec::Type::kDelta;
  return Json{
      {"file", spec.file},
      {"connection", spec.connection_name},
      {"destination", {{"type", delta ? "delta" : "sqlite"}, {"path", spec.destination.path}}},
      {"tables", tables}}
      .dump();
}

}  // namespace
}  // namespace lakeflow::bindings

PYBIND11_MODULE(_native, m) {
  using lakeflow::bindings::Source;
  m.doc() = "The lakeflow engine, for the lakeflow_connect PySpark data source.";
  static py::exception<std::exception> error(m, "LakeflowError", PyExc_RuntimeError);
  lakeflow::bindings::lakeflow_error = error.ptr();
  // The built-in sources; plugins, which resolve the SDK's symbols from the
  // lakeflow binary, are not loaded here.
  lakeflow::RegisterBuiltinConnectors(&lakeflow::ConnectorRegistry::Global());
  py::class_<Source>(m, "Source")
      .def(py::init<const std::map<std::string, std::string>&>(), py::arg("options"))
      .def("schema_json", &Source::SchemaJson)
      .def("partitions", &Source::Partitions)
      .def("read", &Source::Read, py::arg("partition") = py::none())
      .def("read_micro_batch", &Source::ReadMicroBatch, py::arg("start"), py::arg("first") = false)
      .def("streams_in_partitions", &Source::StreamsInPartitions)
      .def("planned_stream_end", &Source::PlannedStreamEnd, py::arg("start"))
      .def("stream_partitions", &Source::StreamPartitions, py::arg("start"), py::arg("end"))
      .def("read_stream_partition", &Source::ReadStreamPartition, py::arg("partition"))
      .def("commit", &Source::Commit, py::arg("end"));
  m.def("plan_pipeline", &lakeflow::bindings::PlanPipeline, py::arg("spec_path"),
        py::arg("text") = py::none());
  // The canonical text of an offset (sorted keys, compact), to compare two.
  m.def("canonical_offset", [](const std::string& text) {
    return lakeflow::OffsetToString(lakeflow::bindings::ParseOffset(text, "offset"));
  });
}
