#include "lakeflow/connectors/python/python_runtime.h"

#include <pybind11/embed.h>

#include <cstdlib>
#include <mutex>

namespace lakeflow::python {
namespace {

// Helpers the engine calls, in Python because they are about Python values.
constexpr const char* kBridge = R"PY(
import base64, datetime, decimal, importlib, importlib.util, itertools, json, os, sys


def load_class(module, cls):
    """The class `cls` of `module`: a file path (its folder joins the end of
    sys.path, so its sibling modules import without shadowing installed ones)
    or an importable module name."""
    if module.endswith(".py") or os.sep in module:
        path = os.path.abspath(module)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no such file: {module}")
        name = "lakeflow_user_" + os.path.splitext(os.path.basename(path))[0]
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.append(folder)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    else:
        mod = importlib.import_module(module)
    try:
        return getattr(mod, cls)
    except AttributeError:
        raise AttributeError(f"module '{module}' has no class '{cls}'") from None


def site_packages_first(folders):
    """Adds the project venv's site-packages (and LAKEFLOW_PYTHON_SITE's) to sys.path
    after the standard library and before the base installation's site-packages, as
    the venv's own interpreter orders them: a package in both imports from the venv."""
    import site
    before = list(sys.path)
    for folder in folders:
        site.addsitedir(folder)
    added = [p for p in sys.path if p not in before]
    first_site = next((i for i, p in enumerate(before)
                       if p.rstrip(os.sep).endswith(("site-packages", "dist-packages"))),
                      len(before))
    sys.path[:] = before[:first_site] + added + before[first_site:]


def plain(value):
    """A value JSON has no word for, as the template's runner writes it."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if hasattr(value, "asDict"):  # a pyspark Row
        return value.asDict(recursive=True)
    raise TypeError(f"a value of type {type(value).__name__} cannot be converted")


def page(records, limit):
    """Up to `limit` records from the iterator, as a list."""
    return list(itertools.islice(records, limit))


def compact_json(value):
    return json.dumps(value, default=plain, separators=(",", ":"), ensure_ascii=False)


def schema_json(schema):
    type_name = getattr(schema, "typeName", None)
    if not callable(type_name) or type_name() != "struct" or not hasattr(schema, "json"):
        raise TypeError(f"get_table_schema returned a {type(schema).__name__}, "
                        "not a pyspark StructType")
    return schema.json()


def offset_json(offset, method):
    if offset is None:
        return None
    if not isinstance(offset, dict):
        raise TypeError(f"{method} returned an offset of type {type(offset).__name__}, not a dict")
    return strict_json(offset, method, "an offset")


def namespace_paths(paths, method):
    """list_namespaces' answer: each namespace a list of names."""
    out = []
    for path in paths:
        if isinstance(path, (str, bytes)) or not all(isinstance(n, str) for n in path):
            raise TypeError(f"{method} returned {path!r}, not a namespace (a list of names)")
        out.append(list(path))
    return out


def table_names(names, method):
    if isinstance(names, (str, bytes)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"{method} returned {names!r}, not a list of table names")
    return list(names)


def partition_json(partition, method):
    if not isinstance(partition, dict):
        raise TypeError(f"{method} returned a partition of type {type(partition).__name__}, "
                        "not a dict")
    return strict_json(partition, method, "a partition")


def strict_json(value, method, what):
    """JSON the engine can store and give back: NaN and infinities refused."""
    try:
        return json.dumps(value, default=plain, sort_keys=True, allow_nan=False)
    except ValueError as e:
        raise ValueError(f"{method} returned {what} that is not JSON: {e}") from None


def read_result(result, method):
    """(records iterator, offset JSON) from what read_table returned."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(f"{method} returned a {type(result).__name__}, not (records, offset)")
    records, offset = result
    return iter(records), offset_json(offset, method)
)PY";

std::once_flag g_started;
Status g_start_status;

// The bridge module and the venv's site-packages, in a running interpreter
// (the GIL held).
void SetUp() {
  try {
    py::object bridge = py::module_::import("types").attr("ModuleType")("_lakeflow_bridge");
    py::exec(kBridge, bridge.attr("__dict__"));
    py::module_::import("sys").attr("modules")["_lakeflow_bridge"] = bridge;
    py::list sites;
    sites.append(LAKEFLOW_PYTHON_SITE);
    if (const char* extra = std::getenv("LAKEFLOW_PYTHON_SITE")) sites.append(extra);
    bridge.attr("site_packages_first")(sites);
  } catch (const py::error_already_set& e) {
    g_start_status = Status::IOError("cannot set up the embedded Python: {}", DescribeError(e));
  }
}

void Start() {
  // Inside a Python process (the lakeflow_connect module under PySpark), the
  // process's own interpreter serves.
  if (Py_IsInitialized()) {
    py::gil_scoped_acquire gil;
    SetUp();
    return;
  }
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;
  config.parse_argv = 0;
  const char* home = std::getenv("PYTHONHOME");
  PyConfig_SetBytesString(&config, &config.home, home ? home : LAKEFLOW_PYTHON_HOME);
  PyStatus status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    g_start_status = Status::IOError("cannot start the embedded Python ({}): {}",
                                     LAKEFLOW_PYTHON_HOME, status.err_msg ? status.err_msg : "");
    return;
  }
  SetUp();
  // The command's stdout carries only its output (records as JSON lines or
  // CSV): what connectors print goes to stderr. (Inside a Python process the
  // process's own streams are its business.)
  try {
    py::module_ sys = py::module_::import("sys");
    sys.attr("stdout") = sys.attr("stderr");
  } catch (const py::error_already_set& e) {
    g_start_status = Status::IOError("cannot set up the embedded Python: {}", DescribeError(e));
  }
  // From here on, the GIL is taken only around calls into Python.
  PyEval_SaveThread();
}

}  // namespace

Status EnsureInterpreter() {
  std::call_once(g_started, Start);
  return g_start_status;
}

py::module_ Bridge() {
  return py::module_::import("_lakeflow_bridge");
}

std::string DescribeError(const py::error_already_set& error) {
  std::string out = py::str(error.type().attr("__name__")).cast<std::string>();
  std::string message = py::str(error.value()).cast<std::string>();
  if (!message.empty()) out += ": " + message;
  // One line: a multi-line message keeps its first line.
  if (auto newline = out.find('\n'); newline != std::string::npos) out.resize(newline);
  const char* verbose = std::getenv("LAKEFLOW_VERBOSE");
  if (verbose && std::string(verbose) == "1") {
    py::module_ traceback = py::module_::import("traceback");
    py::list lines = traceback.attr("format_exception")(error.type(), error.value(), error.trace());
    out += "\n";
    for (auto line : lines) out += line.cast<std::string>();
  }
  return out;
}

}  // namespace lakeflow::python
