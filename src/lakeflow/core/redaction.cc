#include "lakeflow/core/redaction.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "lakeflow/core/arrow_json.h"
#include "lakeflow/core/options.h"

namespace lakeflow {

namespace {

// Percent-encoding as URLs carry it: RFC 3986 unreserved characters pass.
std::string PercentEncoded(std::string_view text, bool upper) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += upper ? fmt::format("%{:02X}", c) : fmt::format("%{:02x}", c);
    }
  }
  return out;
}

// The text between the quotes of `text` as a JSON string, when it is valid
// UTF-8 (else there is no JSON form to find).
std::string JsonEscaped(std::string_view text) {
  try {
    std::string quoted = nlohmann::json(std::string(text)).dump();
    return quoted.substr(1, quoted.size() - 2);
  } catch (const nlohmann::json::exception&) {
    return std::string(text);
  }
}

}  // namespace

bool LooksSecret(std::string_view option_name) {
  std::string lower = AsciiLower(option_name);
  for (const char* word :
       {"token", "password", "secret", "api_key", "apikey", "credential", "private_key"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

void Redactor::AddForm(std::string form) {
  if (form.size() < 4) return;
  if (std::find(secrets_.begin(), secrets_.end(), form) != secrets_.end()) return;
  // Longest first, so a secret that begins another is not replaced inside it.
  auto at = std::find_if(secrets_.begin(), secrets_.end(),
                         [&](const std::string& s) { return s.size() < form.size(); });
  secrets_.insert(at, std::move(form));
}

void Redactor::Add(std::string_view secret) {
  if (secret.size() < 4) return;
  AddForm(std::string(secret));
  AddForm(PercentEncoded(secret, true));
  AddForm(PercentEncoded(secret, false));
  AddForm(JsonEscaped(secret));
  // Base64 of the value alone; a Basic credential's "user:password" is added
  // whole by whoever builds it. Padding is dropped so that the value is found
  // inside a longer encoding that starts with it.
  std::string b64 = Base64Encode(secret);
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  // The last character depends on what follows the value; leave it out.
  if (secret.size() % 3 != 0 && !b64.empty()) b64.pop_back();
  AddForm(std::move(b64));
}

std::string Redactor::Apply(std::string text) const {
  for (const auto& s : secrets_) {
    for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 4)) {
      text.replace(pos, s.size(), "****");
    }
  }
  return text;
}

Status Redactor::Apply(const Status& status) const {
  if (status.ok() || secrets_.empty()) return status;
  return Status(status.code(), Apply(status.message()));
}

bool Redactor::Finds(std::string_view text) const {
  for (const auto& s : secrets_) {
    if (text.find(s) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace lakeflow
