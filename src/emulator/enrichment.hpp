#pragma once
/// The emulated enrichment provider served by the emulator under `/_enrichment/` (for tests and `make demo`): a
/// firmographic API that knows the synthetic portal's ground truth for the companies whose industry, employee count
/// or revenue the generator left blank, with a configurable miss rate, latency and cost per call; and a Clay-like
/// table webhook that answers through an HTTP callback. Not HubSpot: no bearer token, its own API key.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace revlens::emulator {

/// How the emulated provider behaves (also `POST /_enrichment/config`).
struct EnrichmentEmulatorOptions {
  double miss_rate = 0.05;        ///< share of known domains answered 404 (deterministic per domain and seed)
  int latency_ms = 0;             ///< added to every lookup
  double credits_per_call = 1.0;  ///< what the provider says it charged (`X-Credits-Charged`)
  std::string api_key = "revlens-enrichment-key";  ///< expected in `X-Api-Key` (a test key)
  uint64_t seed = 42;
};

/// What the emulated provider has answered since start (`GET /_enrichment/stats`).
struct EnrichmentEmulatorStats {
  int64_t calls = 0, hits = 0, misses = 0, unauthorized = 0, clay_rows = 0, clay_callbacks = 0,
          clay_callback_failures = 0;
  double credits = 0;
  /// Lookups per domain (a test checks nothing is asked twice).
  std::map<std::string, int64_t> per_domain;
};

/// The provider's state. Thread-safe.
class EnrichmentEmulator {
 public:
  EnrichmentEmulator() = default;
  ~EnrichmentEmulator();
  EnrichmentEmulator(const EnrichmentEmulator&) = delete;
  EnrichmentEmulator& operator=(const EnrichmentEmulator&) = delete;

  /// Learn the true firmographics of the companies with blanks from a generator truth (`firmographic_gaps`).
  void Load(const nlohmann::json& truth);
  void SetOptions(const EnrichmentEmulatorOptions& options);
  EnrichmentEmulatorOptions Options() const;
  EnrichmentEmulatorStats Stats() const;
  /// Look a domain up as the API does (counts a call): the firmographics, or nullopt for a miss.
  std::optional<nlohmann::json> LookupCompany(const std::string& domain);
  /// Where Clay-like callbacks go and the secret they carry in `X-Clay-Secret` (also `POST /_enrichment/clay/config`).
  void SetClayCallback(const std::string& url, const std::string& secret);
  /// Queue one Clay row (`{request_id, record_id, domain}`); answered by a callback from a worker thread.
  void QueueClayRow(const nlohmann::json& row);
  /// Wait until every queued Clay row has been called back (or `timeout_ms` passed); true when drained.
  bool FlushClay(int timeout_ms);
  /// Register the `/_enrichment/` routes on `http`.
  void RegisterRoutes(httplib::Server& http);

 private:
  void ClayWorker();
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::map<std::string, nlohmann::json> by_domain_;
  EnrichmentEmulatorOptions options_;
  EnrichmentEmulatorStats stats_;
  std::string clay_url_, clay_secret_;
  std::deque<nlohmann::json> clay_queue_;
  int clay_in_flight_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace revlens::emulator
