// PageScanner: a quick look at a page's records before they are converted.
//
// A REST read must know some fields of each record before handing the page to
// the converter: the cursor (to filter and to compute the end offset) and, for
// fan-out tables, the fields bound into child requests. The scanner walks the
// page with simdjson On-Demand, reading only those fields and skipping the
// rest, and remembers where each record's text starts and ends, so a page can
// be passed on whole or cut without re-serialising anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow::rest {

struct ScannedRecord {
  std::string_view raw;                            // the record's JSON text
  std::vector<std::optional<std::string>> fields;  // one per requested path; null/absent: nullopt
};

class PageScanner {
 public:
  // `paths` are dotted field paths ("commit.author.date").
  explicit PageScanner(std::vector<std::string> paths);
  ~PageScanner();
  PageScanner(const PageScanner&) = delete;
  PageScanner& operator=(const PageScanner&) = delete;

  // Scans the records at `pointer` in `body`: an array of objects, or one
  // object. The views in the result point into the scanner's own copy and stay
  // valid until the next Scan. A pointer to null, or into an empty body ({}
  // or []), is an empty page; a pointer that matches nothing in a body that
  // holds something is an error naming the pointer and what the body holds
  // (a spec whose `records` is wrong must not read zero rows quietly).
  Result<std::vector<ScannedRecord>> Scan(std::string_view body, const std::string& pointer);

 private:
  struct Impl;
  std::vector<std::vector<std::string>> paths_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lakeflow::rest
