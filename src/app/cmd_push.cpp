// `revlens push`: write scores into HubSpot custom properties in the `revlens` group (src/deliver/).
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "deliver/push.hpp"
#include "hubspot/client.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct PushArgs {
  std::string warehouse;
  deliver::PushOptions options;
  int max_retries = 8;
  bool json = false;
};

// One value for a terminal line: quoted, newlines shown as "\n", long text cut.
std::string Show(const std::string& v) {
  if (v.empty()) return "(empty)";
  std::string out = "\"";
  for (char c : v) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
    if (out.size() > 60) {
      out += "...";
      break;
    }
  }
  return out + "\"";
}

void PrintSummary(const deliver::PushSummary& s, const std::string& api_base) {
  std::printf("revlens push%s: %s (schema %s) -> %s\n", s.dry_run ? " --dry-run" : "", s.warehouse.c_str(),
              s.schema.c_str(), s.dry_run ? "nothing sent" : api_base.c_str());
  for (const auto& r : s.setup) {
    std::printf("  set-up %-10s group %s, %zu properties created, %zu already there (%lld requests)\n",
                r.object_type.c_str(), r.group_created ? "created" : "ok", r.created.size(), r.existing.size(),
                static_cast<long long>(r.requests));
  }
  for (const auto& t : s.targets) {
    if (!t.found) continue;
    std::printf("  %-16s -> %-9s %lld records: %lld unchanged, %lld %s (%lld values)", t.name.c_str(),
                t.object_type.c_str(), static_cast<long long>(t.rows), static_cast<long long>(t.unchanged),
                static_cast<long long>(t.changed), s.dry_run ? "would change" : "changed",
                static_cast<long long>(t.values));
    if (t.cleared > 0) std::printf(", %lld cleared (no longer in the table)", static_cast<long long>(t.cleared));
    if (t.hidden > 0) std::printf(", %lld to shadow properties", static_cast<long long>(t.hidden));
    if (t.holdout > 0) std::printf(" (holdout %lld)", static_cast<long long>(t.holdout));
    std::printf("\n");
    if (!s.dry_run) {
      std::printf(
          "  %-16s    written %lld in %lld batch updates; quarantined: %lld not found, %lld invalid, %lld "
          "still failing; %lld skipped (quarantined before)\n",
          "", static_cast<long long>(t.written), static_cast<long long>(t.update_requests),
          static_cast<long long>(t.quarantined_not_found), static_cast<long long>(t.quarantined_invalid),
          static_cast<long long>(t.quarantined_transient), static_cast<long long>(t.skipped_quarantined));
    } else if (t.quarantined_invalid > 0 || t.skipped_quarantined > 0) {
      std::printf("  %-16s    %lld would be refused (invalid values), %lld skipped (quarantined before)\n", "",
                  static_cast<long long>(t.quarantined_invalid), static_cast<long long>(t.skipped_quarantined));
    }
    for (const auto& c : t.sample) {
      std::printf("    %s %lld:", t.object_type.c_str(), static_cast<long long>(c.id));
      for (const auto& p : c.changes) {
        std::printf(" %s %s -> %s;", p.property.c_str(), Show(p.old_value).c_str(), Show(p.new_value).c_str());
      }
      std::printf("\n");
    }
  }
  if (!s.dry_run) {
    std::printf("  requests %lld (%lld set-up + %lld batch updates), 429s %lld, retries %lld, in %.1f s\n",
                static_cast<long long>(s.requests), static_cast<long long>(s.setup_requests),
                static_cast<long long>(s.update_requests), static_cast<long long>(s.rate_limited),
                static_cast<long long>(s.retries), s.seconds);
  }
  for (const auto& w : s.warnings) std::printf("warning: %s\n", w.c_str());
}

int RunPushCommand(PushArgs& a) {
  const Settings settings = LoadSettings();
  const std::string url = a.warehouse.empty() ? settings.warehouse_url.value : a.warehouse;
  std::optional<hubspot::Client> client;
  if (!a.options.dry_run) {
    if (!settings.hubspot_access_token.IsSet()) {
      throw ConfigError(
          "no HubSpot token: set HUBSPOT_ACCESS_TOKEN (environment or .env) or [hubspot] access_token in "
          "revlens.toml (or use --dry-run)");
    }
    hubspot::ClientOptions co;
    co.base_url = settings.hubspot_api_base.value;
    co.access_token = settings.hubspot_access_token.value;
    co.max_retries = a.max_retries;
    client.emplace(co);
  }
  auto wh = warehouse::OpenWarehouse(url);
  if (!a.json && !a.options.dry_run && isatty(STDERR_FILENO)) {
    a.options.progress = [](const std::string& target, const std::string& line) {
      std::fprintf(stderr, "\r\033[K%s: %s", target.c_str(), line.c_str());
      std::fflush(stderr);
    };
  }
  const deliver::PushSummary s = deliver::RunPush(*wh, client ? &*client : nullptr, a.options);
  if (a.options.progress) std::fprintf(stderr, "\r\033[K");
  if (a.json) {
    std::printf("%s\n", s.ToJson().c_str());
  } else {
    PrintSummary(s, client ? client->BaseUrl() : std::string());
  }
  // Quarantined records are recorded and retried or reported next time: the push itself did its job.
  return 0;
}

}  // namespace

void AddPush(CLI::App& app) {
  auto a = std::make_shared<PushArgs>();
  auto* cmd = app.add_subcommand(
      "push",
      "Write scores into HubSpot custom properties (group 'revlens' on contacts and companies): creates the "
      "properties, sends only values changed since the last push, quarantines what HubSpot refuses");
  cmd->add_option("--warehouse", a->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE or duckdb://revlens.duckdb)");
  cmd->add_option("--schema", a->options.schema, "Model schema holding lead_scores / company_icp_fit and push state")
      ->capture_default_str();
  cmd->add_flag("--dry-run", a->options.dry_run,
                "Print what would change (counts and a sample); contact nothing and write nothing");
  cmd->add_flag(
      "--force", a->options.plan.force,
      "Show scores marked unusable (no proven lift) or scored in shadow mode in the visible properties (never the "
      "A/B holdout's)");
  cmd->add_flag("--shadow", a->options.plan.shadow,
                "Shadow mode: write every score to the hidden revlens_shadow_* properties only");
  cmd->add_flag("--full-refresh", a->options.plan.full_refresh,
                "Ignore the push state: send every value again (after properties were edited in HubSpot)");
  cmd->add_flag("--retry-quarantined", a->options.plan.retry_quarantined,
                "Also retry records quarantined as not found or invalid");
  cmd->add_option("--concurrency", a->options.concurrency, "Batch updates in flight at once")->capture_default_str();
  cmd->add_option("--max-retries", a->max_retries, "Retries per request (429, 5xx, resets)")->capture_default_str();
  cmd->add_option("--sample", a->options.sample_size, "Changed records shown per target")->capture_default_str();
  cmd->add_flag("--json", a->json, "Print the summary as JSON");
  SetAction(cmd, [a] { return RunPushCommand(*a); });
}

}  // namespace revlens::app
