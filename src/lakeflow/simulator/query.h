// Filtering and sorting a corpus for one request.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lakeflow/simulator/corpus.h"
#include "lakeflow/simulator/spec.h"

namespace lakeflow::simulator {

struct Condition {
  FieldPath field;
  FilterOp op = FilterOp::kEq;
  std::string value;
};

// What a request asks for, minus paging: the cache key's content.
struct Query {
  std::vector<Condition> conditions;
  SortSpec sort;
  bool deleted = false;  // the deleted records (role `deleted`), not the live ones
  std::string CacheKey() const;
};

// Builds the query from the endpoint's spec, the request's query parameters
// and the path's {name} captures. Unknown parameters are ignored, as APIs do.
Result<Query> BuildQuery(const EndpointSpec& ep,
                         const std::multimap<std::string, std::string>& params,
                         const std::map<std::string, std::string>& captures);

bool Matches(const FieldValue& v, const Condition& c);

// Indexes of the live (or, for a `deleted` query, the deleted) records that match, in sort order
// (ties by index).
std::vector<uint32_t> Evaluate(const Corpus& corpus, const Query& q);

}  // namespace lakeflow::simulator
