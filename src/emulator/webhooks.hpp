#pragma once
/// Outgoing webhooks: CRM changes matched against the portal's subscriptions, batched (<= 100
/// events per POST), signed (v1 and v3 with the app's client secret), delivered by worker
/// threads and retried with backoff when the receiver fails or takes longer than 5 s.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "emulator/store.hpp"

namespace httplib {
class Server;
}  // namespace httplib

namespace revlens::emulator {

/// Register HubSpot's Webhooks v3 management routes (subscriptions, settings) for `portal` on
/// `http`: what RegisterWebhookRoutes(RouteContext&) does, usable without an EmulatorServer.
void RegisterWebhookRoutes(httplib::Server& http, Portal& portal);

struct WebhookStats {
  uint64_t events_published = 0, batches_delivered = 0, attempts = 0, failures = 0, dropped = 0;
};

class WebhookDispatcher {
 public:
  WebhookDispatcher(Portal& portal, std::string client_secret);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  /// Queue an event for every matching active subscription. `kind`: creation, deletion,
  /// propertyChange, associationChange, merge, restore. `extra` adds fields (merge and
  /// association events). The caller holds Portal::mutex (shared or exclusive).
  void Publish(ObjectType type, std::string_view kind, int64_t object_id, std::string property_name = {},
               std::string property_value = {}, nlohmann::json extra = nlohmann::json::object());
  /// Block until every queued event has been delivered or given up on (for tests), or `timeout_ms`.
  /// Retries wait out their delays, so shorten them (SetRetryDelays) before flushing in tests.
  bool Flush(int timeout_ms = 30000);
  WebhookStats Stats() const;
  /// Retry schedule in milliseconds (tests shorten it); at most 10 retries as HubSpot does.
  void SetRetryDelays(std::vector<int> delays_ms);

 private:
  /// A batch of events (<= 100) on its way to the target URL.
  struct Pending {
    std::vector<nlohmann::json> events;
    std::string url;
    int attempts = 0;  ///< POSTs made so far
    std::chrono::steady_clock::time_point due{};
  };
  void Worker();
  bool TakeWork(Pending& out, std::chrono::steady_clock::time_point now);
  Portal& portal_;
  std::string client_secret_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<nlohmann::json> queue_;
  std::vector<int> retry_delays_ms_;
  WebhookStats stats_;
  int in_flight_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  int64_t next_event_id_ = 1;
  std::condition_variable idle_cv_;     ///< signalled when the dispatcher may have gone idle
  std::vector<Pending> retries_;        ///< failed batches waiting for their next attempt
  std::string target_url_;              ///< Portal::webhook_target_url as of the last Publish
  int max_workers_ = 1;                 ///< Portal::max_concurrent_webhook_requests (capped)
  std::chrono::steady_clock::time_point first_queued_{};  ///< when queue_ last became non-empty
  std::atomic<bool> abort_{false};      ///< aborts in-flight POSTs on destruction
};

}  // namespace revlens::emulator
