#pragma once
/// `revlens serve`: the real-time webhook receiver and its worker.
///
/// Receiver (cpp-httplib): `POST /webhooks/hubspot` checks the v3 signature (HMAC-SHA256 of method + the URI
/// HubSpot signed + raw body + timestamp, constant-time, timestamp within 5 minutes) and answers 401 with a one-line
/// reason otherwise; a valid batch is parsed and committed to the EventStore (deduplicated by eventId) before the
/// 200. Concurrent requests share commits (group commit: one transaction for whatever arrived meanwhile).
/// `GET /healthz` answers with counts.
///
/// Worker (one thread, events in order of occurredAt): contacts created or changed are read from HubSpot, scored
/// with the latest lead model (LiveScorer) and their revlens_* properties written back by batch update, changed
/// values only; engagements (notes, emails, calls, meetings) that mention a competitor on an open deal raise the
/// `competitor_on_deal` alert (Slack + outbound webhooks, once per deal and competitor, remembered in the store and
/// copied into the warehouse's `alerts` table, which `revlens alert` also reads); a deal stage change re-predicts
/// the deal with the latest forecast's stored deal model (LiveDealForecaster) into its deal_predictions row
/// (method `live`) and flags it in `deal_forecast_flags` for the next forecast run (the quarter totals). Each event
/// is marked processed after its effects; effects are idempotent, so an event processed again after a crash
/// changes nothing.
///
/// The warehouse (model, competitor history, alerts) is opened only for a refresh or a copy and closed at once,
/// waiting a bounded time on a DuckDB lock held by `revlens run` or `dashboard`; while it stays locked the worker
/// goes on with what it loaded last.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "deliver/alerts.hpp"
#include "deliver/http_post.hpp"
#include "hubspot/client.hpp"
#include "insights/competitors.hpp"
#include "serve/event_store.hpp"
#include "warehouse/warehouse.hpp"

namespace httplib {
class Server;
}

namespace revlens::serve {

class LiveScorer;
class LiveDealForecaster;
struct LiveDealPrediction;

/// Everything `revlens serve` can be told.
struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8787;  ///< 0 picks a free port
  /// The target URL as configured in the HubSpot app (what HubSpot signs). Empty: `http://` + the Host header +
  /// the request target, right when nothing rewrites the request on its way (no TLS-terminating proxy).
  std::string public_url;
  std::string client_secret;  ///< HUBSPOT_CLIENT_SECRET (never printed)
  std::string store_url;      ///< EventStore URL; empty = DefaultStoreUrl(warehouse_url)
  std::string store_schema = "revlens_serve";
  std::string warehouse_url;
  /// Opens the warehouse for one refresh or copy; default OpenWarehouseWaiting(warehouse_url, lock_wait).
  std::function<std::unique_ptr<warehouse::Warehouse>()> open_warehouse;
  std::chrono::milliseconds lock_wait{3000};
  std::string model_schema = "revlens";
  hubspot::ClientOptions hubspot;  ///< base URL and token for reads and write-back
  std::vector<std::string> slack_webhook_urls;
  std::vector<deliver::OutboundWebhook> webhooks;
  std::vector<insights::CompetitorEntry> competitors;  ///< configured dictionary (merged with deal values)
  int http_threads = 16;     ///< receiver threads (`--workers`); keep-alive connections hold one each: >= HubSpot's 10
  bool process = true;       ///< run the worker (false: receive and store only)
  size_t claim_batch = 500;  ///< events the worker takes at once
  std::chrono::milliseconds refresh_interval{10 * 60 * 1000};  ///< reload the model and dictionary
  /// Copy alerts and deal flags into the warehouse at most this often; live deal predictions are copied at once.
  std::chrono::milliseconds mirror_interval{5000};
  std::chrono::milliseconds retry_delay{1000};                 ///< after HubSpot or the warehouse failed
  deliver::RetryPolicy delivery{4, std::chrono::milliseconds(500), std::chrono::milliseconds(30000),
                                std::chrono::milliseconds(10000)};
  std::chrono::milliseconds slack_interval{1000};
  /// One line per notable step (stderr in the CLI); may be empty.
  std::function<void(const std::string&)> log;
};

/// Figures since start.
struct ServeStats {
  int64_t requests = 0, rejected = 0, bad_requests = 0, store_errors = 0;
  int64_t events_received = 0, events_new = 0, duplicates = 0;
  int64_t processed = 0, contacts_scored = 0, properties_written = 0, no_model = 0, alerts_sent = 0,
          alerts_deduplicated = 0, deals_flagged = 0, deals_predicted = 0, ignored = 0, failures = 0;
  int64_t model_refreshes = 0, warehouse_busy = 0, mirrored = 0;
  nlohmann::json ToJson() const;
};

/// A running receiver + worker.
class ServeServer {
 public:
  /// Open the store and validate the options (a client secret is required). Throws ConfigError.
  explicit ServeServer(ServeOptions options);
  ~ServeServer();
  ServeServer(const ServeServer&) = delete;
  ServeServer& operator=(const ServeServer&) = delete;

  /// Bind, start the worker and serve on a background thread; return the port.
  int Start();
  /// Bind, start the worker and serve on the calling thread until Stop().
  void Serve();
  /// Stop receiving, let the worker finish its current batch, stop it. Idempotent.
  void Stop();
  int Port() const { return port_; }
  ServeStats Stats() const;
  EventStore& Store() { return *store_; }
  /// Block until no stored event is unprocessed or `timeout` passes; true when idle.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  int Bind();
  void RegisterRoutes();
  void CommitLoop();
  void WorkLoop();
  void Refresh(bool force);
  void Mirror();
  /// Process a claimed batch; returns the outcomes of the events that are done (the others stay pending).
  std::map<int64_t, std::string> Process(const std::vector<StoredEvent>& batch);
  void ProcessContacts(const std::vector<int64_t>& ids, std::map<int64_t, std::string>& outcome_of_contact);
  void ProcessEngagements(const std::vector<std::pair<std::string, int64_t>>& objects,
                          std::map<std::pair<std::string, int64_t>, std::string>& outcome);
  /// Stage changes: predict the deal again (when a forecast model is stored) and flag it; outcomes per event id.
  void ProcessDealStages(const std::vector<WebhookEvent>& events, std::map<int64_t, std::string>& outcomes);
  /// Write an open deal's live win probability and risk to HubSpot (the `deal_predictions` push target's
  /// properties, formatted as the push formats them), changed values only (`current`: the deal's values read before
  /// predicting). Returns a few words for the event's outcome.
  std::string WriteDealPrediction(int64_t deal_id, const std::map<std::string, std::string>& current,
                                  const LiveDealPrediction& prediction);
  void Log(const std::string& line) const;

  ServeOptions options_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<hubspot::Client> client_;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_, commit_thread_, work_thread_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;

  // Group commit: handlers queue their events and wait for the commit that includes them.
  struct Pending;
  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::vector<std::shared_ptr<Pending>> commit_queue_;

  // Worker state (worker thread only, except the wake-up).
  std::mutex work_mu_;
  std::condition_variable work_cv_;
  bool work_signal_ = false;
  std::shared_ptr<const LiveScorer> scorer_;
  std::shared_ptr<const LiveDealForecaster> deal_forecaster_;
  bool mirror_now_ = false;  ///< a live deal prediction waits for its copy: do not wait for mirror_interval
  std::unique_ptr<insights::MentionScanner> scanner_;
  std::set<std::string> warehouse_alert_keys_;  ///< competitor_on_deal keys `revlens alert` already sent
  bool properties_ready_ = false;               ///< the contacts' revlens properties exist in HubSpot
  bool deal_properties_ready_ = false;          ///< the deals' too
  std::chrono::steady_clock::time_point last_refresh_{}, last_mirror_{};
  bool refreshed_ = false;

  mutable std::mutex stats_mu_;
  ServeStats stats_;
};

}  // namespace revlens::serve
