#include "lakeflow/connectors/rest/rest_connector.h"

#include <chrono>
#include <set>

#include "lakeflow/connectors/rest/page_prefetcher.h"
#include "lakeflow/connectors/rest/page_scanner.h"
#include "lakeflow/core/json_converter.h"
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

// Where a walk stands inside a request sequence; empty `page` means at the start.
struct Position {
  std::string page;
  int64_t skip = 0;
  std::string parent_page;
  int64_t parent_index = 0;
};

Position PositionFrom(const Offset& offset) {
  Position p;
  if (!offset || !offset->is_object()) return p;
  const Json& o = *offset;
  if (o.contains("page") && o["page"].is_string()) p.page = o["page"].get<std::string>();
  if (o.contains("skip") && o["skip"].is_number_integer()) p.skip = o["skip"].get<int64_t>();
  if (o.contains("parent_page") && o["parent_page"].is_string())
    p.parent_page = o["parent_page"].get<std::string>();
  if (o.contains("parent_index") && o["parent_index"].is_number_integer())
    p.parent_index = o["parent_index"].get<int64_t>();
  return p;
}

void WritePosition(const Position& p, Json* out) {
  (*out)["page"] = p.page;
  (*out)["skip"] = p.skip;
  if (!p.parent_page.empty()) {
    (*out)["parent_page"] = p.parent_page;
    (*out)["parent_index"] = p.parent_index;
  }
}

std::string FormatForRequest(const std::string& iso, CursorFormat format) {
  if (format == CursorFormat::kIso8601) return iso;
  auto micros = ParseTimestampMicros(iso);
  int64_t seconds = micros ? *micros / 1000000 : 0;
  return std::to_string(std::max<int64_t>(seconds, 0));
}

// What the records of one read are kept against: the cursor bounds. Records
// older than the lower bound are dropped too, for APIs that cannot filter
// them out themselves (GitHub's pull requests have no `since`).
struct Filter {
  const http::IncrementalCursor* cursor = nullptr;  // null: snapshot
  std::optional<int64_t> since_micros;              // at or after (cdc, with the lookback)
  std::optional<int64_t> after_micros;              // strictly after (append: no repeats)

  // `micros` is the record's cursor, parsed; nullopt when absent or not a
  // timestamp (kept: the converter reports a bad one).
  bool Admits(std::optional<int64_t> micros) const {
    if (!cursor || !micros) return true;
    if (!cursor->AdmitsMicros(*micros)) return false;
    if (since_micros && *micros < *since_micros) return false;
    return !after_micros || *micros > *after_micros;
  }
};

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

  // The first page of `ep` for these values (and the cursor bounds, if any).
  Result<std::string> FirstUrl(const EndpointSpec& ep, const Options& values,
                               const http::IncrementalCursor* cursor, const std::string& what) {
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
    if (cursor && !ep.cursor_param.empty()) {
      if (auto since = cursor->Since())
        query.emplace_back(ep.cursor_param, FormatForRequest(*since, ep.cursor_format));
      else if (ep.cursor_format == CursorFormat::kUnixSeconds)
        query.emplace_back(ep.cursor_param, "0");  // incremental exports need a start
    }
    if (cursor && !ep.until_param.empty())
      query.emplace_back(ep.until_param, FormatForRequest(cursor->Until(), ep.cursor_format));
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
    const EndpointSpec* ep = nullptr;
    http::Paginator pager{http::PaginatorSpec{}};
    std::unique_ptr<PageScanner> scanner;
    Filter filter;
    http::IncrementalCursor* cursor = nullptr;  // observes admitted records
    // Pages are converted to Arrow as they arrive, while they are in cache;
    // a read then holds Arrow batches, not the JSON they came from.
    std::unique_ptr<JsonConverter> converter;
    std::vector<Chunk> chunks;
    std::unique_ptr<PagePrefetcher> prefetcher;  // with parallel_pages > 1
    int64_t held = 0;                            // records taken so far
    int64_t limit = 0;                           // max_records_per_batch
    bool rewrite_deletes = false;
    std::string delete_cursor_field;
    const TableSpec* table = nullptr;
    // The records of the newest cursor value seen, by key: a source that
    // repeats the records of a page's last second on the next page (Zendesk's
    // incremental exports) must not deliver them twice.
    std::string group_cursor;
    std::set<std::string> group_keys;

    bool Repeats(const ScannedRecord& r) {
      if (r.fields.size() < 2 || !r.fields[0]) return false;
      std::string key;
      for (size_t i = 1; i < r.fields.size(); ++i) {
        key += r.fields[i].value_or("");
        key += '\x1f';
      }
      if (*r.fields[0] != group_cursor) {
        group_cursor = *r.fields[0];
        group_keys.clear();
      }
      return !group_keys.insert(std::move(key)).second;
    }
  };

  // Walks one request sequence from `pos` until it ends (true) or the walk
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
      *pos = Position{*next, 0, pos->parent_page, pos->parent_index};
      if (walk->held >= walk->limit) return false;
      if (walk->prefetcher) {
        int64_t per_page = std::max<int64_t>(count, 1);
        walk->prefetcher->Prefetch(response, *next,
                                   (walk->limit - walk->held + per_page - 1) / per_page);
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

  // Keeps the records of a scanned page from `from` on that pass the filter,
  // until the walk holds its limit; returns how many records it looked at.
  // Only kept records count toward the limit, so a walk over records read
  // before runs to its end and is seen to have caught up. The page goes on
  // whole when all of it is kept (the common case); otherwise the kept
  // records are joined into a new array. Either way it is converted now.
  Result<int64_t> Take(Walk* walk, const http::HttpResponse& response,
                       const std::vector<ScannedRecord>& records, int64_t from) {
    std::vector<size_t> kept;
    size_t i = static_cast<size_t>(std::max<int64_t>(from, 0));
    for (; i < records.size() && walk->held < walk->limit; ++i) {
      const auto& cursor = records[i].fields.empty() ? std::nullopt : records[i].fields[0];
      std::optional<int64_t> micros = cursor ? ParseTimestampMicros(*cursor) : std::nullopt;
      if (!walk->filter.Admits(micros) || walk->Repeats(records[i])) continue;
      if (walk->cursor && micros) walk->cursor->ObserveMicros(*micros);
      kept.push_back(i);
      ++walk->held;
    }
    int64_t consumed = static_cast<int64_t>(i) - from;
    if (kept.empty()) return consumed;
    if (walk->rewrite_deletes) {
      LF_RETURN_IF_ERROR(TakeDeletes(walk, records, kept));
    } else if (kept.size() == records.size()) {
      LF_RETURN_IF_ERROR(walk->converter->AppendDocument(response.body, walk->ep->records));
    } else {
      std::string array = "[";
      for (size_t i : kept) {
        if (array.size() > 1) array += ',';
        array.append(records[i].raw);
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
      for (const auto& key : walk->table->metadata.primary_keys)
        row[key] = record.contains(key) ? record[key] : Json();
      if (walk->table->metadata.cursor_field) {
        const auto& cursor = records[i].fields[0];
        row[*walk->table->metadata.cursor_field] = cursor ? Json(*cursor) : Json();
      }
      lines += row.dump();
      lines += '\n';
    }
    return walk->converter->AppendJsonLines(lines);
  }

  // Walks the parent's pages and, for each parent record, the child sequence.
  Result<bool> WalkFanOut(Walk* walk, Position* pos, const Options& values) {
    const TableSpec* parent = spec_->FindTable(walk->table->parent->table);
    std::vector<std::string> bound;
    for (const auto& [placeholder, field] : walk->table->parent->bind) bound.push_back(field);
    PageScanner parent_scanner(bound);
    LF_ASSIGN_OR_RETURN(http::Paginator parent_pager, MakePaginator(parent->endpoint, values));
    if (pos->parent_page.empty()) {
      LF_ASSIGN_OR_RETURN(pos->parent_page, FirstUrl(parent->endpoint, values, nullptr,
                                                     "table '" + parent->name + "'"));
    }
    while (true) {
      LF_ASSIGN_OR_RETURN(http::HttpResponse response, Fetch(pos->parent_page, values));
      LF_ASSIGN_OR_RETURN(auto parents,
                          parent_scanner.Scan(response.body, parent->endpoint.records));
      int64_t count = static_cast<int64_t>(parents.size());
      for (; pos->parent_index < count; ++pos->parent_index) {
        Options child_values = values;
        const auto& rec = parents[pos->parent_index];
        for (size_t i = 0; i < bound.size(); ++i) {
          if (!rec.fields[i]) continue;  // the child path then names the missing field
          child_values.Set(walk->table->parent->bind[i].first, *rec.fields[i]);
        }
        if (pos->page.empty()) {
          LF_ASSIGN_OR_RETURN(pos->page, FirstUrl(*walk->ep, child_values, walk->cursor,
                                                  "table '" + walk->table->name + "'"));
          pos->skip = 0;
        }
        LF_ASSIGN_OR_RETURN(bool done, WalkSequence(walk, pos, child_values));
        if (!done) return false;
        pos->page.clear();
        if (walk->held >= walk->limit && pos->parent_index + 1 < count) {
          ++pos->parent_index;
          return false;
        }
      }
      LF_ASSIGN_OR_RETURN(auto next,
                          parent_pager.NextUrl(pos->parent_page, response, count, count));
      if (!next) return true;
      pos->parent_page = *next;
      pos->parent_index = 0;
      if (walk->held >= walk->limit) return false;
    }
  }

  Result<ReadResult> Read(const TableSpec& table, bool deletes, const Offset& start,
                          const Options& table_options) {
    if (start && start->is_object() && start->value("complete", false))
      return ReadResult{RecordStream::Empty(), start};  // a snapshot already read whole
    Options values = Values(table_options);
    const EndpointSpec& ep = deletes ? table.deletes->endpoint : table.endpoint;
    bool incremental = table.metadata.ingestion_type != IngestionType::kSnapshot;
    std::string cursor_field =
        deletes ? table.deletes->cursor_field : table.metadata.cursor_field.value_or("");

    LF_ASSIGN_OR_RETURN(int64_t limit, MaxRecords(values));
    LF_ASSIGN_OR_RETURN(auto settings, http::CursorSettingsFromOptions(values));
    Position pos = PositionFrom(start);

    std::optional<http::IncrementalCursor> cursor;
    if (incremental) {
      LF_ASSIGN_OR_RETURN(cursor, MakeCursor(start, settings));
    }

    Walk walk;
    LF_ASSIGN_OR_RETURN(walk.converter, JsonConverter::Make(table.name, table.schema));
    walk.ep = &ep;
    walk.table = &table;
    walk.limit = limit;
    walk.rewrite_deletes = deletes;
    LF_ASSIGN_OR_RETURN(walk.pager, MakePaginator(ep, values));
    LF_RETURN_IF_ERROR(Client(values).status());
    if (fetcher_)
      walk.prefetcher = std::make_unique<PagePrefetcher>(fetcher_.get(), headers_,
                                                         static_cast<int>(parallel_pages_));
    // Scanned: the cursor, then the keys (to drop repeated records).
    std::vector<std::string> scanned;
    if (!cursor_field.empty()) {
      scanned.push_back(cursor_field);
      for (const auto& key : table.metadata.primary_keys) scanned.push_back(key);
    }
    walk.scanner = std::make_unique<PageScanner>(std::move(scanned));
    if (cursor) {
      walk.cursor = &*cursor;
      walk.filter.cursor = &*cursor;
      SetLowerBound(table, settings, start, *cursor, &walk.filter);
    }
    bool done = false;
    if (table.parent) {
      LF_ASSIGN_OR_RETURN(done, WalkFanOut(&walk, &pos, values));
    } else {
      if (pos.page.empty()) {
        LF_ASSIGN_OR_RETURN(pos.page,
                            FirstUrl(ep, values, walk.cursor, "table '" + table.name + "'"));
      }
      LF_ASSIGN_OR_RETURN(done, WalkSequence(&walk, &pos, values));
    }
    LF_RETURN_IF_ERROR(FlushBatch(&walk));
    Offset end = EndOffset(start, cursor ? &*cursor : nullptr, done, pos);
    return ReadResult{RecordStream::FromChunks(std::move(walk.chunks)), std::move(end)};
  }

  // Records at or before the start cursor were read already. Append tables
  // and reads without a lookback take only records strictly after it, so a
  // second read returns exactly what changed. With a lookback, cdc tables
  // re-read the window (late-indexed records with the same stamp are caught;
  // the upserts they cause are idempotent).
  static void SetLowerBound(const TableSpec& table, const http::CursorSettings& settings,
                            const Offset& start, const http::IncrementalCursor& cursor,
                            Filter* filter) {
    std::optional<int64_t> start_cursor;
    if (start && start->contains("cursor") && (*start)["cursor"].is_string())
      start_cursor = ParseTimestampMicros((*start)["cursor"].get<std::string>());
    bool append = table.metadata.ingestion_type == IngestionType::kAppend;
    if (start_cursor && (append || settings.lookback_seconds == 0)) {
      filter->after_micros = start_cursor;
    } else if (auto since = cursor.Since()) {
      filter->since_micros = ParseTimestampMicros(*since);
    }
  }

  // The cursor of a read: from the settled cursor in `start`, with the upper
  // bound and the progress of an unfinished sequence carried over.
  Result<http::IncrementalCursor> MakeCursor(const Offset& start,
                                             const http::CursorSettings& settings) {
    Offset settled;
    auto now = std::chrono::system_clock::now();
    if (start && start->is_object()) {
      if (start->contains("cursor"))
        settled = Json{{"cursor", (*start)["cursor"]}};
      else if (!start->empty() && !start->contains("page"))
        return Status::Invalid("offset {} has no 'cursor'", start->dump());
      if (start->contains("until") && (*start)["until"].is_string()) {
        auto until = ParseTimestampMicros((*start)["until"].get<std::string>());
        if (!until) return Status::Invalid("offset {}: bad 'until'", start->dump());
        now = std::chrono::system_clock::time_point(std::chrono::microseconds(*until));
      }
    } else if (start && !start->is_null()) {
      return Status::Invalid("offset {} is not an object", start->dump());
    }
    http::CursorSettings s = settings;
    if (start && start->contains("until")) s.window_seconds = 0;  // the bound is already fixed
    LF_ASSIGN_OR_RETURN(auto cursor, http::IncrementalCursor::Make(settled, s, now));
    if (start && start->contains("max") && (*start)["max"].is_string())
      cursor.Observe((*start)["max"].get<std::string>());
    return cursor;
  }

  static Offset EndOffset(const Offset& start, const http::IncrementalCursor* cursor, bool done,
                          const Position& pos) {
    if (!cursor) {
      if (done) return Json{{"complete", true}};
      Json out = Json::object();
      WritePosition(pos, &out);
      return out;
    }
    Offset settled = cursor->End();
    if (done && !settled) {
      // Nothing stamped was seen: a fresh walk from here would be the same one.
      return start && start->contains("page") ? Offset(Json::object()) : start;
    }
    if (done) {
      // A finished sequence resumed from the middle whose tail held nothing
      // new still moves: to the settled cursor, without the walk's fields.
      if (settled && start && OffsetsEqual(settled, start)) return start;
      return settled;
    }
    Json out =
        start && start->contains("cursor") ? Json{{"cursor", (*start)["cursor"]}} : Json::object();
    out["until"] = cursor->Until();
    if (settled && settled->contains("cursor")) out["max"] = (*settled)["cursor"];
    WritePosition(pos, &out);
    return out;
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
