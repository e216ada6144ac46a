// Paginators: how a REST source says where the next page is.
//
//   kLinkHeader   the Link header's rel="next" URL (GitHub)
//   kPageNumber   ?page=N&per_page=M, N from `start_page`
//   kOffsetLimit  ?offset=K&limit=M
//   kCursor       a cursor read from the body (pointer), sent back as a parameter
//   kNextUrl      the next page's URL read from the body (Zendesk's next_page)
//   kNone         one request
//
// Whatever the kind, a sequence also stops on an empty page, when a total
// read from the body (total_pointer) is reached, when a has-more flag
// (has_more_pointer) is false, or when an end-of-stream flag is true. The state between pages is
// just the next URL, so a read can stop after any page and resume there from its offset.
#pragma once

#include <optional>
#include <string>

#include "lakeflow/core/status.h"
#include "lakeflow/http/http_types.h"
#include "lakeflow/http/url.h"

namespace lakeflow::http {

struct PaginatorSpec {
  enum class Kind { kNone, kLinkHeader, kPageNumber, kOffsetLimit, kCursor, kNextUrl };
  Kind kind = Kind::kNone;
  std::string page_param = "page";  // kPageNumber
  int64_t start_page = 1;
  std::string size_param;  // kPageNumber: per_page; kOffsetLimit: limit
  int64_t page_size = 100;
  std::string offset_param = "offset";  // kOffsetLimit
  std::string cursor_param = "cursor";  // kCursor
  std::string cursor_pointer;           // kCursor: JSON pointer to the next cursor
  std::string next_url_pointer;         // kNextUrl: JSON pointer to the next URL
  std::string total_pointer;            // optional: total number of records
  std::string has_more_pointer;         // optional: false means the last page
  std::string end_of_stream_pointer;    // optional: true means the last page (Zendesk)
};

Result<PaginatorSpec::Kind> ParsePaginatorKind(std::string_view name);

// Drives one sequence of pages.
class Paginator {
 public:
  explicit Paginator(PaginatorSpec spec) : spec_(std::move(spec)) {}

  // The first page's URL for `base` (which already holds the request's own
  // parameters).
  std::string FirstUrl(const std::string& base) const;

  // After a page of `records` records answered `url` with `response`: the
  // next page's URL, or nullopt when the sequence is over. `seen` counts the
  // records of the sequence so far, this page included.
  Result<std::optional<std::string>> NextUrl(const std::string& url, const HttpResponse& response,
                                             int64_t records, int64_t seen) const;

  const PaginatorSpec& spec() const { return spec_; }

 private:
  PaginatorSpec spec_;
};

// The target of a Link header's relation `rel` ("next", "last"), if any.
std::optional<std::string> LinkHeaderTarget(std::string_view link, std::string_view rel);
inline std::optional<std::string> LinkHeaderNext(std::string_view link) {
  return LinkHeaderTarget(link, "next");
}

// The integer value of query parameter `name` in `url`, or `fallback`.
int64_t QueryInt(const std::string& url, const std::string& name, int64_t fallback);

// `url` with query parameter `name` set to `value` (replaced if present).
std::string SetQueryParam(const std::string& url, const std::string& name,
                          const std::string& value);

}  // namespace lakeflow::http
