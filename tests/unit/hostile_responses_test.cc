// Bodies that arrive over HTTP, crafted: an OAuth2 token response whose
// members have other types, and a simulator control request nested without
// end. Each is one error line or a 400, never an abort.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

#include "lakeflow/http/auth.h"
#include "lakeflow/http/http_client.h"
#include "testing/hostile.h"
#include "testing/simulator_fixture.h"

namespace lakeflow {
namespace {

// A token endpoint on loopback that answers every request with `body`.
class TokenServer {
 public:
  explicit TokenServer(std::string body) : body_(std::move(body)) {
    server_.Post("/token", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(body_, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TokenServer() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }

 private:
  std::string body_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// The status of one authorized request whose token comes from `body`.
Status Authorize(const std::string& body) {
  TokenServer server(body);
  auto client = http::HttpClient::Make({});
  EXPECT_TRUE(client.ok());
  auto auth = http::MakeOAuth2Auth({server.Url(), "cid", "s3cr3t-value", "", ""}, client->get());
  http::HttpRequest request{"GET", "http://127.0.0.1:1/api", {}, ""};
  return auth->Apply(&request);
}

TEST(HostileTokenResponse, MistypedMembersAreOneErrorLine) {
  for (const std::string& body : {
           std::string(R"({"access_token":"t","expires_in":"soon"})"),
           std::string(R"({"access_token":"t","expires_in":[3600]})"),
           std::string(R"({"access_token":"t","expires_in":true})"),
           std::string(R"({"access_token":"t","expires_in":-5})"),
           std::string(R"({"access_token":7})"),
           std::string(R"(["access_token"])"),
           R"({"access_token":"t","scope":)" + testing::DeepJsonObject(100000) + "}",
       }) {
    Status st = Authorize(body);
    ASSERT_FALSE(st.ok()) << body.substr(0, 80);
    EXPECT_NE(st.message().find("OAuth2 token response"), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find("s3cr3t-value"), std::string::npos) << st.message();
  }
}

TEST(HostileTokenResponse, LifetimesAsTextOrHugeNumbersAreRead) {
  for (const char* body :
       {R"({"access_token":"t","expires_in":"3600"})",
        R"({"access_token":"t","expires_in":3600.0})",
        R"({"access_token":"t","expires_in":99999999999999999999})",
        R"({"access_token":"t","expires_in":9223372036854775807})", R"({"access_token":"t"})"}) {
    Status st = Authorize(body);
    EXPECT_TRUE(st.ok()) << body << ": " << st.ToString();
  }
}

TEST(HostileSimulatorRequest, DeepRecordBodyIsA400) {
  simulator::ServerOptions options;
  options.spec_dir = "github";
  auto server = testing::StartSimulator(options);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  client.set_read_timeout(10, 0);
  std::string body = R"({"id":1,"labels":)" + testing::Deep("[", "1", "]", 100000) + "}";
  auto res = client.Post("/_simulator/issues/records", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("nested deeper"), std::string::npos) << res->body;
  auto health = client.Get("/_simulator/health");  // the server is still up
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(HostileSimulatorRequest, ARecordBodyKeepsItsKeyOrder) {
  simulator::ServerOptions options;
  options.spec_dir = "github";
  auto server = testing::StartSimulator(options);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  auto res =
      client.Post("/_simulator/issues/records", R"({"zeta":1,"alpha":2})", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_LT(res->body.find("zeta"), res->body.find("alpha")) << res->body;
}

}  // namespace
}  // namespace lakeflow
