// `revlens sync`: copy the HubSpot portal into the warehouse (src/sync/).
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "hubspot/client.hpp"
#include "sync/sync.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct SyncArgs {
  std::string warehouse;
  std::string objects;
  sync::SyncOptions options;
  int lookback_seconds = 120;
  int search_per_second = 4;
  int max_retries = 8;
  bool json = false;
  bool quiet = false;
};

/// Progress lines on a terminal: one line per resource, redrawn in place.
class ProgressBoard {
 public:
  void Update(const std::string& resource, const std::string& line) {
    std::lock_guard lock(mu_);
    auto it = index_.find(resource);
    if (it == index_.end()) {
      index_[resource] = lines_.size();
      lines_.push_back(line);
      std::fprintf(stderr, "%s\n", line.c_str());
    } else {
      lines_[it->second] = line;
      const size_t up = lines_.size() - it->second;
      std::fprintf(stderr, "\033[%zuA\r\033[K%s\033[%zuB\r", up, line.c_str(), up);
    }
    std::fflush(stderr);
  }

 private:
  std::mutex mu_;
  std::map<std::string, size_t> index_;
  std::vector<std::string> lines_;
};

int RunSyncCommand(SyncArgs& a) {
  const Settings settings = LoadSettings();
  if (!settings.hubspot_access_token.IsSet()) {
    throw ConfigError(
        "no HubSpot token: set HUBSPOT_ACCESS_TOKEN (environment or .env) or [hubspot] access_token in revlens.toml");
  }
  const std::string url = a.warehouse.empty() ? settings.warehouse_url.value : a.warehouse;
  hubspot::ClientOptions co;
  co.base_url = settings.hubspot_api_base.value;
  co.access_token = settings.hubspot_access_token.value;
  co.search_per_second = a.search_per_second;
  co.max_retries = a.max_retries;
  hubspot::Client client(co);
  auto wh = warehouse::OpenWarehouse(url);

  a.options.lookback = std::chrono::seconds(a.lookback_seconds);
  if (!a.objects.empty()) {
    std::stringstream ss(a.objects);
    std::string t;
    while (std::getline(ss, t, ',')) {
      if (!t.empty()) a.options.objects.push_back(t);
    }
  }
  auto board = std::make_shared<ProgressBoard>();
  if (!a.quiet && !a.json && isatty(STDERR_FILENO)) {
    a.options.progress = [board](const std::string& resource, const std::string& line, bool) {
      board->Update(resource, line);
    };
  }
  const sync::SyncSummary s = sync::RunSync(client, *wh, a.options);
  if (a.json) {
    std::printf("%s\n", s.ToJson().c_str());
    return 0;
  }
  if (a.quiet) return 0;
  std::printf("revlens sync: %s -> %s in %.1f s\n", client.BaseUrl().c_str(), wh->Describe().c_str(), s.seconds);
  std::printf("  requests %lld (minimum possible %lld), 429s received %lld, retries %lld\n",
              static_cast<long long>(s.requests), static_cast<long long>(s.min_requests),
              static_cast<long long>(s.rate_limited), static_cast<long long>(s.retries));
  if (s.daily_limit > 0) {
    std::printf("  daily quota used %lld of %lld\n", static_cast<long long>(s.daily_limit - s.daily_remaining),
                static_cast<long long>(s.daily_limit));
  }
  std::printf("  rows written %lld, quarantined %lld\n", static_cast<long long>(s.rows_written),
              static_cast<long long>(s.quarantined));
  std::printf("  %-18s %10s\n", "table", "rows");
  for (const auto& [t, n] : s.table_rows) std::printf("  %-18s %10lld\n", t.c_str(), static_cast<long long>(n));
  for (const auto& w : s.warnings) std::printf("warning: %s\n", w.c_str());
  return 0;
}

}  // namespace

void AddSync(CLI::App& app) {
  auto a = std::make_shared<SyncArgs>();
  auto* cmd = app.add_subcommand(
      "sync",
      "Copy the HubSpot portal (HUBSPOT_ACCESS_TOKEN, HUBSPOT_API_BASE) into the warehouse: objects, associations, "
      "history, owners, pipelines; incremental after the first run");
  cmd->add_option("--warehouse", a->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE or duckdb://revlens.duckdb)");
  cmd->add_option("--schema", a->options.schema, "Raw schema to load into")->capture_default_str();
  cmd->add_option("--objects", a->objects,
                  "Comma-separated object types (default: contacts,companies,deals,calls,emails,meetings,notes,tasks)");
  cmd->add_flag("--full-refresh", a->options.full_refresh, "Ignore saved cursors: list everything again");
  cmd->add_option("--concurrency", a->options.concurrency, "Object types fetched at once")->capture_default_str();
  cmd->add_option("--chunk-size", a->options.chunk_records, "Records per committed chunk")->capture_default_str();
  cmd->add_option("--lookback-seconds", a->lookback_seconds,
                  "Incremental runs re-search this far before the saved watermark (search index lag)")
      ->capture_default_str();
  cmd->add_option("--search-per-second", a->search_per_second, "Search API requests per second")->capture_default_str();
  cmd->add_option("--max-retries", a->max_retries, "Retries per request (429, 5xx, resets, truncated bodies)")
      ->capture_default_str();
  cmd->add_option("--product-usage", a->options.product_usage_path,
                  "Also load this product-usage file (CSV or Parquet; see README)");
  cmd->add_flag("--json", a->json, "Print the summary as JSON");
  cmd->add_flag("--quiet", a->quiet, "Print nothing on success");
  SetAction(cmd, [a] { return RunSyncCommand(*a); });
}

}  // namespace revlens::app
