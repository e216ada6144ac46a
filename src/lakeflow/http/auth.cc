#include "lakeflow/http/auth.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "lakeflow/core/arrow_json.h"
#include "lakeflow/core/json_access.h"
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
    std::string where = fmt::format("OAuth2 token response from {}", RedactUrl(config_.token_url));
    LF_ASSIGN_OR_RETURN(Json j, ParseJson(response->body, where, StatusCode::kSource));
    LF_ASSIGN_OR_RETURN(auto fields, JsonFields::Of(j, where, StatusCode::kSource));
    LF_ASSIGN_OR_RETURN(std::string token, fields.String("access_token"));
    // Rotated refresh tokens replace the one configured.
    LF_ASSIGN_OR_RETURN(std::string refresh,
                        fields.StringOr("refresh_token", config_.refresh_token));
    LF_ASSIGN_OR_RETURN(int64_t lifetime, Lifetime(fields));
    token_ = std::move(token);
    config_.refresh_token = std::move(refresh);
    // Renew a minute early (or halfway, for short-lived tokens) so a request
    // never leaves with a token about to lapse.
    int64_t margin = std::min<int64_t>(60, lifetime / 2);
    expires_ = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime - margin);
    return Status::OK();
  }

  // expires_in, in seconds: a number, or digits in a string as some servers
  // send it; absent, an hour. Capped at a year, so the deadline never overflows.
  static Result<int64_t> Lifetime(const JsonFields& fields) {
    constexpr int64_t kYear = 365LL * 24 * 3600;
    const Json* v = fields.Find("expires_in");
    if (!v) return int64_t{3600};
    std::optional<int64_t> seconds;
    if (v->is_string()) {
      const auto& text = v->get_ref<const std::string&>();
      int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc() && end == text.data() + text.size()) seconds = n;
    } else if (v->is_number()) {
      // Whole seconds only; anything past a year (even 1e30) is a year.
      seconds = v->get<double>() > kYear ? kYear : JsonInteger(*v);
    }
    if (!seconds || *seconds < 0) return fields.Error("expires_in", "must be a number of seconds");
    return std::min(*seconds, kYear);
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
