// `revlens dashboard`: serve the web dashboard (JSON API + embedded front end) over the warehouse.
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "dashboard/server.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct DashboardArgs {
  std::string warehouse;
  std::string schema = "revlens";
  std::string raw_schema = "hubspot";
  std::string bind = "127.0.0.1";
  int port = 8790;
  std::vector<std::string> allow;
  double goal = 0;
  bool json = false;
};

int RunDashboard(const DashboardArgs& a) {
  dashboard::DashboardOptions o;
  o.warehouse_url = a.warehouse.empty() ? LoadSettings().warehouse_url.value : a.warehouse;
  o.api.model_schema = a.schema;
  o.api.raw_schema = a.raw_schema;
  o.api.quarterly_goal = a.goal;
  o.bind = a.bind;
  o.port = a.port;
  for (const auto& s : a.allow) {
    // Accept `--allow a,b` as well as repeated --allow.
    std::string item;
    for (char c : s + ",") {
      if (c == ',' || c == ' ') {
        if (!item.empty()) o.allow.push_back(item);
        item.clear();
      } else {
        item += c;
      }
    }
  }
  if (const char* t = std::getenv("REVLENS_DASHBOARD_TOKEN")) o.token = t;
  // Fail now, not on the first page load, when the warehouse cannot be opened at all.
  const std::string described = dashboard::DescribeWarehouse(o.warehouse_url);

  const StopSignals stop;

  const bool token = !o.token.empty();
  const size_t allowed = o.allow.size();
  dashboard::DashboardServer server(std::move(o));
  server.Start();
  if (a.json) {
    std::printf("%s\n", nlohmann::json({{"url", server.Url()},
                                        {"port", server.Port()},
                                        {"warehouse", described},
                                        {"schema", a.schema},
                                        {"token_required", token},
                                        {"allow", allowed}})
                            .dump()
                            .c_str());
  } else {
    std::printf("revlens dashboard: %s (warehouse %s, schema %s)%s\n", server.Url().c_str(), described.c_str(),
                a.schema.c_str(), token ? ", token required" : "");
    std::printf("Ctrl-C to stop\n");
  }
  std::fflush(stdout);
  stop.Wait();
  server.Stop();
  return 0;
}

}  // namespace

void AddDashboard(CLI::App& app) {
  auto args = std::make_shared<DashboardArgs>();
  auto* cmd = app.add_subcommand(
      "dashboard",
      "Serve the web dashboard (overview, ICP, leads, competitive, activity, data health) over the warehouse on "
      "127.0.0.1; a token (REVLENS_DASHBOARD_TOKEN) is required when bound elsewhere");
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--schema", args->schema, "Model schema: marts and result tables")->capture_default_str();
  cmd->add_option("--raw-schema", args->raw_schema, "Raw schema: sync runs, sync state, quarantine")
      ->capture_default_str();
  cmd->add_option("--bind", args->bind,
                  "Address to listen on; anything but loopback needs REVLENS_DASHBOARD_TOKEN in the environment")
      ->capture_default_str();
  cmd->add_option("--port", args->port, "Port (0 picks a free one, printed on start)")->capture_default_str();
  cmd->add_option("--allow", args->allow,
                  "Client addresses allowed (IP or CIDR, repeatable or comma-separated); default: anyone who can "
                  "reach the port");
  cmd->add_option("--goal", args->goal, "Quarterly bookings goal shown against bookings on the overview")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "Print the URL and settings as one JSON line on start");
  SetAction(cmd, [args] { return RunDashboard(*args); });
}

}  // namespace revlens::app
