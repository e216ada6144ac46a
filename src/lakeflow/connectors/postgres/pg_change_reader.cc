#include "lakeflow/connectors/postgres/pg_change_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "lakeflow/connectors/postgres/pg_text_decoder.h"
#include "lakeflow/connectors/postgres/pgoutput.h"

namespace lakeflow::postgres {
namespace {

using Clock = std::chrono::steady_clock;

// How long a quiet stream waits before asking the server where it is.
constexpr int kPollMillis = 100;
// A server whose position has stayed short of the end this long, however
// often asked, fails the read: ending it there could skip a commit still to
// come before the end, and nothing of a failed read is committed.
constexpr auto kStalled = std::chrono::seconds(60);

class ChangeReaderImpl final : public ChangeReader {
 public:
  ChangeReaderImpl(std::unique_ptr<ReplicationSession> session, ChangeTable table, ChangeFlow flow,
                   Lsn end, std::unique_ptr<PgTextDecoder> decoder)
      : session_(std::move(session)),
        table_(std::move(table)),
        flow_(flow),
        end_(end),
        decoder_(std::move(decoder)),
        values_(table_.columns.size() + 1) {
    for (const auto& name : table_.key) {
      for (size_t i = 0; i < table_.columns.size(); ++i) {
        if (table_.columns[i].name == name) key_columns_.push_back(static_cast<int>(i));
      }
    }
  }

  Result<std::optional<std::shared_ptr<arrow::RecordBatch>>> Next(int64_t max_rows) override {
    while (!done_ && decoder_->num_rows() < max_rows) LF_RETURN_IF_ERROR(Step());
    if (decoder_->num_rows() == 0) return std::optional<std::shared_ptr<arrow::RecordBatch>>();
    LF_ASSIGN_OR_RETURN(auto batch, decoder_->Flush());
    return std::optional<std::shared_ptr<arrow::RecordBatch>>(std::move(batch));
  }

 private:
  // Takes one message from the stream.
  Status Step() {
    auto next = session_->Next(kPollMillis);
    if (!next.ok()) return Where(next.status());
    const auto& message = *next;
    if (!message) return Quiet();
    if (message->kind == StreamMessage::Kind::kKeepalive) return Keepalive(*message);
    last_heard_ = Clock::now();
    change_lsn_ = message->start;
    received_ = std::max(received_, message->start);
    auto parsed = pgoutput::Parse(message->payload);
    if (!parsed.ok()) return Where(parsed.status());
    return std::visit([this](auto& m) { return Handle(m); }, *parsed);
  }

  // Nothing arrived for a while: ask the server how far it has decoded.
  Status Quiet() {
    if (stalled_at_ && Clock::now() - last_heard_ > kStalled)
      return Where(Status::SourceError(
          "the server has sent nothing past {} for {} s while this read waits for {}; run again",
          FormatLsn(*stalled_at_),
          std::chrono::duration_cast<std::chrono::seconds>(kStalled).count(), FormatLsn(end_)));
    Status status = session_->SendStatus(received_, /*request_reply=*/true);
    return status.ok() ? status : Where(status);
  }

  // A keepalive says how far the server has sent. Each is answered: the
  // server sends no further keepalive until its last one is, and the one
  // that reports the end is what ends a read with nothing more to send.
  Status Keepalive(const StreamMessage& message) {
    if (!in_transaction_ && message.wal_end >= end_) return Finish();
    if (!stalled_at_ || *stalled_at_ != message.wal_end) {
      stalled_at_ = message.wal_end;
      last_heard_ = Clock::now();
    }
    received_ = std::max(received_, message.wal_end);
    Status status = session_->SendStatus(received_, /*request_reply=*/false);
    return status.ok() ? status : Where(status);
  }

  Status Handle(const pgoutput::Begin& begin) {
    if (begin.final_lsn >= end_) return Finish();
    in_transaction_ = true;
    commit_lsn_ = begin.final_lsn;
    return Status::OK();
  }
  Status Handle(const pgoutput::Commit&) {
    in_transaction_ = false;
    return Status::OK();
  }
  Status Handle(const pgoutput::Other&) { return Status::OK(); }

  // The relation's columns, mapped by name onto the read's. A column the
  // read does not know was added after its schema was taken, or has been
  // dropped since the change was logged.
  Status Handle(const pgoutput::Relation& relation) {
    if (relation.id != table_.oid) return Status::OK();
    mapping_.assign(relation.columns.size(), -1);
    key_positions_.clear();
    for (size_t r = 0; r < relation.columns.size(); ++r) {
      const std::string& name = relation.columns[r].name;
      for (size_t i = 0; i < table_.columns.size(); ++i) {
        if (table_.columns[i].name == name) mapping_[r] = static_cast<int>(i);
      }
      if (mapping_[r] < 0 && IsLive(name))
        return Where(Status::SourceError(
            "column '{}' was added after this read's schema was taken; run again to pick it up",
            name));
      for (int k : key_columns_) {
        if (mapping_[r] == k) key_positions_.push_back(r);
      }
    }
    return Status::OK();
  }

  bool IsLive(const std::string& column) const {
    const auto& live = table_.live_columns;
    return std::find(live.begin(), live.end(), column) != live.end();
  }

  Status Handle(const pgoutput::Truncate& truncate) {
    for (uint32_t id : truncate.relations) {
      if (id == table_.oid)
        return Where(Status::SourceError(
            "the table was truncated; run a full refresh of it (lakeflow pipeline run "
            "--full-refresh TABLE)"));
    }
    return Status::OK();
  }

  Status Handle(const pgoutput::Insert& insert) {
    if (insert.relation != table_.oid || flow_ != ChangeFlow::kUpserts) return Status::OK();
    return AppendTuple(insert.row, nullptr);
  }

  Status Handle(const pgoutput::Update& update) {
    if (update.relation != table_.oid) return Status::OK();
    if (flow_ == ChangeFlow::kUpserts)
      return AppendTuple(update.row, update.old_kind == 'O' ? &update.old_row : nullptr);
    // A key that changed deletes the old row. PostgreSQL sends the old key
    // ('K') when the key changed or is stored out of line, and the old row
    // ('O') always under REPLICA IDENTITY FULL: compare to know.
    if (update.old_kind != 0 && KeyChanged(update)) return AppendTuple(update.old_row, nullptr);
    return Status::OK();
  }

  Status Handle(const pgoutput::Delete& del) {
    if (del.relation != table_.oid || flow_ != ChangeFlow::kDeletes) return Status::OK();
    return AppendTuple(del.old_row, nullptr);
  }

  // An unchanged TOASTed value in the new row is the old one.
  bool KeyChanged(const pgoutput::Update& update) const {
    using Kind = pgoutput::Value::Kind;
    for (size_t r : key_positions_) {
      if (r >= update.row.size() || r >= update.old_row.size()) return true;
      const auto& before = update.old_row[r];
      const auto& after = update.row[r];
      if (after.kind == Kind::kUnchangedToast) continue;
      if (before.kind != after.kind || before.data != after.data) return true;
    }
    return false;
  }

  // One row from `tuple`; an unchanged TOASTed value comes from `old` (the
  // old row, under REPLICA IDENTITY FULL) when there is one.
  Status AppendTuple(const pgoutput::Tuple& tuple, const pgoutput::Tuple* old) {
    if (mapping_.empty())
      return Where(Status::SourceError("a change came before the table's Relation message"));
    std::fill(values_.begin(), values_.end(), std::nullopt);
    for (size_t r = 0; r < tuple.size() && r < mapping_.size(); ++r) {
      const pgoutput::Value* value = &tuple[r];
      if (value->kind == pgoutput::Value::Kind::kUnchangedToast && old != nullptr &&
          r < old->size())
        value = &(*old)[r];
      if (mapping_[r] < 0) continue;  // a column dropped since
      if (value->kind == pgoutput::Value::Kind::kUnchangedToast)
        return Where(Status::SourceError(
            "column '{}' holds a large (TOASTed) value the update left unchanged, which "
            "PostgreSQL does not send; ALTER TABLE {} REPLICA IDENTITY FULL makes it send the "
            "old row, then run a full refresh of the table",
            table_.columns[mapping_[r]].name, table_.display));
      if (value->kind == pgoutput::Value::Kind::kBinary)
        return Where(Status::SourceError("a value came in binary form"));
      if (value->kind == pgoutput::Value::Kind::kText) values_[mapping_[r]] = value->data;
    }
    sequence_ = SequenceText(commit_lsn_, change_lsn_);
    values_.back() = sequence_;
    Status status = decoder_->AppendRow(values_);
    return status.ok() ? status : Where(status);
  }

  // Done: close the session so that the slot is free for the other flow, or
  // for advancing.
  Status Finish() {
    done_ = true;
    session_.reset();
    return Status::OK();
  }

  Status Where(const Status& status) const {
    return status.WithContext(fmt::format("postgres: table {}, change at LSN {}", table_.display,
                                          FormatLsn(change_lsn_)));
  }

  std::unique_ptr<ReplicationSession> session_;
  ChangeTable table_;
  ChangeFlow flow_;
  Lsn end_;
  std::unique_ptr<PgTextDecoder> decoder_;
  std::vector<std::optional<std::string_view>> values_;  // the row being appended
  std::vector<int> key_columns_;                         // among table_.columns
  std::vector<int> mapping_;           // relation column -> table_.columns index, -1 if dropped
  std::vector<size_t> key_positions_;  // relation columns of the key
  std::string sequence_;
  bool done_ = false;
  bool in_transaction_ = false;
  Lsn commit_lsn_ = 0;
  Lsn change_lsn_ = 0;
  Lsn received_ = 0;
  std::optional<Lsn> stalled_at_;  // the last position a keepalive gave
  Clock::time_point last_heard_ = Clock::now();
};

}  // namespace

std::string SequenceText(Lsn commit, Lsn change) {
  return fmt::format("{:016X}/{:016X}", commit, change);
}

Result<std::unique_ptr<ChangeReader>> ChangeReader::Make(
    std::unique_ptr<ReplicationSession> session, ChangeTable table, ChangeFlow flow, Lsn end) {
  std::vector<PgColumn> columns = table.columns;
  PgColumn sequence;
  sequence.name = kLsnColumn;
  sequence.declared = "text";
  columns.push_back(sequence);
  LF_ASSIGN_OR_RETURN(auto decoder,
                      PgTextDecoder::Make(table.display, std::move(columns), table.schema));
  return std::unique_ptr<ChangeReader>(std::make_unique<ChangeReaderImpl>(
      std::move(session), std::move(table), flow, end, std::move(decoder)));
}

}  // namespace lakeflow::postgres
