// `revlens compete`: competitor mentions in engagements and deal properties, and how deals fare against each.
#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "insights/compete.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct CompeteArgs {
  std::string warehouse;
  std::string competitors;
  insights::CompeteOptions options;
  size_t latest = 2;
  bool no_seed = false;
  bool no_fuzzy = false;
  bool json = false;
  bool no_write = false;
};

std::string Cell(const std::optional<double>& v, const char* format, double scale = 1) {
  if (!v) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, scale * *v);
  return buf;
}

std::string Range(double low, double high, double scale = 100) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.0f-%.0f", scale * low, scale * high);
  return buf;
}

std::string Clip(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "…";
}

int RunCompeteCommand(CompeteArgs a) {
  std::string url = a.warehouse;
  if (url.empty()) url = LoadSettings().warehouse_url.value;
  a.options.dictionary = insights::ConfiguredCompetitors(a.competitors);
  a.options.seed_from_deals = !a.no_seed;
  a.options.scanner.fuzzy = !a.no_fuzzy;
  a.options.latest_mentions = std::max<size_t>(a.latest, 5);
  auto wh = warehouse::OpenWarehouse(url);
  const insights::CompeteReport r = insights::RunCompete(*wh, a.options, !a.no_write);
  if (a.json) {
    std::printf("%s\n", r.ToJson().c_str());
    return 0;
  }
  size_t configured = 0;
  for (const auto& e : r.dictionary) configured += e.origin != "deal_property";
  std::printf("revlens compete: %s, schema %s, run %s\n", wh->Describe().c_str(), a.options.schema.c_str(),
              r.run_id.c_str());
  std::printf("  dictionary: %zu competitors (%zu configured, %zu from the deals' competitor property), %zu terms\n",
              r.dictionary.size(), configured, r.dictionary.size() - configured, r.dictionary_terms);
  std::printf("  scanned %lld texts (%.1f MB) and %lld deals in %.2f s: %zu mentions; %zu open deals with competitors\n",
              static_cast<long long>(r.texts_scanned), static_cast<double>(r.bytes_scanned) / 1e6,
              static_cast<long long>(r.deals), r.scan_seconds, r.mentions.size(), r.deal_competitors.size());
  const auto& b = r.baseline;
  std::string pipes;
  for (const auto& p : b.pipelines) pipes += (pipes.empty() ? "" : ", ") + p;
  std::printf("  baseline (closed deals with no competitor; pipelines %s): %lld closed, win rate %.1f%% (%s)\n\n",
              pipes.c_str(), static_cast<long long>(b.closed), 100 * b.win_rate, Range(b.ci_low, b.ci_high).c_str());
  std::printf("  %-18s %6s %5s %8s %6s %6s %8s %8s %10s %8s %7s %7s  %s\n", "competitor", "deals", "open", "mentions",
              "closed", "win%", "95% CI", "vs base", "diff CI", "q", "size x", "cycle x", "top loss reason");
  for (const auto& s : r.competitors) {
    const std::string loss = s.loss_reasons.empty() ? "-" : s.loss_reasons.front().first;
    std::printf("  %-18s %6lld %5lld %8lld %6lld %6s %8s %8s %10s %8.2g %7s %7s  %s%s\n", Clip(s.competitor, 18).c_str(),
                static_cast<long long>(s.deals_involved), static_cast<long long>(s.open_deals),
                static_cast<long long>(s.mentions), static_cast<long long>(s.closed),
                s.closed ? Cell(s.win_rate, "%.1f", 100).c_str() : "-",
                s.closed ? Range(s.ci_low, s.ci_high).c_str() : "-", Cell(s.win_rate_diff, "%+.1f", 100).c_str(),
                s.win_rate_diff ? Range(*s.diff_low, *s.diff_high).c_str() : "-", s.q_value,
                Cell(s.amount_ratio, "%.2f").c_str(), Cell(s.cycle_ratio, "%.2f").c_str(), Clip(loss, 28).c_str(),
                s.significant ? "  *" : "");
  }
  std::printf("  (* win rate differs from the baseline at FDR %.2g; size x and cycle x: ratio of geometric means)\n",
              r.fdr);
  if (a.latest > 0) {
    std::printf("\n  latest mentions:\n");
    for (const auto& s : r.competitors) {
      for (size_t i = 0; i < s.latest.size() && i < a.latest; ++i) {
        const auto& m = s.latest[i];
        std::printf("  %-18s %s %-7s %s\n", Clip(s.competitor, 18).c_str(),
                    m.mentioned_at ? warehouse::FormatDate(warehouse::Date{static_cast<int32_t>(
                                                               m.mentioned_at->micros / 86400000000LL)})
                                         .c_str()
                                   : "          ",
                    m.source.c_str(), Clip(m.snippet, 110).c_str());
      }
    }
  }
  std::printf("\n%s\n", a.no_write ? "Nothing written (--no-write)."
                                   : "Written to competitor_stats, competitor_mentions, competitor_loss_reasons, "
                                     "competitor_monthly, competitor_reps, competitor_dictionary, deal_competitors.");
  return 0;
}

}  // namespace

void AddCompete(CLI::App& app) {
  auto args = std::make_shared<CompeteArgs>();
  auto* cmd = app.add_subcommand(
      "compete",
      "Competitive intelligence: competitor mentions in notes, emails, calls, meetings and deal properties; per "
      "competitor deals, win rate vs no competitor (CI, FDR), deal size, cycle, loss reasons, reps, trend");
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--schema", args->options.schema, "Model schema: reads deals/engagements, writes the results")
      ->capture_default_str();
  cmd->add_option("--competitors", args->competitors,
                  "Competitor dictionary: TOML with [[competitors]] or JSON (default: [[competitors]] of revlens.toml)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--no-seed", args->no_seed, "Do not add the values of the deals' competitor property");
  cmd->add_flag("--no-fuzzy", args->no_fuzzy, "Match configured spellings only (no edit-distance-1 variants)");
  cmd->add_option("--confidence", args->options.confidence, "Level of the intervals")->capture_default_str();
  cmd->add_option("--fdr", args->options.fdr, "False-discovery rate of the win-rate tests")->capture_default_str();
  cmd->add_option("--min-pipeline-share", args->options.min_pipeline_share,
                  "Pipelines where at least this share of closed deals involve a competitor form the baseline")
      ->capture_default_str();
  cmd->add_option("--threads", args->options.threads, "Threads scanning text")->capture_default_str();
  cmd->add_option("--latest", args->latest, "Latest mentions shown per competitor")->capture_default_str();
  cmd->add_option("--run-id", args->options.run_id, "Run id stamped on the rows (default: compete-<UTC time>)");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->add_flag("--no-write", args->no_write, "Compute and print without writing the result tables");
  SetAction(cmd, [args] { return RunCompeteCommand(*args); });
}

}  // namespace revlens::app
