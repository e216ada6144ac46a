#include "lakeflow/connectors/rest/rest_connector.h"

#include <chrono>
#include <deque>

#include "lakeflow/connectors/rest/page_walk.h"
#include "lakeflow/connectors/rest/record_window.h"
#include "lakeflow/connectors/rest/rest_offset.h"
#include "lakeflow/connectors/rest/rest_requests.h"
#include "lakeflow/core/log.h"
#include "lakeflow/core/time_parse.h"
#include "lakeflow/http/incremental_cursor.h"

namespace lakeflow::rest {
namespace {

constexpr int64_t kDefaultMaxRecordsPerBatch = 10000;

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
    LF_ASSIGN_OR_RETURN(int64_t parallel_pages, options().GetIntOr("parallel_pages", 1));
    if (parallel_pages < 1 || parallel_pages > 16)
      return Status::Invalid("option 'parallel_pages' must be between 1 and 16, got {}",
                             parallel_pages);
    requests_ = std::make_unique<RestRequests>(spec_, options(), parallel_pages);
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

  static bool Incremental(const TableSpec& table, bool deletes) {
    return deletes || table.metadata.ingestion_type != IngestionType::kSnapshot;
  }

  Result<ReadResult> Read(const TableSpec& table, bool deletes, const Offset& start,
                          const Options& table_options) {
    Options values = requests_->Values(table_options);
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
  static RecordWindow MakeWindow(const TableSpec& table, bool deletes,
                                 const http::CursorSettings& settings, const RestOffset& offset,
                                 const http::IncrementalCursor& cursor) {
    const EndpointSpec& ep = deletes ? table.deletes->endpoint : table.endpoint;
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
      std::unique_ptr<PageWalk> walk;
      std::optional<http::IncrementalCursor> cursor;
      Position pos;
      FanOutPosition fan;
      std::deque<Chunk> ready;
      bool done = false;
    };
    auto state = std::make_shared<State>();
    LF_ASSIGN_OR_RETURN(state->walk, PageWalk::Make(requests_.get(), table, deletes, values));
    PageWalk& walk = *state->walk;
    walk.limit = kBatchRows;
    walk.whole_pages = true;
    if (Incremental(table, deletes)) {
      LF_ASSIGN_OR_RETURN(auto settings, http::CursorSettingsFromOptions(values));
      settings.window_seconds = 0;  // one pass up to now: windows slice streams, not this
      LF_ASSIGN_OR_RETURN(state->cursor, MakeCursor(RestOffset{}, settings));
      walk.cursor = &*state->cursor;
      walk.window = MakeWindow(table, deletes, settings, RestOffset{}, *state->cursor);
    }
    if (!table.parent) {
      LF_ASSIGN_OR_RETURN(state->pos.page, walk.FirstPage());
    }
    // Walks on from where the last pull stopped until it has a batch (or the end).
    auto pull = [state]() -> Status {
      while (state->ready.empty() && !state->done) {
        PageWalk& w = *state->walk;
        LF_ASSIGN_OR_RETURN(state->done,
                            w.table().parent ? w.FanOut(&state->fan) : w.Sequence(&state->pos));
        LF_ASSIGN_OR_RETURN(auto chunks, w.TakeChunks());
        for (auto& chunk : chunks) state->ready.push_back(std::move(chunk));
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
    LF_ASSIGN_OR_RETURN(auto walk, PageWalk::Make(requests_.get(), table, false, values));
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
      LF_ASSIGN_OR_RETURN(done, walk->FanOut(&fan));
    } else {
      if (pos.page.empty()) {
        LF_ASSIGN_OR_RETURN(pos.page, walk->FirstPage());
      }
      LF_ASSIGN_OR_RETURN(done, walk->Sequence(&pos));
    }
    LF_ASSIGN_OR_RETURN(auto chunks, walk->TakeChunks());
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
    return ReadResult{RecordStream::FromChunks(std::move(chunks)), end.ToOffset()};
  }

  // An incremental read from an offset: the records after the settled
  // cursor, or after the resume point of a sequence under way, up to
  // max_records_per_batch. Stopped by its cap, the read ends at a resume
  // point (see rest_offset.h); at the end of the sequence, at the largest
  // cursor it saw.
  Result<ReadResult> ReadChanges(const TableSpec& table, bool deletes, const RestOffset& offset,
                                 const Options& values) {
    LF_ASSIGN_OR_RETURN(auto walk, PageWalk::Make(requests_.get(), table, deletes, values));
    LF_ASSIGN_OR_RETURN(walk->limit, MaxRecords(values));
    LF_ASSIGN_OR_RETURN(auto settings, http::CursorSettingsFromOptions(values));
    LF_ASSIGN_OR_RETURN(auto cursor, MakeCursor(offset, settings));
    walk->cursor = &cursor;
    walk->window = MakeWindow(table, deletes, settings, offset, cursor);
    bool done = false;
    FanOutPosition fan;
    if (table.parent) {
      if (offset.parent) {
        fan.page = offset.parent->page;
        fan.index = offset.parent->index;
        fan.pending = offset.parent->bound;
      }
      LF_ASSIGN_OR_RETURN(done, walk->FanOut(&fan));
    } else {
      Position pos;
      LF_ASSIGN_OR_RETURN(pos.page, walk->FirstPage());
      LF_ASSIGN_OR_RETURN(done, walk->Sequence(&pos));
    }
    LF_ASSIGN_OR_RETURN(auto chunks, walk->TakeChunks());
    if (walk->unordered_past_cap()) {
      Warn(
          "source '{}', table '{}': records are not in the cursor order the spec declares "
          "(cursor_order), so the read went past max_records_per_batch ({}) to the end of the "
          "sequence",
          Source(), table.name, walk->limit);
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
    return ReadResult{RecordStream::FromChunks(std::move(chunks)), std::move(end)};
  }

  std::shared_ptr<const RestSpec> spec_;
  std::unique_ptr<RestRequests> requests_;  // made by Init
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
  info.secret_options_for = [](const Options& options) {
    auto path = options.Get("spec");
    auto spec = path ? LoadRestSpec(*path) : Result<RestSpec>(Status::NotFound("no spec"));
    return spec.ok() ? spec->SecretOptions() : std::vector<std::string>{};
  };
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
