#include "lakeflow/connectors/rest/rest_connector.h"

#include <chrono>
#include <deque>
#include <map>

#include "lakeflow/connectors/rest/page_prefetcher.h"
#include "lakeflow/connectors/rest/page_scanner.h"
#include "lakeflow/connectors/rest/record_window.h"
#include "lakeflow/connectors/rest/rest_offset.h"
#include "lakeflow/core/json_converter.h"
#include "lakeflow/core/log.h"
#include "lakeflow/core/time_parse.h"
#include "lakeflow/http/auth.h"
#include "lakeflow/http/http_client.h"
#include "lakeflow/http/incremental_cursor.h"
#include "lakeflow/http/multi_fetcher.h"
#include "lakeflow/http/url.h"

namespace lakeflow::rest {
namespace {

constexpr int64_t kDefaultMaxRecordsPerBatch = 10000;
// Rows per Arrow batch a read hands over.
constexpr int64_t kBatchRows = 8192;

// Where a walk stands in a sequence of pages: in memory (a batch read pulled
// a batch at a time), or a snapshot stream's offset. Empty `page`: at the start.
struct Position {
  std::string page;
  int64_t skip = 0;
};

// Where a walk of a fan-out table stands among the parent records.
struct FanOutPosition {
  std::string page;  // the parent listing page; empty: the first
  int64_t index = 0;
  // The parent to walk next, by its bound values, before going on at
  // `index`: where a read stopped. Found again by its values, so parents
  // that moved in the listing since are not skipped.
  std::optional<std::map<std::string, std::string>> pending;
  // Whether the read stopped among the pending parent's children (rather
  // than before them): the resume point is then theirs.
  bool pending_started = false;
  Position child;  // inside the pending parent's children (in-memory walks, snapshot streams)
};

std::string FormatForRequest(int64_t micros, CursorFormat format) {
  if (format == CursorFormat::kIso8601) return http::FormatCursor(micros);
  return std::to_string(std::max<int64_t>(micros / 1000000, 0));
}

std::string FormatForRequest(const std::string& iso, CursorFormat format) {
  auto micros = ParseTimestampMicros(iso);
  if (format == CursorFormat::kIso8601 || !micros) return iso;
  return FormatForRequest(*micros, format);
}

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

class RestConnector : public LakeflowConnect {
 public:
  RestConnector(std::shared_ptr<const RestSpec> spec, Options options)
      : LakeflowConnect(std::move(options)), spec_(std::move(spec)) {}

  Result<std::vector<std::string>> list_tables() override {
    std::vector<std::string> names;
    for (const auto& t : spec_->tables) names.push_back(t.name);
    return names;
  }

  Result<SchemaPtr> get_table_schema(std::string_view table, const Options&) override {
    LF_ASSIGN_OR_RETURN(const TableSpec* t, Table(table));
    return t->schema;
  }

  Result<TableMetadata> read_table_metadata(std::string_view table, const Options&) override {
    LF_ASSIGN_OR_RETURN(const TableSpec* t, Table(table));
    return t->metadata;
  }

  Result<ReadResult> read_table(std::string_view table, const Offset& start,
                                const Options& table_options) override {
    LF_ASSIGN_OR_RETURN(const TableSpec* t, Table(table));
    return Read(*t, /*deletes=*/false, start, table_options);
  }

  Result<ReadResult> read_table_deletes(std::string_view table, const Offset& start,
                                        const Options& table_options) override {
    LF_ASSIGN_OR_RETURN(const TableSpec* t, Table(table));
    if (!t->deletes) return LakeflowConnect::read_table_deletes(table, start, table_options);
    return Read(*t, /*deletes=*/true, start, table_options);
  }

  Status Init() {
    for (const auto& o : spec_->options) {
      if (o.required && !options().Get(o.name))
        return Status::Invalid("source '{}' needs option '{}'{}", Source(), o.name,
                               o.description.empty() ? "" : " (" + o.description + ")");
    }
    // Read options are checked again per read (a table may set its own);
    // checking the connection's here reports a mistake when connecting.
    LF_RETURN_IF_ERROR(MaxRecords(options()).status());
    LF_RETURN_IF_ERROR(http::CursorSettingsFromOptions(options()).status());
    LF_ASSIGN_OR_RETURN(parallel_pages_, options().GetIntOr("parallel_pages", 1));
    if (parallel_pages_ < 1 || parallel_pages_ > 16)
      return Status::Invalid("option 'parallel_pages' must be between 1 and 16, got {}",
                             parallel_pages_);
    return Status::OK();
  }

 private:
  static Result<int64_t> MaxRecords(const Options& values) {
    LF_ASSIGN_OR_RETURN(int64_t limit,
                        values.GetIntOr("max_records_per_batch", kDefaultMaxRecordsPerBatch));
    if (limit <= 0) return Status::Invalid("option 'max_records_per_batch' must be positive");
    return limit;
  }

  std::string Source() const { return spec_->source.empty() ? "rest" : spec_->source; }

  Result<const TableSpec*> Table(std::string_view name) const {
    const TableSpec* t = spec_->FindTable(name);
    if (!t) return UnknownTable(name);
    return t;
  }

  // Option values for templates: spec defaults < connection < table options.
  // A default may itself name options ("https://{subdomain}.zendesk.com"); it
  // is left unset when they are.
  Options Values(const Options& table_options) const {
    Options given = options();
    given.Merge(table_options);
    Options values;
    for (const auto& o : spec_->options) {
      if (!o.default_value) continue;
      auto expanded = ExpandTemplate(*o.default_value, given, "default", /*unset_ok=*/true);
      if (expanded.ok() && *expanded) values.Set(o.name, **expanded);
    }
    values.Merge(given);
    return values;
  }

  Result<http::HttpClient*> Client(const Options& values) {
    if (client_) return client_.get();
    http::HttpClientOptions o;
    o.ca_bundle = values.GetOr("ca_bundle", "");
    LF_ASSIGN_OR_RETURN(client_, http::HttpClient::Make(o));
    LF_ASSIGN_OR_RETURN(auth_, MakeAuth(values));
    if (auth_) client_->set_authenticator(auth_.get());
    if (parallel_pages_ > 1) {
      LF_ASSIGN_OR_RETURN(fetcher_, http::MultiFetcher::Make(o, static_cast<int>(parallel_pages_)));
      if (auth_) fetcher_->set_authenticator(auth_.get());
    }
    for (const auto& [name, value] : spec_->headers) {
      LF_ASSIGN_OR_RETURN(auto v, ExpandTemplate(value, values, "header '" + name + "'"));
      headers_.emplace_back(name, *v);
    }
    return client_.get();
  }

  Result<std::unique_ptr<http::Authenticator>> MakeAuth(const Options& values) {
    const AuthSpec& a = spec_->auth;
    auto expand = [&](const std::string& text, bool unset_ok) {
      return ExpandTemplate(text, values, "auth", unset_ok);
    };
    using K = AuthSpec::Kind;
    std::unique_ptr<http::Authenticator> none;
    switch (a.kind) {
      case K::kNone:
        return none;
      case K::kBearer: {
        LF_ASSIGN_OR_RETURN(auto token, expand(a.token, true));
        if (!token) return none;  // anonymous
        return http::MakeBearerAuth(*token);
      }
      case K::kBasic: {
        LF_ASSIGN_OR_RETURN(auto user, expand(a.username, false));
        LF_ASSIGN_OR_RETURN(auto password, expand(a.password, false));
        return http::MakeBasicAuth(*user, *password);
      }
      case K::kApiKeyHeader:
      case K::kApiKeyQuery: {
        LF_ASSIGN_OR_RETURN(auto key, expand(a.key, false));
        return http::MakeApiKeyAuth(
            a.key_name, *key,
            a.kind == K::kApiKeyQuery ? http::KeyPlacement::kQuery : http::KeyPlacement::kHeader);
      }
      case K::kOAuth2: {
        http::OAuth2Config c;
        LF_ASSIGN_OR_RETURN(auto url, expand(a.token_url, false));
        LF_ASSIGN_OR_RETURN(auto id, expand(a.client_id, false));
        LF_ASSIGN_OR_RETURN(auto secret, expand(a.client_secret, false));
        LF_ASSIGN_OR_RETURN(auto refresh, expand(a.refresh_token, true));
        LF_ASSIGN_OR_RETURN(auto scope, expand(a.scope, true));
        c.token_url = *url;
        c.client_id = *id;
        c.client_secret = *secret;
        c.refresh_token = refresh.value_or("");
        c.scope = scope.value_or("");
        LF_ASSIGN_OR_RETURN(token_client_, http::HttpClient::Make());
        return http::MakeOAuth2Auth(std::move(c), token_client_.get());
      }
    }
    return none;
  }

  // The first page of `ep` for these values, and for an incremental read the
  // cursor bounds: from the settled cursor (minus the lookback) up to the
  // read's bound, or, continuing a sequence, from the resume point (a second
  // early: APIs differ on whether their `since` is inclusive; the window
  // drops what was delivered).
  Result<std::string> FirstUrl(const EndpointSpec& ep, const Options& values,
                               const http::IncrementalCursor* cursor,
                               const std::optional<ResumePoint>& resume, const std::string& what) {
    std::optional<std::string> path;
    for (const auto& candidate : ep.paths) {
      LF_ASSIGN_OR_RETURN(path, ExpandTemplate(candidate, values, what, true));
      if (path) break;
    }
    if (!path) {
      // Report the first candidate's missing option.
      LF_RETURN_IF_ERROR(ExpandTemplate(ep.paths.front(), values, what).status());
    }
    LF_ASSIGN_OR_RETURN(auto base, ExpandTemplate(spec_->base_url, values, "base_url"));
    while (!base->empty() && base->back() == '/') base->pop_back();
    http::QueryParams query;
    for (const auto& [name, value] : ep.params) {
      LF_ASSIGN_OR_RETURN(auto v, ExpandTemplate(value, values, what, true));
      if (v) query.emplace_back(name, *v);
    }
    constexpr int64_t kSecond = 1000000;
    std::optional<int64_t> parsed = resume ? ParseTimestampMicros(resume->at) : std::nullopt;
    bool ascending_resume = parsed && !resume->descending;
    bool descending_resume = parsed && resume->descending;
    int64_t resume_at = parsed.value_or(0);
    if (cursor && !ep.cursor_param.empty()) {
      if (ascending_resume)
        query.emplace_back(ep.cursor_param,
                           FormatForRequest(resume_at - kSecond, ep.cursor_format));
      else if (auto since = cursor->Since())
        query.emplace_back(ep.cursor_param, FormatForRequest(*since, ep.cursor_format));
      else if (ep.cursor_format == CursorFormat::kUnixSeconds)
        query.emplace_back(ep.cursor_param, "0");  // incremental exports need a start
    }
    if (cursor && !ep.until_param.empty()) {
      int64_t until = cursor->until_micros();
      if (descending_resume) until = std::min(until, resume_at + kSecond);
      query.emplace_back(ep.until_param, FormatForRequest(until, ep.cursor_format));
    }
    LF_ASSIGN_OR_RETURN(http::Paginator pager, MakePaginator(ep, values));
    return pager.FirstUrl(http::WithQuery(*base + *path, query));
  }

  Result<http::Paginator> MakePaginator(const EndpointSpec& ep, const Options& values) {
    http::PaginatorSpec p = ep.paginator;
    if (!ep.page_size.empty()) {
      LF_ASSIGN_OR_RETURN(auto size, ExpandTemplate(ep.page_size, values, "page_size"));
      p.page_size = std::strtoll(size->c_str(), nullptr, 10);
      if (p.page_size <= 0)
        return Status::Invalid("page size '{}' must be a positive number", *size);
    }
    return http::Paginator(std::move(p));
  }

  Result<http::HttpResponse> Fetch(const std::string& url, const Options& values) {
    LF_ASSIGN_OR_RETURN(http::HttpClient * client, Client(values));
    http::HttpRequest request;
    request.url = url;
    request.headers = headers_;
    return client->Fetch(std::move(request));
  }

  // The records of one read, and how far the walk got.
  struct Walk {
    const TableSpec* table = nullptr;
    const EndpointSpec* ep = nullptr;
    http::Paginator pager{http::PaginatorSpec{}};
    // Scans the cursor, then the keys, of each record (incremental reads).
    std::unique_ptr<PageScanner> scanner;
    bool keyed = false;  // the table has primary keys to identify records by
    RecordWindow window;
    http::IncrementalCursor* cursor = nullptr;  // observes kept records
    // Pages are converted to Arrow as they arrive, while they are in cache;
    // a read then holds Arrow batches, not the JSON they came from.
    std::unique_ptr<JsonConverter> converter;
    std::vector<Chunk> chunks;
    std::unique_ptr<PagePrefetcher> prefetcher;  // with parallel_pages > 1
    int64_t held = 0;                            // records taken so far
    int64_t limit = 0;                           // max_records_per_batch
    // Stop only between pages: an in-memory walk resumes at a page's start.
    bool whole_pages = false;
    bool rewrite_deletes = false;
    // Passed its cap because the records broke the order the spec declares.
    bool unordered_past_cap = false;
    // The parent page last fetched: an in-memory walk resumed among its
    // parents does not fetch it again.
    std::string parent_url;
    http::HttpResponse parent_response;

    // Whether the walk holds its limit and may stop here. An incremental
    // read stops only where its records were in cursor order so far (the
    // resume point then describes what was delivered); otherwise it reads
    // on to the end of the sequence.
    bool AtLimit() {
      if (held < limit) return false;
      if (!window.incremental() || whole_pages || window.Ordered()) return true;
      if (window.order() != CursorOrder::kNone) unordered_past_cap = true;
      return false;
    }
  };

  // Walks one sequence of pages from `pos` until it ends (true) or the walk
  // holds its limit (false, `pos` saying where to resume).
  Result<bool> WalkSequence(Walk* walk, Position* pos, const Options& values) {
    while (true) {
      LF_ASSIGN_OR_RETURN(http::HttpResponse response, FetchPage(walk, pos->page, values));
      LF_ASSIGN_OR_RETURN(auto records, walk->scanner->Scan(response.body, walk->ep->records));
      int64_t count = static_cast<int64_t>(records.size());
      LF_ASSIGN_OR_RETURN(auto next, walk->pager.NextUrl(pos->page, response, count, count));
      LF_ASSIGN_OR_RETURN(int64_t consumed, Take(walk, response, records, pos->skip));
      if (pos->skip + consumed < count) {
        pos->skip += consumed;
        return false;  // the cap fell inside this page
      }
      if (!next) return true;
      *pos = Position{*next, 0};
      if (walk->AtLimit()) return false;
      if (walk->prefetcher) {
        int64_t per_page = std::max<int64_t>(count, 1);
        walk->prefetcher->Prefetch(
            response, *next,
            (std::max<int64_t>(walk->limit - walk->held, 1) + per_page - 1) / per_page);
      }
    }
  }

  // A page: fetched ahead by the prefetcher, or now.
  Result<http::HttpResponse> FetchPage(Walk* walk, const std::string& url, const Options& values) {
    if (walk->prefetcher) {
      if (auto ahead = walk->prefetcher->Take(url)) return std::move(*ahead);
    }
    return Fetch(url, values);
  }

  // Keeps the records of a scanned page from `from` on that the window
  // keeps, until the walk holds its limit; returns how many records it
  // looked at. Only kept records count toward the limit, and of those only
  // the ones that move the cursor (RecordWindow::Counts), so a walk over
  // records read before runs to its end and is seen to have caught up. The
  // page goes on whole when all of it is kept (the common case); otherwise
  // the kept records are joined into a new array. Either way it is converted
  // now.
  Result<int64_t> Take(Walk* walk, const http::HttpResponse& response,
                       const std::vector<ScannedRecord>& records, int64_t from) {
    std::vector<size_t> kept;
    size_t i = static_cast<size_t>(std::max<int64_t>(from, 0));
    for (; i < records.size(); ++i) {
      if (!walk->whole_pages && walk->AtLimit()) break;
      const ScannedRecord& record = records[i];
      std::optional<int64_t> micros;
      if (!record.fields.empty() && record.fields[0])
        micros = ParseTimestampMicros(*record.fields[0]);
      if (walk->window.incremental() && !walk->window.Keep(micros, Identity(record, walk->keyed)))
        continue;
      if (walk->cursor && micros) walk->cursor->ObserveMicros(*micros);
      kept.push_back(i);
      if (walk->whole_pages || walk->window.Counts(micros)) ++walk->held;
    }
    int64_t consumed = static_cast<int64_t>(i) - from;
    if (kept.empty()) return consumed;
    if (walk->rewrite_deletes) {
      LF_RETURN_IF_ERROR(TakeDeletes(walk, records, kept));
    } else if (kept.size() == records.size()) {
      LF_RETURN_IF_ERROR(walk->converter->AppendDocument(response.body, walk->ep->records));
    } else {
      std::string array = "[";
      for (size_t k : kept) {
        if (array.size() > 1) array += ',';
        array.append(records[k].raw);
      }
      array += ']';
      LF_RETURN_IF_ERROR(walk->converter->AppendDocument(array));
    }
    if (walk->converter->num_rows() >= kBatchRows) LF_RETURN_IF_ERROR(FlushBatch(walk));
    return consumed;
  }

  static Status FlushBatch(Walk* walk) {
    if (walk->converter->num_rows() == 0) return Status::OK();
    LF_ASSIGN_OR_RETURN(auto batch, walk->converter->Flush());
    walk->chunks.emplace_back(std::move(batch));
    return Status::OK();
  }

  // A deletes endpoint's records become the table's rows: the keys, and the
  // deletion time under the table's cursor field (the sequence a pipeline
  // orders deletes by).
  Status TakeDeletes(Walk* walk, const std::vector<ScannedRecord>& records,
                     const std::vector<size_t>& kept) {
    std::string lines;
    for (size_t i : kept) {
      Json record = Json::parse(records[i].raw, nullptr, /*allow_exceptions=*/false);
      if (!record.is_object()) return Status::SourceError("a deleted record is not an object");
      Json row = Json::object();
      for (const auto& key : walk->table->metadata.primary_keys) {
        auto it = record.find(key);
        row[key] = it != record.end() ? *it : Json();
      }
      if (walk->table->metadata.cursor_field) {
        const auto& cursor = records[i].fields.empty() ? std::nullopt : records[i].fields[0];
        row[*walk->table->metadata.cursor_field] = cursor ? Json(*cursor) : Json();
      }
      lines += row.dump();
      lines += '\n';
    }
    return walk->converter->AppendJsonLines(lines);
  }

  // The values a parent record binds into its children's requests.
  using Bound = std::map<std::string, std::string>;

  Bound BoundOf(const TableSpec& table, const ScannedRecord& parent) {
    Bound out;
    const auto& bind = table.parent->bind;
    for (size_t i = 0; i < bind.size(); ++i) {
      if (parent.fields[i]) out[bind[i].first] = *parent.fields[i];
    }
    return out;
  }

  // One parent's children, from `child` (at its start when empty).
  Result<bool> WalkChildren(Walk* walk, const Bound& bound, Position* child,
                            const Options& values) {
    Options child_values = values;
    // An unbound placeholder (the parent lacks the field) is named by the child's path.
    for (const auto& [placeholder, value] : bound) child_values.Set(placeholder, value);
    if (child->page.empty()) {
      walk->window.BeginSequence();
      LF_ASSIGN_OR_RETURN(child->page,
                          FirstUrl(*walk->ep, child_values, walk->cursor, walk->window.resume(),
                                   "table '" + walk->table->name + "'"));
      child->skip = 0;
    }
    return WalkSequence(walk, child, child_values);
  }

  Result<http::HttpResponse> FetchParentPage(Walk* walk, const std::string& url,
                                             const Options& values) {
    if (walk->parent_url != url) {
      LF_ASSIGN_OR_RETURN(walk->parent_response, Fetch(url, values));
      walk->parent_url = url;
    }
    return walk->parent_response;
  }

  // Finds the pending parent again: at or before its place on its page (the
  // parents before it moved away, to the listing's end, or were deleted), or
  // on the page before (the shift crossed a page). Sets `at`, `response` and
  // `parents` to where it is; false when it is not there.
  Result<bool> PlacePending(Walk* walk, const TableSpec& parent, PageScanner& scanner,
                            const Options& values, FanOutPosition* at, http::HttpResponse* response,
                            std::vector<ScannedRecord>* parents) {
    auto find = [&](const std::vector<ScannedRecord>& list) -> int64_t {
      for (size_t i = 0; i < list.size(); ++i) {
        if (BoundOf(*walk->table, list[i]) == *at->pending) return static_cast<int64_t>(i);
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
    LF_ASSIGN_OR_RETURN(http::HttpResponse earlier, FetchParentPage(walk, before, values));
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
  Result<bool> WalkFanOut(Walk* walk, FanOutPosition* at, const Options& values) {
    const TableSpec& table = *walk->table;
    const TableSpec* parent = spec_->FindTable(table.parent->table);
    std::vector<std::string> fields;
    for (const auto& [placeholder, field] : table.parent->bind) fields.push_back(field);
    PageScanner parent_scanner(fields);
    LF_ASSIGN_OR_RETURN(http::Paginator parent_pager, MakePaginator(parent->endpoint, values));
    if (at->page.empty()) {
      LF_ASSIGN_OR_RETURN(at->page, FirstUrl(parent->endpoint, values, nullptr, std::nullopt,
                                             "table '" + parent->name + "'"));
    }
    while (true) {
      LF_ASSIGN_OR_RETURN(http::HttpResponse response, FetchParentPage(walk, at->page, values));
      LF_ASSIGN_OR_RETURN(auto parents,
                          parent_scanner.Scan(response.body, parent->endpoint.records));
      int64_t count = static_cast<int64_t>(parents.size());
      if (at->pending) {
        LF_ASSIGN_OR_RETURN(bool placed, PlacePending(walk, *parent, parent_scanner, values, at,
                                                      &response, &parents));
        if (!placed) {
          // The listing changed around the parent so that what was walked
          // cannot be told: every parent again, from the first page. At least
          // once, never a skip (children merge by key; append tables may see
          // some twice).
          walk->window.DropResume();
          *at = FanOutPosition{};
          LF_ASSIGN_OR_RETURN(at->page, FirstUrl(parent->endpoint, values, nullptr, std::nullopt,
                                                 "table '" + parent->name + "'"));
          continue;
        }
        count = static_cast<int64_t>(parents.size());
      }
      for (; at->index < count; ++at->index) {
        Bound bound = BoundOf(table, parents[at->index]);
        if (at->child.page.empty() && walk->held >= walk->limit) {
          at->pending = bound;  // stopped between parents
          at->pending_started = false;
          return false;
        }
        LF_ASSIGN_OR_RETURN(bool done, WalkChildren(walk, bound, &at->child, values));
        if (!done) {
          at->pending = bound;
          at->pending_started = true;
          return false;
        }
        at->child = Position{};
      }
      LF_ASSIGN_OR_RETURN(auto next, parent_pager.NextUrl(at->page, response, count, count));
      if (!next) return true;
      at->page = *next;
      at->index = 0;
    }
  }

  // What every read of a table sets up: the endpoint, the scanner, the
  // converter, the client.
  Result<std::unique_ptr<Walk>> MakeWalk(const TableSpec& table, bool deletes,
                                         const Options& values) {
    auto walk = std::make_unique<Walk>();
    const EndpointSpec& ep = deletes ? table.deletes->endpoint : table.endpoint;
    LF_ASSIGN_OR_RETURN(walk->converter, JsonConverter::Make(table.name, table.schema));
    walk->ep = &ep;
    walk->table = &table;
    walk->rewrite_deletes = deletes;
    LF_ASSIGN_OR_RETURN(walk->pager, MakePaginator(ep, values));
    LF_RETURN_IF_ERROR(Client(values).status());
    if (fetcher_)
      walk->prefetcher = std::make_unique<PagePrefetcher>(fetcher_.get(), headers_,
                                                          static_cast<int>(parallel_pages_));
    std::string cursor_field =
        deletes ? table.deletes->cursor_field : table.metadata.cursor_field.value_or("");
    std::vector<std::string> scanned;
    if (!cursor_field.empty()) {
      scanned.push_back(cursor_field);
      for (const auto& key : table.metadata.primary_keys) scanned.push_back(key);
      walk->keyed = !table.metadata.primary_keys.empty();
    }
    walk->scanner = std::make_unique<PageScanner>(std::move(scanned));
    return walk;
  }

  static bool Incremental(const TableSpec& table, bool deletes) {
    return deletes || table.metadata.ingestion_type != IngestionType::kSnapshot;
  }

  Result<ReadResult> Read(const TableSpec& table, bool deletes, const Offset& start,
                          const Options& table_options) {
    Options values = Values(table_options);
    if (!start) return ReadWhole(table, deletes, values);
    auto offset = RestOffset::Parse(start, Incremental(table, deletes));
    if (!offset.ok()) return offset.status();
    if (!Incremental(table, deletes)) return ReadSnapshotPages(table, *offset, values);
    return ReadChanges(table, deletes, *offset, values);
  }

  // The cursor of an incremental read: its settled lower bound (the offset's
  // cursor, or start_date), and its upper bound, fixed by a sequence under
  // way or set now (with a window: at most window_seconds past the lower bound).
  Result<http::IncrementalCursor> MakeCursor(const RestOffset& offset,
                                             const http::CursorSettings& settings) {
    Offset settled;
    if (offset.cursor) settled = Json{{"cursor", *offset.cursor}};
    auto now = std::chrono::system_clock::now();
    http::CursorSettings s = settings;
    if (offset.until) {
      auto until = ParseTimestampMicros(*offset.until);  // checked by RestOffset::Parse
      now = std::chrono::system_clock::time_point(std::chrono::microseconds(until.value_or(0)));
      s.window_seconds = 0;  // the bound is already fixed
    }
    LF_ASSIGN_OR_RETURN(auto cursor, http::IncrementalCursor::Make(settled, s, now));
    if (offset.max) cursor.Observe(*offset.max);
    return cursor;
  }

  // Records at or before the settled cursor were read already. Append tables
  // and reads without a lookback keep only records strictly after it, so a
  // second read returns exactly what changed. With a lookback, cdc tables
  // re-read the window (late-indexed records with the same stamp are caught;
  // the upserts they cause are idempotent).
  static RecordWindow MakeWindow(const TableSpec& table, const EndpointSpec& ep,
                                 const http::CursorSettings& settings, const RestOffset& offset,
                                 const http::IncrementalCursor& cursor) {
    std::optional<int64_t> after, since;
    std::optional<int64_t> settled =
        offset.cursor ? ParseTimestampMicros(*offset.cursor) : std::nullopt;
    bool append = table.metadata.ingestion_type == IngestionType::kAppend;
    if (settled && (append || settings.lookback_seconds == 0)) {
      after = settled;
    } else if (auto from = cursor.Since()) {
      since = ParseTimestampMicros(*from);
    }
    return RecordWindow(ep.cursor_order, settled, after, since, cursor.until_micros(),
                        offset.resume);
  }

  // A batch read (no offset): every page, fetched as the records are
  // consumed, a batch at a time, so memory stays bounded by the batch
  // whatever the table's size. Incremental tables keep their records from
  // start_date up to now.
  Result<ReadResult> ReadWhole(const TableSpec& table, bool deletes, const Options& values) {
    struct State {
      std::unique_ptr<Walk> walk;
      std::optional<http::IncrementalCursor> cursor;
      Position pos;
      FanOutPosition fan;
      std::deque<Chunk> ready;
      bool done = false;
    };
    auto state = std::make_shared<State>();
    LF_ASSIGN_OR_RETURN(state->walk, MakeWalk(table, deletes, values));
    Walk& walk = *state->walk;
    walk.limit = kBatchRows;
    walk.whole_pages = true;
    if (Incremental(table, deletes)) {
      LF_ASSIGN_OR_RETURN(auto settings, http::CursorSettingsFromOptions(values));
      settings.window_seconds = 0;  // one pass up to now: windows slice streams, not this
      LF_ASSIGN_OR_RETURN(state->cursor, MakeCursor(RestOffset{}, settings));
      walk.cursor = &*state->cursor;
      walk.window = MakeWindow(table, *walk.ep, settings, RestOffset{}, *state->cursor);
    }
    if (!table.parent) {
      walk.window.BeginSequence();
      LF_ASSIGN_OR_RETURN(state->pos.page, FirstUrl(*walk.ep, values, walk.cursor, std::nullopt,
                                                    "table '" + table.name + "'"));
    }
    // Walks on from where the last pull stopped until it has a batch (or the end).
    auto pull = [this, state, values]() -> Status {
      while (state->ready.empty() && !state->done) {
        Walk& w = *state->walk;
        w.held = 0;
        LF_ASSIGN_OR_RETURN(state->done, w.table->parent ? WalkFanOut(&w, &state->fan, values)
                                                         : WalkSequence(&w, &state->pos, values));
        LF_RETURN_IF_ERROR(FlushBatch(&w));
        for (auto& chunk : w.chunks) state->ready.push_back(std::move(chunk));
        w.chunks.clear();
      }
      return Status::OK();
    };
    // The first pages now, so that a read that cannot start (credentials, a
    // wrong path) fails here rather than when its records are consumed.
    LF_RETURN_IF_ERROR(pull());
    auto records = RecordStream([state, pull]() -> Result<std::optional<Chunk>> {
      LF_RETURN_IF_ERROR(pull());
      if (state->ready.empty()) return std::optional<Chunk>();
      Chunk chunk = std::move(state->ready.front());
      state->ready.pop_front();
      return std::optional<Chunk>(std::move(chunk));
    });
    return ReadResult{std::move(records), Offset()};
  }

  // A snapshot table read as a stream: pages from the offset's position, up
  // to max_records_per_batch, then {"complete": true}.
  Result<ReadResult> ReadSnapshotPages(const TableSpec& table, const RestOffset& offset,
                                       const Options& values) {
    if (offset.complete) return ReadResult{RecordStream::Empty(), offset.ToOffset()};
    LF_ASSIGN_OR_RETURN(auto walk, MakeWalk(table, /*deletes=*/false, values));
    LF_ASSIGN_OR_RETURN(walk->limit, MaxRecords(values));
    Position pos{offset.page, offset.skip};
    FanOutPosition fan;
    if (offset.parent) {
      fan.page = offset.parent->page;
      fan.index = offset.parent->index;
      if (!offset.parent->bound.empty()) fan.pending = offset.parent->bound;
      fan.child = pos;
    }
    bool done = false;
    if (table.parent) {
      LF_ASSIGN_OR_RETURN(done, WalkFanOut(walk.get(), &fan, values));
    } else {
      if (pos.page.empty()) {
        LF_ASSIGN_OR_RETURN(pos.page, FirstUrl(*walk->ep, values, nullptr, std::nullopt,
                                               "table '" + table.name + "'"));
      }
      LF_ASSIGN_OR_RETURN(done, WalkSequence(walk.get(), &pos, values));
    }
    LF_RETURN_IF_ERROR(FlushBatch(walk.get()));
    RestOffset end;
    if (done) {
      end.complete = true;
    } else if (table.parent) {
      end.page = fan.child.page;
      end.skip = fan.child.skip;
      end.parent = ParentPoint{fan.page, fan.index, fan.pending.value_or(Bound{})};
    } else {
      end.page = pos.page;
      end.skip = pos.skip;
    }
    return ReadResult{RecordStream::FromChunks(std::move(walk->chunks)), end.ToOffset()};
  }

  // An incremental read from an offset: the records after the settled
  // cursor, or after the resume point of a sequence under way, up to
  // max_records_per_batch. Stopped by its cap, the read ends at a resume
  // point (see rest_offset.h); at the end of the sequence, at the largest
  // cursor it saw.
  Result<ReadResult> ReadChanges(const TableSpec& table, bool deletes, const RestOffset& offset,
                                 const Options& values) {
    LF_ASSIGN_OR_RETURN(auto walk, MakeWalk(table, deletes, values));
    LF_ASSIGN_OR_RETURN(walk->limit, MaxRecords(values));
    LF_ASSIGN_OR_RETURN(auto settings, http::CursorSettingsFromOptions(values));
    LF_ASSIGN_OR_RETURN(auto cursor, MakeCursor(offset, settings));
    walk->cursor = &cursor;
    walk->window = MakeWindow(table, *walk->ep, settings, offset, cursor);
    bool done = false;
    FanOutPosition fan;
    if (table.parent) {
      if (offset.parent) {
        fan.page = offset.parent->page;
        fan.index = offset.parent->index;
        fan.pending = offset.parent->bound;
      }
      LF_ASSIGN_OR_RETURN(done, WalkFanOut(walk.get(), &fan, values));
    } else {
      Position pos;
      walk->window.BeginSequence();
      LF_ASSIGN_OR_RETURN(pos.page, FirstUrl(*walk->ep, values, walk->cursor, walk->window.resume(),
                                             "table '" + table.name + "'"));
      LF_ASSIGN_OR_RETURN(done, WalkSequence(walk.get(), &pos, values));
    }
    LF_RETURN_IF_ERROR(FlushBatch(walk.get()));
    if (walk->unordered_past_cap) {
      Warn(
          "source '{}', table '{}': records are not in the cursor order the spec declares "
          "(cursor_order), so the read went past max_records_per_batch ({}) to the end of the "
          "sequence ({} records)",
          Source(), table.name, walk->limit, walk->held);
    }
    Offset end;
    if (done) {
      // The sequence is over: the settled cursor moves to the largest seen.
      end = cursor.End();
      if (!end) end = Json::object();
    } else {
      RestOffset in_sequence;
      in_sequence.cursor = offset.cursor;
      in_sequence.until = cursor.Until();
      if (auto max = cursor.max_seen()) in_sequence.max = http::FormatCursor(*max);
      in_sequence.resume = walk->window.Edge();
      if (table.parent && !fan.pending_started) in_sequence.resume.reset();
      if (table.parent) {
        in_sequence.parent = ParentPoint{fan.page, fan.index, fan.pending.value_or(Bound{})};
      }
      end = in_sequence.ToOffset();
    }
    return ReadResult{RecordStream::FromChunks(std::move(walk->chunks)), std::move(end)};
  }

  std::shared_ptr<const RestSpec> spec_;
  std::unique_ptr<http::HttpClient> client_;
  std::unique_ptr<http::HttpClient> token_client_;
  std::unique_ptr<http::MultiFetcher> fetcher_;  // parallel_pages > 1
  int64_t parallel_pages_ = 1;
  std::unique_ptr<http::Authenticator> auth_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace

Result<std::unique_ptr<LakeflowConnect>> MakeRestConnector(std::shared_ptr<const RestSpec> spec,
                                                           const Options& options) {
  auto connector = std::make_unique<RestConnector>(std::move(spec), options);
  LF_RETURN_IF_ERROR(connector->Init());
  return std::unique_ptr<LakeflowConnect>(std::move(connector));
}

ConnectorInfo EmbeddedRestSource(std::string name, std::string_view yaml) {
  auto parsed = ParseRestSpec(yaml, name + ".yaml");
  // An embedded spec is tested with the build; should it still fail, the
  // source reports it on use instead of taking the whole binary down.
  std::shared_ptr<const RestSpec> spec =
      parsed.ok() ? std::make_shared<const RestSpec>(std::move(parsed).value()) : nullptr;
  ConnectorInfo info;
  info.name = name;
  info.description = spec ? spec->description : "";
  info.secret_options = spec ? spec->SecretOptions() : std::vector<std::string>{};
  Status error = parsed.status();
  info.factory = [spec, error](const Options& options) -> Result<std::unique_ptr<LakeflowConnect>> {
    if (!spec) return error;
    return MakeRestConnector(spec, options);
  };
  return info;
}

ConnectorInfo GenericRestSource() {
  ConnectorInfo info;
  info.name = "rest";
  info.description = "any REST API described by a YAML spec (option spec=PATH)";
  info.factory = [](const Options& options) -> Result<std::unique_ptr<LakeflowConnect>> {
    auto path = options.Get("spec");
    if (!path || path->empty())
      return Status::Invalid("source 'rest' needs option 'spec' (the path of a REST spec YAML)");
    LF_ASSIGN_OR_RETURN(auto spec, LoadRestSpec(*path));
    return MakeRestConnector(std::make_shared<const RestSpec>(std::move(spec)), options);
  };
  return info;
}

}  // namespace lakeflow::rest
