// The embedded CPython interpreter that runs connectors written in Python.
//
// One interpreter per process, started on first use: the virtualenv's own
// Python (its libpython, standard library and site-packages, found at build
// time; LAKEFLOW_PYTHON_SITE adds another site-packages at run time). The GIL
// is held only while Python runs: callers take a PythonGil around every call,
// and the engine's threads run freely otherwise. Python's own signal handlers
// are not installed, so Ctrl-C stays the engine's.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "lakeflow/core/status.h"

namespace lakeflow::python {

namespace py = pybind11;

// Starts the interpreter if needed and loads the bridge module. Thread-safe.
Status EnsureInterpreter();

// Holds the GIL for its lifetime (EnsureInterpreter first).
using PythonGil = py::gil_scoped_acquire;

// The bridge: helpers written in Python that the engine calls (loading a
// connector, pages of records, values as JSON, schemas as JSON). GIL held.
py::module_ Bridge();

// The Python exception being handled as one line: "TypeError: message".
// With LAKEFLOW_VERBOSE=1 in the environment the traceback follows.
std::string DescribeError(const py::error_already_set& error);

}  // namespace lakeflow::python
