// The emulator's HTTP server: auth, rate limits and fault injection in front of every API route,
// HubSpot-shaped errors for whatever goes wrong, and the unauthenticated /_emulator/ admin routes.
#include "emulator/server.hpp"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/enrichment.hpp"
#include "emulator/faults.hpp"
#include "emulator/http_util.hpp"
#include "emulator/limiter.hpp"
#include "emulator/webhooks.hpp"

namespace revlens::emulator {
namespace {

// A refusal decided before routing (401, 429, an injected 5xx) for a request that carries a
// body is sent from this route instead of from the pre-routing handler: httplib reads the body
// only after pre-routing, so answering there would leave the body in the socket and the next
// request on the keep-alive connection would start in the middle of it. The pre-routing handler
// points the request here after filling the response; this route leaves it as it is.
constexpr const char* kDeferredPath = "/_emulator/internal/deferred";

// Per-request state carried from the pre-routing handler to the route and post-routing handler,
// which httplib runs on the same thread for one request.
struct RequestState {
  bool deferred = false;
  bool truncate = false;
};
thread_local RequestState tl_state;

bool HasBody(const httplib::Request& req) {
  if (req.get_header_value("Transfer-Encoding") == "chunked") return true;
  const std::string len = req.get_header_value("Content-Length");
  return !len.empty() && len != "0";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// HubSpot's 429 body (hubspot-api-notes.md section 7), with `category` as third-party clients
// expect and the error-body fields every other error carries.
void SendRateLimited(httplib::Response& res, std::string_view policy, std::string_view message) {
  nlohmann::json body = {{"status", "error"},
                         {"message", std::string(message)},
                         {"errorType", "RATE_LIMIT"},
                         {"correlationId", NewCorrelationId()},
                         {"policyName", std::string(policy)},
                         {"requestId", NewCorrelationId()},
                         {"category", "RATE_LIMITS"},
                         {"errors", nlohmann::json::array()},
                         {"context", nlohmann::json::object()},
                         {"links", nlohmann::json::object()}};
  SendJson(res, 429, body.dump());
}

// Closes a file descriptor on scope exit.
struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

uint16_t SockPort(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return 0;
}

// Drop the connection this request arrived on without answering: httplib does not hand the
// socket to handlers, so find it among the process's descriptors by its (local, remote) ports,
// ask for an RST on close (linger 0) and shut it down. httplib's write then fails and it closes
// the socket. Returns false when the socket was not found (the request is then answered 503).
bool ResetConnection(const httplib::Request& req) {
  std::unique_ptr<DIR, DirCloser> dir(opendir("/proc/self/fd"));
  if (!dir) return false;
  while (dirent* e = readdir(dir.get())) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const int fd = std::atoi(e->d_name);
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (SockPort(local) != req.local_port) continue;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    if (SockPort(peer) != req.remote_port) continue;
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    shutdown(fd, SHUT_RDWR);
    return true;
  }
  return false;
}

std::string_view FaultName(FaultKind k) {
  switch (k) {
    case FaultKind::kNone: return "none";
    case FaultKind::kStatus500: return "500";
    case FaultKind::kStatus502: return "502";
    case FaultKind::kStatus503: return "503";
    case FaultKind::kStatus429: return "429";
    case FaultKind::kReset: return "reset";
    case FaultKind::kTruncate: return "truncate";
    case FaultKind::kSlow: return "slow";
  }
  return "none";
}

}  // namespace

EmulatorServer::EmulatorServer(std::unique_ptr<Portal> portal, ServeOptions options)
    : portal_(std::move(portal)), options_(std::move(options)) {
  if (!portal_) throw ConfigError("EmulatorServer needs a portal");
  limiter_ = std::make_unique<RateLimiter>(options_.rate_limit);
  faults_ = std::make_unique<FaultInjector>(options_.faults, options_.seed);
  webhooks_ = std::make_unique<WebhookDispatcher>(*portal_, options_.client_secret);
  enrichment_ = std::make_unique<EnrichmentEmulator>();
  http_ = std::make_unique<httplib::Server>();

  // Idle keep-alive connections hold a worker thread each in httplib, so keep a floor of
  // workers well above the handful of connections a sync or a test opens.
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = options_.threads > 0 ? static_cast<size_t>(options_.threads) : std::max<size_t>(16, hw * 4);
  // httplib takes ownership of the queue it is handed (its API wants a raw pointer).
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_keep_alive_max_count(100000);
  // httplib holds a worker thread per open connection, so idle keep-alive connections are let
  // go after 2 s: clients that page continuously keep theirs, idle ones stop starving the pool.
  http_->set_keep_alive_timeout(2);
  http_->set_tcp_nodelay(true);
  http_->set_payload_max_length(64u << 20);
  RegisterRoutes();
}

EmulatorServer::~EmulatorServer() { Stop(); }

std::string EmulatorServer::BaseUrl() const { return "http://" + options_.host + ":" + std::to_string(port_); }

BatchUpdateStats EmulatorServer::BatchUpdates(ObjectType type) const {
  std::lock_guard lock(stats_mu_);
  return batch_updates_[static_cast<size_t>(type)];
}

void EmulatorServer::NoteBatchUpdate(ObjectType type, int64_t inputs, int64_t values, int64_t failed_inputs) {
  std::lock_guard lock(stats_mu_);
  BatchUpdateStats& s = batch_updates_[static_cast<size_t>(type)];
  ++s.requests;
  s.inputs += inputs;
  s.values += values;
  s.failed_inputs += failed_inputs;
}

int EmulatorServer::Bind() {
  if (port_ != 0) return port_;
  if (options_.port == 0) {
    const int p = http_->bind_to_any_port(options_.host);
    if (p <= 0) throw IOError("cannot bind the emulator to " + options_.host + " on a free port");
    port_ = p;
  } else {
    if (!http_->bind_to_port(options_.host, options_.port)) {
      throw IOError("cannot bind the emulator to " + options_.host + ":" + std::to_string(options_.port) +
                    " (in use? pick another --port)");
    }
    port_ = options_.port;
  }
  return port_;
}

void EmulatorServer::Serve() {
  Bind();
  http_->listen_after_bind();
}

int EmulatorServer::Start() {
  Bind();
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // Stop() before the accept loop runs would be lost (httplib's stop() ignores a server that is
  // not running yet), so return only once it runs. The socket already listens meanwhile.
  for (int i = 0; i < 5000 && !http_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port_;
}

void EmulatorServer::Stop() {
  if (stopped_.exchange(true)) return;
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

void EmulatorServer::RegisterRoutes() {
  auto& http = *http_;

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    tl_state = RequestState{};
    // httplib hands pre-routing a const request, but the request object itself is the
    // server's mutable local; rewriting headers and path here is how routing is steered.
    auto& mreq = const_cast<httplib::Request&>(req);
    // Never compress: on loopback gzip costs more CPU than it saves, and httplib's brotli runs
    // at quality 11 (tens of milliseconds per page).
    mreq.headers.erase("Accept-Encoding");
    if (req.path.rfind("/_emulator/", 0) == 0 || req.path.rfind("/_enrichment/", 0) == 0)
      return httplib::Server::HandlerResponse::Unhandled;

    auto finish = [&]() {
      if (!HasBody(req)) return httplib::Server::HandlerResponse::Handled;
      tl_state.deferred = true;
      mreq.path = kDeferredPath;
      return httplib::Server::HandlerResponse::Unhandled;
    };

    const std::string auth = req.get_header_value("Authorization");
    // The Webhooks v3 API authenticates with a developer API key (`?hapikey=`); the official
    // client sends only that there, so accept the emulator's token in either place.
    const bool hapikey_ok = req.path.rfind("/webhooks/", 0) == 0 && req.has_param("hapikey") &&
                            req.get_param_value("hapikey") == options_.token;
    if (!hapikey_ok && (auth.size() != 7 + options_.token.size() || auth.compare(0, 7, "Bearer ") != 0 ||
                        auth.compare(7, std::string::npos, options_.token) != 0)) {
      SendError(res, 401, "INVALID_AUTHENTICATION",
                auth.empty() ? "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
                               "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
                             : "Authentication credentials are invalid: the access token is not recognised.");
      return finish();
    }

    const bool is_search = req.method == "POST" && EndsWith(req.path, "/search");
    if (limiter_->Enabled()) {
      const RateDecision d = limiter_->Check(is_search, NowMillis());
      if (!is_search) {
        res.set_header("X-HubSpot-RateLimit-Max", std::to_string(d.max));
        res.set_header("X-HubSpot-RateLimit-Remaining", std::to_string(d.remaining));
        res.set_header("X-HubSpot-RateLimit-Interval-Milliseconds", std::to_string(d.interval_ms));
        res.set_header("X-HubSpot-RateLimit-Daily", std::to_string(d.daily));
        res.set_header("X-HubSpot-RateLimit-Daily-Remaining", std::to_string(d.daily_remaining));
      }
      if (!d.allowed) {
        SendRateLimited(res, d.policy, d.message);
        return finish();
      }
    }

    const FaultKind fault = faults_->Next();
    switch (fault) {
      case FaultKind::kNone: break;
      case FaultKind::kStatus500:
        SendError(res, 500, "INTERNAL_ERROR", "internal error (injected fault)");
        return finish();
      case FaultKind::kStatus502:
        SendError(res, 502, "BAD_GATEWAY", "Bad Gateway (injected fault)");
        return finish();
      case FaultKind::kStatus503:
        SendError(res, 503, "SERVICE_UNAVAILABLE", "Service Unavailable (injected fault)");
        return finish();
      case FaultKind::kStatus429:
        SendRateLimited(res, "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.");
        return finish();
      case FaultKind::kSlow:
        std::this_thread::sleep_for(std::chrono::milliseconds(faults_->SlowMillis()));
        break;
      case FaultKind::kReset:
        if (ResetConnection(req)) {
          res.status = 500;  // never reaches the client: the socket is already shut down
          return httplib::Server::HandlerResponse::Handled;
        }
        SendError(res, 503, "SERVICE_UNAVAILABLE", "Service Unavailable (injected reset)");
        return finish();
      case FaultKind::kTruncate:
        tl_state.truncate = true;
        break;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  http.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    const bool truncate = tl_state.truncate;
    tl_state = RequestState{};
    if (!truncate || res.body.empty()) return;
    // Declare the full length (Content-Length is already set from the body) but send about
    // half of it, then fail the write so httplib closes the connection.
    auto body = std::make_shared<std::string>(std::move(res.body));
    res.body.clear();
    const size_t half = body->size() / 2;
    res.content_length_ = body->size();
    res.content_provider_ = [body, half](size_t offset, size_t length, httplib::DataSink& sink) {
      if (offset >= half) return false;
      return sink.write(body->data() + offset, std::min(length, half - offset));
    };
  });

  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const BadRequest& b) {
      SendError(res, b.status, b.category, b.message, b.errors, b.context);
    } catch (const nlohmann::json::exception& e) {
      SendError(res, 400, "VALIDATION_ERROR", std::string("Invalid input JSON: ") + e.what());
    } catch (const ConfigError& e) {
      SendError(res, 400, "VALIDATION_ERROR", e.what());
    } catch (const InvalidInputError& e) {
      SendError(res, 400, "VALIDATION_ERROR", e.what());
    } catch (const std::exception& e) {
      SendError(res, 500, "INTERNAL_ERROR", std::string("internal error: ") + e.what());
    } catch (...) {
      SendError(res, 500, "INTERNAL_ERROR", "internal error");
    }
  });

  // Statuses httplib produces itself (unknown path, over-long URI, unparsable request) get
  // HubSpot's body too; responses that already have one are left alone.
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    switch (res.status) {
      case 404:
        SendError(res, 404, "OBJECT_NOT_FOUND", "Resource not found: " + req.method + " " + req.path);
        break;
      case 414:
        SendError(res, 414, "VALIDATION_ERROR", "Request-URI Too Long: shorten the query string (fewer properties)");
        break;
      case 413:
        SendError(res, 413, "VALIDATION_ERROR", "Request body too large");
        break;
      case 400:
        SendError(res, 400, "VALIDATION_ERROR", "Bad request: the request could not be parsed");
        break;
      default:
        SendError(res, res.status, "ERROR", "Request failed");
        break;
    }
    return httplib::Server::HandlerResponse::Handled;
  }));

  RouteContext ctx{*this, http};
  RegisterObjectRoutes(ctx);
  RegisterAssociationRoutes(ctx);
  RegisterSearchRoutes(ctx);
  RegisterMetadataRoutes(ctx);
  RegisterWebhookRoutes(ctx);
  enrichment_->RegisterRoutes(http);

  // ---- Admin routes (no auth, no limits, no faults) ----
  http.Get("/_emulator/health", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json counts = nlohmann::json::object();
    {
      std::shared_lock lock(portal_->mutex);
      for (auto t : kAllObjectTypes) counts[std::string(ObjectTypeName(t))] = portal_->Table(t).Records().size();
    }
    SendJson(res, 200, nlohmann::json{{"status", "ok"}, {"portalId", portal_->portal_id}, {"counts", counts}});
  });
  auto faults_body = [this] {
    nlohmann::json counts = nlohmann::json::object();
    const auto c = faults_->Counts();
    for (size_t i = 1; i < c.size(); ++i) counts[std::string(FaultName(static_cast<FaultKind>(i)))] = c[i];
    counts["partial"] = faults_->PartialCount();
    return nlohmann::json{{"spec", faults_->Spec()}, {"injected", counts}};
  };
  http.Get("/_emulator/faults", [faults_body](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, faults_body());
  });
  http.Post("/_emulator/faults", [this, faults_body](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = ParseBody(req);
    if (!body.is_object() || !body.contains("spec") || !body["spec"].is_string()) {
      throw BadRequest{400, "VALIDATION_ERROR", R"(expected {"spec":"5xx=0.1,429=0.05,..."})"};
    }
    faults_->SetSpec(body["spec"].get<std::string>());  // ConfigError -> 400, old spec kept
    SendJson(res, 200, faults_body());
  });
  http.Get("/_emulator/stats", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json updates = nlohmann::json::object();
    for (auto t : kAllObjectTypes) {
      const BatchUpdateStats s = BatchUpdates(t);
      if (s.requests == 0) continue;
      updates[std::string(ObjectTypeName(t))] = {
          {"requests", s.requests}, {"inputs", s.inputs}, {"values", s.values}, {"failedInputs", s.failed_inputs}};
    }
    SendJson(res, 200, nlohmann::json{{"batchUpdates", updates}}.dump());
  });
  http.Post("/_emulator/webhooks/flush", [this](const httplib::Request& req, httplib::Response& res) {
    int timeout_ms = 30000;
    if (auto t = IntParam(req, "timeoutMs")) timeout_ms = static_cast<int>(std::clamp<int64_t>(*t, 0, 600000));
    const bool done = webhooks_->Flush(timeout_ms);
    const WebhookStats s = webhooks_->Stats();
    SendJson(res, 200,
             nlohmann::json{{"flushed", done},
                            {"eventsPublished", s.events_published},
                            {"batchesDelivered", s.batches_delivered},
                            {"attempts", s.attempts},
                            {"failures", s.failures},
                            {"dropped", s.dropped}});
  });

  auto deferred = [](const httplib::Request& req, httplib::Response& res) {
    if (!tl_state.deferred) {
      SendError(res, 404, "OBJECT_NOT_FOUND", "Resource not found: " + req.method + " " + req.path);
    }
    // Otherwise the pre-routing handler already filled the response.
  };
  http.Get(kDeferredPath, deferred);
  http.Post(kDeferredPath, deferred);
  http.Put(kDeferredPath, deferred);
  http.Patch(kDeferredPath, deferred);
  http.Delete(kDeferredPath, deferred);
}

}  // namespace revlens::emulator
