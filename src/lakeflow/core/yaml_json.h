// YAML values as JSON: a pipeline spec's table_configuration values reach the
// source as text, and a value that is not a string travels as its JSON, as the
// reference's pipeline passes it (json.dumps of what its YAML loader made).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "lakeflow/core/json_access.h"
#include "lakeflow/core/yaml_reader.h"

namespace lakeflow {

// `node` as JSON with YAML 1.2's core schema: a plain scalar is null, a
// boolean, an integer or a float when it reads as one, else a string; a quoted
// scalar is always a string; sequences and mappings become arrays and objects.
// Errors (text that is not UTF-8, nesting deeper than 64) name `field`.
Result<Json> YamlToJson(const YamlReader& reader, const YAML::Node& node, const std::string& field);

// A table option from a YAML value: a string as it is, a number as written,
// anything else as its JSON text (true, null, ["a","b"], {"k":1}).
Result<std::string> YamlOptionText(const YamlReader& reader, const YAML::Node& node,
                                   const std::string& field);

}  // namespace lakeflow
