// The simulator's HTTP server: serves a spec directory's API from its corpora.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lakeflow/core/status.h"
#include "lakeflow/simulator/corpus.h"
#include "lakeflow/simulator/faults.h"
#include "lakeflow/simulator/spec.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace lakeflow::simulator {

struct ServerOptions {
  std::string spec_dir;
  std::string host = "127.0.0.1";
  int port = 0;           // 0: any free port
  int64_t scale = 0;      // > 0: multiply each corpus of several records into this many
  double fault_rate = 0;  // probability that a request is faulted
  uint64_t seed = 0;
  // Non-empty: API requests must carry exactly this Authorization header (else 401).
  std::string auth;
  // Compress responses (gzip/brotli) for clients that accept it. Off by
  // default: on loopback compression only costs time, and the simulator must
  // not be the bottleneck of a benchmark.
  bool compress = false;
  // Called once listening, with the bound port (useful with port 0).
  std::function<void(int port)> on_listening;
};

class Server {
 public:
  // Loads the spec and every corpus/*.json; nothing listens yet.
  static Result<std::unique_ptr<Server>> Create(const ServerOptions& options);
  ~Server();

  // Binds (port 0 picks a free one) and serves on a background thread.
  Status Start();
  // Binds and serves on the calling thread until Stop().
  Status Run();
  void Stop();
  int port() const { return port_; }
  // Requests answered with an injected fault so far (tests check faults happened).
  int64_t faults_injected() const { return faults_injected_.load(); }

 private:
  explicit Server(ServerOptions options);
  Status LoadCorpora();
  Status Bind();
  void InstallRoutes();

  void HandleApi(const httplib::Request& req, httplib::Response& res);
  void HandleControl(const httplib::Request& req, httplib::Response& res);
  void ServeEndpoint(const EndpointSpec& ep, const std::map<std::string, std::string>& captures,
                     const httplib::Request& req, httplib::Response& res);
  void ServeTimeBased(const EndpointSpec& ep, const Corpus& corpus,
                      const std::vector<uint32_t>& list, const httplib::Request& req,
                      httplib::Response& res);
  void ServeCursor(const EndpointSpec& ep, const Corpus& corpus, const std::vector<uint32_t>& list,
                   const httplib::Request& req, httplib::Response& res);
  static void SendPage(const EndpointSpec& ep, const Corpus& corpus,
                       const std::vector<uint32_t>& list, size_t begin, size_t count,
                       const std::string& meta, httplib::Response& res);
  // A page whose wrapper is built as JSON: a dotted records_key, and `meta`
  // members placed at dotted paths.
  static void SendNested(const EndpointSpec& ep, const Corpus& corpus,
                         const std::vector<uint32_t>& list, size_t begin, size_t count,
                         const nlohmann::ordered_json& meta, httplib::Response& res);
  std::shared_ptr<const std::vector<uint32_t>> Lookup(size_t ep_index, const Corpus& corpus,
                                                      const struct Query& q);
  void InvalidateCache();

  ServerOptions options_;
  Spec spec_;
  std::map<std::string, std::unique_ptr<Corpus>> corpora_;
  FaultPlan faults_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int64_t> faults_injected_{0};

  // Readers share the corpora; control mutations take them exclusively.
  std::shared_mutex corpora_mu_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, std::shared_ptr<const std::vector<uint32_t>>> cache_;
};

}  // namespace lakeflow::simulator
