// pgoutput messages built byte by byte as the protocol documents them
// (PostgreSQL's "Logical Replication Message Formats"), parsed back.
#include "lakeflow/connectors/postgres/pgoutput.h"

#include <gtest/gtest.h>

#include <string>

namespace lakeflow::postgres {
namespace {

// Big-endian fields and NUL-terminated strings, appended.
class Bytes {
 public:
  explicit Bytes(char type) { data_ += type; }
  template <typename T>
  Bytes& Int(T value) {
    for (int shift = 8 * (static_cast<int>(sizeof(T)) - 1); shift >= 0; shift -= 8)
      data_ += static_cast<char>((static_cast<uint64_t>(value) >> shift) & 0xFF);
    return *this;
  }
  Bytes& Byte(char c) {
    data_ += c;
    return *this;
  }
  Bytes& Str(std::string_view s) {
    data_ += s;
    data_ += '\0';
    return *this;
  }
  Bytes& Text(std::string_view s) {
    Byte('t').Int<int32_t>(static_cast<int32_t>(s.size()));
    data_ += s;
    return *this;
  }
  std::string str() const { return data_; }

 private:
  std::string data_;
};

template <typename M>
M ParseAs(const std::string& bytes) {
  auto parsed = pgoutput::Parse(bytes);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed.ok() && std::holds_alternative<M>(*parsed));
  return parsed.ok() && std::holds_alternative<M>(*parsed) ? std::get<M>(*parsed) : M{};
}

TEST(PgLsnTest, TextRoundTrips) {
  EXPECT_EQ(ParseLsn("16/B374D848"), (Lsn{0x16} << 32) | 0xB374D848);
  EXPECT_EQ(FormatLsn((Lsn{0x16} << 32) | 0xB374D848), "16/B374D848");
  EXPECT_EQ(FormatLsn(0), "0/0");
  EXPECT_EQ(ParseLsn("0/0"), Lsn{0});
  EXPECT_FALSE(ParseLsn("16B374D848").has_value());
  EXPECT_FALSE(ParseLsn("1/G").has_value());
  EXPECT_FALSE(ParseLsn("123456789/0").has_value());
}

TEST(PgOutputTest, BeginAndCommitCarryTheirLsns) {
  auto begin = ParseAs<pgoutput::Begin>(
      Bytes('B').Int<uint64_t>(0x1000).Int<int64_t>(77).Int<uint32_t>(42).str());
  EXPECT_EQ(begin.final_lsn, 0x1000u);
  EXPECT_EQ(begin.xid, 42u);
  auto commit = ParseAs<pgoutput::Commit>(
      Bytes('C').Byte(0).Int<uint64_t>(0x1000).Int<uint64_t>(0x1030).Int<int64_t>(77).str());
  EXPECT_EQ(commit.commit_lsn, 0x1000u);
  EXPECT_EQ(commit.end_lsn, 0x1030u);
}

TEST(PgOutputTest, RelationListsColumnsAndKeys) {
  auto relation = ParseAs<pgoutput::Relation>(Bytes('R')
                                                  .Int<uint32_t>(16384)
                                                  .Str("public")
                                                  .Str("Order Items")
                                                  .Byte('d')
                                                  .Int<int16_t>(2)
                                                  .Byte(1)
                                                  .Str("id")
                                                  .Int<uint32_t>(23)
                                                  .Int<int32_t>(-1)
                                                  .Byte(0)
                                                  .Str("price")
                                                  .Int<uint32_t>(1700)
                                                  .Int<int32_t>((10 << 16 | 2) + 4)
                                                  .str());
  EXPECT_EQ(relation.id, 16384u);
  EXPECT_EQ(relation.name, "Order Items");
  ASSERT_EQ(relation.columns.size(), 2u);
  EXPECT_TRUE(relation.columns[0].key);
  EXPECT_FALSE(relation.columns[1].key);
  EXPECT_EQ(relation.columns[1].type_oid, 1700u);
}

// Tuples point into the message: each test keeps its bytes alive.
TEST(PgOutputTest, TuplesKeepNullsUnchangedToastAndText) {
  const std::string bytes =
      Bytes('I').Int<uint32_t>(7).Byte('N').Int<int16_t>(3).Text("42").Byte('n').Byte('u').str();
  auto insert = ParseAs<pgoutput::Insert>(bytes);
  ASSERT_EQ(insert.row.size(), 3u);
  EXPECT_EQ(insert.row[0].kind, pgoutput::Value::Kind::kText);
  EXPECT_EQ(insert.row[0].data, "42");
  EXPECT_EQ(insert.row[1].kind, pgoutput::Value::Kind::kNull);
  EXPECT_EQ(insert.row[2].kind, pgoutput::Value::Kind::kUnchangedToast);
}

TEST(PgOutputTest, UpdatesAndDeletesCarryTheOldKeyOrRow) {
  const std::string with_key = Bytes('U')
                                   .Int<uint32_t>(7)
                                   .Byte('K')
                                   .Int<int16_t>(1)
                                   .Text("1")
                                   .Byte('N')
                                   .Int<int16_t>(1)
                                   .Text("2")
                                   .str();
  auto update = ParseAs<pgoutput::Update>(with_key);
  EXPECT_EQ(update.old_kind, 'K');
  EXPECT_EQ(update.old_row[0].data, "1");
  EXPECT_EQ(update.row[0].data, "2");
  const std::string without_key =
      Bytes('U').Int<uint32_t>(7).Byte('N').Int<int16_t>(1).Text("3").str();
  auto plain = ParseAs<pgoutput::Update>(without_key);
  EXPECT_EQ(plain.old_kind, 0);
  EXPECT_TRUE(plain.old_row.empty());
  EXPECT_EQ(plain.row[0].data, "3");
  const std::string old_row = Bytes('D').Int<uint32_t>(7).Byte('O').Int<int16_t>(1).Text("9").str();
  auto del = ParseAs<pgoutput::Delete>(old_row);
  EXPECT_EQ(del.old_kind, 'O');
  EXPECT_EQ(del.old_row[0].data, "9");
}

TEST(PgOutputTest, TruncateNamesItsRelations) {
  auto truncate = ParseAs<pgoutput::Truncate>(
      Bytes('T').Int<int32_t>(2).Int<uint8_t>(1).Int<uint32_t>(5).Int<uint32_t>(6).str());
  EXPECT_EQ(truncate.relations, (std::vector<uint32_t>{5, 6}));
  EXPECT_TRUE(truncate.cascade);
  EXPECT_FALSE(truncate.restart_identity);
}

TEST(PgOutputTest, MalformedMessagesAreErrorsNotReadsPastTheEnd) {
  // A text value claiming more bytes than the message has.
  std::string cut = Bytes('I').Int<uint32_t>(7).Byte('N').Int<int16_t>(1).str() + std::string(
                                                                                      "t\0\0\0\x10"
                                                                                      "ab",
                                                                                      7);
  auto parsed = pgoutput::Parse(cut);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "postgres: a truncated pgoutput 'I' message");
  EXPECT_FALSE(pgoutput::Parse(Bytes('B').Int<uint32_t>(1).str()).ok());
  EXPECT_EQ(pgoutput::Parse("Z").status().message(), "postgres: an unknown pgoutput message 'Z'");
  EXPECT_FALSE(pgoutput::Parse("").ok());
}

}  // namespace
}  // namespace lakeflow::postgres
