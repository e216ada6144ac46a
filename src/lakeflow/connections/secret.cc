#include "lakeflow/connections/secret.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lakeflow/core/file_io.h"

namespace lakeflow {

bool IsSecretReference(std::string_view value) {
  return value.starts_with("env:") || value.starts_with("file:");
}

Result<std::string> ResolveSecretReference(std::string_view option, const std::string& value) {
  if (value.starts_with("literal:")) return value.substr(8);
  if (value.starts_with("env:")) {
    std::string var = value.substr(4);
    const char* v = std::getenv(var.c_str());
    if (!v)
      return Status::Invalid("option '{}' refers to environment variable {}, which is not set",
                             option, var);
    return std::string(v);
  }
  if (value.starts_with("file:")) {
    std::string path = value.substr(5);
    auto text = ReadWholeFile(path);
    if (!text.ok()) {
      return Status::Invalid("option '{}' refers to file {}, which cannot be read", option, path);
    }
    std::string out = std::move(text).value();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }
  return value;
}

Result<Options> ResolveOptions(const Options& options, const std::vector<std::string>& secret_names,
                               Redactor* redactor) {
  Options out;
  for (const auto& [key, value] : options) {
    LF_ASSIGN_OR_RETURN(std::string resolved, ResolveSecretReference(key, value));
    bool secret = IsSecretReference(value) || LooksSecret(key);
    for (const auto& name : secret_names) secret = secret || EqualsIgnoreCase(name, key);
    if (secret && redactor) redactor->Add(resolved);
    out.Set(key, std::move(resolved));
  }
  return out;
}

}  // namespace lakeflow
