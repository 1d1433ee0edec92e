#pragma once
/// `revlens sync`: copy a HubSpot portal into the warehouse's raw layout (raw_layout.hpp). Complete (all
/// objects, all properties, associations, history, owners, pipelines, archived and merged records),
/// incremental (search on the modified date after the first run), paced (hubspot::Client), crash-safe (state
/// commits with the data, chunk by chunk) and idempotent (a rerun with no changes writes nothing).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hubspot/client.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::sync {

/// What to sync and how.
struct SyncOptions {
  std::string schema = "hubspot";
  std::vector<std::string> objects;  ///< API names; empty = all of kObjectTypes
  bool full_refresh = false;         ///< ignore saved cursors and list everything again
  int concurrency = 4;               ///< object types fetched at once
  size_t chunk_records = 10000;      ///< records per committed chunk (the most a crash makes us refetch)
  /// Incremental runs search from (watermark - lookback): HubSpot's search index lags writes by "a few
  /// moments", and records already stored unchanged are skipped, so the overlap costs reads, not writes.
  std::chrono::milliseconds lookback{std::chrono::minutes(2)};
  /// Longest GET URL sent; longer property lists switch that object type to id listing + batch read
  /// (properties in the POST body). HubSpot answers 414 somewhere past 8 KB.
  size_t max_url_bytes = 6000;
  std::string product_usage_path;  ///< optional CSV or Parquet file of product events
  std::string run_id;              ///< empty = generated
  /// Progress lines (one per resource, rewritten in place on a terminal); nullptr = quiet.
  std::function<void(const std::string& resource, const std::string& line, bool final)> progress;
};

/// Figures for one resource (object type or metadata kind).
struct ResourceSummary {
  std::string mode;           ///< full | incremental | metadata
  int64_t records_read = 0;   ///< records received from the API
  int64_t rows_written = 0;   ///< rows inserted, replaced or updated in the warehouse (all tables)
  int64_t quarantined = 0;
  int64_t requests = 0;       ///< requests this resource needed (first attempts)
  int64_t min_requests = 0;   ///< the fewest requests possible for what it read, at the API's maximum page sizes
  double seconds = 0;
};

/// What a run did. `ToJson` is what `revlens sync --json` prints.
struct SyncSummary {
  std::string run_id;
  std::string status = "ok";
  std::map<std::string, ResourceSummary> resources;
  std::map<std::string, int64_t> table_rows;  ///< rows in each raw table after the run
  int64_t rows_written = 0;
  int64_t requests = 0, rate_limited = 0, retries = 0, server_errors = 0, network_errors = 0;
  int64_t min_requests = 0;
  int64_t daily_limit = 0, daily_remaining = -1;
  int64_t quarantined = 0;
  int64_t product_usage_rows = 0;
  std::vector<std::string> warnings;
  double seconds = 0;
  std::string ToJson() const;
};

/// Run one sync. Throws on what aborts it (HubSpotApiError for a refused token, IOError for an unreachable
/// host, WarehouseError); everything committed before stays consistent and the next run resumes from it.
SyncSummary RunSync(hubspot::Client& client, warehouse::Warehouse& warehouse, const SyncOptions& options);

}  // namespace revlens::sync
