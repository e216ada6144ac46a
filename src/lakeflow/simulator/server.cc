#include "lakeflow/simulator/server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>

#include "lakeflow/core/json_access.h"
#include "lakeflow/simulator/query.h"

namespace lakeflow::simulator {
namespace {

constexpr const char* kJson = "application/json";
// Concurrent keep-alive connections served without queueing (see InstallRoutes).
constexpr size_t kWorkerThreads = 96;
constexpr const char* kControlPrefix = "/_simulator/";
constexpr int64_t kMicrosPerSecond = 1000000;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// Matches "/a/{x}/b" against a request path; fills the {name} captures.
bool MatchPath(const std::string& pattern, const std::string& path,
               std::map<std::string, std::string>* captures) {
  std::vector<std::string> want = Segments(pattern);
  std::vector<std::string> got = Segments(path);
  if (want.size() != got.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    const std::string& w = want[i];
    if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
      if (got[i].empty()) return false;
      (*captures)[w.substr(1, w.size() - 2)] = got[i];
    } else if (w != got[i]) {
      return false;
    }
  }
  return true;
}

void SendError(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  nlohmann::json body = {{"message", message}};
  res.set_content(body.dump(), kJson);
}

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

int64_t IntParam(const httplib::Request& req, const std::string& name, int64_t fallback) {
  if (name.empty() || !req.has_param(name)) return fallback;
  std::string v = req.get_param_value(name);
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) return fallback;
  return n;
}

// The httplib the system ships (0.11) listens with a backlog of 5 and offers
// no way to change it: a burst of connections (flows and parallel pages
// starting together) overflows it, and the dropped ones retry their SYN a
// second later. Linux lets listen() on a listening socket change its backlog,
// so the socket bound to `port` is found among this process's and raised.
void RaiseListenBacklog(int port) {
  constexpr int kBacklog = 256;
  for (int fd = 3; fd < 65536; ++fd) {
    int accepting = 0;
    socklen_t len = sizeof accepting;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0) {
      if (errno == EBADF && fd > 1024) return;  // past the open descriptors, most likely
      continue;
    }
    if (!accepting) continue;
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) continue;
    int bound = addr.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                : addr.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                    : -1;
    if (bound == port) ::listen(fd, kBacklog);
  }
}

bool LooksJson(const httplib::Request& req) {
  if (req.get_header_value("Content-Type").find("json") != std::string::npos) return true;
  size_t first = req.body.find_first_not_of(" \t\r\n");
  return first != std::string::npos && req.body[first] == '{';
}

// The query's parameters and a JSON body's top-level members, which win: a
// scalar as its text, a list of scalars as "a,b" (for `in`), an object or a
// nested list as its JSON; null members are absent. A GraphQL body's
// `variables` members are parameters too, below the top-level ones.
Result<httplib::Params> BodyParams(const httplib::Request& req) {
  auto body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Status::Invalid("the request body is not a JSON object");
  }
  if (body.contains("variables") && body["variables"].is_object()) {
    Json variables = body["variables"];  // a copy: adding to `body` moves its members
    for (const auto& [name, value] : variables.items()) {
      if (!body.contains(name)) body[name] = value;
    }
  }
  httplib::Params out = req.params;
  for (const auto& [name, value] : body.items()) {
    if (value.is_null()) continue;
    out.erase(name);
    if (value.is_string()) {
      out.emplace(name, value.get<std::string>());
      continue;
    }
    bool flat = value.is_array() && std::all_of(value.begin(), value.end(),
                                                [](const Json& v) { return v.is_primitive(); });
    if (!flat) {
      out.emplace(name, value.dump());
      continue;
    }
    std::string joined;
    for (const auto& v : value) {
      joined += (joined.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    out.emplace(name, joined);
  }
  return out;
}

const ParamSpec* FindRole(const EndpointSpec& ep, ParamRole role) {
  for (const auto& p : ep.params) {
    if (p.role == role) return &p;
  }
  return nullptr;
}

// A size parameter's value within its declared default and max.
int64_t SizeParam(const httplib::Request& req, const EndpointSpec& ep, ParamRole role,
                  const char* default_name) {
  const ParamSpec* p = FindRole(ep, role);
  int64_t def = p && p->default_value > 0 ? p->default_value : 30;
  int64_t n = IntParam(req, p ? p->name : default_name, def);
  if (n < 1) n = def;
  if (p && p->max_value > 0) n = std::min(n, p->max_value);
  return n;
}

// The request's URL with `page` replaced, absolute, on the Host it came to.
std::string PageUrl(const httplib::Request& req, const std::string& page_name, int64_t page) {
  std::string url = "http://" + req.get_header_value("Host") + req.path + "?";
  bool first = true;
  bool placed = false;
  for (const auto& [k, v] : req.params) {
    url += first ? "" : "&";
    first = false;
    if (k == page_name) {
      if (placed) continue;
      url += UrlEncode(k) + "=" + std::to_string(page);
      placed = true;
    } else {
      url += UrlEncode(k) + "=" + UrlEncode(v);
    }
  }
  if (!placed) url += (first ? "" : "&") + UrlEncode(page_name) + "=" + std::to_string(page);
  return url;
}

std::string LinkHeader(const httplib::Request& req, const std::string& page_name, int64_t page,
                       int64_t last) {
  std::vector<std::string> links;
  auto add = [&](int64_t p, const char* rel) {
    links.push_back("<" + PageUrl(req, page_name, p) + ">; rel=\"" + rel + "\"");
  };
  if (page > 1) add(std::min(page - 1, last), "prev");
  if (page < last) add(page + 1, "next");
  if (page < last) add(last, "last");
  if (page > 1) add(1, "first");
  std::string out;
  for (const auto& l : links) out += (out.empty() ? "" : ", ") + l;
  return out;
}

// Zendesk's list links: next_page / previous_page URLs or null, and the total.
std::string PageLinks(const httplib::Request& req, const std::string& page_name, int64_t page,
                      int64_t last, size_t total) {
  Json next = page < last ? Json(PageUrl(req, page_name, page + 1)) : Json(nullptr);
  Json prev = page > 1 ? Json(PageUrl(req, page_name, page - 1)) : Json(nullptr);
  return "\"next_page\":" + next.dump() + ",\"previous_page\":" + prev.dump() +
         ",\"count\":" + std::to_string(total);
}

int64_t FloorSeconds(int64_t micros) {
  int64_t s = micros / kMicrosPerSecond;
  return micros % kMicrosPerSecond < 0 ? s - 1 : s;
}

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      faults_(options_.fault_rate, options_.seed),
      http_(std::make_unique<httplib::Server>()) {}

Server::~Server() {
  Stop();
}

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  if (options.fault_rate < 0 || options.fault_rate > 1) {
    return Status::Invalid("--faults must be between 0 and 1, got {}", options.fault_rate);
  }
  if (options.scale < 0) return Status::Invalid("--scale must not be negative");
  std::unique_ptr<Server> server(new Server(options));
  LF_ASSIGN_OR_RETURN(server->spec_, LoadSpec(options.spec_dir));
  LF_RETURN_IF_ERROR(server->LoadCorpora());
  server->InstallRoutes();
  return server;
}

Status Server::LoadCorpora() {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(options_.spec_dir) / "corpus";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    LF_ASSIGN_OR_RETURN(auto corpus, Corpus::Load(entry.path().string(), options_.scale));
    corpora_[entry.path().stem().string()] = std::move(corpus);
  }
  if (ec) return Status::IOError("{}: {}", dir.string(), ec.message());
  int64_t now = NowMicros();
  for (size_t i = 0; i < spec_.endpoints.size(); ++i) {
    const EndpointSpec& ep = spec_.endpoints[i];
    auto it = corpora_.find(ep.corpus);
    // An endpoint without a corpus file serves an empty table, as the API
    // does for a resource with no records.
    if (it == corpora_.end()) it = corpora_.emplace(ep.corpus, Corpus::Empty()).first;
    if (ep.future_count > 0)
      it->second->AddFutureRecords(ep.future_cursor_field, ep.future_count, now);
  }
  return Status::OK();
}

void Server::InstallRoutes() {
  // Answers go out at once (no Nagle wait for the ACK of the headers), and a
  // client keeps its connection as it would with a real API.
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive_max_count(10000);
  // A kept-alive connection holds its worker until the client closes it or
  // the keep-alive timeout passes: with httplib's default of about 8
  // workers, a pipeline's ninth flow would wait that timeout out. Idle
  // workers cost only their stacks.
  http_->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  if (!options_.compress) {
    // httplib compresses whenever the client accepts it; forgetting that the
    // client did is the only switch it offers. The request is the server's own
    // mutable object, handed to handlers as const.
    http_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
      const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }
  auto api = [this](const httplib::Request& req, httplib::Response& res) { HandleApi(req, res); };
  http_->Get(".*", api);
  http_->Post(".*", api);
  http_->Delete(".*", api);
  http_->Put(".*", api);
  http_->Patch(".*", api);
}

Status Server::Bind() {
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
  } else {
    port_ = http_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) return Status::IOError("cannot listen on {}:{}", options_.host, options_.port);
  RaiseListenBacklog(port_);
  return Status::OK();
}

Status Server::Start() {
  LF_RETURN_IF_ERROR(Bind());
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return Status::OK();
}

Status Server::Run() {
  LF_RETURN_IF_ERROR(Bind());
  if (options_.on_listening) options_.on_listening(port_);
  if (!http_->listen_after_bind()) return Status::IOError("server stopped with an error");
  return Status::OK();
}

void Server::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

void Server::HandleApi(const httplib::Request& req, httplib::Response& res) {
  bool control = req.path.rfind(kControlPrefix, 0) == 0;
  // Checked before faults, so unauthorized requests do not shift the fault
  // sequence; control endpoints too (they change and reveal the corpus), all
  // but the health check that says the server is up.
  bool health = control && req.path == std::string(kControlPrefix) + "health";
  if (!health && !options_.auth.empty() && req.get_header_value("Authorization") != options_.auth) {
    res.status = 401;
    Json body = {{"message", "Bad credentials"},
                 {"documentation_url", "https://docs.github.com/rest"}};
    return res.set_content(body.dump(), kJson);
  }
  if (control) return HandleControl(req, res);
  Fault fault = faults_.Next();
  if (fault != Fault::kNone) faults_injected_.fetch_add(1);
  switch (fault) {
    case Fault::kTooManyRequests:
      res.set_header("Retry-After", "1");
      return SendError(res, 429, "API rate limit exceeded (simulated)");
    case Fault::kInternalError:
      return SendError(res, 500, "Internal Server Error (simulated)");
    case Fault::kServiceUnavailable:
      return SendError(res, 503, "Service Unavailable (simulated)");
    case Fault::kSlow:
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      break;
    default:
      break;
  }
  bool served = false;
  for (const auto& ep : spec_.endpoints) {
    std::map<std::string, std::string> captures;
    if (ep.method != req.method || !MatchPath(ep.path, req.path, &captures)) continue;
    ServeEndpoint(ep, captures, req, res);
    served = true;
    break;
  }
  if (!served) return SendError(res, 404, "Not Found");
  // httplib leaves status at -1 until it sends a success; errors set it.
  if (fault != Fault::kTruncated || res.status >= 300) return;
  // Declare the whole body, send half, then fail the write so the connection closes.
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  res.set_content_provider(body->size(), kJson,
                           [body](size_t offset, size_t, httplib::DataSink& sink) {
                             if (offset == 0) sink.write(body->data(), body->size() / 2);
                             return false;
                           });
}

std::shared_ptr<const std::vector<uint32_t>> Server::Lookup(size_t ep_index, const Corpus& corpus,
                                                            const Query& q) {
  std::string key = std::to_string(ep_index) + "#" + q.CacheKey();
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
  }
  // Evaluated outside the cache lock: two racing requests may both compute
  // the same list, which is harmless and keeps other queries unblocked.
  auto list = std::make_shared<const std::vector<uint32_t>>(Evaluate(corpus, q));
  std::lock_guard<std::mutex> lock(cache_mu_);
  cache_.emplace(key, list);
  return list;
}

void Server::InvalidateCache() {
  std::lock_guard<std::mutex> lock(cache_mu_);
  cache_.clear();
}

void Server::ServeEndpoint(const EndpointSpec& ep,
                           const std::map<std::string, std::string>& captures,
                           const httplib::Request& original, httplib::Response& res) {
  std::shared_lock<std::shared_mutex> lock(corpora_mu_);
  const Corpus& corpus = *corpora_.at(ep.corpus);
  if (corpus.text()) return res.set_content(corpus.entity_text(), "text/plain; charset=utf-8");
  if (ep.single_entity || corpus.single_entity()) {
    if (!corpus.single_entity() && corpus.size() == 0) return SendError(res, 404, "Not Found");
    std::string body = corpus.entity_text();
    if (!corpus.single_entity()) corpus.AppendText(0, &body);
    return res.set_content(body, kJson);
  }
  // A POST may carry its parameters in a JSON body: they join the query's.
  httplib::Request with_body;
  const httplib::Request* r = &original;
  if (original.method == "POST" && LooksJson(original)) {
    auto params = BodyParams(original);
    if (!params.ok()) return SendError(res, 400, params.status().message());
    with_body = original;
    with_body.params = *std::move(params);
    r = &with_body;
  }
  const httplib::Request& req = *r;
  auto query = BuildQuery(ep, req.params, captures);
  if (!query.ok()) return SendError(res, 422, query.status().message());
  auto list = Lookup(static_cast<size_t>(&ep - spec_.endpoints.data()), corpus, *query);
  if (ep.pagination == Pagination::kTimeBased) return ServeTimeBased(ep, corpus, *list, req, res);
  if (ep.pagination == Pagination::kCursor) return ServeCursor(ep, corpus, *list, req, res);
  size_t total = list->size();
  size_t begin = 0;
  size_t count = total;
  std::string meta;  // generated wrapper members
  if (ep.pagination == Pagination::kPageNumber ||
      ep.pagination == Pagination::kPageNumberWithLinkHeader ||
      ep.pagination == Pagination::kNextPageUrl) {
    int64_t per_page = SizeParam(req, ep, ParamRole::kPerPage, "per_page");
    const ParamSpec* page_param = FindRole(ep, ParamRole::kPage);
    std::string page_name = page_param ? page_param->name : "page";
    int64_t page = std::max<int64_t>(1, IntParam(req, page_name, 1));
    int64_t last = std::max<int64_t>(1, (static_cast<int64_t>(total) + per_page - 1) / per_page);
    begin = std::min(total, static_cast<size_t>((page - 1) * per_page));
    count = std::min(total - begin, static_cast<size_t>(per_page));
    if (ep.pagination == Pagination::kPageNumberWithLinkHeader) {
      std::string link = LinkHeader(req, page_name, page, last);
      if (!link.empty()) res.set_header("Link", link);
    }
    if (ep.pagination == Pagination::kNextPageUrl)
      meta = PageLinks(req, page_name, page, last, total);
  } else if (ep.pagination == Pagination::kOffsetLimit || FindRole(ep, ParamRole::kOffset) ||
             FindRole(ep, ParamRole::kLimit)) {
    // offset_limit, or an endpoint of another style that takes them anyway.
    const ParamSpec* offset_param = FindRole(ep, ParamRole::kOffset);
    int64_t offset =
        std::max<int64_t>(0, IntParam(req, offset_param ? offset_param->name : "offset", 0));
    int64_t limit = ep.pagination == Pagination::kOffsetLimit || FindRole(ep, ParamRole::kLimit)
                        ? SizeParam(req, ep, ParamRole::kLimit, "limit")
                        : static_cast<int64_t>(total);
    begin = std::min(total, static_cast<size_t>(offset));
    count = std::min(total - begin, static_cast<size_t>(limit));
  }
  SendPage(ep, corpus, *list, begin, count, meta, res);
}

// Zendesk's incremental export: records at or after start_time (unix
// seconds) in (field, id) order, then where the next page starts.
void Server::ServeTimeBased(const EndpointSpec& ep, const Corpus& corpus,
                            const std::vector<uint32_t>& list, const httplib::Request& req,
                            httplib::Response& res) {
  const ParamSpec* p = FindRole(ep, ParamRole::kStartTime);  // the spec loader ensures one
  int64_t start = IntParam(req, p->name, -1);
  if (start < 0) {
    res.status = 400;
    Json body = {{"error", "InvalidValue"},
                 {"description", p->name + " is required: a unix time in seconds"}};
    return res.set_content(body.dump(), kJson);
  }
  FieldPath path = SplitPath(p->field);
  auto micros = [&](uint32_t i) { return corpus.Field(i, path).micros; };
  auto seconds = [&](uint32_t i) { return FloorSeconds(*micros(i)); };
  // The list is sorted by the field: timestamps first, ascending.
  auto first = std::partition_point(list.begin(), list.end(), [&](uint32_t i) {
    auto m = micros(i);
    return m && FloorSeconds(*m) < start;  // in seconds: a huge start_time cannot overflow
  });
  auto end = std::partition_point(first, list.end(), [&](uint32_t i) { return micros(i); });
  int64_t per_page = SizeParam(req, ep, ParamRole::kPerPage, "per_page");
  auto stop = first + std::min<int64_t>(per_page, end - first);
  int64_t end_time = stop == first ? start : seconds(*(stop - 1));
  // A page entirely in the start second would name itself as the next page:
  // take the whole second instead and move past it.
  if (stop != first && stop != end && end_time == start) {
    while (stop != end && seconds(*stop) == start) ++stop;
    end_time = start + 1;
  }
  std::string meta = "\"next_page\":" + Json(PageUrl(req, p->name, end_time)).dump() +
                     ",\"end_time\":" + std::to_string(end_time) +
                     ",\"end_of_stream\":" + (stop == end ? "true" : "false") +
                     ",\"count\":" + std::to_string(stop - first);
  SendPage(ep, corpus, list, static_cast<size_t>(first - list.begin()),
           static_cast<size_t>(stop - first), meta, res);
}

// The cursor style: a page of per_page (or limit) records from where the
// token points. Tokens are opaque to clients: "c" and a position in hex.
void Server::ServeCursor(const EndpointSpec& ep, const Corpus& corpus,
                         const std::vector<uint32_t>& list, const httplib::Request& req,
                         httplib::Response& res) {
  const ParamSpec* p = FindRole(ep, ParamRole::kCursor);
  std::string token = req.get_param_value(p ? p->name : "cursor");
  size_t begin = 0;
  if (!token.empty()) {
    uint64_t at = 0;
    auto [end, ec] = std::from_chars(token.data() + 1, token.data() + token.size(), at, 16);
    if (token[0] != 'c' || ec != std::errc() || end != token.data() + token.size() ||
        at > list.size()) {
      return SendError(res, 400, "invalid cursor '" + token + "'");
    }
    begin = static_cast<size_t>(at);
  }
  int64_t size = FindRole(ep, ParamRole::kLimit)
                     ? SizeParam(req, ep, ParamRole::kLimit, "limit")
                     : SizeParam(req, ep, ParamRole::kPerPage, "per_page");
  size_t count = std::min(list.size() - begin, static_cast<size_t>(size));
  size_t next = begin + count;
  bool more = next < list.size();
  Json meta = Json::object();
  SetDottedMember<Json>(&meta, ep.next_cursor_path,
                        more ? Json(fmt::format("c{:x}", next)) : Json(nullptr));
  if (!ep.has_more_path.empty()) SetDottedMember<Json>(&meta, ep.has_more_path, more);
  SendNested(ep, corpus, list, begin, count, meta, res);
}

void Server::SendNested(const EndpointSpec& ep, const Corpus& corpus,
                        const std::vector<uint32_t>& list, size_t begin, size_t count,
                        const Json& meta, httplib::Response& res) {
  constexpr const char* kPlaceholder = "__lakeflow_simulator_records__";
  Json wrapper = Json::parse(ep.extras_json.empty() ? "{}" : ep.extras_json);
  wrapper.merge_patch(meta);
  SetDottedMember<Json>(&wrapper, ep.records_key, kPlaceholder);
  std::string records = "[";
  for (size_t k = 0; k < count; ++k) {
    if (k) records += ',';
    corpus.AppendText(list[begin + k], &records);
  }
  records += ']';
  std::string body = wrapper.dump();
  std::string quoted = std::string("\"") + kPlaceholder + "\"";
  body.replace(body.find(quoted), quoted.size(), records);
  res.body = std::move(body);
  res.set_header("Content-Type", kJson);
}

// Writes records [begin, begin + count) of `list`, wrapped when the spec says
// so: the records key, the generated `meta` members, then the spec's extras.
void Server::SendPage(const EndpointSpec& ep, const Corpus& corpus,
                      const std::vector<uint32_t>& list, size_t begin, size_t count,
                      const std::string& meta, httplib::Response& res) {
  if (ep.records_key.find('.') != std::string::npos) {
    return SendNested(ep, corpus, list, begin, count, Json::parse("{" + meta + "}"), res);
  }
  std::string body;
  body.reserve(count * 4096 + 64 + meta.size());
  if (!ep.records_key.empty()) body += "{\"" + ep.records_key + "\":";
  body += '[';
  for (size_t k = 0; k < count; ++k) {
    if (k) body += ',';
    corpus.AppendText(list[begin + k], &body);
  }
  body += ']';
  if (!ep.records_key.empty()) {
    if (!meta.empty()) body += "," + meta;
    // Extras are an object's text: splice its members after the records.
    if (ep.extras_json.size() > 2)
      body += "," + ep.extras_json.substr(1);
    else
      body += "}";
  }
  // Moved in: httplib 0.11's set_content copies, and a page is ~400 KB.
  res.body = std::move(body);
  res.set_header("Content-Type", kJson);
}

void Server::HandleControl(const httplib::Request& req, httplib::Response& res) {
  std::vector<std::string> seg = Segments(req.path);  // "_simulator", corpus, ...
  if (seg.size() == 2 && seg[1] == "health" && req.method == "GET") {
    nlohmann::json body = {{"status", "ok"}, {"endpoints", spec_.endpoints.size()}};
    return res.set_content(body.dump(), kJson);
  }
  if (seg.size() < 3) return SendError(res, 404, "Not Found");
  // A page in a browser may post text/plain anywhere without asking first:
  // control writes take JSON only.
  bool writes = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (writes && req.get_header_value("Content-Type").rfind("application/json", 0) != 0)
    return SendError(res, 415,
                     "control requests take a JSON body (Content-Type: application/json)");
  auto it = corpora_.find(seg[1]);
  if (it == corpora_.end()) return SendError(res, 404, "no corpus " + seg[1]);
  Corpus& corpus = *it->second;
  int64_t now = NowMicros();
  if (seg.size() == 3 && seg[2] == "records" && req.method == "POST") {
    auto body = ParseOrderedJson(req.body, "body");
    if (!body.ok()) return SendError(res, 400, body.status().message());
    std::unique_lock<std::shared_mutex> lock(corpora_mu_);
    auto text = corpus.Upsert(*body, now);
    if (!text.ok()) return SendError(res, 400, text.status().message());
    InvalidateCache();
    return res.set_content(*text, kJson);
  }
  if (seg.size() == 4 && seg[2] == "records" && req.method == "DELETE") {
    std::unique_lock<std::shared_mutex> lock(corpora_mu_);
    Status st = corpus.Delete(seg[3], now);
    if (!st.ok()) return SendError(res, 404, st.message());
    InvalidateCache();
    res.status = 204;
    return;
  }
  if (seg.size() == 3 && seg[2] == "deleted" && req.method == "GET") {
    int64_t since = 0;
    if (req.has_param("since")) {
      auto m = IsoMicros(req.get_param_value("since"));
      if (!m) return SendError(res, 400, "since: expected an ISO timestamp");
      since = *m;
    }
    std::shared_lock<std::shared_mutex> lock(corpora_mu_);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : corpus.DeletedSince(since)) {
      nlohmann::json id = nlohmann::json::parse(d.id, nullptr, false);
      if (id.is_discarded() || !id.is_number()) id = d.id;
      out.push_back({{"id", id}, {"deleted_at", FormatIsoMicros(d.deleted_at_micros)}});
    }
    return res.set_content(nlohmann::json{{"deleted", out}}.dump(), kJson);
  }
  SendError(res, 404, "Not Found");
}

}  // namespace lakeflow::simulator
