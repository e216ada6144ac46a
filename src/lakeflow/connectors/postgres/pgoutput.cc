#include "lakeflow/connectors/postgres/pgoutput.h"

#include "lakeflow/connectors/postgres/pg_wire.h"

namespace lakeflow::postgres::pgoutput {
namespace {

// Reads big-endian fields off the front of a message; `ok()` turns false at
// the first read past its end, and every later read gives zeros.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  template <typename T>
  T Int() {
    if (!Need(sizeof(T))) return 0;
    T value = LoadBigEndian<T>(data_.data() + at_);
    at_ += sizeof(T);
    return value;
  }
  char Byte() { return static_cast<char>(Int<uint8_t>()); }

  std::string String() {
    if (!ok_) return "";
    size_t end = data_.find('\0', at_);
    if (end == std::string_view::npos) {
      ok_ = false;
      return "";
    }
    std::string out(data_.substr(at_, end - at_));
    at_ = end + 1;
    return out;
  }

  std::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    std::string_view out = data_.substr(at_, n);
    at_ += n;
    return out;
  }

  Tuple ReadTuple() {
    Tuple tuple;
    const int16_t columns = Int<int16_t>();
    for (int16_t i = 0; ok_ && i < columns; ++i) {
      Value value;
      const char kind = Byte();
      switch (kind) {
        case 'n':
          value.kind = Value::Kind::kNull;
          break;
        case 'u':
          value.kind = Value::Kind::kUnchangedToast;
          break;
        case 't':
        case 'b': {
          value.kind = kind == 't' ? Value::Kind::kText : Value::Kind::kBinary;
          const int32_t size = Int<int32_t>();
          if (size < 0) ok_ = false;
          value.data = Bytes(static_cast<size_t>(size < 0 ? 0 : size));
          break;
        }
        default:
          ok_ = false;
      }
      tuple.push_back(value);
    }
    return tuple;
  }

  bool ok() const { return ok_; }

 private:
  bool Need(size_t n) {
    if (!ok_ || at_ + n > data_.size()) ok_ = false;
    return ok_;
  }

  std::string_view data_;
  size_t at_ = 0;
  bool ok_ = true;
};

template <typename M>
Result<Message> Checked(const Reader& reader, char type, M message) {
  if (!reader.ok()) return Status::SourceError("postgres: a truncated pgoutput '{}' message", type);
  return Message(std::move(message));
}

}  // namespace

Result<Message> Parse(std::string_view data) {
  if (data.empty()) return Status::SourceError("postgres: an empty pgoutput message");
  Reader r(data.substr(1));
  const char type = data[0];
  switch (type) {
    case 'B': {
      Begin m;
      m.final_lsn = r.Int<uint64_t>();
      m.commit_time = r.Int<int64_t>();
      m.xid = r.Int<uint32_t>();
      return Checked(r, type, m);
    }
    case 'C': {
      Commit m;
      r.Byte();  // flags, unused
      m.commit_lsn = r.Int<uint64_t>();
      m.end_lsn = r.Int<uint64_t>();
      m.commit_time = r.Int<int64_t>();
      return Checked(r, type, m);
    }
    case 'R': {
      Relation m;
      m.id = r.Int<uint32_t>();
      m.schema = r.String();
      m.name = r.String();
      m.replica_identity = r.Byte();
      const int16_t columns = r.Int<int16_t>();
      for (int16_t i = 0; r.ok() && i < columns; ++i) {
        Relation::Column column;
        column.key = (r.Int<uint8_t>() & 1) != 0;
        column.name = r.String();
        column.type_oid = r.Int<uint32_t>();
        column.type_modifier = r.Int<int32_t>();
        m.columns.push_back(std::move(column));
      }
      return Checked(r, type, std::move(m));
    }
    case 'I': {
      Insert m;
      m.relation = r.Int<uint32_t>();
      if (r.Byte() != 'N') return Status::SourceError("postgres: a pgoutput insert without 'N'");
      m.row = r.ReadTuple();
      return Checked(r, type, std::move(m));
    }
    case 'U': {
      Update m;
      m.relation = r.Int<uint32_t>();
      char part = r.Byte();
      if (part == 'K' || part == 'O') {
        m.old_kind = part;
        m.old_row = r.ReadTuple();
        part = r.Byte();
      }
      if (part != 'N') return Status::SourceError("postgres: a pgoutput update without 'N'");
      m.row = r.ReadTuple();
      return Checked(r, type, std::move(m));
    }
    case 'D': {
      Delete m;
      m.relation = r.Int<uint32_t>();
      m.old_kind = r.Byte();
      if (m.old_kind != 'K' && m.old_kind != 'O')
        return Status::SourceError("postgres: a pgoutput delete without 'K' or 'O'");
      m.old_row = r.ReadTuple();
      return Checked(r, type, std::move(m));
    }
    case 'T': {
      Truncate m;
      const int32_t count = r.Int<int32_t>();
      const uint8_t options = r.Int<uint8_t>();
      m.cascade = (options & 1) != 0;
      m.restart_identity = (options & 2) != 0;
      for (int32_t i = 0; r.ok() && i < count; ++i) m.relations.push_back(r.Int<uint32_t>());
      return Checked(r, type, std::move(m));
    }
    case 'O':
    case 'Y':
    case 'M':
      return Message(Other{type});
    default:
      return Status::SourceError("postgres: an unknown pgoutput message '{}'", type);
  }
}

}  // namespace lakeflow::postgres::pgoutput
