// Warnings: one line each, for what the engine does on a user's behalf that
// they would want to know (records a connector returned that a rule set
// aside, a delete placed by a documented rule). Errors are not logged: they
// travel as Status values to whoever can act on them.
//
// Lines go to stderr as "lakeflow: warning: ...", so a command's stdout
// carries only its output. Callers scrub secrets first (DataSource::Decorate
// does).
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace lakeflow {

void WarnLine(std::string_view line);

template <typename... Args>
void Warn(fmt::format_string<Args...> format, Args&&... args) {
  WarnLine(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace lakeflow
