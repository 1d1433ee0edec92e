// `revlens icp`: which segments win (ICP analysis), busy-but-losing segments, and every company's ICP fit.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "insights/icp.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct IcpArgs {
  std::string warehouse;
  insights::IcpOptions options;
  size_t top = 15;
  bool json = false;
  bool no_write = false;
};

std::string Cell(const std::optional<double>& v, const char* format) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, *v);
  return buf;
}

int RunIcpCommand(const IcpArgs& a) {
  std::string url = a.warehouse;
  if (url.empty()) url = LoadSettings().warehouse_url.value;
  auto wh = warehouse::OpenWarehouse(url);
  const insights::IcpReport r = insights::RunIcp(*wh, a.options, !a.no_write);
  if (a.json) {
    std::printf("%s\n", r.ToJson().c_str());
    return 0;
  }
  std::printf("revlens icp: %s, schema %s, run %s\n\n", wh->Describe().c_str(), a.options.schema.c_str(),
              r.run_id.c_str());
  for (const auto& s : r.summary) std::printf("  %s\n", s.c_str());
  auto shown = r.Significant();
  const bool any = !shown.empty();
  if (!any) {
    for (const auto& s : r.segments) shown.push_back(&s);
    std::stable_sort(shown.begin(), shown.end(), [](const insights::IcpSegment* x, const insights::IcpSegment* y) {
      return x->q_value < y->q_value;
    });
  }
  std::printf("\n%s (of %zu tested with >= %lld deals, FDR %.3g):\n",
              any ? "Significant segments by lift" : "No significant segment; the strongest candidates",
              r.segments.size(), static_cast<long long>(r.min_deals), r.fdr);
  std::printf("  %-24s %-36s %6s %6s %11s %6s %6s %8s %6s %6s %6s %8s %s\n", "dimension", "segment", "deals", "win%",
              "95% CI", "lift", "leads", "won/lead", "lift", "ACV x", "cycle", "q", "flag");
  for (size_t i = 0; i < shown.size() && i < a.top; ++i) {
    const auto& s = *shown[i];
    char ci[32];
    std::snprintf(ci, sizeof ci, "%.1f-%.1f", 100 * s.ci_low, 100 * s.ci_high);
    const double q = std::min(s.q_value, s.conversion_q_value.value_or(1.0));
    std::printf(
        "  %-24s %-36s %6lld %6.1f %11s %6s %6s %8s %6s %6s %6s %8.2g %s\n", s.dimension.c_str(), s.segment.c_str(),
        static_cast<long long>(s.deals), 100 * s.win_rate, ci, Cell(s.lift, "%.2f").c_str(),
        s.leads > 0 ? std::to_string(s.leads).c_str() : "-",
        Cell(s.conversion_rate ? std::optional<double>(100 * *s.conversion_rate) : std::nullopt, "%.1f%%").c_str(),
        Cell(s.conversion_lift, "%.2f").c_str(), Cell(s.acv_ratio, "%.2f").c_str(),
        Cell(s.mean_cycle_days, "%.0f").c_str(), q, s.busy_losing ? "busy-losing" : "");
  }
  std::vector<double> fits;
  for (const auto& c : r.companies) fits.push_back(c.icp_fit);
  std::sort(fits.begin(), fits.end());
  if (!fits.empty()) {
    auto at = [&](double f) { return fits[static_cast<size_t>(f * static_cast<double>(fits.size() - 1))]; };
    std::printf(
        "\nICP fit for %zu companies (50 = the base rate): 10th percentile %.1f, median %.1f, 90th %.1f, "
        "max %.1f; %zu segment%s in the fit model%s.\n",
        fits.size(), at(0.1), at(0.5), at(0.9), fits.back(), r.fit_features.size(),
        r.fit_features.size() == 1 ? "" : "s",
        r.fit_features.empty() ? " (no significant company-level segment: every company at the base rate)"
                               : (", ridge penalty " + Cell(r.fit_penalty, "%g")).c_str());
  }
  std::printf(
      "%s\n",
      a.no_write
          ? "Nothing written (--no-write)."
          : ("Written to " + a.options.schema + ".icp_segments and " + a.options.schema + ".company_icp_fit.").c_str());
  return 0;
}

}  // namespace

void AddIcp(CLI::App& app) {
  auto args = std::make_shared<IcpArgs>();
  auto* cmd = app.add_subcommand(
      "icp",
      "ICP analysis: which segments win (win rate, CI, lift, ACV, cycle, FDR-controlled), busy-but-losing "
      "segments, and an ICP fit score (0-100) for every company");
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--schema", args->options.schema, "Model schema: reads icp_deals/icp_companies, writes the results")
      ->capture_default_str();
  cmd->add_option("--fdr", args->options.fdr, "Benjamini-Hochberg false-discovery rate for significance")
      ->capture_default_str()
      ->check(CLI::Range(1e-6, 0.5));
  cmd->add_option("--min-deals", args->options.min_deals, "Closed deals a segment needs to be tested")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--busy-ratio", args->options.busy_ratio,
                  "Engagements per deal or leads per company, as a multiple of what companies of the same employee "
                  "band have, that count as busy")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--top", args->top, "Segments to list in the table")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the figures (base, summary, every segment, fit distribution) as JSON");
  cmd->add_flag("--no-write", args->no_write, "Compute and print without writing icp_segments / company_icp_fit");
  SetAction(cmd, [args] { return RunIcpCommand(*args); });
}

}  // namespace revlens::app
