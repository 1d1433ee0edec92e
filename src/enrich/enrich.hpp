#pragma once
/// `revlens enrich`: fill missing firmographics from providers without ever spending past a monthly cap.
///
/// Tables (in the raw schema, `hubspot` by default):
///   enrichment_ledger   one row per request: request_id, provider, object_type, record_id, lookup_key, credits,
///                       status (sent | answered | miss | failed | unanswered | expired), requested_at,
///                       answered_at, run_id, detail. Written and committed BEFORE the request leaves, so a crash
///                       between request and answer leaves the credits counted and the record not asked again.
///   enrichment_results  one row per value returned (sync/raw_layout.hpp); the models coalesce it under HubSpot's.
///   enrichment_callbacks one row per Clay callback received: accepted or rejected, and why.
///   enrichment_push_state, enrichment_push_quarantine  `--push` / `push = true` (hubspot_push.hpp).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "enrich/hubspot_push.hpp"
#include "enrich/provider.hpp"
#include "enrich/settings.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::enrich {

/// Create the enrichment tables in `schema` if missing.
void EnsureEnrichmentTables(warehouse::Warehouse& wh, const std::string& schema);

/// One ledger row as written before a request is sent.
struct LedgerEntry {
  std::string request_id, provider, object_type, lookup_key, run_id;
  int64_t record_id = 0;
  double credits = 0;
};

/// How to run.
struct EnrichOptions {
  std::string schema = "hubspot";  ///< raw schema: HubSpot's tables in, enrichment tables out
  EnrichSettings settings;
  bool dry_run = false;       ///< list and price what would be requested; send nothing, write nothing
  int64_t now_ms = 0;         ///< 0 = now (the month of the cap and the freshness window are measured to it)
  std::string run_id;         ///< empty: `enrich-<ms>`
  int64_t max_requests = -1;  ///< stop after this many requests in this run (-1 = no limit)
  std::function<void(const std::string&)> progress;
  /// Called after a ledger row is committed and before its request leaves (tests throw here to play a crash).
  std::function<void(const LedgerEntry&)> before_send;
  /// Called after a request was answered and before the answer is recorded (tests throw here: a crash between the
  /// request and its answer).
  std::function<void(const LedgerEntry&)> after_send;
  /// With settings.push: the HubSpot client the values are written with (null: a dry run re-reads nothing and a
  /// real run notes that nothing was pushed). `push` carries the push's own options (schema and dry run are
  /// taken from these options).
  hubspot::Client* push_client = nullptr;
  EnrichPushOptions push;
};

/// One provider's figures for one run.
struct ProviderRun {
  std::string name, kind, object_type;
  double credits_per_call = 0, monthly_cap = 0;
  double spent_before = 0;  ///< credits this month before the run
  double spent_run = 0;     ///< credits committed by this run (would be, in a dry run)
  double budget_left = 0;   ///< cap - credits this month after the run
  int64_t candidates = 0;   ///< records that needed enriching when the provider's turn came
  int64_t requested = 0, answered = 0, missed = 0, failed = 0, pending = 0;
  int64_t not_sent_cap = 0;                      ///< candidates left because the next call would pass the cap
  std::map<std::string, int64_t> fields_filled;  ///< property -> values that filled an empty HubSpot field
  std::vector<std::string> sample;               ///< first few lookup keys requested (dry run: would be)
  std::string stop_reason;
};

/// Segment coverage: the share of live companies with every `require` field known.
struct Coverage {
  int64_t companies = 0, hubspot_only = 0, with_enrichment = 0;
  double Before() const { return companies ? static_cast<double>(hubspot_only) / static_cast<double>(companies) : 0; }
  double After() const { return companies ? static_cast<double>(with_enrichment) / static_cast<double>(companies) : 0; }
};

/// What a run did.
struct EnrichSummary {
  std::string run_id;
  bool dry_run = false;
  std::vector<ProviderRun> providers;
  int64_t skipped_fresh = 0;   ///< records needing fields but asked within the freshness window
  int64_t skipped_no_key = 0;  ///< records needing fields but without a domain / email
  int64_t expired = 0;         ///< stale unanswered requests closed at the start of the run
  Coverage coverage;
  std::optional<EnrichPushSummary> push;  ///< settings.push: what was written into HubSpot
  std::string push_note;                  ///< settings.push without a client: why nothing was pushed
  double seconds = 0;
  std::string ToJson() const;
  std::vector<std::string> TextLines() const;
};

/// Run enrichment: for each provider in order, the records that need it, highest value first (open pipeline
/// amount, then contacts), each sent only while the provider's monthly credits stay within its cap. With
/// settings.push, then RunEnrichPush on every value received so far (not only this run's).
EnrichSummary RunEnrich(warehouse::Warehouse& wh, const EnrichOptions& options);

/// `revlens enrich --report`: spend and what it bought.
struct EnrichReport {
  struct ProviderSpend {
    std::string name;
    double credits_month = 0, credits_total = 0, monthly_cap = 0;
    int64_t calls = 0, answered = 0, missed = 0, failed = 0, pending = 0;
  };
  std::vector<ProviderSpend> providers;
  std::map<std::string, int64_t> fields_filled;  ///< property -> HubSpot-empty fields a provider value fills
  int64_t callbacks_accepted = 0, callbacks_rejected = 0;
  Coverage coverage;
  std::vector<std::string> require;
  std::string ToJson() const;
  std::vector<std::string> TextLines() const;
};
EnrichReport BuildEnrichReport(warehouse::Warehouse& wh, const std::string& schema, const EnrichSettings& settings,
                               int64_t now_ms = 0);

/// Segment coverage of the companies in `schema` (HubSpot alone, and with the enrichment results).
Coverage ComputeCoverage(warehouse::Warehouse& wh, const std::string& schema, const std::vector<std::string>& require);

/// A Clay callback as received, whatever server carried it.
struct CallbackRequest {
  std::map<std::string, std::string> headers;  ///< names compared case-insensitively
  std::string body;
  std::string remote;  ///< for the record
};
/// What to answer.
struct CallbackResponse {
  int status = 200;
  std::string message;
};
/// Validate and store one Clay callback for `provider`: the shared secret (header `X-Clay-Secret`, or
/// `Authorization: Bearer <secret>`) compared in constant time, a known request id of that provider still
/// waiting for its answer; the values mapped through the provider's `fields` (default: industry, employees,
/// annual_revenue at the top level). Every callback, accepted or not, gets a row in enrichment_callbacks.
/// 401 wrong secret, 404 unknown request id, 409 already answered, 400 malformed, 200 stored.
CallbackResponse HandleClayCallback(warehouse::Warehouse& wh, const std::string& schema,
                                    const ProviderSettings& provider, const CallbackRequest& request,
                                    int64_t now_ms = 0);

/// The Clay callback mapping used when a clay provider names no fields.
std::map<std::string, std::string> DefaultClayFields();

}  // namespace revlens::enrich
