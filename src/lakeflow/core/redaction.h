// Secrets: which option names hold them, and the redaction that keeps their
// values out of every message, log line and file lakeflow writes.
//
// Redaction is by value: each secret a read resolves is added to a Redactor,
// which replaces it wherever it appears — as written, percent-encoded (in a
// URL), JSON-escaped (in a body or an offset) or base64-encoded (in a Basic
// credential) — with "****". It lives in core so that every layer that shows
// text (http, connections, datasource, the CLI) can use it without depending
// on the connector registry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow {

// Option names that hold secrets whatever the connector says: any key that
// contains one of these words (token, password, secret, api_key, credential,
// private_key).
bool LooksSecret(std::string_view option_name);

class Redactor {
 public:
  // Adds `secret` and its encoded forms. Values shorter than 4 characters are
  // ignored: they would scrub innocent text, and are poor secrets anyway.
  void Add(std::string_view secret);
  // Replaces every known secret in `text` with "****".
  std::string Apply(std::string text) const;
  Status Apply(const Status& status) const;
  // Whether `text` holds any known secret.
  bool Finds(std::string_view text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  void AddForm(std::string form);
  std::vector<std::string> secrets_;  // longest first
};

}  // namespace lakeflow
