#include "lakeflow/connectors/rest/page_walk.h"

#include "lakeflow/core/time_parse.h"
#include "lakeflow/http/url.h"

namespace lakeflow::rest {
namespace {

// A record's identity for the resume point: its primary key values, or a
// digest of its text when the table has none (FNV-1a, stable across builds
// because offsets outlive them).
std::string Identity(const ScannedRecord& record, bool keyed) {
  if (keyed) {
    std::string out;
    for (size_t i = 1; i < record.fields.size(); ++i) {
      if (i > 1) out += '\x1f';
      out += record.fields[i].value_or("");
    }
    return out;
  }
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : record.raw) hash = (hash ^ c) * 1099511628211ULL;
  return fmt::format("#{:016x}", hash);
}

}  // namespace

PageWalk::PageWalk(RestRequests* requests, const TableSpec& table, bool deletes, Options values)
    : requests_(requests),
      table_(&table),
      ep_(deletes ? &table.deletes->endpoint : &table.endpoint),
      values_(std::move(values)),
      rewrite_deletes_(deletes) {}

Result<std::unique_ptr<PageWalk>> PageWalk::Make(RestRequests* requests, const TableSpec& table,
                                                 bool deletes, Options values) {
  std::unique_ptr<PageWalk> walk(new PageWalk(requests, table, deletes, std::move(values)));
  LF_ASSIGN_OR_RETURN(walk->converter_, JsonConverter::Make(table.name, table.schema));
  LF_ASSIGN_OR_RETURN(walk->pager_, requests->MakePaginator(*walk->ep_, walk->values_));
  // Pages are fetched ahead only for GET listings (Link headers name them).
  if (walk->ep_->method == "GET") {
    LF_ASSIGN_OR_RETURN(walk->prefetcher_, requests->Prefetcher(walk->values_));
  }
  std::string cursor_field =
      deletes ? table.deletes->cursor_field : table.metadata.cursor_field.value_or("");
  std::vector<std::string> scanned;
  if (!cursor_field.empty()) {
    scanned.push_back(cursor_field);
    for (const auto& key : table.metadata.primary_keys) scanned.push_back(key);
    walk->keyed_ = !table.metadata.primary_keys.empty();
  }
  walk->scanner_ = std::make_unique<PageScanner>(std::move(scanned));
  return walk;
}

Result<std::string> PageWalk::FirstPage() {
  window.BeginSequence();
  return requests_->FirstUrl(*ep_, values_, cursor, window.resume(),
                             "table '" + table_->name + "'");
}

Result<bool> PageWalk::Sequence(Position* pos) {
  return WalkSequence(pos, values_);
}

Result<std::vector<Chunk>> PageWalk::TakeChunks() {
  LF_RETURN_IF_ERROR(FlushBatch());
  held_ = 0;
  std::vector<Chunk> out = std::move(chunks_);
  chunks_.clear();
  return out;
}

// Whether the walk holds its limit and may stop here. An incremental read
// stops only where its records were in cursor order so far (the resume point
// then describes what was delivered); otherwise it reads on to the end of the
// sequence.
bool PageWalk::AtLimit() {
  if (held_ < limit) return false;
  if (!window.incremental() || whole_pages || window.Ordered()) return true;
  if (window.order() != CursorOrder::kNone) unordered_past_cap_ = true;
  return false;
}

// Walks one sequence of pages from `pos` until it ends (true) or the walk
// holds its limit (false, `pos` saying where to resume).
Result<bool> PageWalk::WalkSequence(Position* pos, const Options& values) {
  while (true) {
    LF_ASSIGN_OR_RETURN(http::HttpResponse response, FetchPage(pos->page, values));
    if (ep_->format != ResponseFormat::kJson) {
      LF_ASSIGN_OR_RETURN(response.body,
                          RecordsAsJsonArray(ep_->format, response.body, ep_->csv_delimiter,
                                             "table '" + table_->name + "'"));
    }
    LF_ASSIGN_OR_RETURN(auto records, scanner_->Scan(response.body, ep_->records));
    int64_t count = static_cast<int64_t>(records.size());
    LF_ASSIGN_OR_RETURN(auto next, pager_.NextUrl(pos->page, response, count, count));
    LF_ASSIGN_OR_RETURN(int64_t consumed, Take(response, records, pos->skip));
    if (pos->skip + consumed < count) {
      pos->skip += consumed;
      return false;  // the cap fell inside this page
    }
    if (!next) return true;
    *pos = Position{requests_->Storable(*next), 0};
    if (AtLimit()) return false;
    if (prefetcher_) {
      int64_t per_page = std::max<int64_t>(count, 1);
      prefetcher_->Prefetch(response, *next,
                            (std::max<int64_t>(limit - held_, 1) + per_page - 1) / per_page);
    }
  }
}

// A page: fetched ahead by the prefetcher, or now.
Result<http::HttpResponse> PageWalk::FetchPage(const std::string& url, const Options& values) {
  if (prefetcher_) {
    if (auto ahead = prefetcher_->Take(url)) return std::move(*ahead);
  }
  return requests_->Fetch(*ep_, url, values);
}

// Keeps the records of a scanned page from `from` on that the window
// keeps, until the walk holds its limit; returns how many records it
// looked at. Only kept records count toward the limit, and of those only
// the ones that move the cursor (RecordWindow::Counts), so a walk over
// records read before runs to its end and is seen to have caught up. The
// page goes on whole when all of it is kept (the common case); otherwise
// the kept records are joined into a new array. Either way it is converted
// now.
Result<int64_t> PageWalk::Take(const http::HttpResponse& response,
                               const std::vector<ScannedRecord>& records, int64_t from) {
  std::vector<size_t> kept;
  size_t i = static_cast<size_t>(std::max<int64_t>(from, 0));
  for (; i < records.size(); ++i) {
    if (!whole_pages && AtLimit()) break;
    const ScannedRecord& record = records[i];
    std::optional<int64_t> micros;
    if (!record.fields.empty() && record.fields[0])
      micros = ParseTimestampMicros(*record.fields[0]);
    if (window.incremental() && !window.Keep(micros, Identity(record, keyed_))) continue;
    if (cursor && micros) cursor->ObserveMicros(*micros);
    kept.push_back(i);
    if (whole_pages || window.Counts(micros)) ++held_;
  }
  int64_t consumed = static_cast<int64_t>(i) - from;
  if (kept.empty()) return consumed;
  if (rewrite_deletes_) {
    LF_RETURN_IF_ERROR(TakeDeletes(records, kept));
  } else if (kept.size() == records.size()) {
    LF_RETURN_IF_ERROR(converter_->AppendDocument(response.body, ep_->records));
  } else {
    std::string array = "[";
    for (size_t k : kept) {
      if (array.size() > 1) array += ',';
      array.append(records[k].raw);
    }
    array += ']';
    LF_RETURN_IF_ERROR(converter_->AppendDocument(array));
  }
  if (converter_->num_rows() >= kBatchRows) LF_RETURN_IF_ERROR(FlushBatch());
  return consumed;
}

Status PageWalk::FlushBatch() {
  if (converter_->num_rows() == 0) return Status::OK();
  LF_ASSIGN_OR_RETURN(auto batch, converter_->Flush());
  chunks_.emplace_back(std::move(batch));
  return Status::OK();
}

// A deletes endpoint's records become the table's rows: the keys, and the
// deletion time under the table's cursor field (the sequence a pipeline
// orders deletes by).
Status PageWalk::TakeDeletes(const std::vector<ScannedRecord>& records,
                             const std::vector<size_t>& kept) {
  std::string lines;
  for (size_t i : kept) {
    Json record = Json::parse(records[i].raw, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object()) return Status::SourceError("a deleted record is not an object");
    Json row = Json::object();
    for (const auto& key : table_->metadata.primary_keys) {
      auto it = record.find(key);
      row[key] = it != record.end() ? *it : Json();
    }
    if (table_->metadata.cursor_field) {
      const auto& cursor = records[i].fields.empty() ? std::nullopt : records[i].fields[0];
      row[*table_->metadata.cursor_field] = cursor ? Json(*cursor) : Json();
    }
    lines += row.dump();
    lines += '\n';
  }
  return converter_->AppendJsonLines(lines);
}

Bound PageWalk::BoundOf(const ScannedRecord& parent) const {
  Bound out;
  const auto& bind = table_->parent->bind;
  for (size_t i = 0; i < bind.size(); ++i) {
    if (parent.fields[i]) out[bind[i].first] = *parent.fields[i];
  }
  return out;
}

// One parent's children, from `child` (at its start when empty).
Result<bool> PageWalk::WalkChildren(const Bound& bound, Position* child) {
  Options child_values = values_;
  // An unbound placeholder (the parent lacks the field) is named by the child's path.
  for (const auto& [placeholder, value] : bound) child_values.Set(placeholder, value);
  if (child->page.empty()) {
    window.BeginSequence();
    LF_ASSIGN_OR_RETURN(child->page,
                        requests_->FirstUrl(*ep_, child_values, cursor, window.resume(),
                                            "table '" + table_->name + "'"));
    child->skip = 0;
  }
  return WalkSequence(child, child_values);
}

Result<http::HttpResponse> PageWalk::FetchParentPage(const std::string& url) {
  if (parent_url_ != url) {
    const TableSpec* parent = requests_->spec().FindTable(table_->parent->table);
    if (!parent) return Status::Internal("table '{}': no parent table", table_->name);
    LF_ASSIGN_OR_RETURN(parent_response_, requests_->Fetch(parent->endpoint, url, values_));
    parent_url_ = url;
  }
  return parent_response_;
}

// Finds the pending parent again: at or before its place on its page (the
// parents before it moved away, to the listing's end, or were deleted), or
// on the page before (the shift crossed a page). Sets `at`, `response` and
// `parents` to where it is; false when it is not there.
Result<bool> PageWalk::PlacePending(const TableSpec& parent, PageScanner& scanner,
                                    FanOutPosition* at, http::HttpResponse* response,
                                    std::vector<ScannedRecord>* parents) {
  auto find = [&](const std::vector<ScannedRecord>& list) -> int64_t {
    for (size_t i = 0; i < list.size(); ++i) {
      if (BoundOf(list[i]) == *at->pending) return static_cast<int64_t>(i);
    }
    return -1;
  };
  int64_t found = find(*parents);
  if (found >= 0 && found <= at->index) {
    at->index = found;
    at->pending.reset();
    return true;
  }
  if (found >= 0) return false;  // parents were added before it
  using Kind = http::PaginatorSpec::Kind;
  const http::PaginatorSpec& paging = parent.endpoint.paginator;
  if (paging.kind != Kind::kLinkHeader && paging.kind != Kind::kPageNumber) return false;
  const std::string page_param = paging.kind == Kind::kLinkHeader ? "page" : paging.page_param;
  int64_t first_page = paging.kind == Kind::kLinkHeader ? 1 : paging.start_page;
  int64_t page = http::QueryInt(at->page, page_param, -1);
  if (page - 1 < first_page) return false;  // the first page (or not numbered)
  std::string before = http::SetQueryParam(at->page, page_param, std::to_string(page - 1));
  LF_ASSIGN_OR_RETURN(http::HttpResponse earlier, FetchParentPage(before));
  LF_ASSIGN_OR_RETURN(auto earlier_parents, scanner.Scan(earlier.body, parent.endpoint.records));
  found = find(earlier_parents);
  if (found < 0) return false;
  at->page = before;
  at->index = found;
  at->pending.reset();
  *response = std::move(earlier);
  *parents = std::move(earlier_parents);
  return true;
}

// Walks the parent's pages and, for each parent record, its children: from
// the pending parent, if any, then on from `at->index`.
Result<bool> PageWalk::FanOut(FanOutPosition* at) {
  const TableSpec& table = *table_;
  const TableSpec* parent = requests_->spec().FindTable(table.parent->table);
  std::vector<std::string> fields;
  for (const auto& [placeholder, field] : table.parent->bind) fields.push_back(field);
  PageScanner parent_scanner(fields);
  LF_ASSIGN_OR_RETURN(http::Paginator parent_pager,
                      requests_->MakePaginator(parent->endpoint, values_));
  auto first_page = [&] {
    return requests_->FirstUrl(parent->endpoint, values_, nullptr, std::nullopt,
                               "table '" + parent->name + "'");
  };
  if (at->page.empty()) {
    LF_ASSIGN_OR_RETURN(at->page, first_page());
  }
  while (true) {
    LF_ASSIGN_OR_RETURN(http::HttpResponse response, FetchParentPage(at->page));
    LF_ASSIGN_OR_RETURN(auto parents, parent_scanner.Scan(response.body, parent->endpoint.records));
    int64_t count = static_cast<int64_t>(parents.size());
    if (at->pending) {
      LF_ASSIGN_OR_RETURN(bool placed,
                          PlacePending(*parent, parent_scanner, at, &response, &parents));
      if (!placed) {
        // The listing changed around the parent so that what was walked
        // cannot be told: every parent again, from the first page. At least
        // once, never a skip (children merge by key; append tables may see
        // some twice).
        window.DropResume();
        *at = FanOutPosition{};
        LF_ASSIGN_OR_RETURN(at->page, first_page());
        continue;
      }
      count = static_cast<int64_t>(parents.size());
    }
    for (; at->index < count; ++at->index) {
      Bound bound = BoundOf(parents[at->index]);
      if (at->child.page.empty() && held_ >= limit) {
        at->pending = bound;  // stopped between parents
        at->pending_started = false;
        return false;
      }
      LF_ASSIGN_OR_RETURN(bool done, WalkChildren(bound, &at->child));
      if (!done) {
        at->pending = bound;
        at->pending_started = true;
        return false;
      }
      at->child = Position{};
    }
    LF_ASSIGN_OR_RETURN(auto next, parent_pager.NextUrl(at->page, response, count, count));
    if (!next) return true;
    at->page = requests_->Storable(*next);
    at->index = 0;
  }
}

}  // namespace lakeflow::rest
