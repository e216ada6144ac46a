#include "lakeflow/http/url.h"

#include <fmt/format.h>

#include "lakeflow/connect/registry.h"

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

}  // namespace lakeflow::http
