#include "lakeflow/connections/secret.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lakeflow/connect/registry.h"
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

void Redactor::Add(std::string secret) {
  // Very short values would scrub innocent text; they are poor secrets anyway.
  if (secret.size() < 4) return;
  // Longest first, so a secret that begins another is not replaced inside it.
  auto at = std::find_if(secrets_.begin(), secrets_.end(),
                         [&](const std::string& s) { return s.size() < secret.size(); });
  secrets_.insert(at, std::move(secret));
}

std::string Redactor::Apply(std::string text) const {
  for (const auto& s : secrets_) {
    for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 4)) {
      text.replace(pos, s.size(), "****");
    }
  }
  return text;
}

Status Redactor::Apply(const Status& status) const {
  if (status.ok() || secrets_.empty()) return status;
  return Status(status.code(), Apply(status.message()));
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
