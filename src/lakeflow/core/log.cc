#include "lakeflow/core/log.h"

#include <cstdio>
#include <mutex>

namespace lakeflow {
namespace {

std::mutex& SinkMutex() {
  static std::mutex mutex;
  return mutex;
}

WarningSink& Sink() {
  static WarningSink sink;
  return sink;
}

}  // namespace

WarningSink SetWarningSink(WarningSink sink) {
  std::lock_guard lock(SinkMutex());
  std::swap(Sink(), sink);
  return sink;
}

void WarnLine(std::string_view line) {
  std::lock_guard lock(SinkMutex());
  if (Sink()) {
    Sink()(line);
    return;
  }
  std::string text = fmt::format("lakeflow: warning: {}\n", line);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace lakeflow
