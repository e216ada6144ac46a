// Credentials for HTTP requests.
//
// An Authenticator adds its credentials to each request, and may fetch fresh
// ones after a 401 (OAuth2). Secrets live only here and in the requests they
// sign; errors name the scheme, never the secret.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "lakeflow/core/options.h"
#include "lakeflow/core/status.h"
#include "lakeflow/http/http_types.h"

namespace lakeflow::http {

class HttpClient;

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual Status Apply(HttpRequest* request) = 0;
  // After a 401: true when new credentials were obtained and a retry may work.
  virtual Result<bool> Refresh() { return false; }
};

// Authorization: Bearer TOKEN
std::unique_ptr<Authenticator> MakeBearerAuth(std::string token);
// Authorization: Basic base64(user:password) (Zendesk: "email/token:API_TOKEN")
std::unique_ptr<Authenticator> MakeBasicAuth(std::string user, std::string password);
// An API key in a header ("X-Api-Key: KEY") or a query parameter (?api_key=KEY).
enum class KeyPlacement { kHeader, kQuery };
std::unique_ptr<Authenticator> MakeApiKeyAuth(std::string name, std::string key,
                                              KeyPlacement where);

// OAuth2 against a token endpoint: the client credentials grant, or the refresh
// token grant when `refresh_token` is set. The access token is cached until
// shortly before it expires, and fetched again after a 401. Token requests go
// through `client` (which must not use this authenticator).
struct OAuth2Config {
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  std::string refresh_token;  // empty: client credentials grant
  std::string scope;
};
std::unique_ptr<Authenticator> MakeOAuth2Auth(OAuth2Config config, HttpClient* client);

}  // namespace lakeflow::http
