// `revlens demo`: the nightly job on the embedded default. Generate the synthetic portal, serve it with the emulator
// on a free port, start a local Slack sink, run the nightly job against them (sync -> build -> products -> push into
// the emulator -> alerts to the sink -> report into ./revlens-demo/), check every live record arrived, and print a
// summary. The demo knows the portal's ground truth, so it prints the lead model's AUC beside the oracle's on the
// same holdout contacts; the products never read the truth.
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/enrichment.hpp"
#include "emulator/generator/generator.hpp"
#include "emulator/server.hpp"
#include "hubspot/client.hpp"
#include "insights/metrics.hpp"
#include "pipeline/nightly.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct DemoArgs {
  emulator::GeneratorOptions gen;
  std::string warehouse;
  std::string report_dir = "revlens-demo";
  std::vector<std::string> skip;
  bool no_backtest = false;
  bool keep_serving = false;
  bool json = false;
  int port = 0;
};

/// A local stand-in for Slack's incoming webhooks: accepts POSTs on 127.0.0.1 and counts them.
class SlackSink {
 public:
  SlackSink() {
    server_.Post(R"(/.*)", [this](const httplib::Request&, httplib::Response& res) {
      ++messages_;
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw IOError("demo: could not bind the local Slack sink on 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~SlackSink() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  SlackSink(const SlackSink&) = delete;
  SlackSink& operator=(const SlackSink&) = delete;
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/services/demo"; }
  int64_t Messages() const { return messages_.load(); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int64_t> messages_{0};
};

/// The lead model's holdout AUC beside the oracle's (the truth's conversion probability) on the same contacts.
nlohmann::json OracleComparison(const insights::ScoringReport& rep, const nlohmann::json& truth) {
  if (rep.holdout.empty() || !truth.contains("contacts")) return nullptr;
  const auto& tc = truth.at("contacts");
  std::map<int64_t, double> p;
  for (size_t i = 0; i < tc.at("id").size(); ++i)
    p[tc.at("id")[i].get<int64_t>()] = tc.at("p_convert_90d")[i].get<double>();
  std::vector<double> model, oracle;
  std::vector<int> y;
  for (const auto& h : rep.holdout) {
    const auto it = p.find(h.contact_id);
    if (it == p.end()) continue;  // duplicates are not modelled by the truth
    model.push_back(h.score);
    oracle.push_back(it->second);
    y.push_back(h.label);
  }
  const int positives = static_cast<int>(std::count(y.begin(), y.end(), 1));
  if (positives == 0 || positives == static_cast<int>(y.size())) return nullptr;
  const auto d = insights::AucDeLongPaired(model, oracle, y);
  return {{"contacts", y.size()},  {"conversions", positives}, {"model_auc", d.auc_a},
          {"oracle_auc", d.auc_b}, {"difference", d.diff},     {"difference_ci", {d.ci.low, d.ci.high}}};
}

std::string Money(double v) {
  char buf[32];
  if (!std::isfinite(v)) return "-";
  if (std::fabs(v) >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (std::fabs(v) >= 1e3)
    std::snprintf(buf, sizeof buf, "%.0fk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string ClipDots(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

void PrintSummary(const DemoArgs& a, const pipeline::NightlyReport& r, const nlohmann::json& out,
                  const std::string& url) {
  std::printf("\nrevlens demo: '%s' portal (seed %llu, anchor %s) generated in %.2f s, served at %s\n",
              a.gen.size.c_str(), static_cast<unsigned long long>(a.gen.seed),
              out.value("anchor_date", std::string("?")).c_str(), out["generated_seconds"].get<double>(),
              out["emulator"].get<std::string>().c_str());
  std::printf("\nNightly job %s on %s:\n", r.run_id.c_str(), r.warehouse.c_str());
  for (const auto& line : r.TextLines()) std::printf("%s\n", line.c_str());
  if (r.sync) {
    std::printf("\nSync: %s\n", out["complete"].get<bool>() ? "every live record of the portal is in the warehouse"
                                                            : "the warehouse's live records DIFFER from the portal's");
    for (const auto& [type, n] : out["served"].items())
      std::printf("  %-12s %8lld of %8lld\n", type.c_str(), out["loaded"][type].get<long long>(), n.get<long long>());
  }

  if (r.icp) {
    std::printf("\nICP (%lld closed new-business deals, win rate %.1f%%):\n", static_cast<long long>(r.icp->base.deals),
                100 * r.icp->base.win_rate);
    for (const auto& s : r.icp->summary) std::printf("  %s\n", s.c_str());
    const auto sig = r.icp->Significant();
    // Two lifts: per closed deal (win rate over the base's) and per lead (won deals per lead over the base's); the
    // segment is significant on either.
    const auto lift_text = [](const std::optional<double>& v) {
      char b[16];
      std::snprintf(b, sizeof b, "%.2f", v.value_or(0));
      return v ? std::string(b) : std::string("-");
    };
    if (!sig.empty()) {
      char head[64];
      std::snprintf(head, sizeof head, "significant segments (FDR %.0f%%)", 100 * r.icp->fdr);
      std::printf("  %-44s %6s %6s %9s %6s %6s\n", head, "deals", "win%", "95% CI", "lift", "/lead");
      for (size_t i = 0; i < sig.size() && i < 5; ++i) {
        char ci[32];
        std::snprintf(ci, sizeof ci, "%.0f-%.0f", 100 * sig[i]->ci_low, 100 * sig[i]->ci_high);
        std::printf("  %-44s %6lld %6.1f %9s %6s %6s\n", ClipDots(sig[i]->label, 44).c_str(),
                    static_cast<long long>(sig[i]->deals), 100 * sig[i]->win_rate, ci, lift_text(sig[i]->lift).c_str(),
                    lift_text(sig[i]->conversion_lift).c_str());
      }
    }
    // Say so when no winning segment passed the false-discovery control, naming the one nearest to it, so an
    // empty list of winners reads as "not proven on this data", not as "nothing wins".
    if (std::none_of(sig.begin(), sig.end(), [](const auto* s) { return s->Wins(); })) {
      const auto q = [](const insights::IcpSegment& s) {
        return std::min(s.q_value, s.conversion_q_value.value_or(1.0));
      };
      const insights::IcpSegment* best = nullptr;
      for (const auto& s : r.icp->segments)
        if (s.Wins() && (!best || q(s) < q(*best))) best = &s;
      if (best)
        std::printf(
            "  no winning segment is significant at FDR %.0f%%; the nearest: %s, %.1f× the base (%lld deals, "
            "%lld leads, q %.2f)\n",
            100 * r.icp->fdr, best->label.c_str(), best->HeadlineLift(), static_cast<long long>(best->deals),
            static_cast<long long>(best->leads), q(*best));
    }
  }

  if (r.score) {
    const auto& s = *r.score;
    std::printf("\nLead scoring (%s, model %s): %s\n", s.status.c_str(), s.model_version.c_str(),
                s.status == "refused" ? s.message.c_str() : (std::to_string(s.scored) + " contacts scored").c_str());
    if (s.status != "refused") {
      const auto& m = s.likelihood;
      std::printf("  holdout: %lld contacts created %s..%s, %lld conversions\n", static_cast<long long>(m.contacts),
                  s.data_window_end.c_str(), s.as_of_date.c_str(), static_cast<long long>(m.conversions));
      std::printf("  %-22s %8s %8s\n", "", "model", "oracle");
      if (out.contains("oracle") && !out["oracle"].is_null()) {
        const auto& o = out["oracle"];
        std::printf("  %-22s %8.3f %8.3f   (difference %+.3f, 95%% CI %+.3f to %+.3f, on %lld contacts)\n", "AUC",
                    o["model_auc"].get<double>(), o["oracle_auc"].get<double>(), o["difference"].get<double>(),
                    o["difference_ci"][0].get<double>(), o["difference_ci"][1].get<double>(),
                    o["contacts"].get<long long>());
      } else {
        std::printf("  %-22s %8.3f %8s\n", "AUC", m.auc.auc, "-");
      }
      std::printf(
          "  %-22s %8.3f\n  %-22s %8.4f\n  %-22s %8.4f\n  %-22s %8.2f\n  %-22s %7.1f%% (of %.0f%% of contacts)\n",
          "PR AUC", m.pr_auc, "Brier", m.brier, "ECE", m.ece, "top-decile lift", m.top_decile_lift, "tiers A+B capture",
          100 * m.tiers_ab_capture, 100 * m.tiers_ab_share);
      if (!s.usable) std::printf("  marked unusable: %s\n", s.message.c_str());
    }
  }

  if (r.forecast) {
    std::printf("\nForecast (bookings, Monte Carlo P10/P50/P90) beside HubSpot's weighted pipeline:\n");
    std::printf("  %-10s %9s %9s %9s %11s %9s %9s\n", "period", "P10", "P50", "P90", "weighted", "commit", "run rate");
    for (const auto& row : r.forecast->current.rows) {
      if (row.slice.type != "total") continue;
      std::printf("  %-10s %9s %9s %9s %11s %9s %9s\n", row.period.label.c_str(), Money(row.p10).c_str(),
                  Money(row.p50).c_str(), Money(row.p90).c_str(), Money(row.weighted_pipeline).c_str(),
                  Money(row.commit).c_str(), Money(row.run_rate).c_str());
    }
    if (r.forecast->backtest) {
      const auto* rv = r.forecast->backtest->Score("total", "revlens");
      const auto* wp = r.forecast->backtest->Score("total", "weighted_pipeline");
      if (rv && wp)
        std::printf(
            "  backtest (%zu periods): WAPE revlens %.1f%% vs weighted pipeline %.1f%%; P10-P90 coverage %.0f%%\n",
            r.forecast->backtest->periods.size(), 100 * rv->wape, 100 * wp->wape, 100 * rv->coverage);
    }
  }

  if (r.compete) {
    const auto& c = *r.compete;
    std::printf("\nCompetitors (baseline: closed deals with no competitor, win rate %.1f%%):\n",
                100 * c.baseline.win_rate);
    std::printf("  %-18s %6s %5s %8s %6s %7s %9s %8s  %s\n", "competitor", "deals", "open", "mentions", "closed",
                "win%", "vs base", "q", "top loss reason");
    for (size_t i = 0; i < c.competitors.size() && i < 10; ++i) {
      const auto& s = c.competitors[i];
      char diff[16] = "-";
      if (s.win_rate_diff) std::snprintf(diff, sizeof diff, "%+.1f", 100 * *s.win_rate_diff);
      std::printf("  %-18s %6lld %5lld %8lld %6lld %7.1f %9s %8.2g  %s%s\n", ClipDots(s.competitor, 18).c_str(),
                  static_cast<long long>(s.deals_involved), static_cast<long long>(s.open_deals),
                  static_cast<long long>(s.mentions), static_cast<long long>(s.closed), 100 * s.win_rate, diff,
                  s.q_value, s.loss_reasons.empty() ? "-" : ClipDots(s.loss_reasons.front().first, 30).c_str(),
                  s.significant ? "  *" : "");
    }
  }

  if (r.activity) {
    std::printf("\nActivity: top findings\n");
    const auto findings = r.activity->TopFindings();
    if (findings.empty()) std::printf("  (none significant)\n");
    for (size_t i = 0; i < findings.size() && i < 8; ++i) std::printf("  - %s\n", findings[i].c_str());
  } else if (const auto* st = r.Step("activity"); st && st->status == "unavailable") {
    std::printf("\nActivity: not available in this build\n");
  }

  if (r.push) {
    std::printf("\nPush into the emulator (HubSpot custom properties, group revlens):\n");
    for (const auto& t : r.push->targets)
      if (t.found)
        std::printf("  %-16s -> %-9s %lld written of %lld changed (%lld requests)\n", t.name.c_str(),
                    t.object_type.c_str(), static_cast<long long>(t.written), static_cast<long long>(t.changed),
                    static_cast<long long>(t.update_requests));
  }
  if (r.alert) {
    std::printf("\nAlerts: %lld raised, %lld new; %lld Slack messages received by the local sink\n",
                static_cast<long long>(r.alert->alerts_raised), static_cast<long long>(r.alert->alerts_new),
                out.value("slack_sink_messages", 0LL));
  }

  std::printf("\nWhat to open next:\n");
  if (r.report)
    std::printf("  %s   the report (charts for every product; %zu CSV files beside it)\n", r.report->html_path.c_str(),
                r.report->tables.size());
  std::printf("  revlens score --warehouse %s           lead scores and their reasons\n", url.c_str());
  std::printf("  revlens run --warehouse %s --skip sync  rerun the products on this warehouse\n", url.c_str());
  std::printf("  revlens demo --keep-serving                       keep the emulator up to browse its API\n");
  std::printf("\ndone in %.1f s (generate %.1f s, nightly job %.1f s)\n", out["seconds"].get<double>(),
              out["generated_seconds"].get<double>(), r.seconds);
}

int RunDemo(const DemoArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  auto g = emulator::GeneratePortal(a.gen);
  const double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const nlohmann::json truth = std::move(g.truth);

  const StopSignals stop;

  // What the portal holds, to compare with what the sync loads.
  nlohmann::json served = nlohmann::json::object();
  for (auto t : emulator::kAllObjectTypes) {
    int64_t live = 0;
    for (const auto& r : g.portal->Table(t).Records()) live += r.archived ? 0 : 1;
    served[std::string(emulator::ObjectTypeName(t))] = live;
  }
  // The portal's product-usage file, as a user would point the sync at theirs. The sync replaces product usage per
  // source file, so the name is fixed per warehouse (a rerun replaces, never duplicates) and differs between
  // warehouses: two demos running at once on different warehouses must not remove each other's file.
  const std::string url = a.warehouse.empty() ? LoadSettings().warehouse_url.value : a.warehouse;
  char usage_name[64];
  std::snprintf(usage_name, sizeof usage_name, "revlens_demo_product_usage_%016zx.csv", std::hash<std::string>{}(url));
  const std::string usage_path = (std::filesystem::temp_directory_path() / usage_name).string();
  {
    std::ofstream f(usage_path, std::ios::binary);
    f << g.product_usage_csv;
  }

  emulator::ServeOptions so;
  so.port = a.port;
  emulator::EmulatorServer server(std::move(g.portal), so);
  // The emulated enrichment provider knows the firmographics the generator left blank (ground truth).
  server.Enrichment().Load(truth);
  server.Start();
  SlackSink sink;

  auto wh = warehouse::OpenWarehouse(url);
  hubspot::ClientOptions co;
  co.base_url = server.BaseUrl();
  co.access_token = so.token;
  co.initial_per_ten_seconds = 0;  // the demo emulator runs without rate limits
  co.search_per_second = 0;
  hubspot::Client client(co);

  pipeline::NightlyOptions o;
  o.client = &client;
  o.skip = pipeline::ParseSkip(a.skip);
  o.sync.product_usage_path = usage_path;
  // A small budget: enough for the demo portal's companies with blank firmographics (~510 calls), capped at 600.
  o.enrich.settings.providers.push_back(enrich::EmulatedProvider(server.BaseUrl(), 1.0, 600));
  o.build.project_dir = DefaultModelProject();
  // The portal ends at its anchor date: the models and products take it as "today"; freshness is judged as of the
  // sync, not the anchor.
  const std::string anchor = truth.value("anchor_date", std::string());
  if (!anchor.empty()) o.build.vars["as_of_date"] = models::JinjaValue::String(anchor);
  o.build.now_ms = NowMillis();
  o.forecast.backtest = !a.no_backtest;
  o.compete.dictionary = insights::ConfiguredCompetitors();
  o.alert.slack_webhook_urls = {sink.Url()};
  o.alert.slack_interval = std::chrono::milliseconds(20);  // the local sink is not Slack: no need to pace at 1/s
  o.report.out_dir = a.report_dir;
  o.report.title = "revlens demo report";
  if (!a.json) o.progress = [](const std::string& line) { std::fprintf(stderr, "revlens demo: %s\n", line.c_str()); };
  pipeline::NightlyReport r;
  try {
    r = pipeline::RunNightly(*wh, o);
  } catch (...) {
    std::filesystem::remove(usage_path);
    throw;
  }
  std::filesystem::remove(usage_path);

  nlohmann::json loaded = nlohmann::json::object();
  if (r.sync) {
    for (auto& [type, n] : served.items()) {
      loaded[type] = wh->Query("SELECT COUNT(*) FROM " + warehouse::Warehouse::QualifiedName(o.raw_schema, type) +
                               " WHERE NOT is_deleted")
                         .Scalar<int64_t>();
    }
  }
  nlohmann::json out = {{"emulator", server.BaseUrl()},
                        {"warehouse", wh->Describe()},
                        {"generated_seconds", gen_s},
                        {"served", served},
                        {"loaded", loaded},
                        {"complete", !r.sync || served == loaded},
                        {"nightly", nlohmann::json::parse(r.ToJson())},
                        {"slack_sink_messages", sink.Messages()}};
  if (r.sync) out["sync"] = nlohmann::json::parse(r.sync->ToJson());
  if (r.enrich) out["enrich"] = nlohmann::json::parse(r.enrich->ToJson());
  if (!anchor.empty()) out["anchor_date"] = anchor;
  if (truth.contains("oracle_auc")) out["portal_oracle_auc"] = truth["oracle_auc"];
  if (r.score) out["oracle"] = OracleComparison(*r.score, truth);
  if (r.report) out["report"] = r.report->html_path;
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    PrintSummary(a, r, out, url);
  }
  std::fflush(stdout);
  if (a.keep_serving) {
    std::printf("serving %s until Ctrl-C\n", server.BaseUrl().c_str());
    std::fflush(stdout);
    stop.Wait();
  }
  server.Stop();
  if (!out["complete"].get<bool>()) {
    std::fprintf(stderr, "revlens demo: the warehouse's live records differ from the portal's\n");
    return 1;
  }
  if (!r.Ok()) {
    std::fprintf(stderr, "revlens demo: %s\n", r.failure.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void AddDemo(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand(
      "demo",
      "The nightly job on the embedded default: synthetic portal -> emulator -> sync, build, every product, push "
      "into the emulator, alerts to a local Slack sink, report into ./revlens-demo/");
  cmd->add_option("--size", args->gen.size, "Synthetic portal size: small | demo | large")->capture_default_str();
  cmd->add_option("--seed", args->gen.seed, "Generator seed")->capture_default_str();
  cmd->add_option("--anchor-date", args->gen.anchor_date, "Anchor date YYYY-MM-DD (default: today)");
  cmd->add_option("--warehouse", args->warehouse,
                  "Warehouse URL (default: REVLENS_WAREHOUSE or duckdb://revlens.duckdb)");
  cmd->add_option("--port", args->port, "Emulator port (0 = a free port)")->capture_default_str();
  cmd->add_option("--report-dir", args->report_dir, "Folder for the report and CSV files")->capture_default_str();
  cmd->add_option("--skip", args->skip, "Nightly steps to skip, comma-separated (e.g. --skip push,alert)");
  cmd->add_flag("--no-backtest", args->no_backtest, "Skip the forecast backtest");
  cmd->add_flag("--keep-serving", args->keep_serving, "Keep the emulator running after the demo until Ctrl-C");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  SetAction(cmd, [args] { return RunDemo(*args); });
}

}  // namespace revlens::app
