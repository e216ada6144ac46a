#include "lakeflow/http/paginator.h"

#include <gtest/gtest.h>

namespace lakeflow::http {
namespace {

HttpResponse Body(std::string body, std::string link = "") {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  if (!link.empty()) r.headers.emplace("Link", std::move(link));
  return r;
}

std::optional<std::string> Next(const Paginator& p, const std::string& url, const HttpResponse& r,
                                int64_t records, int64_t seen = 0) {
  auto next = p.NextUrl(url, r, records, seen);
  EXPECT_TRUE(next.ok()) << next.status().ToString();
  return next.ok() ? *next : std::nullopt;
}

TEST(Paginator, LinkHeader) {
  PaginatorSpec spec;
  spec.kind = PaginatorSpec::Kind::kLinkHeader;
  spec.size_param = "per_page";
  spec.page_size = 100;
  Paginator p(spec);
  EXPECT_EQ(p.FirstUrl("https://api.github.com/repos/o/r/issues?state=all"),
            "https://api.github.com/repos/o/r/issues?state=all&per_page=100");
  auto r = Body(
      "[{}]",
      R"(<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last")");
  EXPECT_EQ(Next(p, "u", r, 1), "https://api.github.com/x?page=2");
  EXPECT_EQ(Next(p, "u", Body("[{}]", R"(<https://api.github.com/x?page=1>; rel="prev")"), 1),
            std::nullopt);
  EXPECT_EQ(Next(p, "u", Body("[{}]"), 1), std::nullopt);
  EXPECT_EQ(Next(p, "u", r, 0), std::nullopt);  // an empty page ends the sequence
}

TEST(Paginator, PageNumber) {
  PaginatorSpec spec;
  spec.kind = PaginatorSpec::Kind::kPageNumber;
  spec.size_param = "per_page";
  spec.page_size = 2;
  Paginator p(spec);
  std::string first = p.FirstUrl("http://h/items?sort=asc");
  EXPECT_EQ(first, "http://h/items?sort=asc&page=1&per_page=2");
  EXPECT_EQ(Next(p, first, Body("[1,2]"), 2), "http://h/items?sort=asc&page=2&per_page=2");
  EXPECT_EQ(Next(p, first, Body("[1]"), 1), std::nullopt);  // a short page is the last
}

TEST(Paginator, OffsetLimit) {
  PaginatorSpec spec;
  spec.kind = PaginatorSpec::Kind::kOffsetLimit;
  spec.size_param = "limit";
  spec.page_size = 3;
  Paginator p(spec);
  std::string first = p.FirstUrl("http://h/x");
  EXPECT_EQ(first, "http://h/x?offset=0&limit=3");
  EXPECT_EQ(Next(p, first, Body("[1,2,3]"), 3), "http://h/x?offset=3&limit=3");
  EXPECT_EQ(Next(p, "http://h/x?offset=3&limit=3", Body("[1,2,3]"), 3),
            "http://h/x?offset=6&limit=3");
}

TEST(Paginator, CursorFromBodyWithHasMore) {
  PaginatorSpec spec;
  spec.kind = PaginatorSpec::Kind::kCursor;
  spec.cursor_param = "after";
  spec.cursor_pointer = "/meta/next";
  spec.has_more_pointer = "/meta/has_more";
  Paginator p(spec);
  EXPECT_EQ(Next(p, "http://h/x?after=a1",
                 Body(R"({"meta":{"next":"b 2","has_more":true},"data":[1]})"), 1),
            "http://h/x?after=b%202");
  EXPECT_EQ(Next(p, "http://h/x", Body(R"({"meta":{"next":"b2","has_more":false},"data":[1]})"), 1),
            std::nullopt);
  EXPECT_EQ(Next(p, "http://h/x", Body(R"({"meta":{"next":null,"has_more":true},"data":[1]})"), 1),
            std::nullopt);
}

TEST(Paginator, NextUrlFromBodyAndTotal) {
  PaginatorSpec spec;
  spec.kind = PaginatorSpec::Kind::kNextUrl;
  spec.next_url_pointer = "/next_page";
  spec.total_pointer = "/count";
  Paginator p(spec);
  auto more = Body(R"({"tickets":[1,2],"next_page":"https://z/api?page=2","count":5})");
  EXPECT_EQ(Next(p, "https://z/api", more, 2, 2), "https://z/api?page=2");
  EXPECT_EQ(Next(p, "https://z/api", more, 2, 5), std::nullopt);  // the total is reached
  EXPECT_EQ(Next(p, "https://z/api", Body(R"({"tickets":[1],"next_page":null})"), 1), std::nullopt);
}

TEST(Paginator, BadBodyAndBadKind) {
  PaginatorSpec spec;
  spec.kind = PaginatorSpec::Kind::kNextUrl;
  spec.next_url_pointer = "/next";
  Paginator p(spec);
  auto next = p.NextUrl("u", Body("{not json"), 1, 1);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kSource);
  auto kind = ParsePaginatorKind("pages");
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.status().message().find("unknown paginator 'pages'"), std::string::npos);
}

TEST(Paginator, SetQueryParamReplacesOrAppends) {
  EXPECT_EQ(SetQueryParam("http://h/x?a=1&page=3&b=2", "page", "4"), "http://h/x?a=1&page=4&b=2");
  EXPECT_EQ(SetQueryParam("http://h/x?a=1", "page", "1"), "http://h/x?a=1&page=1");
  EXPECT_EQ(SetQueryParam("http://h/x", "q", "a b"), "http://h/x?q=a%20b");
}

}  // namespace
}  // namespace lakeflow::http
