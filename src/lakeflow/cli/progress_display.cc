#include "lakeflow/cli/progress_display.h"

#include <fmt/format.h>

namespace lakeflow::cli {
namespace {

std::string Rate(int64_t rows, double seconds) {
  if (seconds <= 0) return "-";
  return fmt::format("{:.0f}", static_cast<double>(rows) / seconds);
}

}  // namespace

ProgressDisplay::ProgressDisplay(const std::vector<std::string>& tables, FILE* out, bool live)
    : out_(out), live_(live) {
  for (const auto& t : tables) lines_.push_back(Line{t});
}

ProgressDisplay::Line* ProgressDisplay::Find(const std::string& table) {
  for (auto& l : lines_) {
    if (l.table == table) return &l;
  }
  return nullptr;
}

std::string ProgressDisplay::Render(const Line& l) const {
  return fmt::format("{}: {} rows, {} rows/s, {}", l.table, l.rows, Rate(l.rows, l.seconds),
                     l.state);
}

void ProgressDisplay::TableStarted(const std::string& table) {
  if (Line* l = Find(table)) l->state = "running";
  Redraw(true);
}

void ProgressDisplay::Committed(const std::string& table, int64_t rows, double seconds) {
  Line* l = Find(table);
  if (!l) return;
  l->rows = rows;
  l->seconds = seconds;
  if (!live_) {
    fmt::print(out_, "{}: committed, {} rows so far, {} rows/s\n", table, rows,
               Rate(rows, seconds));
    std::fflush(out_);
    return;
  }
  Redraw(false);
}

void ProgressDisplay::TableFinished(const pipeline::TableRun& run) {
  Line* l = Find(run.table);
  if (!l) return;
  l->rows = run.rows;
  l->seconds = run.seconds;
  l->state = run.status.ok() ? fmt::format("done in {:.1f}s", run.seconds) : "failed";
  Redraw(true);  // a log gets the run's summary instead
}

// Moves the cursor back over the lines drawn last time and draws them again.
void ProgressDisplay::Redraw(bool force) {
  if (!live_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string text;
  if (drawn_) text += fmt::format("\x1b[{}F", lines_.size());
  for (const auto& l : lines_) text += "\x1b[2K" + Render(l) + "\n";
  drawn_ = true;
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
}

}  // namespace lakeflow::cli
