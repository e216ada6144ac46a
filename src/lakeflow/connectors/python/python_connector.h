// The `python` source: a connector written in Python against the reference
// template (a LakeflowConnect class: list_tables, get_table_schema returning a
// pyspark StructType, read_table_metadata, read_table and read_table_deletes
// returning (iterator of dicts, offset dict)), run unchanged in the embedded
// interpreter.
//
//   lakeflow connection create gh --source python -o module=path/to/github.py
//       -o class=GithubLakeflowConnect -o token=...
//
// `module` is a file path or an importable module name. The class gets every
// other option as a dict of strings. Records are handed over a page at a time
// as one JSON array, converted to Arrow by the engine's JSON converter (the
// same coercions as for REST sources); offsets travel as JSON. A Python
// exception becomes one line naming the class, the method and the table.
#pragma once

#include "lakeflow/connect/registry.h"

namespace lakeflow::python {

ConnectorInfo PythonSource();

}  // namespace lakeflow::python
