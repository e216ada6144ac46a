// What a read of the lakeflow_connect format asks for, parsed from its options.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/core/offset.h"
#include "lakeflow/core/options.h"

namespace lakeflow {

// The special table names of the seed's calls, old and new spellings.
inline constexpr const char* kMetadataTable = "_lakeflow_metadata";
inline constexpr const char* kTableListTable = "_lakeflow_table_list";
inline constexpr const char* kCommunityMetadataTable = "_community_table_metadata";
inline constexpr const char* kCommunityTablesTable = "_community_tables";
inline constexpr const char* kCommunityNamespacesTable = "_community_namespaces";

// Option keys the data source itself reads (never passed on as table options).
inline constexpr const char* kConnectionOption = "databricks.connection";
inline constexpr const char* kTableNameOption = "tableName";
inline constexpr const char* kTableNameListOption = "tableNameList";
inline constexpr const char* kTableConfigsOption = "tableConfigs";
inline constexpr const char* kIsDeleteFlowOption = "isDeleteFlow";
// Options of the namespace listings only (_community_namespaces,
// _community_tables); a table read passes them on to the connector.
inline constexpr const char* kNamespacePrefixOption = "namespacePrefix";
inline constexpr const char* kNamespaceOption = "namespace";

// A namespace: a path of names, [] being the root (see SupportsNamespaces).
using Namespace = std::vector<std::string>;

struct ReadRequest {
  enum class Kind {
    kMetadata,    // _lakeflow_metadata, _community_table_metadata
    kTableList,   // _lakeflow_table_list: table_schema, table_name
    kTables,      // _community_tables: namespace, tableName
    kNamespaces,  // _community_namespaces: namespace
    kTable,       // a table of the source
  };

  Kind kind = Kind::kTable;
  std::string table;                             // the tableName option
  bool delete_flow = false;                      // isDeleteFlow=true
  std::vector<std::string> table_list;           // tableNameList: "a,b" or ["a","b"]
  std::map<std::string, Options> table_configs;  // tableConfigs: {"a": {"k": "v"}}
  Namespace namespace_prefix;                    // namespacePrefix: ["a"]
  std::optional<Namespace> in_namespace;         // namespace: ["a", "b"], or [] the root
  Options table_options;                         // every other read option

  // Whether this read lists namespaces or tables: its namespace options are
  // the data source's, not the connector's.
  bool ListsNamespaces() const { return kind == Kind::kTables || kind == Kind::kNamespaces; }

  // Options for one table: the read's own options, then its tableConfigs entry.
  Options OptionsFor(const std::string& table) const;
};

// Parses the read options. Errors name the option and what is wrong with it.
Result<ReadRequest> ParseReadRequest(const Options& read_options);

// Whether `key` is an option the data source consumes itself.
bool IsReservedOption(std::string_view key);
// Whether `key` is one of the namespace listings' options.
bool IsNamespaceOption(std::string_view key);

}  // namespace lakeflow
