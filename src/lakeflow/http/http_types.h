// HTTP requests and responses as the toolkit passes them around.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/core/options.h"

namespace lakeflow::http {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // POST bodies (OAuth token requests, search APIs)
};

struct HttpResponse {
  long status = 0;
  // Header names compared without case; repeated headers joined with ", ".
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  std::string url;  // the URL that answered, after redirects

  std::optional<std::string> Header(std::string_view name) const {
    auto it = headers.find(name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }
  bool ok() const { return status >= 200 && status < 300; }
};

}  // namespace lakeflow::http
