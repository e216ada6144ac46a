// Python records -> Arrow, the two ways the issue asked to compare, side by
// side on the same records:
//   json     one json.dumps per page (what the bridge did before), parsed back
//            by the JSON converter;
//   walk     PyRecordConverter walking the dicts with CPython's C API.
// The records are GitHub issues (bench/gen_issues.py pages), decoded with
// json.loads as `requests`' resp.json() would hand them to a connector, in
// pages of 4,096 (the Python source's page), converted with the issues schema
// of the template-style GitHub connector (tests/python/connectors/).
//
//   python_convert_bench --issues=PATH [--mb=40] [--reps=5]
//
// Prints one line per way and one machine-readable line:
//   RESULT {"records": N, "json_dumps": s, "json_convert": s, "json": s, "walk": s}
// (seconds, the fastest of --reps passes over all records).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/connectors/python/py_record_converter.h"
#include "lakeflow/connectors/python/python_runtime.h"
#include "lakeflow/core/json_converter.h"
#include "lakeflow/core/schema.h"

namespace lakeflow::python {
namespace {

constexpr size_t kPageRecords = 4096;

struct Flags {
  std::string issues;
  double mb = 40;
  int reps = 5;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Pages of 4,096 issues as Python lists of dicts, from about `mb` MB of the file.
py::list LoadPages(const Flags& flags, size_t* records) {
  std::ifstream in(flags.issues);
  py::object loads = py::module_::import("json").attr("loads");
  py::list all;
  size_t bytes = 0;
  for (std::string line; bytes < flags.mb * 1e6 && std::getline(in, line);) {
    if (line.empty()) continue;
    bytes += line.size();
    for (auto record : loads(line)) all.append(record);
  }
  py::list pages;
  const size_t n = all.size();
  for (size_t i = 0; i < n; i += kPageRecords) {
    pages.append(all[py::slice(static_cast<py::ssize_t>(i),
                               static_cast<py::ssize_t>(std::min(n, i + kPageRecords)), 1)]);
  }
  *records = n;
  return pages;
}

Result<SchemaPtr> IssuesSchema(const std::string& connector) {
  py::object module = Bridge().attr("load_class")(connector, "SCHEMAS");
  std::string json = Bridge().attr("schema_json")(module["issues"]).cast<std::string>();
  return SchemaFromSparkJson(std::string_view(json));
}

struct Timing {
  double dumps = 1e300, convert = 1e300, json = 1e300, walk = 1e300;
};

Status Run(const Flags& flags, const std::string& connector) {
  PythonGil gil;
  size_t records = 0;
  py::list pages = LoadPages(flags, &records);
  if (records == 0) return Status::Invalid("no records in {}", flags.issues);
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, IssuesSchema(connector));
  py::object dumps = py::module_::import("json").attr("dumps");
  py::object plain = Bridge().attr("plain");
  py::tuple separators = py::make_tuple(",", ":");

  Timing best;
  for (int rep = 0; rep < flags.reps; ++rep) {
    // json: serialise every page, then parse and convert.
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> texts;
    for (auto page : pages) {
      texts.push_back(dumps(page, py::arg("default") = plain, py::arg("separators") = separators)
                          .cast<std::string>());
    }
    double dumped = Seconds(start);
    auto convert_start = std::chrono::steady_clock::now();
    LF_ASSIGN_OR_RETURN(auto json_converter, JsonConverter::Make("issues", schema));
    for (const auto& text : texts) {
      LF_RETURN_IF_ERROR(json_converter->AppendDocument(text));
      LF_ASSIGN_OR_RETURN(auto batch, json_converter->Flush());
    }
    double converted = Seconds(convert_start);
    best.dumps = std::min(best.dumps, dumped);
    best.convert = std::min(best.convert, converted);
    best.json = std::min(best.json, dumped + converted);

    // walk: the dicts straight into Arrow.
    start = std::chrono::steady_clock::now();
    LF_ASSIGN_OR_RETURN(auto walker, PyRecordConverter::Make("issues", schema));
    for (auto page : pages) {
      LF_RETURN_IF_ERROR(walker->Append(page));
      LF_ASSIGN_OR_RETURN(auto batch, walker->Flush());
    }
    best.walk = std::min(best.walk, Seconds(start));
  }

  auto line = [&](const char* what, double seconds) {
    std::printf("%-52s %10.0f records/s %6.2f us/record\n", what, records / seconds,
                seconds * 1e6 / records);
  };
  std::printf("%zu GitHub issues in pages of %zu, best of %d\n", records, kPageRecords, flags.reps);
  line("json: json.dumps per page", best.dumps);
  line("json: JsonConverter on the dumped pages", best.convert);
  line("json: both (the bridge before)", best.json);
  line("walk: PyRecordConverter on the dicts", best.walk);
  std::printf(
      "RESULT {\"records\": %zu, \"json_dumps\": %.4f, \"json_convert\": %.4f, "
      "\"json\": %.4f, \"walk\": %.4f}\n",
      records, best.dumps, best.convert, best.json, best.walk);
  return Status::OK();
}

}  // namespace
}  // namespace lakeflow::python

int main(int argc, char** argv) {
  using namespace lakeflow::python;
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--issues="))
      flags.issues = std::string(arg.substr(9));
    else if (arg.starts_with("--mb="))
      flags.mb = std::stod(std::string(arg.substr(5)));
    else if (arg.starts_with("--reps="))
      flags.reps = std::stoi(std::string(arg.substr(7)));
  }
  if (flags.issues.empty()) {
    std::fprintf(stderr, "usage: %s --issues=PATH [--mb=40] [--reps=5]\n", argv[0]);
    return 2;
  }
  if (auto started = EnsureInterpreter(); !started.ok()) {
    std::fprintf(stderr, "%s\n", started.ToString().c_str());
    return 1;
  }
  lakeflow::Status status = Run(flags, LAKEFLOW_GITHUB_CONNECTOR);
  if (!status.ok()) {
    std::fprintf(stderr, "python_convert_bench: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
