#include "lakeflow/connections/connection_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lakeflow/core/file_io.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/utf8.h"

namespace lakeflow {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string>& DefaultAllowedOptions() {
  static const std::vector<std::string> kDefaults = {"tableName", "tableNameList", "tableConfigs",
                                                     "isDeleteFlow", "max_records_per_batch"};
  return kDefaults;
}

ConnectionStore ConnectionStore::Default() {
  if (const char* home = std::getenv("LAKEFLOW_HOME"); home && *home) return ConnectionStore(home);
  const char* user_home = std::getenv("HOME");
  return ConnectionStore(std::string(user_home ? user_home : ".") + "/.lakeflow");
}

Status ValidateConnectionName(std::string_view name) {
  if (name.empty() || name.size() > 128)
    return Status::Invalid("connection name must be 1 to 128 characters");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return Status::Invalid("connection name '{}' may hold only letters, digits, '_' and '-'",
                             name);
    }
  }
  return Status::OK();
}

std::string ConnectionStore::PathOf(std::string_view name) const {
  return home_ + "/connections/" + std::string(name) + ".json";
}

namespace {

json ToJson(const Connection& c) {
  json options = json::object();
  for (const auto& [k, v] : c.options) options[k] = v;
  return {{"name", c.name},
          {"source", c.source},
          {"options", options},
          {"allowed_options", c.allowed_options},
          {"secret_options", c.secret_options}};
}

// Connection files are read as outside JSON: anyone with the folder may have
// edited one, so every member's type is checked.
Result<Connection> FromJson(const json& j, const std::string& path) {
  std::string where = "connection file " + path + " is corrupt";
  LF_ASSIGN_OR_RETURN(auto fields, JsonFields::Of(j, where, StatusCode::kIO));
  Connection c;
  LF_ASSIGN_OR_RETURN(c.name, fields.String("name"));
  LF_ASSIGN_OR_RETURN(c.source, fields.String("source"));
  if (const json* options = fields.Find("options")) {
    if (!options->is_object()) return fields.Error("options", "must be an object");
    for (const auto& [k, v] : options->items()) {
      if (!v.is_string()) return Status::IOError("{}: option '{}' must be a string", where, k);
      c.options.Set(k, v.get<std::string>());
    }
  }
  LF_ASSIGN_OR_RETURN(c.allowed_options, fields.StringsOr("allowed_options"));
  LF_ASSIGN_OR_RETURN(c.secret_options, fields.StringsOr("secret_options"));
  return c;
}

// Every text of `c` is written as JSON, which cannot hold bytes that are not
// UTF-8: they are refused here, naming the option, rather than abort the write.
Status CheckUtf8Texts(const Connection& c) {
  LF_RETURN_IF_ERROR(CheckUtf8(c.source, "the source name"));
  for (const auto& [k, v] : c.options) {
    LF_RETURN_IF_ERROR(CheckUtf8(k, "an option name"));
    LF_RETURN_IF_ERROR(CheckUtf8(v, fmt::format("the value of option '{}'", k)));
  }
  for (const auto& a : c.allowed_options) LF_RETURN_IF_ERROR(CheckUtf8(a, "an allowed option"));
  return Status::OK();
}

}  // namespace

Status ConnectionStore::Create(const Connection& connection, bool replace) {
  LF_RETURN_IF_ERROR(ValidateConnectionName(connection.name));
  auto texts = CheckUtf8Texts(connection);
  if (!texts.ok()) return texts.WithContext(fmt::format("connection '{}'", connection.name));
  std::error_code ec;
  fs::create_directories(home_ + "/connections", ec);
  if (ec) return Status::IOError("cannot create {}/connections: {}", home_, ec.message());
  fs::permissions(home_ + "/connections", fs::perms::owner_all, ec);
  std::string path = PathOf(connection.name);
  if (!replace && fs::exists(path)) {
    return Status::Invalid("connection '{}' already exists (delete it first)", connection.name);
  }
  return WriteFileAtomically(path, ToJson(connection).dump(2) + "\n", 0600);
}

Result<Connection> ConnectionStore::Get(std::string_view name) const {
  LF_RETURN_IF_ERROR(ValidateConnectionName(name));
  std::string path = PathOf(name);
  auto text = ReadWholeFile(path);
  if (!text.ok())
    return Status::NotFound("unknown connection '{}' (none in {}/connections)", name, home_);
  LF_ASSIGN_OR_RETURN(json j,
                      ParseJson(*text, "connection file " + path + " is corrupt", StatusCode::kIO));
  return FromJson(j, path);
}

Result<std::vector<Connection>> ConnectionStore::List() const {
  std::vector<Connection> out;
  std::error_code ec;
  fs::directory_iterator it(home_ + "/connections", ec);
  if (ec) return out;  // no store yet: no connections
  std::vector<std::string> names;
  for (const auto& entry : it) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    LF_ASSIGN_OR_RETURN(auto c, Get(n));
    out.push_back(std::move(c));
  }
  return out;
}

Status ConnectionStore::Delete(std::string_view name) {
  LF_RETURN_IF_ERROR(ValidateConnectionName(name));
  std::error_code ec;
  if (!fs::remove(PathOf(name), ec)) return Status::NotFound("unknown connection '{}'", name);
  return Status::OK();
}

}  // namespace lakeflow
