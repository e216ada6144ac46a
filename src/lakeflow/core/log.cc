#include "lakeflow/core/log.h"

#include <cstdio>
#include <string>

namespace lakeflow {

void WarnLine(std::string_view line) {
  // One write of the whole line, so lines from threads do not interleave.
  std::string text = fmt::format("lakeflow: warning: {}\n", line);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace lakeflow
