#include "lakeflow/datasource/read_request.h"

#include "lakeflow/core/json_access.h"

namespace lakeflow {

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

Result<std::vector<std::string>> ParseTableList(const std::string& text) {
  std::vector<std::string> out;
  std::string trimmed = Trim(text);
  // ",".join([]) of the seed's call: no names, which means every table.
  if (trimmed.empty()) return out;
  if (trimmed.starts_with("[")) {
    LF_ASSIGN_OR_RETURN(Json j, ParseJson(trimmed, "option tableNameList"));
    if (!j.is_array()) return Status::Invalid("option tableNameList: not a JSON array");
    for (const auto& v : j) {
      if (!v.is_string() || v.get<std::string>().empty()) {
        return Status::Invalid(
            "option tableNameList: every entry must be a non-empty string, got {}", DumpJson(v));
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  size_t start = 0;
  while (start <= trimmed.size()) {
    size_t comma = trimmed.find(',', start);
    std::string name = Trim(std::string_view(trimmed).substr(start, comma - start));
    if (name.empty()) {
      return Status::Invalid("option tableNameList: empty table name in '{}'", trimmed);
    }
    out.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// A JSON list of strings, the form of namespacePrefix and namespace.
Result<Namespace> ParseNamespace(const std::string& text, const char* option) {
  auto where = fmt::format("option {}", option);
  LF_ASSIGN_OR_RETURN(Json j, ParseJson(text, where));
  Namespace out;
  if (!j.is_array()) return Status::Invalid("{}: must be a JSON list of strings", where);
  for (const auto& v : j) {
    if (!v.is_string()) return Status::Invalid("{}: must be a JSON list of strings", where);
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, Options>> ParseTableConfigs(const std::string& text) {
  LF_ASSIGN_OR_RETURN(Json j, ParseJson(text, "option tableConfigs"));
  if (!j.is_object()) {
    return Status::Invalid(
        "option tableConfigs: must be a JSON object of table -> {{option: value}}");
  }
  std::map<std::string, Options> out;
  for (const auto& [table, config] : j.items()) {
    if (!config.is_object()) {
      return Status::Invalid("option tableConfigs: entry for table '{}' must be an object", table);
    }
    Options options;
    for (const auto& [k, v] : config.items()) {
      // Spark options are strings; numbers and booleans are accepted as their text.
      if (v.is_string()) {
        options.Set(k, v.get<std::string>());
      } else if (v.is_primitive() && !v.is_null()) {
        options.Set(k, v.dump());
      } else {
        options.Set(k, v.dump());  // lists (primary_keys) travel as JSON text
      }
    }
    out[table] = std::move(options);
  }
  return out;
}

}  // namespace

bool IsReservedOption(std::string_view key) {
  for (const char* reserved : {kConnectionOption, kTableNameOption, kTableNameListOption,
                               kTableConfigsOption, kIsDeleteFlowOption}) {
    if (EqualsIgnoreCase(key, reserved)) return true;
  }
  return false;
}

bool IsNamespaceOption(std::string_view key) {
  return EqualsIgnoreCase(key, kNamespacePrefixOption) || EqualsIgnoreCase(key, kNamespaceOption);
}

Options ReadRequest::OptionsFor(const std::string& table) const {
  Options out = table_options;
  auto it = table_configs.find(table);
  if (it != table_configs.end()) out.Merge(it->second);
  return out;
}

Result<ReadRequest> ParseReadRequest(const Options& read_options) {
  ReadRequest request;
  auto table = read_options.Get(kTableNameOption);
  if (!table || Trim(*table).empty()) {
    return Status::Invalid(
        "missing option tableName: name the table to read, or _lakeflow_metadata / "
        "_lakeflow_table_list");
  }
  request.table = Trim(*table);
  if (request.table == kMetadataTable || request.table == kCommunityMetadataTable) {
    request.kind = ReadRequest::Kind::kMetadata;
  } else if (request.table == kTableListTable) {
    request.kind = ReadRequest::Kind::kTableList;
  } else if (request.table == kCommunityTablesTable) {
    request.kind = ReadRequest::Kind::kTables;
  } else if (request.table == kCommunityNamespacesTable) {
    request.kind = ReadRequest::Kind::kNamespaces;
  } else if (request.table.starts_with("_community_")) {
    // A misspelt listing would otherwise reach the connector as a table name.
    return Status::Invalid("unknown table '{}': the _community_ tables are {}, {} and {}",
                           request.table, kCommunityMetadataTable, kCommunityTablesTable,
                           kCommunityNamespacesTable);
  }
  if (request.ListsNamespaces()) {
    if (auto prefix = read_options.Get(kNamespacePrefixOption)) {
      LF_ASSIGN_OR_RETURN(request.namespace_prefix,
                          ParseNamespace(*prefix, kNamespacePrefixOption));
    }
    if (auto ns = read_options.Get(kNamespaceOption)) {
      LF_ASSIGN_OR_RETURN(request.in_namespace, ParseNamespace(*ns, kNamespaceOption));
    }
  }
  if (auto list = read_options.Get(kTableNameListOption)) {
    LF_ASSIGN_OR_RETURN(request.table_list, ParseTableList(*list));
  }
  if (auto configs = read_options.Get(kTableConfigsOption)) {
    LF_ASSIGN_OR_RETURN(request.table_configs, ParseTableConfigs(*configs));
  }
  if (auto flag = read_options.Get(kIsDeleteFlowOption)) {
    auto b = ParseBool(*flag);
    if (!b) return Status::Invalid("option isDeleteFlow must be true or false, got '{}'", *flag);
    request.delete_flow = *b;
  }
  for (const auto& [k, v] : read_options) {
    if (IsReservedOption(k) || (request.ListsNamespaces() && IsNamespaceOption(k))) continue;
    request.table_options.Set(k, v);
  }
  return request;
}

}  // namespace lakeflow
