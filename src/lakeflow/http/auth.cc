#include "lakeflow/http/auth.h"

#include <nlohmann/json.hpp>

#include "lakeflow/core/arrow_json.h"
#include "lakeflow/http/http_client.h"
#include "lakeflow/http/url.h"

namespace lakeflow::http {

namespace {

class HeaderAuth : public Authenticator {
 public:
  HeaderAuth(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  Status Apply(HttpRequest* request) override {
    for (auto& [k, v] : request->headers) {
      if (EqualsIgnoreCase(k, name_)) {
        v = value_;
        return Status::OK();
      }
    }
    request->headers.emplace_back(name_, value_);
    return Status::OK();
  }

 private:
  std::string name_;
  std::string value_;
};

class QueryKeyAuth : public Authenticator {
 public:
  QueryKeyAuth(std::string name, std::string key) : name_(std::move(name)), key_(std::move(key)) {}
  Status Apply(HttpRequest* request) override {
    if (request->url.find(UrlEncode(name_) + "=") != std::string::npos) return Status::OK();
    request->url = WithQuery(request->url, {{name_, key_}});
    return Status::OK();
  }

 private:
  std::string name_;
  std::string key_;
};

class OAuth2Auth : public Authenticator {
 public:
  OAuth2Auth(OAuth2Config config, HttpClient* client)
      : config_(std::move(config)), client_(client) {}

  Status Apply(HttpRequest* request) override {
    if (token_.empty() || std::chrono::steady_clock::now() >= expires_) {
      LF_RETURN_IF_ERROR(FetchToken());
    }
    return HeaderAuth("Authorization", "Bearer " + token_).Apply(request);
  }

  Result<bool> Refresh() override {
    LF_RETURN_IF_ERROR(FetchToken());
    return true;
  }

 private:
  Status FetchToken() {
    QueryParams form = {{"client_id", config_.client_id}, {"client_secret", config_.client_secret}};
    if (config_.refresh_token.empty()) {
      form.emplace_back("grant_type", "client_credentials");
    } else {
      form.emplace_back("grant_type", "refresh_token");
      form.emplace_back("refresh_token", config_.refresh_token);
    }
    if (!config_.scope.empty()) form.emplace_back("scope", config_.scope);
    std::string body = WithQuery("", form).substr(1);  // "a=1&b=2" without the '?'
    HttpRequest request{
        "POST", config_.token_url, {{"Content-Type", "application/x-www-form-urlencoded"}}, body};
    auto response = client_->Send(request);
    if (!response.ok()) return response.status().WithContext("OAuth2 token request");
    if (!response->ok()) {
      return Status::SourceError(
          "OAuth2 token request to {} failed with HTTP {}: check the client id, secret "
          "or refresh token",
          RedactUrl(config_.token_url), response->status);
    }
    auto j = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.contains("access_token") || !j["access_token"].is_string()) {
      return Status::SourceError("OAuth2 token response from {} has no access_token",
                                 RedactUrl(config_.token_url));
    }
    token_ = j["access_token"].get<std::string>();
    if (j.contains("refresh_token") && j["refresh_token"].is_string()) {
      config_.refresh_token = j["refresh_token"].get<std::string>();  // rotated refresh tokens
    }
    int64_t lifetime = j.value("expires_in", 3600);
    // Renew a minute early (or halfway, for short-lived tokens) so a request
    // never leaves with a token about to lapse.
    int64_t margin = std::min<int64_t>(60, lifetime / 2);
    expires_ = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime - margin);
    return Status::OK();
  }

  OAuth2Config config_;
  HttpClient* client_;
  std::string token_;
  std::chrono::steady_clock::time_point expires_;
};

}  // namespace

std::unique_ptr<Authenticator> MakeBearerAuth(std::string token) {
  return std::make_unique<HeaderAuth>("Authorization", "Bearer " + token);
}

std::unique_ptr<Authenticator> MakeBasicAuth(std::string user, std::string password) {
  return std::make_unique<HeaderAuth>("Authorization",
                                      "Basic " + Base64Encode(user + ":" + password));
}

std::unique_ptr<Authenticator> MakeApiKeyAuth(std::string name, std::string key,
                                              KeyPlacement where) {
  if (where == KeyPlacement::kQuery)
    return std::make_unique<QueryKeyAuth>(std::move(name), std::move(key));
  return std::make_unique<HeaderAuth>(std::move(name), std::move(key));
}

std::unique_ptr<Authenticator> MakeOAuth2Auth(OAuth2Config config, HttpClient* client) {
  return std::make_unique<OAuth2Auth>(std::move(config), client);
}

}  // namespace lakeflow::http
