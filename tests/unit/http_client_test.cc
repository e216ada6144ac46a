// The HTTP toolkit against a real server on loopback (cpp-httplib in-process).
#include "lakeflow/http/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "lakeflow/http/auth.h"
#include "lakeflow/http/multi_fetcher.h"
#include "lakeflow/http/request_guard.h"
#include "lakeflow/http/url.h"

namespace lakeflow::http {
namespace {

// A server on a free loopback port, stopped when the test ends.
class LocalServer {
 public:
  LocalServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

struct Fixture {
  std::unique_ptr<HttpClient> client;
  std::vector<Millis> sleeps;
};

std::unique_ptr<Fixture> MakeClient(RetryPolicy retry = {}, bool record_sleeps = true) {
  auto f = std::make_unique<Fixture>();
  HttpClientOptions options;
  options.retry = retry;
  options.seed = 42;
  if (record_sleeps) options.sleep = [raw = f.get()](Millis d) { raw->sleeps.push_back(d); };
  auto client = HttpClient::Make(options);
  EXPECT_TRUE(client.ok());
  f->client = std::move(client).value();
  return f;
}

TEST(HttpClient, GetsBodyAndHeaders) {
  LocalServer s;
  s.server().Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Thing", "yes");
    res.set_content(R"({"a":1})", "application/json");
  });
  auto f = MakeClient();
  auto r = f->client->Get(s.Url("/hello"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"a":1})");
  EXPECT_EQ(r->Header("x-thing"), "yes");
}

TEST(HttpClient, ReusesOneConnection) {
  LocalServer s;
  std::set<int> ports;
  std::mutex mu;
  s.server().Get("/x", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    ports.insert(req.remote_port);
    res.set_content("ok", "text/plain");
  });
  auto f = MakeClient();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f->client->Get(s.Url("/x")).ok());
  EXPECT_EQ(ports.size(), 1u);
}

TEST(HttpClient, DecodesCompressedBodies) {
  LocalServer s;
  std::string big(100000, 'x');
  s.server().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"v\":\"" + big + "\"}", "application/json");
  });
  auto f = MakeClient();
  auto r = f->client->Get(s.Url("/big"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "{\"v\":\"" + big + "\"}");
  ASSERT_TRUE(r->Header("Content-Encoding").has_value());  // it travelled compressed
}

TEST(HttpClient, RetriesServerErrorsWithBackoff) {
  LocalServer s;
  std::atomic<int> calls{0};
  s.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls <= 2) {
      res.status = 503;
      return;
    }
    res.set_content("done", "text/plain");
  });
  RetryPolicy retry;
  retry.base_delay = Millis(100);
  auto f = MakeClient(retry);
  auto r = f->client->Get(s.Url("/flaky"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(f->client->attempts(), 3);
  ASSERT_EQ(f->sleeps.size(), 2u);
  EXPECT_NEAR(f->sleeps[0].count(), 100, 20);  // base, +-20% jitter
  EXPECT_NEAR(f->sleeps[1].count(), 200, 40);  // doubled
}

TEST(HttpClient, ObeysRetryAfterSeconds) {
  LocalServer s;
  std::atomic<int> calls{0};
  s.server().Get("/limited", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "7");
      return;
    }
    res.set_content("ok", "text/plain");
  });
  auto f = MakeClient();
  ASSERT_TRUE(f->client->Get(s.Url("/limited")).ok());
  ASSERT_EQ(f->sleeps.size(), 1u);
  EXPECT_EQ(f->sleeps[0], Millis(7000));
}

TEST(HttpClient, RetryAfterIsReallyWaited) {
  LocalServer s;
  std::atomic<int> calls{0};
  s.server().Get("/limited", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      return;
    }
    res.set_content("ok", "text/plain");
  });
  auto f = MakeClient({}, /*record_sleeps=*/false);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(f->client->Get(s.Url("/limited")).ok());
  auto elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
  EXPECT_GE(elapsed.count(), 1000);  // it waited as told (how much longer depends on the machine)
  EXPECT_EQ(calls.load(), 2);
}

TEST(HttpClient, WaitsForRateLimitReset) {
  LocalServer s;
  std::atomic<int> calls{0};
  int64_t reset = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count() +
                  30;
  s.server().Get("/gh", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 403;
      res.set_header("X-RateLimit-Remaining", "0");
      res.set_header("X-RateLimit-Reset", std::to_string(reset));
      res.set_content(R"({"message":"API rate limit exceeded"})", "application/json");
      return;
    }
    res.set_content("[]", "application/json");
  });
  auto f = MakeClient();
  ASSERT_TRUE(f->client->Get(s.Url("/gh")).ok());
  ASSERT_EQ(f->sleeps.size(), 1u);
  EXPECT_GE(f->sleeps[0].count(), 29000);
  EXPECT_LE(f->sleeps[0].count(), 32000);
}

TEST(HttpClient, GivesUpWithOneClearLine) {
  LocalServer s;
  s.server().Get("/down", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("{\"message\":\"maintenance\"}\n", "application/json");
  });
  RetryPolicy retry;
  retry.max_attempts = 3;
  auto f = MakeClient(retry);
  auto r = f->client->Get(s.Url("/down?per_page=100&access_token=s3cr3t-value"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kSource);
  EXPECT_EQ(r.status().message(), "HTTP 503 from GET " +
                                      s.Url("/down?per_page=100&access_token=****") +
                                      ": {\"message\":\"maintenance\"} ");
  EXPECT_EQ(f->client->attempts(), 3);
}

TEST(HttpClient, ClientErrorsAreNotRetried) {
  LocalServer s;
  s.server().Get("/missing",
                 [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  auto f = MakeClient();
  auto r = f->client->Get(s.Url("/missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("HTTP 404"), std::string::npos);
  EXPECT_EQ(f->client->attempts(), 1);
}

TEST(HttpClient, ConnectionFailuresAreRetriedThenReported) {
  RetryPolicy retry;
  retry.max_attempts = 2;
  auto f = MakeClient(retry);
  // A port nothing listens on: bind one, then close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  auto r = f->client->Get("http://127.0.0.1:" + std::to_string(port) + "/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kSource);
  EXPECT_NE(r.status().message().find("gave up after 2 attempts"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(f->client->attempts(), 2);
}

TEST(HttpClient, DeadlineStopsRetries) {
  LocalServer s;
  s.server().Get("/slowly", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "120");
  });
  RetryPolicy retry;
  retry.deadline = Millis(60000);
  auto f = MakeClient(retry);
  auto r = f->client->Get(s.Url("/slowly"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(f->sleeps.empty());  // waiting 120 s would pass the 60 s deadline
  EXPECT_NE(r.status().message().find("HTTP 429"), std::string::npos);
}

TEST(HttpAuth, BearerBasicAndApiKeys) {
  LocalServer s;
  s.server().Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
    std::string key = req.has_param("api_key") ? req.get_param_value("api_key") : "";
    res.set_content(
        req.get_header_value("Authorization") + "|" + req.get_header_value("X-Api-Key") + "|" + key,
        "text/plain");
  });
  auto f = MakeClient();
  auto with = [&](std::unique_ptr<Authenticator> auth) {
    f->client->set_authenticator(auth.get());
    auto r = f->client->Get(s.Url("/echo"));
    f->client->set_authenticator(nullptr);
    return r.ok() ? r->body : r.status().ToString();
  };
  EXPECT_EQ(with(MakeBearerAuth("tok")), "Bearer tok||");
  EXPECT_EQ(with(MakeBasicAuth("me@example.com/token", "abc")),
            "Basic bWVAZXhhbXBsZS5jb20vdG9rZW46YWJj||");
  EXPECT_EQ(with(MakeApiKeyAuth("X-Api-Key", "k1", KeyPlacement::kHeader)), "|k1|");
  EXPECT_EQ(with(MakeApiKeyAuth("api_key", "k 2", KeyPlacement::kQuery)), "||k 2");
}

TEST(HttpAuth, OAuth2RefreshesAnExpiredToken) {
  LocalServer s;
  std::atomic<int> issued{0};
  std::string last_grant;
  s.server().Post("/token", [&](const httplib::Request& req, httplib::Response& res) {
    last_grant = req.get_param_value("grant_type") + "/" + req.get_param_value("client_id");
    int n = ++issued;
    res.set_content(R"({"access_token":"t)" + std::to_string(n) + R"(","expires_in":3600})",
                    "application/json");
  });
  // The API revokes t1 after its first use, as an expired token would be.
  std::atomic<int> uses_of_t1{0};
  s.server().Get("/api", [&](const httplib::Request& req, httplib::Response& res) {
    std::string auth = req.get_header_value("Authorization");
    if (auth == "Bearer t1" && ++uses_of_t1 > 1) {
      res.status = 401;
      return;
    }
    res.set_content(auth, "text/plain");
  });
  auto token_client = MakeClient();
  auto f = MakeClient();
  auto auth =
      MakeOAuth2Auth({s.Url("/token"), "cid", "csecret", "", ""}, token_client->client.get());
  f->client->set_authenticator(auth.get());
  auto first = f->client->Get(s.Url("/api"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->body, "Bearer t1");
  EXPECT_EQ(last_grant, "client_credentials/cid");
  auto second = f->client->Get(s.Url("/api"));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->body, "Bearer t2");
  EXPECT_EQ(issued.load(), 2);
}

TEST(HttpAuth, OAuth2RefreshTokenGrantAndBadCredentials) {
  LocalServer s;
  s.server().Post("/token", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("refresh_token") != "r1") {
      res.status = 400;
      res.set_content(R"({"error":"invalid_grant"})", "application/json");
      return;
    }
    res.set_content(R"({"access_token":"fresh","expires_in":3600})", "application/json");
  });
  s.server().Get("/api", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.get_header_value("Authorization"), "text/plain");
  });
  auto token_client = MakeClient();
  auto f = MakeClient();
  auto good = MakeOAuth2Auth({s.Url("/token"), "cid", "cs", "r1", ""}, token_client->client.get());
  f->client->set_authenticator(good.get());
  auto r = f->client->Get(s.Url("/api"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "Bearer fresh");
  auto bad = MakeOAuth2Auth({s.Url("/token"), "cid", "cs", "wrong-refresh-token", ""},
                            token_client->client.get());
  f->client->set_authenticator(bad.get());
  auto failed = f->client->Get(s.Url("/api"));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("OAuth2 token request"), std::string::npos);
  EXPECT_EQ(failed.status().message().find("wrong-refresh-token"), std::string::npos);
}

TEST(Url, RedactsSecretsAndUserInfo) {
  EXPECT_EQ(RedactUrl("https://api.x.com/a?per_page=5&token=abc&api_key=zz&page=2"),
            "https://api.x.com/a?per_page=5&token=****&api_key=****&page=2");
  EXPECT_EQ(RedactUrl("https://user:pw@host/x"), "https://****@host/x");
  EXPECT_EQ(RedactUrl("https://host/x"), "https://host/x");
  EXPECT_EQ(WithQuery("https://h/p", {{"q", "a b&c"}, {"n", "1"}}), "https://h/p?q=a%20b%26c&n=1");
  EXPECT_EQ(WithQuery("https://h/p?x=1", {{"y", "2"}}), "https://h/p?x=1&y=2");
}

TEST(RetryPolicy, ParsesHttpDates) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
  HttpResponse r;
  r.status = 503;
  r.headers.emplace("Retry-After", "Sun, 06 Nov 1994 08:50:37 GMT");
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(784111777));
  EXPECT_EQ(ServerRequestedDelay(r, now), Millis(60000));
}

// Concurrency is shown without a clock: each answer waits until 4 requests are
// in the server at once, which only a client sending 4 at a time achieves (a
// serial one would wait out the 60 s guard, and fail).
TEST(MultiFetcher, RunsRequestsConcurrentlyInOrder) {
  LocalServer s;
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0, most = 0;
  s.server().Get("/slow", [&](const httplib::Request& req, httplib::Response& res) {
    std::unique_lock lock(mu);
    most = std::max(most, ++inside);
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(60), [&] { return most >= 4; });
    --inside;
    res.set_content(req.get_param_value("i"), "text/plain");
  });
  HttpClientOptions options;
  auto fetcher = MultiFetcher::Make(options, 4);
  ASSERT_TRUE(fetcher.ok());
  std::vector<HttpRequest> requests;
  for (int i = 0; i < 12; ++i)
    requests.push_back({"GET", s.Url("/slow?i=" + std::to_string(i)), {}, {}});
  auto results = (*fetcher)->FetchAll(requests);
  ASSERT_EQ(results.size(), 12u);
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().ToString();
    EXPECT_EQ(results[i]->body, std::to_string(i));
  }
  EXPECT_EQ((*fetcher)->max_in_flight_seen(), 4);
  std::lock_guard lock(mu);
  EXPECT_EQ(most, 4);
}

TEST(MultiFetcher, RetriesAndFailuresStayPerRequest) {
  LocalServer s;
  std::atomic<int> flaky_calls{0};
  s.server().Get("/ok", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  s.server().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    if (++flaky_calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "0");
      return;
    }
    res.set_content("recovered", "text/plain");
  });
  s.server().Get("/gone",
                 [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  HttpClientOptions options;
  auto fetcher = MultiFetcher::Make(options, 2);
  ASSERT_TRUE(fetcher.ok());
  auto token = MakeBearerAuth("tok");
  (*fetcher)->set_authenticator(token.get());
  auto results = (*fetcher)->FetchAll({{"GET", s.Url("/ok"), {}, {}},
                                       {"GET", s.Url("/flaky"), {}, {}},
                                       {"GET", s.Url("/gone?token=abc"), {}, {}}});
  ASSERT_TRUE(results[0].ok());
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(results[1]->body, "recovered");
  ASSERT_FALSE(results[2].ok());
  EXPECT_EQ(results[2].status().message(), "HTTP 404 from GET " + s.Url("/gone?token=****") + ": ");
  EXPECT_EQ((*fetcher)->attempts(), 4);
}

}  // namespace
}  // namespace lakeflow::http

namespace lakeflow::http {
namespace {

// ---- The credential boundary (docs/security.md) ----

TEST(RequestGuard, OriginsAreSchemeHostAndPort) {
  EXPECT_EQ(*OriginOf("https://API.GitHub.com/repos?x=1"), "https://api.github.com:443");
  EXPECT_EQ(*OriginOf("http://127.0.0.1:8080/a"), "http://127.0.0.1:8080");
  EXPECT_FALSE(OriginOf("file:///etc/passwd").ok());
  EXPECT_FALSE(OriginOf("dict://127.0.0.1:1/x").ok());
  EXPECT_FALSE(OriginOf("/relative").ok());
  EXPECT_FALSE(OriginOf("http://a.com/\r\nX: y").ok());
}

TEST(RequestGuard, RelativeLinksResolveAgainstTheirPage) {
  EXPECT_EQ(*ResolveUrl("http://h:1/a/b?x=1", "/c?page=2"), "http://h:1/c?page=2");
  EXPECT_EQ(*ResolveUrl("http://h:1/a/b", "c"), "http://h:1/a/c");
  EXPECT_EQ(*ResolveUrl("http://h:1/a", "https://other/x"), "https://other/x");
}

TEST(RequestGuard, RefusesOffOriginUrlsAndLineBreaksInHeaders) {
  HttpRequest r{"GET", "http://127.0.0.1:9/x", {{"X-A", "1"}}, ""};
  EXPECT_TRUE(CheckRequest(r, "http://127.0.0.1:9").ok());
  EXPECT_TRUE(CheckRequest(r, "").ok());
  auto off = CheckRequest(r, "http://127.0.0.1:10");
  EXPECT_EQ(off.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(off.message().find("not on the connection's origin"), std::string::npos);
  EXPECT_FALSE(CheckRequest(HttpRequest{"GET", "https://127.0.0.1:9/x", {}, ""},
                            "http://127.0.0.1:9")
                   .ok());  // another scheme
  r.headers = {{"X-A", "1\r\nX-Injected: 2"}};
  EXPECT_FALSE(CheckRequest(r, "").ok());
}

TEST(RequestGuard, RedirectsStayOnTheirOrigin) {
  HttpRequest post{"POST", "https://h/a", {{"Authorization", "Bearer t"}}, "body"};
  HttpResponse same;
  same.status = 303;
  same.headers.emplace("Location", "/b");
  auto next = Redirected(post, same);
  ASSERT_TRUE(next.ok() && *next);
  EXPECT_EQ((*next)->url, "https://h/b");
  EXPECT_EQ((*next)->method, "GET");
  EXPECT_TRUE((*next)->body.empty());
  for (const char* elsewhere : {"https://other/b", "http://h/b", "https://h:8443/b"}) {
    HttpResponse away;
    away.status = 302;
    away.headers.emplace("Location", elsewhere);
    EXPECT_FALSE(Redirected(post, away).ok()) << elsewhere;
  }
  HttpResponse ok;
  ok.status = 200;
  EXPECT_FALSE(*Redirected(post, ok));
}

TEST(RequestGuard, CredentialParametersLeaveStoredUrls) {
  EXPECT_EQ(WithoutQueryParams("http://h/x?a=1&appkey=S&b=2", {"appkey"}), "http://h/x?a=1&b=2");
  EXPECT_EQ(WithoutQueryParams("http://h/x?APPKEY=S", {"appkey"}), "http://h/x");
  EXPECT_EQ(WithoutQueryParams("http://h/x?a=1#f", {"appkey"}), "http://h/x?a=1#f");
}

// `other` counts its requests to /x in `hits`; `good` redirects /away there.
void ServeRedirectAway(LocalServer* good, LocalServer* other, std::atomic<int>* hits) {
  other->server().Get("/x", [hits](const httplib::Request&, httplib::Response& res) {
    ++*hits;
    res.set_content("[]", "application/json");
  });
  good->server().Get("/away",
                     [url = other->Url("/x")](const httplib::Request&, httplib::Response& res) {
                       res.status = 302;
                       res.set_header("Location", url);
                     });
}

TEST(HttpClient, BoundToAnOriginSendsNothingElsewhere) {
  LocalServer good, other;
  std::atomic<int> hits{0};
  ServeRedirectAway(&good, &other, &hits);
  good.server().Get("/here", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "/there");
  });
  good.server().Get("/there", [&](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.get_header_value("Authorization"), "text/plain");
  });
  HttpClientOptions options;
  options.origin = *OriginOf(good.Url("/"));
  auto client = std::move(HttpClient::Make(options)).value();
  auto auth = MakeBearerAuth("tok-123456");
  client->set_authenticator(auth.get());
  EXPECT_FALSE(client->Get(other.Url("/x")).ok());
  auto away = client->Get(good.Url("/away"));
  ASSERT_FALSE(away.ok());
  EXPECT_NE(away.status().message().find("leaves the origin"), std::string::npos);
  EXPECT_EQ(hits.load(), 0);
  auto here = client->Get(good.Url("/here"));
  ASSERT_TRUE(here.ok()) << here.status().ToString();
  EXPECT_EQ(here->body, "Bearer tok-123456");
  EXPECT_EQ(client->attempts(), 3);  // /away, /here, /there: the refused URLs were never sent
}

TEST(HttpClient, BodiesOverTheCapAreOneLineNotRetried) {
  LocalServer s;
  std::atomic<int> hits{0};
  s.server().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.set_chunked_content_provider("application/json", [](size_t, httplib::DataSink& sink) {
      std::string chunk(64 * 1024, ' ');
      for (int i = 0; i < 64; ++i) sink.write(chunk.data(), chunk.size());
      sink.done();
      return true;
    });
  });
  HttpClientOptions options;
  options.max_response_bytes = 1 << 20;
  auto client = std::move(HttpClient::Make(options)).value();
  auto r = client->Get(s.Url("/big"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("larger than 1048576 bytes"), std::string::npos);
  EXPECT_EQ(hits.load(), 1);
}

TEST(MultiFetcher, FollowsRedirectsOnlyOnTheOrigin) {
  LocalServer good, other;
  std::atomic<int> hits{0};
  ServeRedirectAway(&good, &other, &hits);
  good.server().Get("/here", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 301;
    res.set_header("Location", "/there");
  });
  good.server().Get("/there", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  HttpClientOptions options;
  options.origin = *OriginOf(good.Url("/"));
  auto fetcher = std::move(MultiFetcher::Make(options, 3)).value();
  auto results = fetcher->FetchAll({HttpRequest{"GET", good.Url("/away"), {}, ""},
                                    HttpRequest{"GET", good.Url("/here"), {}, ""},
                                    HttpRequest{"GET", other.Url("/x"), {}, ""}});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0].ok());
  ASSERT_TRUE(results[1].ok()) << results[1].status().ToString();
  EXPECT_EQ(results[1]->body, "ok");
  EXPECT_FALSE(results[2].ok());
  EXPECT_EQ(hits.load(), 0);
}

TEST(RetryPolicy, HostileWaitsAreClamped) {
  HttpResponse r;
  r.status = 429;
  r.headers.emplace("Retry-After", "9223372036854775807");
  auto wait = ServerRequestedDelay(r, std::chrono::system_clock::now());
  ASSERT_TRUE(wait);
  EXPECT_GT(wait->count(), 0);
  EXPECT_LE(wait->count(), int64_t{366} * 86400 * 1000);
}

}  // namespace
TEST(QueryValueTest, FindsTheFirstParameterAndDecodesIt) {
  EXPECT_EQ(QueryValue("https://h/p?a=1&after=c%2F2%20x&a=3", "after"), "c/2 x");
  EXPECT_EQ(QueryValue("https://h/p?a=1&a=3", "a"), "1");
  EXPECT_EQ(QueryValue("https://h/p?xa=1&a=", "a"), "");
  EXPECT_EQ(QueryValue("https://h/p?a=%zz%4", "a"), "%zz%4");  // not an escape: kept
  EXPECT_EQ(QueryValue("https://h/p?b=1#a=2", "a"), std::nullopt);
  EXPECT_EQ(QueryValue("https://h/p", "a"), std::nullopt);
}

}  // namespace lakeflow::http
