#include "lakeflow/connect/lakeflow_connect.h"

namespace lakeflow {

const char* IngestionTypeName(IngestionType type) {
  switch (type) {
    case IngestionType::kSnapshot:
      return "snapshot";
    case IngestionType::kCdc:
      return "cdc";
    case IngestionType::kCdcWithDeletes:
      return "cdc_with_deletes";
    case IngestionType::kAppend:
      return "append";
  }
  return "snapshot";
}

Result<IngestionType> ParseIngestionType(std::string_view name) {
  for (auto t : {IngestionType::kSnapshot, IngestionType::kCdc, IngestionType::kCdcWithDeletes,
                 IngestionType::kAppend}) {
    if (name == IngestionTypeName(t)) return t;
  }
  return Status::Invalid(
      "unknown ingestion_type '{}' (expected snapshot, cdc, cdc_with_deletes or append)", name);
}

Result<ReadResult> LakeflowConnect::read_table_deletes(std::string_view table, const Offset&,
                                                       const Options&) {
  return Status::Invalid(
      "table '{}' does not support the delete flow (isDeleteFlow): only "
      "cdc_with_deletes tables do",
      table);
}

Status LakeflowConnect::UnknownTable(std::string_view table) const {
  return Status::NotFound("unknown table '{}'", table);
}

std::string SupportsNamespaces::qualified_name(const std::vector<std::string>& ns,
                                               const std::string& table) {
  std::string out;
  for (const auto& name : ns) out += name + ".";
  return out + table;
}

}  // namespace lakeflow
