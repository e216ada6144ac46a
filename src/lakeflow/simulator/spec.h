// The simulator's API description: endpoints.yaml loaded into plain structs.
//
// The spec is read once at start-up; everything after works on these structs,
// so yaml-cpp (which throws) stays behind LoadSpec.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow::simulator {

// How a filter compares a record's field with the request's value. kIn takes
// a comma-separated list of values, any of which may match.
enum class FilterOp { kEq, kNe, kGt, kGte, kLt, kLte, kIn, kEndsWith };
enum class ParamRole {
  kFilter,
  kIgnore,  // accepted and ignored, as the API does with what does not change the records
  kSortBy,
  kSortOrder,
  kPage,
  kPerPage,
  kOffset,
  kLimit,
  kStartTime,  // time_based: unix seconds, records whose `field` is at or after it
  kDeleted,    // equal to `value` ("true" unless given): the deleted records instead
  kCursor,     // cursor style: the token of the page asked for (absent: the first)
};
enum class Pagination {
  kPageNumberWithLinkHeader,
  kPageNumber,
  kOffsetLimit,
  kTimeBased,    // Zendesk incremental export: start_time, end_time, end_of_stream
  kNextPageUrl,  // Zendesk list: next_page / previous_page URLs in the body
  kCursor,       // an opaque token in the body (dotted next_cursor), sent back by role cursor
  kNone,
};

struct ParamSpec {
  std::string name;
  ParamRole role = ParamRole::kFilter;
  std::string field;  // kFilter, kStartTime: dotted record field
  FilterOp op = FilterOp::kEq;
  // kFilter: this value means "no filter" (GitHub's state=all).
  std::string all_value;
  std::string value;  // path params: template such as "/pulls/{pull_number}"
  // kSortBy: option -> dotted field ("created" -> "created_at" unless mapped).
  std::map<std::string, std::string> sort_options;
  int64_t default_value = 0;  // kPerPage / kLimit
  int64_t max_value = 0;      // kPerPage / kLimit; 0 = unbounded
};

struct SortSpec {
  std::string field;  // empty: corpus order
  bool descending = false;
  std::string tie_field;  // breaks ties, same direction; empty: corpus order
};

struct EndpointSpec {
  std::string path;  // "/repos/{owner}/{repo}/issues"
  std::string method = "GET";
  std::string corpus;                  // corpus/NAME.json; empty (or no such file): no records
  std::vector<ParamSpec> params;       // query parameters
  std::vector<ParamSpec> path_params;  // path segments that filter
  Pagination pagination = Pagination::kNone;
  SortSpec default_sort;
  // Non-empty: records wrapped in an object; dotted ("data.issues.nodes"):
  // in nested objects, as GraphQL answers.
  std::string records_key;
  std::string extras_json;  // wrapper extras, a JSON object, emitted as given
  bool single_entity = false;
  // kCursor: where the wrapper holds the next page's token (null on the last
  // page) and, optionally, a has-more flag; dotted paths.
  std::string next_cursor_path = "next_cursor";
  std::string has_more_path;
  std::string future_cursor_field;  // synthesize_future_records
  int64_t future_count = 0;
};

struct Spec {
  std::string dir;
  std::vector<EndpointSpec> endpoints;
};

// Reads DIR/endpoints.yaml. Every problem is reported at once, one line each:
// "FILE:LINE: FIELD: problem", naming the value and what is accepted.
Result<Spec> LoadSpec(const std::string& dir);

// Parses "dotted.field asc|desc".
Result<SortSpec> ParseSort(const std::string& text);

}  // namespace lakeflow::simulator
