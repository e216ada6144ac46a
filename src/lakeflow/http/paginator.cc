#include "lakeflow/http/paginator.h"

#include <simdjson.h>

namespace lakeflow::http {

namespace {

// The values a paginator reads from a page body at JSON pointers (has-more,
// end-of-stream, total, next URL, cursor). The body is parsed once, on the
// first read, however many of them the spec names.
class BodyValues {
 public:
  explicit BodyValues(const std::string& body) : body_(body) {}

  // Strings as their text, anything else as its JSON, nullopt when absent or null.
  Result<std::optional<std::string>> At(const std::string& pointer) {
    if (!parsed_) {
      if (parser_.parse(body_).get(doc_) != simdjson::SUCCESS)
        return Status::SourceError("page body is not valid JSON");
      parsed_ = true;
    }
    simdjson::dom::element value;
    if (doc_.at_pointer(pointer).get(value) != simdjson::SUCCESS || value.is_null())
      return std::optional<std::string>();
    if (value.is_string())
      return std::optional<std::string>(std::string(value.get_string().value()));
    return std::optional<std::string>(simdjson::minify(value));
  }

 private:
  const std::string& body_;
  simdjson::dom::parser parser_;
  simdjson::dom::element doc_;
  bool parsed_ = false;
};

}  // namespace

Result<PaginatorSpec::Kind> ParsePaginatorKind(std::string_view name) {
  using K = PaginatorSpec::Kind;
  if (name == "none") return K::kNone;
  if (name == "link_header") return K::kLinkHeader;
  if (name == "page_number") return K::kPageNumber;
  if (name == "offset_limit") return K::kOffsetLimit;
  if (name == "cursor") return K::kCursor;
  if (name == "next_url") return K::kNextUrl;
  return Status::Invalid(
      "unknown paginator '{}' (expected none, link_header, page_number, offset_limit, cursor or "
      "next_url)",
      name);
}

int64_t QueryInt(const std::string& url, const std::string& name, int64_t fallback) {
  std::string key = UrlEncode(name) + "=";
  size_t q = url.find('?');
  while (q != std::string::npos) {
    size_t at = url.find(key, q + 1);
    if (at == std::string::npos) return fallback;
    if (url[at - 1] == '?' || url[at - 1] == '&')
      return std::strtoll(url.c_str() + at + key.size(), nullptr, 10);
    q = at;
  }
  return fallback;
}

std::optional<std::string> LinkHeaderTarget(std::string_view link, std::string_view rel) {
  // <https://api/x?page=2>; rel="next", <https://api/x?page=5>; rel="last"
  size_t pos = 0;
  while (pos < link.size()) {
    size_t open = link.find('<', pos);
    if (open == std::string_view::npos) return std::nullopt;
    size_t close = link.find('>', open);
    if (close == std::string_view::npos) return std::nullopt;
    size_t end = link.find(",", close);
    std::string_view params =
        link.substr(close + 1, end == std::string_view::npos ? link.npos : end - close - 1);
    std::string quoted = "rel=\"" + std::string(rel) + "\"";
    std::string bare = "rel=" + std::string(rel);
    if (params.find(quoted) != std::string_view::npos ||
        params.find(bare) != std::string_view::npos) {
      return std::string(link.substr(open + 1, close - open - 1));
    }
    if (end == std::string_view::npos) return std::nullopt;
    pos = end + 1;
  }
  return std::nullopt;
}

std::string SetQueryParam(const std::string& url, const std::string& name,
                          const std::string& value) {
  std::string key = UrlEncode(name);
  size_t q = url.find('?');
  if (q == std::string::npos) return WithQuery(url, {{name, value}});
  std::string out = url.substr(0, q);
  std::string_view rest = std::string_view(url).substr(q + 1);
  char sep = '?';
  bool replaced = false;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    out += sep;
    sep = '&';
    if (pair.substr(0, pair.find('=')) == key) {
      out += key + "=" + UrlEncode(value);
      replaced = true;
    } else {
      out += std::string(pair);
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  if (!replaced) out += std::string(1, sep) + key + "=" + UrlEncode(value);
  return out;
}

std::string Paginator::FirstUrl(const std::string& base) const {
  using K = PaginatorSpec::Kind;
  std::string url = base;
  switch (spec_.kind) {
    case K::kPageNumber:
      url = SetQueryParam(url, spec_.page_param, std::to_string(spec_.start_page));
      break;
    case K::kOffsetLimit:
      url = SetQueryParam(url, spec_.offset_param, "0");
      break;
    default:
      break;
  }
  if (!spec_.size_param.empty())
    url = SetQueryParam(url, spec_.size_param, std::to_string(spec_.page_size));
  return url;
}

Result<std::optional<std::string>> Paginator::NextUrl(const std::string& url,
                                                      const HttpResponse& response, int64_t records,
                                                      int64_t seen) const {
  using K = PaginatorSpec::Kind;
  std::optional<std::string> none;
  if (spec_.kind == K::kNone || records == 0) return none;
  BodyValues body(response.body);
  if (!spec_.has_more_pointer.empty()) {
    LF_ASSIGN_OR_RETURN(auto more, body.At(spec_.has_more_pointer));
    if (!more || *more == "false") return none;
  }
  if (!spec_.end_of_stream_pointer.empty()) {
    LF_ASSIGN_OR_RETURN(auto end, body.At(spec_.end_of_stream_pointer));
    if (end && *end == "true") return none;
  }
  if (!spec_.total_pointer.empty()) {
    LF_ASSIGN_OR_RETURN(auto total, body.At(spec_.total_pointer));
    if (total && seen >= std::strtoll(total->c_str(), nullptr, 10)) return none;
  }
  switch (spec_.kind) {
    case K::kLinkHeader: {
      auto link = response.Header("Link");
      auto next = link ? LinkHeaderNext(*link) : std::nullopt;
      if (!next) return none;
      LF_ASSIGN_OR_RETURN(std::string resolved, ResolveUrl(url, *next));
      return std::optional<std::string>(std::move(resolved));
    }
    case K::kPageNumber: {
      if (!spec_.size_param.empty() && records < spec_.page_size)
        return none;  // a short page is the last
      int64_t page = QueryInt(url, spec_.page_param, spec_.start_page);
      int64_t next = 0;
      if (__builtin_add_overflow(page, 1, &next))
        return Status::Invalid("page number {} of {} cannot grow", page, RedactUrl(url));
      return std::optional<std::string>(SetQueryParam(url, spec_.page_param, std::to_string(next)));
    }
    case K::kOffsetLimit: {
      if (records < spec_.page_size) return none;
      int64_t offset = QueryInt(url, spec_.offset_param, 0);
      int64_t next = 0;
      if (__builtin_add_overflow(offset, records, &next))
        return Status::Invalid("offset {} of {} cannot grow", offset, RedactUrl(url));
      return std::optional<std::string>(
          SetQueryParam(url, spec_.offset_param, std::to_string(next)));
    }
    case K::kCursor: {
      LF_ASSIGN_OR_RETURN(auto cursor, body.At(spec_.cursor_pointer));
      if (!cursor || cursor->empty()) return none;
      return std::optional<std::string>(SetQueryParam(url, spec_.cursor_param, *cursor));
    }
    case K::kNextUrl: {
      LF_ASSIGN_OR_RETURN(auto next, body.At(spec_.next_url_pointer));
      if (!next || next->empty() || *next == url) return none;
      LF_ASSIGN_OR_RETURN(std::string resolved, ResolveUrl(url, *next));
      return std::optional<std::string>(std::move(resolved));
    }
    case K::kNone:
      break;
  }
  return none;
}

}  // namespace lakeflow::http
