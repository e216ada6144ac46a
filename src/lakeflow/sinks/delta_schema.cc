#include "lakeflow/sinks/delta_schema.h"

#include <arrow/api.h>
#include <arrow/compute/cast.h>

#include "lakeflow/core/schema.h"

namespace lakeflow::sinks::delta {
namespace {

// `type` with variant markers dropped at every depth: Delta sees plain strings.
TypePtr PlainType(const TypePtr& type) {
  auto plain = [](const FieldPtr& f) {
    return arrow::field(f->name(), PlainType(f->type()), f->nullable());
  };
  switch (type->id()) {
    case arrow::Type::LIST:
      return arrow::list(plain(static_cast<const arrow::ListType&>(*type).value_field()));
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(*type);
      return std::make_shared<arrow::MapType>(plain(m.key_field()), plain(m.item_field()));
    }
    case arrow::Type::STRUCT: {
      arrow::FieldVector fields;
      for (const auto& f : type->fields()) fields.push_back(plain(f));
      return arrow::struct_(std::move(fields));
    }
    default:
      return type;
  }
}

// The Spark type text of a column as the table stores it.
std::string TypeText(const TypePtr& type) {
  return SparkTypeString(arrow::Field("c", PlainType(type)));
}

int IntegerRank(arrow::Type::type id) {
  switch (id) {
    case arrow::Type::INT8:
      return 1;
    case arrow::Type::INT16:
      return 2;
    case arrow::Type::INT32:
      return 3;
    case arrow::Type::INT64:
      return 4;
    default:
      return 0;
  }
}

// Whether values of `source` fit a table column of `table` without loss.
bool Widens(const TypePtr& source, const TypePtr& table) {
  if (TypeText(source) == TypeText(table)) return true;
  int s = IntegerRank(source->id()), t = IntegerRank(table->id());
  if (s && t) return s <= t;
  return source->id() == arrow::Type::FLOAT && table->id() == arrow::Type::DOUBLE;
}

Status TypeError(const std::string& table, const std::string& column, const TypePtr& table_type,
                 const TypePtr& source_type) {
  return Status::Invalid(
      "table '{}': column '{}' is {} in the table but {} in the source, which cannot be "
      "widened to it",
      table, column, TypeText(table_type), TypeText(source_type));
}

bool HasNtz(const arrow::DataType& type) {
  if (type.id() == arrow::Type::TIMESTAMP) {
    return static_cast<const arrow::TimestampType&>(type).timezone().empty();
  }
  for (const auto& f : type.fields()) {
    if (HasNtz(*f->type())) return true;
  }
  return false;
}

}  // namespace

Json DeltaSchemaJson(const arrow::Schema& schema) {
  arrow::FieldVector fields;
  for (const auto& f : schema.fields()) {
    fields.push_back(arrow::field(f->name(), PlainType(f->type()), /*nullable=*/true));
  }
  return SchemaToSparkJson(arrow::Schema(std::move(fields)));
}

Result<SchemaPtr> TableSchemaFromDelta(const std::string& schema_string, const std::string& table) {
  auto schema = SchemaFromSparkJson(std::string_view(schema_string));
  if (!schema.ok()) {
    return schema.status().WithContext(fmt::format("table '{}': metaData.schemaString", table));
  }
  return *schema;
}

Result<SchemaPtr> EvolveSchema(const std::string& table, const SchemaPtr& current,
                               const arrow::Schema& source, TypePtr history_type) {
  // A history table keeps its validity columns whatever writes it.
  auto existing = current ? current->GetFieldByName(kStartAt) : nullptr;
  if (existing && !history_type) history_type = existing->type();
  arrow::FieldVector fields;
  if (current) {
    for (const auto& f : current->fields()) {
      if (f->name() != kStartAt && f->name() != kEndAt) fields.push_back(f);
    }
  }
  for (const auto& f : source.fields()) {
    if (f->name() == kStartAt || f->name() == kEndAt) {
      return Status::Invalid("table '{}': source column '{}' has a name reserved for SCD2 history",
                             table, f->name());
    }
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const FieldPtr& g) { return g->name() == f->name(); });
    if (it == fields.end()) {
      fields.push_back(f);
    } else if (!Widens(f->type(), (*it)->type())) {
      return TypeError(table, f->name(), (*it)->type(), f->type());
    }
  }
  if (history_type) {
    if (existing && !existing->type()->Equals(*history_type)) {
      return TypeError(table, kStartAt, existing->type(), history_type);
    }
    fields.push_back(arrow::field(kStartAt, history_type));
    fields.push_back(arrow::field(kEndAt, history_type));
  }
  // Through the Delta JSON and back: the table's schema is what readers see.
  return TableSchemaFromDelta(DeltaSchemaJson(arrow::Schema(std::move(fields))).dump(), table);
}

Result<std::shared_ptr<arrow::RecordBatch>> AlignBatch(
    const std::string& table, const std::shared_ptr<arrow::RecordBatch>& batch,
    const SchemaPtr& target, bool ignore_extra) {
  if (!ignore_extra) {
    for (const auto& f : batch->schema()->fields()) {
      if (target->GetFieldIndex(f->name()) < 0) {
        return Status::Invalid("table '{}': the rows have a column '{}' the table lacks", table,
                               f->name());
      }
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (const auto& field : target->fields()) {
    int index = batch->schema()->GetFieldIndex(field->name());
    if (index < 0) {
      LF_ASSIGN_OR_RETURN_ARROW(auto nulls,
                                arrow::MakeArrayOfNull(field->type(), batch->num_rows()));
      columns.push_back(std::move(nulls));
      continue;
    }
    auto column = batch->column(index);
    if (!column->type()->Equals(*field->type())) {
      if (!Widens(column->type(), field->type())) {
        return TypeError(table, field->name(), field->type(), column->type());
      }
      auto cast = arrow::compute::Cast(*column, field->type());
      if (!cast.ok()) {
        return Status::Invalid("table '{}': column '{}': cannot convert {} to {}: {}", table,
                               field->name(), TypeText(column->type()), TypeText(field->type()),
                               cast.status().ToString());
      }
      column = *cast;
    }
    columns.push_back(std::move(column));
  }
  return arrow::RecordBatch::Make(target, batch->num_rows(), std::move(columns));
}

bool NeedsTimestampNtz(const arrow::Schema& schema) {
  for (const auto& f : schema.fields()) {
    if (HasNtz(*f->type())) return true;
  }
  return false;
}

}  // namespace lakeflow::sinks::delta
