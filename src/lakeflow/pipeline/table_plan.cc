#include "lakeflow/pipeline/table_plan.h"

#include <arrow/api.h>

#include <algorithm>
#include <map>

#include "lakeflow/datasource/read_request.h"
#include "lakeflow/sinks/delta_data.h"
#include "lakeflow/sinks/destination.h"

namespace lakeflow::pipeline {
namespace {

Options BaseOptions(const PipelineSpec& spec) {
  Options o;
  o.Set(kConnectionOption, spec.connection_name);
  return o;
}

Result<std::unique_ptr<DataSource>> Open(const Options& options, const ConnectionStore& store,
                                         const ConnectorRegistry* registry) {
  OpenOptions open;
  open.store = &store;
  open.registry = registry;
  return DataSource::Open(options, open);
}

// _lakeflow_metadata for every source table, with each table's own options.
Result<std::map<std::string, TableMetadata>> ReadAllMetadata(const PipelineSpec& spec,
                                                             const ConnectionStore& store,
                                                             const ConnectorRegistry* registry) {
  Json names = Json::array();
  Json configs = Json::object();
  for (const auto& t : spec.objects) {
    names.push_back(t.source_table);
    Json config = Json::object();
    for (const auto& [k, v] : t.source_options) config[k] = v;
    if (!config.empty()) configs[t.source_table] = config;
  }
  Options options = BaseOptions(spec);
  options.Set("tableName", "_lakeflow_metadata");
  options.Set("tableNameList", names.dump());
  if (!configs.empty()) options.Set("tableConfigs", configs.dump());
  LF_ASSIGN_OR_RETURN(auto source, Open(options, store, registry));
  LF_ASSIGN_OR_RETURN(auto batches, source->ReadAll());
  std::map<std::string, TableMetadata> out;
  while (true) {
    LF_ASSIGN_OR_RETURN(auto batch, batches->Next());
    if (!batch) break;
    auto name = std::static_pointer_cast<arrow::StringArray>(batch->column(0));
    auto keys = std::static_pointer_cast<arrow::ListArray>(batch->column(1));
    auto key_values = std::static_pointer_cast<arrow::StringArray>(keys->values());
    auto cursor = std::static_pointer_cast<arrow::StringArray>(batch->column(2));
    auto type = std::static_pointer_cast<arrow::StringArray>(batch->column(3));
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      TableMetadata m;
      for (int64_t k = keys->value_offset(i); k < keys->value_offset(i + 1); ++k)
        m.primary_keys.push_back(key_values->GetString(k));
      if (!cursor->IsNull(i)) m.cursor_field = cursor->GetString(i);
      LF_ASSIGN_OR_RETURN(m.ingestion_type, ParseIngestionType(type->GetString(i)));
      out[name->GetString(i)] = std::move(m);
    }
  }
  return out;
}

bool HasColumn(const SchemaPtr& schema, const std::string& path) {
  return schema->GetFieldByName(path.substr(0, path.find('.'))) != nullptr;
}

// The spec's view of one table against the source's; `where` prefixes errors.
Status Check(const TablePlan& plan, const std::string& where) {
  const auto& m = plan.metadata;
  for (const auto& key : m.primary_keys) {
    if (!HasColumn(plan.schema, key))
      return Status::Invalid("{}: primary key '{}' is not a column of source table '{}'", where,
                             key, plan.object.source_table);
  }
  if (!plan.sequence_by.empty() && !HasColumn(plan.schema, plan.sequence_by))
    return Status::Invalid("{}: sequence_by '{}' is not a column of source table '{}'", where,
                           plan.sequence_by, plan.object.source_table);
  bool merges = !plan.Appends();
  if (merges && m.primary_keys.empty())
    return Status::Invalid(
        "{}: table '{}' ({}) needs primary_keys to be merged; set them in "
        "table_configuration or use scd_type APPEND_ONLY",
        where, plan.object.source_table, IngestionTypeName(m.ingestion_type));
  bool sequenced =
      m.ingestion_type == IngestionType::kCdc || m.ingestion_type == IngestionType::kCdcWithDeletes;
  if (merges && sequenced && plan.sequence_by.empty())
    return Status::Invalid("{}: table '{}' ({}) needs sequence_by (the source names no cursor)",
                           where, plan.object.source_table, IngestionTypeName(m.ingestion_type));
  if (merges && sequenced && plan.sequence_by.find('.') != std::string::npos)
    return Status::Invalid("{}: sequence_by '{}' must be a top-level column", where,
                           plan.sequence_by);
  return Status::OK();
}

// cluster_by against the destination's columns: top-level, each once, of a
// type with an order and file statistics (Delta skips files by them), and no
// more than Delta's limit.
Status CheckClustering(const TablePlan& plan, const std::string& where) {
  const auto& columns = plan.object.cluster_by;
  const std::string field = "table_configuration.cluster_by";
  if (columns.size() > sinks::kMaxClusterColumns) {
    return Status::Invalid("{}: {}: {} columns, at most {} may be given", where, field,
                           columns.size(), sinks::kMaxClusterColumns);
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string& name = columns[i];
    if (std::find(columns.begin(), columns.begin() + i, name) != columns.begin() + i) {
      return Status::Invalid("{}: {}: '{}' is given twice", where, field, name);
    }
    auto column = plan.schema->GetFieldByName(name);
    if (!column) {
      return Status::Invalid("{}: {}: '{}' is not a top-level column of the destination table",
                             where, field, name);
    }
    if (!sinks::delta::HasMinMaxStats(*column->type())) {
      return Status::Invalid(
          "{}: {}: '{}' has type {}; clustering columns must be numbers, strings, dates or "
          "timestamps",
          where, field, name, column->type()->ToString());
    }
  }
  return Status::OK();
}

}  // namespace

bool TablePlan::Appends() const {
  return object.scd_type == ScdType::kAppendOnly ||
         metadata.ingestion_type == IngestionType::kAppend;
}

Result<std::vector<TablePlan>> PlanPipeline(const PipelineSpec& spec, const ConnectionStore& store,
                                            const ConnectorRegistry* registry) {
  auto metadata = ReadAllMetadata(spec, store, registry);
  if (!metadata.ok()) return metadata.status().WithContext(spec.file);
  std::vector<TablePlan> plans;
  for (const auto& object : spec.objects) {
    std::string where = fmt::format("{}:{}: {}", spec.file, object.line, object.DestinationName());
    TablePlan plan;
    plan.object = object;
    plan.read_options = BaseOptions(spec);
    plan.read_options.Merge(object.source_options);
    plan.read_options.Set("tableName", object.source_table);
    auto source = Open(plan.read_options, store, registry);
    if (!source.ok()) return source.status().WithContext(where);
    auto schema = (*source)->Schema();
    if (!schema.ok()) return schema.status().WithContext(where);
    plan.source_schema = *schema;
    plan.schema = *schema;
    plan.source = std::move(source).value();
    auto found = metadata->find(object.source_table);
    if (found == metadata->end())
      return Status::NotFound("{}: no metadata for source table '{}'", where, object.source_table);
    plan.metadata = found->second;
    if (!object.primary_keys.empty()) plan.metadata.primary_keys = object.primary_keys;
    plan.sequence_by = object.sequence_by.value_or(plan.metadata.cursor_field.value_or(""));
    LF_RETURN_IF_ERROR(Check(plan, where));
    LF_ASSIGN_OR_RETURN(plan.shape,
                        RowShape::Make(object, plan.source_schema, plan.metadata.primary_keys,
                                       plan.sequence_by, where));
    plan.schema = plan.shape.schema();
    LF_RETURN_IF_ERROR(CheckClustering(plan, where));
    if (plan.metadata.ingestion_type == IngestionType::kCdcWithDeletes && !plan.Appends()) {
      Options deletes = plan.read_options;
      deletes.Set(kIsDeleteFlowOption, "true");
      auto delete_source = Open(deletes, store, registry);
      if (!delete_source.ok()) return delete_source.status().WithContext(where);
      plan.delete_source = std::move(delete_source).value();
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace lakeflow::pipeline
