#pragma once
/// The HubSpot API emulator's HTTP server: routes, auth, rate limits, faults, webhooks.
#include <atomic>
#include <cstdint>
#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "emulator/store.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace revlens::emulator {

class RateLimiter;
class FaultInjector;
class WebhookDispatcher;
class EnrichmentEmulator;

/// How `revlens emulator serve` runs.
struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 0;                        ///< 0 = pick a free port
  std::string token = "revlens-emulator-token";  ///< Bearer token the server accepts
  std::string client_secret = "revlens-emulator-secret";  ///< signs outgoing webhooks
  std::string rate_limit = "none";     ///< free | starter | pro | enterprise | none
  std::string faults;                  ///< e.g. `5xx=0.1,429=0.05,reset=0.02,slow=0.01`
  uint64_t seed = 42;                  ///< fault injection is deterministic by seed
  int threads = 0;                     ///< worker threads; 0 = max(16, hardware concurrency x 4)
};

/// What the object batch-update route received for one object type since start: how many requests
/// reached the handler, their inputs and property values (changed or not), and the inputs that
/// failed (unknown id, injected `partial` fault). Tests and benchmarks read it to check that a
/// client sends only what changed.
struct BatchUpdateStats {
  int64_t requests = 0;
  int64_t inputs = 0;
  int64_t values = 0;
  int64_t failed_inputs = 0;
};

/// A running emulator. Owns the portal and serves it until Stop().
class EmulatorServer {
 public:
  EmulatorServer(std::unique_ptr<Portal> portal, ServeOptions options);
  ~EmulatorServer();
  EmulatorServer(const EmulatorServer&) = delete;
  EmulatorServer& operator=(const EmulatorServer&) = delete;

  /// Bind the listening socket; returns the port (useful with port 0). Throws IOError.
  int Bind();
  /// Serve on the calling thread until Stop().
  void Serve();
  /// Bind and serve on a background thread; returns the port.
  int Start();
  /// Stop serving and join the background thread (if any). Idempotent.
  void Stop();

  Portal& GetPortal() { return *portal_; }
  const ServeOptions& Options() const { return options_; }
  RateLimiter& Limiter() { return *limiter_; }
  FaultInjector& Faults() { return *faults_; }
  WebhookDispatcher& Webhooks() { return *webhooks_; }
  /// The emulated enrichment provider under `/_enrichment/` (emulator/enrichment.hpp); Load() it with a truth.
  EnrichmentEmulator& Enrichment() { return *enrichment_; }
  /// Base URL, e.g. `http://127.0.0.1:43121`.
  std::string BaseUrl() const;
  /// Batch updates received for `type` (also `GET /_emulator/stats`).
  BatchUpdateStats BatchUpdates(ObjectType type) const;
  /// Count one batch update (called by the route).
  void NoteBatchUpdate(ObjectType type, int64_t inputs, int64_t values, int64_t failed_inputs);

 private:
  void RegisterRoutes();
  std::unique_ptr<Portal> portal_;
  ServeOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<FaultInjector> faults_;
  std::unique_ptr<WebhookDispatcher> webhooks_;
  std::unique_ptr<EnrichmentEmulator> enrichment_;
  std::thread thread_;
  mutable std::mutex stats_mu_;
  std::array<BatchUpdateStats, kObjectTypeCount> batch_updates_{};
  int port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace revlens::emulator
