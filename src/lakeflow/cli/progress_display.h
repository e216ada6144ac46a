// How `lakeflow pipeline run` shows progress: on a terminal, a live line per
// table (rows, rows/s, state) redrawn in place at most ten times a second;
// otherwise a plain log line per committed microbatch, so logs stay readable
// in files and CI (the command prints each table's summary at the end).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "lakeflow/pipeline/pipeline_runner.h"

namespace lakeflow::cli {

class ProgressDisplay : public pipeline::RunObserver {
 public:
  // `tables` in the order to show them; `out` is where progress goes (stderr).
  ProgressDisplay(const std::vector<std::string>& tables, FILE* out, bool live);

  void TableStarted(const std::string& table) override;
  void Committed(const std::string& table, int64_t rows, double seconds) override;
  void TableFinished(const pipeline::TableRun& run) override;

 private:
  struct Line {
    std::string table;
    std::string state = "waiting";
    int64_t rows = 0;
    double seconds = 0;
  };
  Line* Find(const std::string& table);
  std::string Render(const Line& line) const;
  void Redraw(bool force);

  FILE* out_;
  bool live_;
  bool drawn_ = false;
  std::vector<Line> lines_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace lakeflow::cli
