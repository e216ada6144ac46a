#include "lakeflow/http/url.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>

#include "lakeflow/core/options.h"
#include "lakeflow/core/redaction.h"

namespace lakeflow::http {

namespace {

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

// Query keys whose values are credentials in common APIs.
bool IsSecretQueryKey(std::string_view key) {
  if (LooksSecret(key)) return true;
  std::string lower = AsciiLower(key);
  return lower == "key" || lower == "sig" || lower == "signature" || lower == "code" ||
         lower == "auth";
}

// A parsed URL, freed with it.
using UrlHandle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

UrlHandle NewUrl() {
  return UrlHandle(curl_url(), &curl_url_cleanup);
}

// One part of a parsed URL, or empty.
std::string Part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, flags) != CURLUE_OK || !text) return "";
  std::string out(text);
  curl_free(text);
  return out;
}

// Control characters and spaces never belong in a URL we send: they would
// split a request line or a header.
bool HasControlCharacters(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Bytes past ASCII percent-encoded, as a browser sends a link holding them:
// a URL kept in an offset stays ASCII, and the server gets the bytes it wrote.
std::string EncodeNonAscii(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

std::string UrlEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      fmt::format_to(std::back_inserter(out), "%{:02X}", c);
    }
  }
  return out;
}

std::string WithQuery(const std::string& base, const QueryParams& params) {
  std::string out = base;
  char sep = base.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : params) {
    out += sep;
    out += UrlEncode(k) + "=" + UrlEncode(v);
    sep = '&';
  }
  return out;
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  // user:password@host
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t at = out.find('@', scheme + 3);
    size_t slash = out.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      out.replace(scheme + 3, at - scheme - 3, "****");
    }
  }
  size_t query = out.find('?');
  if (query == std::string::npos) return out;
  std::string result = out.substr(0, query + 1);
  std::string_view rest = std::string_view(out).substr(query + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (eq != std::string_view::npos && IsSecretQueryKey(key)) {
      result += std::string(key) + "=****";
    } else {
      result += std::string(pair);
    }
    if (amp == std::string_view::npos) break;
    result += '&';
    rest.remove_prefix(amp + 1);
  }
  return result;
}

Result<std::string> OriginOf(std::string_view url) {
  UrlHandle parsed = NewUrl();
  std::string text(url);
  if (HasControlCharacters(text) ||
      curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return Status::Invalid("'{}' is not an absolute URL", RedactUrl(url));
  }
  std::string scheme = AsciiLower(Part(parsed.get(), CURLUPART_SCHEME));
  if (scheme != "http" && scheme != "https") {
    return Status::Invalid("'{}' is not an http or https URL", RedactUrl(url));
  }
  std::string host = AsciiLower(Part(parsed.get(), CURLUPART_HOST));
  std::string port = Part(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (host.empty()) return Status::Invalid("'{}' names no host", RedactUrl(url));
  return scheme + "://" + host + ":" + port;
}

Result<std::string> ResolveUrl(std::string_view base, std::string_view ref) {
  UrlHandle parsed = NewUrl();
  std::string base_text(base), ref_text = EncodeNonAscii(ref);
  if (HasControlCharacters(ref_text)) {
    return Status::Invalid("'{}' is not a URL: it holds spaces or control characters",
                           RedactUrl(ref));
  }
  // An absolute reference stands as it was written.
  if (curl_url_set(parsed.get(), CURLUPART_URL, ref_text.c_str(), 0) == CURLUE_OK) return ref_text;
  if (curl_url_set(parsed.get(), CURLUPART_URL, base_text.c_str(), 0) != CURLUE_OK ||
      curl_url_set(parsed.get(), CURLUPART_URL, ref_text.c_str(), 0) != CURLUE_OK) {
    return Status::Invalid("'{}' is not a URL relative to {}", RedactUrl(ref), RedactUrl(base));
  }
  return Part(parsed.get(), CURLUPART_URL);
}

std::string WithoutQueryParams(const std::string& url, const std::vector<std::string>& names) {
  size_t query = url.find('?');
  if (query == std::string::npos || names.empty()) return url;
  size_t fragment = url.find('#', query);
  std::string_view rest = std::string_view(url).substr(query + 1, fragment - query - 1);
  std::string kept;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    std::string_view key = pair.substr(0, pair.find('='));
    bool drop = false;
    for (const auto& name : names) drop = drop || EqualsIgnoreCase(key, UrlEncode(name));
    if (!drop && !pair.empty()) kept += (kept.empty() ? "" : "&") + std::string(pair);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  std::string out = url.substr(0, query);
  if (!kept.empty()) out += "?" + kept;
  if (fragment != std::string::npos) out += url.substr(fragment);
  return out;
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX sequences decoded; a '%' without two hex digits stays as it is.
std::string PercentDecode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    int a = raw[i] == '%' && i + 2 < raw.size() ? HexDigit(raw[i + 1]) : -1;
    int b = a >= 0 ? HexDigit(raw[i + 2]) : -1;
    if (a >= 0 && b >= 0) {
      out += static_cast<char>(a * 16 + b);
      i += 2;
    } else {
      out += raw[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> QueryValue(std::string_view url, std::string_view name) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  size_t hash = url.find('#', q);
  std::string_view query =
      url.substr(q + 1, hash == std::string_view::npos ? std::string_view::npos : hash - q - 1);
  const std::string key = UrlEncode(name);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) != key) continue;
    return PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return std::nullopt;
}

}  // namespace lakeflow::http
