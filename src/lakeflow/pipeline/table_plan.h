// The plan of a pipeline: for each table of the spec, what the source says
// (schema, keys, cursor, ingestion type) with the spec's overrides applied, and
// how it will be written. Everything a spec can get wrong is found here, before
// any data moves.
#pragma once

#include <string>
#include <vector>

#include "lakeflow/connect/lakeflow_connect.h"
#include "lakeflow/connect/registry.h"
#include "lakeflow/connections/connection_store.h"
#include "lakeflow/datasource/data_source.h"
#include "lakeflow/pipeline/pipeline_spec.h"
#include "lakeflow/pipeline/row_shape.h"

namespace lakeflow::pipeline {

struct TablePlan {
  TableObject object;
  SchemaPtr source_schema;  // the source table's
  SchemaPtr schema;         // the destination table's: the columns the shape keeps
  RowShape shape;           // include/exclude_columns and row_filter
  TableMetadata metadata;   // primary keys overridden by the spec
  std::string sequence_by;  // the ordering column path; empty when none applies
  Options read_options;     // databricks.connection, tableName and the table's source options
  // The table's source, opened for planning and kept for the run, so the
  // connection is resolved and the schema read once.
  std::shared_ptr<DataSource> source;
  // The delete flow's source (isDeleteFlow=true), for cdc_with_deletes tables
  // that are merged; null otherwise.
  std::shared_ptr<DataSource> delete_source;

  // Whether rows are appended rather than merged by key.
  bool Appends() const;
};

// Reads the metadata of every table at once (through _lakeflow_metadata) and
// each table's schema, and checks the spec against them. An error is one line
// naming the spec file, the object's line and what is wrong.
Result<std::vector<TablePlan>> PlanPipeline(const PipelineSpec& spec, const ConnectionStore& store,
                                            const ConnectorRegistry* registry = nullptr);

}  // namespace lakeflow::pipeline
