// Secret references and redaction.
//
// A connection option may hold a reference instead of the secret itself:
//   env:VAR    the value of environment variable VAR
//   file:PATH  the contents of PATH, trailing newline removed
// References are resolved only when a connector is created, so the secret is
// never stored by lakeflow. `literal:` keeps a value that starts with one of
// these prefixes as it is.
//
// Every resolved secret value is handed to a Redactor, which scrubs it from
// any message before that message is shown, logged or written.
#pragma once

#include <string>
#include <vector>

#include "lakeflow/core/options.h"
#include "lakeflow/core/redaction.h"
#include "lakeflow/core/status.h"

namespace lakeflow {

// Resolves one option value. `option` names it in errors (never the value).
Result<std::string> ResolveSecretReference(std::string_view option, const std::string& value);
// True for "env:..." / "file:..." values, which are safe to display.
bool IsSecretReference(std::string_view value);

// Resolves every reference in `options`. Values of secret options (by name, or
// any value that came from a reference) are added to `redactor`.
Result<Options> ResolveOptions(const Options& options, const std::vector<std::string>& secret_names,
                               Redactor* redactor);

}  // namespace lakeflow
