// bench_forecast: the pipeline forecast's figures on a synthetic portal, against the targets:
//   backtest WAPE <= 0.6 x the weighted-pipeline WAPE; P10-P90 coverage 70-90% of periods x slices;
//   per-deal AUC >= the oracle's (truth p_win on the same deals) - 0.03, ECE <= 0.05;
//   the whole `revlens forecast --backtest` (load, train, simulate, write) <= 20 s on large.
// Usage: bench_forecast [--size demo|large] [--seed N] [--period quarter|month|both] [--draws N]
//        [--warehouse URL --schema S]   (reuse a portal already synced and built from the same size and seed)
#include "insights/forecast.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "emulator/generator/generator.hpp"
#include "insights/metrics.hpp"
#include "portal_fixture.hpp"
#include "warehouse/warehouse.hpp"

using namespace revlens;

namespace {

struct Args {
  std::string size = "demo", period = "both", warehouse, schema;
  uint64_t seed = 5;
  int draws = 10000;
};

void Report(warehouse::Warehouse& wh, const std::string& schema, const std::map<int64_t, double>& truth_p,
            insights::PeriodType period, int draws, double oracle_all) {
  insights::ForecastOptions o;
  o.schema = schema;
  o.period = period;
  o.backtest = true;
  o.draws = draws;
  o.run_id = "bench";
  const auto t0 = std::chrono::steady_clock::now();
  const insights::ForecastReport r = insights::RunForecast(wh, o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& l : r.TextLines()) std::printf("%s\n", l.c_str());
  const auto& b = *r.backtest;
  const auto* rev = b.Score("total", "revlens");
  const auto* wp = b.Score("total", "weighted_pipeline");
  size_t covered = 0, n = 0;
  for (const auto& row : b.rows) {
    if (row.actual <= 0 && row.forecast.p90 <= 0) continue;
    ++n;
    covered += row.covered;
  }
  std::vector<double> ours, oracle;
  std::vector<int> y;
  for (const auto& d : b.deals) {
    const auto it = truth_p.find(d.deal_id);
    if (it == truth_p.end()) continue;
    ours.push_back(d.p_win);
    oracle.push_back(it->second);
    y.push_back(d.won);
  }
  const double auc = insights::AucRoc(ours, y), oauc = insights::AucRoc(oracle, y);
  const double ece = insights::ExpectedCalibrationError(ours, y);
  const double ratio = rev && wp && wp->wape > 0 ? rev->wape / wp->wape : 0;
  const double cov = n ? static_cast<double>(covered) / static_cast<double>(n) : 0;
  std::printf("\n== figures (%s) ==\n", insights::PeriodTypeName(period).c_str());
  std::printf("backtest WAPE revlens %.3f vs weighted pipeline %.3f: ratio %.2f (target <= 0.60) %s\n",
              rev ? rev->wape : 0, wp ? wp->wape : 0, ratio, ratio <= 0.6 ? "MET" : "NOT MET");
  std::printf("P10-P90 coverage over %zu periods x slices: %.1f%% (target 70-90%%) %s\n", n, 100 * cov,
              cov >= 0.7 && cov <= 0.9 ? "MET" : "NOT MET");
  std::printf(
      "per-deal p_win on %zu open-deal snapshots: AUC %.3f vs oracle %.3f (oracle - 0.03 = %.3f) %s; "
      "ECE %.3f (target <= 0.05) %s; oracle AUC over all closed deals %.3f\n",
      y.size(), auc, oauc, oauc - 0.03, auc >= oauc - 0.03 ? "MET" : "NOT MET", ece, ece <= 0.05 ? "MET" : "NOT MET",
      oracle_all);
  std::printf(
      "revlens forecast --backtest (load, train %zu models, %d draws, write): %.1f s (target <= 20 s on "
      "large)\n",
      b.models.size() + 1, draws, secs);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--size")
      a.size = v;
    else if (k == "--seed")
      a.seed = std::stoull(v);
    else if (k == "--period")
      a.period = v;
    else if (k == "--draws")
      a.draws = std::stoi(v);
    else if (k == "--warehouse")
      a.warehouse = v;
    else if (k == "--schema")
      a.schema = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const auto opts = testing::TestPortalOptions(a.size, a.seed);
    std::unique_ptr<testing::BuiltPortal> portal;
    std::unique_ptr<warehouse::Warehouse> own;
    nlohmann::json truth;
    warehouse::Warehouse* wh = nullptr;
    std::string schema = a.schema;
    const auto t0 = std::chrono::steady_clock::now();
    if (!a.warehouse.empty()) {
      own = warehouse::OpenWarehouse(a.warehouse);
      wh = own.get();
      truth = emulator::GeneratePortal(opts).truth;
    } else {
      portal = testing::BuiltPortal::Create("duckdb", opts);
      wh = &portal->Wh();
      schema = portal->ModelSchema();
      truth = portal->Truth();
    }
    std::printf("portal %s seed %llu ready in %.1f s\n", a.size.c_str(), static_cast<unsigned long long>(a.seed),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::map<int64_t, double> truth_p;
    for (const auto& d : truth.at("deals")) truth_p[d.at("id").get<int64_t>()] = d.at("p_win").get<double>();
    const double oracle_all = truth.value("oracle_auc_deals", 0.0);
    if (a.period == "quarter" || a.period == "both")
      Report(*wh, schema, truth_p, insights::PeriodType::kQuarter, a.draws, oracle_all);
    if (a.period == "month" || a.period == "both")
      Report(*wh, schema, truth_p, insights::PeriodType::kMonth, a.draws, oracle_all);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_forecast: %s\n", e.what());
    return 1;
  }
  return 0;
}
