#include "lakeflow/connectors/python/python_connector.h"

#include <pybind11/stl.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lakeflow/connectors/python/py_record_converter.h"
#include "lakeflow/connectors/python/python_runtime.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/schema.h"

namespace lakeflow::python {
namespace {

// Records per page handed from Python to the converter.
constexpr int64_t kPageRecords = 4096;

// A Python object that may be dropped from any thread: released under the GIL.
class PyRef {
 public:
  explicit PyRef(py::object object) : object_(std::move(object)) {}
  ~PyRef() {
    PythonGil gil;
    object_ = py::object();
  }
  PyRef(const PyRef&) = delete;
  PyRef& operator=(const PyRef&) = delete;
  const py::object& get() const { return object_; }

 private:
  py::object object_;
};
using SharedPy = std::shared_ptr<PyRef>;

py::dict ToDict(const Options& options) {
  py::dict out;
  for (const auto& [key, value] : options) out[py::str(key)] = py::str(value);
  return out;
}

py::object ToPython(const Offset& offset) {
  if (!offset) return py::none();
  return py::module_::import("json").attr("loads")(offset->dump());
}

Result<Offset> OffsetFrom(const py::object& json_text) {
  if (json_text.is_none()) return Offset();
  return OffsetFromString(json_text.cast<std::string>(), "offset");
}

Result<IngestionType> IngestionFrom(const py::dict& metadata, bool has_cursor) {
  if (!metadata.contains("ingestion_type"))
    return has_cursor ? IngestionType::kCdc : IngestionType::kSnapshot;
  return ParseIngestionType(py::str(metadata["ingestion_type"]).cast<std::string>());
}

// One line naming the connector, the method and the table.
Status CallError(const std::string& name, const char* method, std::string_view table,
                 const std::string& message) {
  if (table.empty())
    return Status::SourceError("python connector {}.{}: {}", name, method, message);
  return Status::SourceError("python connector {}.{}('{}'): {}", name, method, table, message);
}

// Runs `body` with the GIL held; Python errors become CallError.
template <typename Body>
auto WithPython(const std::string& name, const char* method, std::string_view table, Body body)
    -> decltype(body()) {
  PythonGil gil;
  try {
    return body();
  } catch (const py::error_already_set& e) {
    return CallError(name, method, table, DescribeError(e));
  } catch (const py::cast_error& e) {
    return CallError(name, method, table, std::string("unexpected return value: ") + e.what());
  }
}

// A read in progress: the Python iterator and the converter its pages go
// through. Dropped from whichever thread ends the read, under the GIL.
struct PageSource {
  py::object records;
  std::unique_ptr<PyRecordConverter> converter;
  bool done = false;

  ~PageSource() {
    PythonGil gil;
    converter.reset();
    records = py::object();
  }
};

// The records of a read, pulled from the Python iterator a page at a time and
// converted to Arrow with the table's schema.
Result<RecordStream> PagesOf(py::object records, const SchemaPtr& schema, std::string name,
                             const char* method, std::string table) {
  auto source = std::make_shared<PageSource>();
  source->records = std::move(records);
  LF_ASSIGN_OR_RETURN(source->converter, PyRecordConverter::Make(table, schema));
  return RecordStream([=]() -> Result<std::optional<Chunk>> {
    if (source->done) return std::optional<Chunk>();
    return WithPython(name, method, table, [&]() -> Result<std::optional<Chunk>> {
      py::list page = Bridge().attr("page")(source->records, kPageRecords);
      if (static_cast<int64_t>(page.size()) < kPageRecords) source->done = true;
      if (page.size() == 0) return std::optional<Chunk>();
      if (Status status = source->converter->Append(page); !status.ok())
        return Status(status.code(),
                      fmt::format("python connector {}.{}: {}", name, method, status.message()));
      LF_ASSIGN_OR_RETURN(auto batch, source->converter->Flush());
      return std::optional<Chunk>(std::move(batch));
    });
  });
}

// Which of the template's optional methods the class has.
struct Mixins {
  bool partitions = false;          // SupportsPartition: get_partitions, read_partition
  bool partitioned_stream = false;  // SupportsPartitionedStream: + latest_offset, is_partitioned
  bool namespaces = false;          // SupportsNamespaces: list_namespaces, list_tables_in_namespace
};

Mixins MixinsOf(const py::object& self) {
  Mixins m;
  m.partitions = py::hasattr(self, "get_partitions") && py::hasattr(self, "read_partition");
  m.partitioned_stream =
      m.partitions && py::hasattr(self, "latest_offset") && py::hasattr(self, "is_partitioned");
  m.namespaces =
      py::hasattr(self, "list_namespaces") && py::hasattr(self, "list_tables_in_namespace");
  return m;
}

Result<std::vector<Json>> PartitionsFrom(const py::object& partitions, const char* method) {
  std::vector<Json> out;
  for (auto p : partitions) {
    auto text = Bridge().attr("partition_json")(p, method).cast<std::string>();
    LF_ASSIGN_OR_RETURN(
        Json partition,
        ParseJson(text, fmt::format("{} returned a partition", method), StatusCode::kSource));
    out.push_back(std::move(partition));
  }
  return out;
}

// Every mixin is always there for the engine (it finds them with
// dynamic_cast); the per-table checks say whether the class implements them.
class PythonConnector : public LakeflowConnect,
                        public SupportsPartition,
                        public SupportsPartitionedStream,
                        public SupportsNamespaces {
 public:
  PythonConnector(Options options, std::string name, SharedPy instance, Mixins mixins)
      : LakeflowConnect(std::move(options)),
        name_(std::move(name)),
        self_(std::move(instance)),
        mixins_(mixins) {}

  // A class with is_partitioned (SupportsPartitionedStream) says it per table.
  bool supports_partitions(std::string_view table) override {
    if (!mixins_.partitions) return false;
    return !mixins_.partitioned_stream || IsPartitioned(table);
  }

  Result<std::vector<Json>> get_partitions(std::string_view table,
                                           const Options& options) override {
    return WithPython(name_, "get_partitions", table, [&]() -> Result<std::vector<Json>> {
      return PartitionsFrom(self_->get().attr("get_partitions")(table, ToDict(options)),
                            "get_partitions");
    });
  }

  Result<RecordStream> read_partition(std::string_view table, const Json& partition,
                                      const Options& options) override {
    return ReadPartition(table, partition, options);
  }

  bool supports_partitioned_stream(std::string_view table) override {
    return mixins_.partitioned_stream && IsPartitioned(table);
  }

  Result<Offset> latest_offset(std::string_view table, const Options& options,
                               const Offset& start) override {
    return WithPython(name_, "latest_offset", table, [&]() -> Result<Offset> {
      py::object offset = self_->get().attr("latest_offset")(
          table, ToDict(options), py::arg("start_offset") = ToPython(start));
      return OffsetFrom(Bridge().attr("offset_json")(offset, "latest_offset"));
    });
  }

  Result<std::vector<Json>> get_stream_partitions(std::string_view table, const Options& options,
                                                  const Offset& start, const Offset& end) override {
    return WithPython(name_, "get_partitions", table, [&]() -> Result<std::vector<Json>> {
      return PartitionsFrom(self_->get().attr("get_partitions")(
                                table, ToDict(options), py::arg("start_offset") = ToPython(start),
                                py::arg("end_offset") = ToPython(end)),
                            "get_partitions");
    });
  }

  Result<RecordStream> read_stream_partition(std::string_view table, const Json& partition,
                                             const Options& options) override {
    return ReadPartition(table, partition, options);
  }

  bool supports_namespaces() override { return mixins_.namespaces; }

  // The root is passed as None, as the reference's data source passes it.
  Result<std::vector<std::vector<std::string>>> list_namespaces(
      const std::vector<std::string>& prefix) override {
    using Paths = std::vector<std::vector<std::string>>;
    return WithPython(name_, "list_namespaces", "", [&]() -> Result<Paths> {
      py::object arg = prefix.empty() ? py::none() : py::object(py::cast(prefix));
      py::object paths = self_->get().attr("list_namespaces")(arg);
      return Bridge().attr("namespace_paths")(paths, "list_namespaces").cast<Paths>();
    });
  }

  Result<std::vector<std::string>> list_tables_in_namespace(
      const std::vector<std::string>& ns) override {
    return WithPython(
        name_, "list_tables_in_namespace", "", [&]() -> Result<std::vector<std::string>> {
          py::object names = self_->get().attr("list_tables_in_namespace")(py::cast(ns));
          return Bridge()
              .attr("table_names")(names, "list_tables_in_namespace")
              .cast<std::vector<std::string>>();
        });
  }

  Result<std::vector<std::string>> list_tables() override {
    return WithPython(name_, "list_tables", "", [&]() -> Result<std::vector<std::string>> {
      std::vector<std::string> out;
      for (auto table : self_->get().attr("list_tables")()) out.push_back(py::str(table));
      return out;
    });
  }

  Result<SchemaPtr> get_table_schema(std::string_view table, const Options& options) override {
    std::string json;
    LF_RETURN_IF_ERROR(WithPython(name_, "get_table_schema", table, [&]() -> Status {
      py::object schema = self_->get().attr("get_table_schema")(table, ToDict(options));
      json = Bridge().attr("schema_json")(schema).cast<std::string>();
      return Status::OK();
    }));
    auto schema = SchemaFromSparkJson(std::string_view(json));
    if (!schema.ok()) return CallError(name_, "get_table_schema", table, schema.status().message());
    return schema;
  }

  Result<TableMetadata> read_table_metadata(std::string_view table,
                                            const Options& options) override {
    return WithPython(name_, "read_table_metadata", table, [&]() -> Result<TableMetadata> {
      py::object result = self_->get().attr("read_table_metadata")(table, ToDict(options));
      if (!py::isinstance<py::dict>(result))
        return CallError(name_, "read_table_metadata", table,
                         "returned a " + std::string(py::str(result.get_type().attr("__name__"))) +
                             ", not a dict");
      py::dict metadata = result;
      TableMetadata m;
      if (metadata.contains("primary_keys") && !metadata["primary_keys"].is_none()) {
        for (auto key : metadata["primary_keys"]) m.primary_keys.push_back(py::str(key));
      }
      if (metadata.contains("cursor_field") && !metadata["cursor_field"].is_none())
        m.cursor_field = py::str(metadata["cursor_field"]).cast<std::string>();
      auto type = IngestionFrom(metadata, m.cursor_field.has_value());
      if (!type.ok())
        return CallError(name_, "read_table_metadata", table, type.status().message());
      m.ingestion_type = *type;
      return m;
    });
  }

  Result<ReadResult> read_table(std::string_view table, const Offset& start,
                                const Options& options) override {
    return Read("read_table", table, start, options);
  }

  Result<ReadResult> read_table_deletes(std::string_view table, const Offset& start,
                                        const Options& options) override {
    auto has = WithPython(name_, "read_table_deletes", table, [&]() -> Result<bool> {
      return py::hasattr(self_->get(), "read_table_deletes");
    });
    LF_RETURN_IF_ERROR(has.status());
    if (!*has) return LakeflowConnect::read_table_deletes(table, start, options);
    return Read("read_table_deletes", table, start, options);
  }

 private:
  Result<ReadResult> Read(const char* method, std::string_view table, const Offset& start,
                          const Options& options) {
    LF_ASSIGN_OR_RETURN(SchemaPtr schema, SchemaOf(table, options));
    return WithPython(name_, method, table, [&]() -> Result<ReadResult> {
      py::object result = self_->get().attr(method)(table, ToPython(start), ToDict(options));
      py::tuple read = Bridge().attr("read_result")(result, method);
      LF_ASSIGN_OR_RETURN(Offset end, OffsetFrom(read[1]));
      LF_ASSIGN_OR_RETURN(RecordStream records,
                          PagesOf(read[0], schema, name_, method, std::string(table)));
      return ReadResult{std::move(records), std::move(end)};
    });
  }

  // The table's schema, asked of the connector once: records are converted
  // with it.
  Result<SchemaPtr> SchemaOf(std::string_view table, const Options& options) {
    {
      std::lock_guard lock(schemas_mutex_);
      if (auto it = schemas_.find(std::string(table)); it != schemas_.end()) return it->second;
    }
    LF_ASSIGN_OR_RETURN(SchemaPtr schema, get_table_schema(table, options));
    std::lock_guard lock(schemas_mutex_);
    schemas_.emplace(std::string(table), schema);
    return schema;
  }

  bool IsPartitioned(std::string_view table) {
    auto partitioned = WithPython(name_, "is_partitioned", table, [&]() -> Result<bool> {
      return self_->get().attr("is_partitioned")(table).cast<bool>();
    });
    return partitioned.ok() && *partitioned;
  }

  Result<RecordStream> ReadPartition(std::string_view table, const Json& partition,
                                     const Options& options) {
    LF_ASSIGN_OR_RETURN(SchemaPtr schema, SchemaOf(table, options));
    return WithPython(name_, "read_partition", table, [&]() -> Result<RecordStream> {
      py::object records =
          self_->get().attr("read_partition")(table, ToPython(partition), ToDict(options));
      return PagesOf(py::iter(records), schema, name_, "read_partition", std::string(table));
    });
  }

  std::string name_;
  SharedPy self_;
  Mixins mixins_;
  std::mutex schemas_mutex_;
  std::map<std::string, SchemaPtr, std::less<>> schemas_;
};

// The options a connector_spec.yaml beside a connector's file marks
// `secret: true`, under connection.parameters, connection.common_parameters
// or connection.auth_methods[].parameters (the reference's layout). A missing
// or unreadable file declares none.
std::vector<std::string> DeclaredSecretOptions(const Options& options) {
  std::vector<std::string> out;
  auto module = options.Get("module");
  if (!module || !module->ends_with(".py")) return out;
  auto spec = std::filesystem::path(*module).parent_path() / "connector_spec.yaml";
  try {
    YAML::Node connection = YAML::LoadFile(spec.string())["connection"];
    auto take = [&](const YAML::Node& parameters) {
      if (!parameters.IsSequence()) return;
      for (const auto& p : parameters) {
        if (p.IsMap() && p["name"] && p["secret"] && p["secret"].as<bool>(false))
          out.push_back(p["name"].as<std::string>());
      }
    };
    if (!connection.IsMap()) return out;
    take(connection["parameters"]);
    take(connection["common_parameters"]);
    if (connection["auth_methods"].IsSequence()) {
      for (const auto& method : connection["auth_methods"])
        if (method.IsMap()) take(method["parameters"]);
    }
  } catch (const YAML::Exception&) {
  }
  return out;
}

}  // namespace

ConnectorInfo PythonSource() {
  ConnectorInfo info;
  info.name = "python";
  info.description =
      "a connector written in Python against the reference template (options module=FILE.py "
      "or a module name, class=CLASS)";
  // The template names no secrets; these common names are masked and never logged.
  info.secret_options = {"token",         "password", "api_key",     "api_token",
                         "client_secret", "secret",   "access_token"};
  info.secret_options_for = DeclaredSecretOptions;
  info.factory = [](const Options& options) -> Result<std::unique_ptr<LakeflowConnect>> {
    auto module = options.Get("module");
    auto cls = options.Get("class");
    if (!module || module->empty())
      return Status::Invalid("source 'python' needs option 'module' (a .py file or a module name)");
    if (!cls || cls->empty())
      return Status::Invalid("source 'python' needs option 'class' (the LakeflowConnect class)");
    LF_RETURN_IF_ERROR(EnsureInterpreter());
    Options own = options;
    own.Erase("module");
    own.Erase("class");
    std::string name = *cls;
    // Finding the class and constructing it fail differently: the one names
    // the module, the other the connector's own __init__.
    SharedPy klass;
    LF_RETURN_IF_ERROR(WithPython(name, "loading", "", [&]() -> Status {
      klass = std::make_shared<PyRef>(Bridge().attr("load_class")(*module, *cls));
      return Status::OK();
    }));
    return WithPython(name, "__init__", "", [&]() -> Result<std::unique_ptr<LakeflowConnect>> {
      auto instance = std::make_shared<PyRef>(klass->get()(ToDict(own)));
      Mixins mixins = MixinsOf(instance->get());
      return std::unique_ptr<LakeflowConnect>(
          std::make_unique<PythonConnector>(options, name, std::move(instance), mixins));
    });
  };
  return info;
}

}  // namespace lakeflow::python
