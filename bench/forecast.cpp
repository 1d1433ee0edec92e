// bench_forecast: the pipeline forecast's figures on a synthetic portal, against the targets:
//   backtest WAPE <= 0.6 x the weighted-pipeline WAPE; P10-P90 coverage 70-90% of periods x slices;
//   per-deal AUC >= the oracle's (truth p_win on the same deals) - 0.03, ECE <= 0.05;
//   the whole `revlens forecast --backtest` (load, train, simulate, write) <= 20 s on large.
// The per-deal figures are scored twice: on every deal open at each backtest period's start (the backtest's own
// snapshots: ~330-950 on demo, where a perfectly calibrated model's ECE is 0.03-0.05 by chance alone), and, with
// --daily, by the same models on every deal open at each day of their periods (~25,000-40,000 snapshots).
// Usage: bench_forecast [--size demo|large] [--seed N] [--period quarter|month|both] [--draws N] [--runs N]
//        [--periods K]   (backtest the last K periods instead of 8 months or 4 quarters)
//        [--anchor YYYY-MM-DD]   (the portal's last day: `make demo` anchors seed 42 at the day it runs)
//        [--daily N]     (also score each backtest cutoff's deal model on every deal open every N days of its
//                         period: the same models on ~30x the snapshots; default 1 on demo, off on large)
//        [--warehouse URL --schema S]   (reuse a portal already synced and built from the same size and seed)
//        [--keep FILE]   (DuckDB file: the first run copies the forecast's input models of the built portal and the
//                         truth into it, later runs read them from there: `large` takes minutes to build)
#include "insights/forecast.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <string>

#include "core/time_util.hpp"
#include "emulator/generator/generator.hpp"
#include "insights/metrics.hpp"
#include "insights/stats.hpp"
#include "portal_fixture.hpp"
#include "warehouse/warehouse.hpp"

using namespace revlens;

namespace {

struct Args {
  std::string size = "demo", period = "both", warehouse, schema;
  std::string keep;
  uint64_t seed = 5;
  int draws = 10000;
  int runs = 1;
  int periods = 0;  ///< backtest periods; 0 = the product's default (8 months or 4 quarters)
  std::string anchor;  ///< the portal's anchor date (YYYY-MM-DD); empty: the tests' 2026-06-30
  int daily = -1;      ///< > 0: also score each backtest model on every open deal every `daily` days of its period;
                       ///< -1: every day on demo, off on large (~10 s there at 7 days)
};

/// The models RunForecast reads (LoadForecastData).
constexpr const char* kInputModels[] = {"forecast_deals", "forecast_deal_events", "stg_hubspot__pipeline_stages",
                                        "owner_performance", "int_as_of"};

/// The truth the figures need: each deal's true p_win and eventual outcome, and the oracle AUC over closed deals.
nlohmann::json TruthSubset(const nlohmann::json& truth) {
  nlohmann::json deals = nlohmann::json::array();
  for (const auto& d : truth.at("deals"))
    deals.push_back({{"id", d.at("id")}, {"p_win", d.at("p_win")}, {"won", d.at("won")}});
  return {{"deals", deals}, {"oracle_auc_deals", truth.value("oracle_auc_deals", 0.0)}};
}

/// The calibration slope: b of y ~ a + b logit(p) (1 = neither over- nor under-confident, above 1 under-confident).
double CalibrationSlope(const std::vector<double>& p, const std::vector<int>& y) {
  std::vector<std::vector<double>> x;
  x.reserve(p.size());
  for (double v : p) {
    const double q = std::clamp(v, 1e-6, 1 - 1e-6);
    x.push_back({std::log(q / (1 - q))});
  }
  insights::RidgeLogistic fit(1e-6);
  fit.Fit(x, y);
  return fit.State().coefficients[0];
}

/// The ECEs of a perfectly calibrated model on `p` over `draws` label sets, sorted, when a deal's snapshots share
/// one outcome: one uniform per deal (`deal_ids[i]` is row i's), each snapshot still won with probability p.
std::vector<double> PerDealEceFloor(const std::vector<double>& p, const std::vector<int64_t>& deal_ids, int draws,
                                    std::mt19937_64& rng, size_t* deals = nullptr) {
  std::uniform_real_distribution<double> u(0, 1);
  std::map<int64_t, double> draw;
  for (int64_t id : deal_ids) draw[id] = 0;
  if (deals) *deals = draw.size();
  std::vector<int> sim(p.size());
  std::vector<double> out;
  for (int t = 0; t < draws; ++t) {
    for (auto& [id, v] : draw) v = u(rng);
    for (size_t i = 0; i < p.size(); ++i) sim[i] = draw[deal_ids[i]] < p[i] ? 1 : 0;
    out.push_back(insights::ExpectedCalibrationError(p, sim));
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Why the per-deal probabilities are (mis)calibrated: a reliability table by equal-count bin, mean prediction
/// against the win rate per backtest cutoff (base-rate drift, and how many snapshots are left out because the
/// deal is still open now), and the ECE a perfectly calibrated model would show on the same predictions (labels
/// drawn from them): with a few hundred snapshots the estimator's own noise is a large part of the figure.
void Reliability(const insights::BacktestReport& b, const std::vector<double>& p, const std::vector<int>& y,
                 const std::vector<double>& truth, const std::vector<int64_t>* cutoffs,
                 const std::vector<int64_t>* deal_ids = nullptr) {
  const size_t n = p.size();
  if (n == 0) return;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t c) { return p[a] < p[c]; });
  std::printf("reliability (10 equal-count bins):   n   mean p   won    gap  truth p\n");
  for (size_t k = 0; k < 10; ++k) {
    const size_t lo = k * n / 10, hi = (k + 1) * n / 10;
    if (hi <= lo) continue;
    double sp = 0, sy = 0, st = 0;
    for (size_t i = lo; i < hi; ++i) {
      sp += p[order[i]];
      sy += y[order[i]];
      st += truth[order[i]];
    }
    const double c = static_cast<double>(hi - lo);
    std::printf("  bin %2zu %26zu %8.3f %5.3f %+6.3f  %7.3f\n", k + 1, hi - lo, sp / c, sy / c, sy / c - sp / c,
                st / c);
  }
  std::printf("by cutoff:            open  scored  mean p   won    gap\n");
  for (const auto& per : b.periods) {
    int64_t open = 0;
    for (const auto& r : b.rows)
      if (r.forecast.slice.type == "total" && r.forecast.period.start_ms == per.start_ms) open = r.forecast.open_deals;
    double sp = 0, sy = 0, c = 0;
    if (cutoffs) {
      for (size_t i = 0; i < n; ++i) {
        if ((*cutoffs)[i] != per.start_ms) continue;
        sp += p[i];
        sy += y[i];
        c += 1;
      }
    } else {
      for (const auto& d : b.deals) {
        if (d.cutoff_ms != per.start_ms || !d.known) continue;
        sp += d.p_win;
        sy += d.won;
        c += 1;
      }
    }
    if (c == 0) continue;
    std::printf("  %-10s %12lld %7.0f %7.3f %5.3f %+6.3f\n", per.label.c_str(), static_cast<long long>(open), c, sp / c,
                sy / c, sy / c - sp / c);
  }
  {
    // Calibration in the large and the calibration slope.
    double sp = 0, sy = 0, ll = 0;
    for (size_t i = 0; i < n; ++i) {
      const double q = std::clamp(p[i], 1e-6, 1 - 1e-6);
      sp += p[i];
      sy += y[i];
      ll -= y[i] ? std::log(q) : std::log(1 - q);
    }
    std::printf("mean p %.3f vs won %.3f (gap %+.3f); calibration slope %.2f; log loss %.3f\n",
                sp / static_cast<double>(n), sy / static_cast<double>(n), (sy - sp) / static_cast<double>(n),
                CalibrationSlope(p, y), ll / static_cast<double>(n));
  }
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> floor;
  std::vector<int> sim(n);
  for (int t = 0; t < 400; ++t) {
    for (size_t i = 0; i < n; ++i) sim[i] = u(rng) < p[i] ? 1 : 0;
    floor.push_back(insights::ExpectedCalibrationError(p, sim));
  }
  std::sort(floor.begin(), floor.end());
  const double mean = std::accumulate(floor.begin(), floor.end(), 0.0) / static_cast<double>(floor.size());
  std::printf("ECE of a perfectly calibrated model on these %zu predictions (labels drawn from them, 400 times): mean "
              "%.3f, 90th percentile %.3f\n",
              n, mean, floor[floor.size() * 9 / 10]);
  if (deal_ids == nullptr) return;
  // The draws above are independent per snapshot, but a deal open at several cutoffs has one outcome: its snapshots'
  // errors move together, so the estimator is noisier than that. One uniform per deal, shared by its snapshots
  // (each snapshot still won with probability p), bounds the floor from the other side.
  size_t deals = 0;
  const std::vector<double> shared = PerDealEceFloor(p, *deal_ids, 400, rng, &deals);
  std::printf(
      "  the same with one outcome per deal (its snapshots share one draw; %zu deals): mean %.3f, 90th "
      "percentile %.3f\n",
      deals, std::accumulate(shared.begin(), shared.end(), 0.0) / static_cast<double>(shared.size()),
      shared[shared.size() * 9 / 10]);
}

/// Calibration by where each snapshot's deal stood at its cutoff (stage, and days in it: under 14, 14-59, 60 and
/// more): a bin of the reliability table off target is usually one or two of these cells.
void ByStage(const insights::ForecastData& data, const std::vector<insights::BacktestDeal>& snaps,
             const std::vector<double>& p, const std::vector<int>& y, const std::vector<double>& truth) {
  std::map<int64_t, const insights::DealRecord*> by_id;
  for (const auto& d : data.deals) by_id[d.deal_id] = &d;
  struct Cell {
    double n = 0, p = 0, y = 0, t = 0;
  };
  std::map<std::pair<int, int>, Cell> cells;  // (stage index, age band)
  for (size_t i = 0; i < snaps.size(); ++i) {
    const auto it = by_id.find(snaps[i].deal_id);
    if (it == by_id.end()) continue;
    const auto st = insights::StateAt(data, *it->second, snaps[i].cutoff_ms);
    if (st.stage < 0) continue;
    const double days = static_cast<double>(snaps[i].cutoff_ms - st.stage_entered_ms) / 86400000.0;
    Cell& c = cells[{st.stage, days < 14 ? 0 : days < 60 ? 1 : 2}];
    c.n += 1;
    c.p += p[i];
    c.y += y[i];
    c.t += truth[i];
  }
  std::printf("by stage at the cutoff (days in it):            n   mean p   won    gap  truth p\n");
  const char* band[] = {"< 14", "14-59", "60+"};
  for (const auto& [key, c] : cells) {
    if (c.n < 15) continue;
    const auto& sm = data.stages[static_cast<size_t>(key.first)];
    std::printf("  %-28.28s %-6s %12.0f %8.3f %5.3f %+6.3f  %7.3f\n", sm.label.c_str(), band[key.second], c.n,
                c.p / c.n, c.y / c.n, (c.y - c.p) / c.n, c.t / c.n);
  }
}

/// A deal as the truth knows it: its true p_win and how it ends (-1: the truth kept by an older --keep lacks it).
struct TruthDeal {
  double p_win = 0;
  int won = -1;
};

/// The deal model of each backtest cutoff, trained on the view at its start exactly as the backtest trains it, scored
/// on every deal open at each day of its period (`step` days apart) instead of at the start alone: ~30 times the
/// snapshots of the same models, so the ECE's own noise no longer hides whether they are calibrated. Deals that
/// are open at several days count at each: the floor printed beside it draws one outcome per deal.
void DailyCalibration(const insights::ForecastData& data, const insights::BacktestReport& b,
                      const std::map<int64_t, TruthDeal>& truth_p, insights::PeriodType period, int step) {
  std::vector<double> p, p0, oracle;
  std::vector<int> y, y0;
  std::vector<int64_t> deals;
  std::vector<int> stale;  // whole 30-day spans since the model's training cutoff
  std::vector<ptrdiff_t> period_of;
  for (const auto& per : b.periods) {
    const insights::ForecastData view = insights::TruncateAt(data, per.start_ms);
    insights::DealModelOptions mo;
    mo.period = period;
    insights::DealModel model(mo);
    model.Fit(view, insights::OutcomeIndex(view), per.start_ms);
    for (int64_t c = per.start_ms; c < per.end_ms; c += static_cast<int64_t>(step) * 86400000LL) {
      insights::ForecastData at = insights::TruncateAt(data, c);
      insights::AlignCodes(at, model.Codes());
      const insights::OutcomeIndex outcomes(at);
      std::vector<size_t> open;
      std::vector<insights::DealState> states;
      for (size_t i = 0; i < at.deals.size(); ++i) {
        const auto& d = at.deals[i];
        if (d.created_ms >= c || d.close_known_ms < c) continue;
        const auto it = truth_p.find(d.deal_id);
        if (it == truth_p.end() || it->second.won < 0) continue;
        insights::DealState st = insights::StateAt(at, d, c);
        if (!st.exists || !st.open) continue;
        open.push_back(i);
        states.push_back(std::move(st));
      }
      const auto preds = model.Predict(at, outcomes, open, states, c, {});
      for (size_t k = 0; k < open.size(); ++k) {
        if (c == per.start_ms) {
          p0.push_back(preds[k].p_win);
          y0.push_back(truth_p.at(at.deals[open[k]].deal_id).won);
        }
        p.push_back(preds[k].p_win);
        y.push_back(truth_p.at(at.deals[open[k]].deal_id).won);
        stale.push_back(static_cast<int>((c - per.start_ms) / (30 * 86400000LL)));
        period_of.push_back(&per - b.periods.data());
        oracle.push_back(truth_p.at(at.deals[open[k]].deal_id).p_win);
        deals.push_back(at.deals[open[k]].deal_id);
      }
    }
  }
  if (p.empty()) return;
  // The floor: one uniform per deal, shared by its snapshots (as a real outcome is).
  std::mt19937_64 rng(101);
  size_t n_deals = 0;
  const std::vector<double> floor = PerDealEceFloor(p, deals, 200, rng, &n_deals);
  std::printf(
      "the same %zu models on every open deal every %d day(s) of their periods (%zu snapshots of %zu deals, "
      "the truth's outcomes): AUC %.3f vs oracle %.3f, ECE %.3f (target <= 0.05) %s (a calibrated model: mean "
      "%.3f, 90th percentile %.3f), calibration slope %.2f\n",
      b.periods.size(), step, p.size(), n_deals, insights::AucRoc(p, y), insights::AucRoc(oracle, y),
      insights::ExpectedCalibrationError(p, y), insights::ExpectedCalibrationError(p, y) <= 0.05 ? "MET" : "NOT MET",
      std::accumulate(floor.begin(), floor.end(), 0.0) / 200.0, floor[180], CalibrationSlope(p, y));
  const double n = static_cast<double>(p.size());
  std::printf("  mean p %.3f vs won %.3f; by days since the model was trained:",
              std::accumulate(p.begin(), p.end(), 0.0) / n, std::accumulate(y.begin(), y.end(), 0.0) / n);
  for (int span = 0; span < 3; ++span) {
    double c = 0, sp = 0, sy = 0;
    for (size_t i = 0; i < p.size(); ++i)
      if (std::min(stale[i], 2) == span) {
        c += 1;
        sp += p[i];
        sy += y[i];
      }
    if (c > 0)
      std::printf(" %d-%s %.3f vs %.3f (%.0f);", 30 * span, span == 2 ? "" : std::to_string(30 * span + 29).c_str(),
                  sp / c, sy / c, c);
  }
  std::printf("\n  by period:");
  for (size_t k = 0; k < b.periods.size(); ++k) {
    double c = 0, sp = 0, sy = 0;
    for (size_t i = 0; i < p.size(); ++i)
      if (period_of[i] == static_cast<ptrdiff_t>(k)) {
        c += 1;
        sp += p[i];
        sy += y[i];
      }
    if (c > 0) std::printf(" %s %.3f vs %.3f;", b.periods[k].label.c_str(), sp / c, sy / c);
  }
  std::printf("\n");
  // The same models at the period starts alone must give the backtest's own figure: they are the same fits.
  std::printf("  at the period starts alone: %zu snapshots, ECE %.3f (as above, the backtest's)\n", p0.size(),
              insights::ExpectedCalibrationError(p0, y0));
}

void Report(warehouse::Warehouse& wh, const std::string& schema, const std::map<int64_t, TruthDeal>& truth_p,
            insights::PeriodType period, int draws, int runs, int periods, int daily, double oracle_all) {
  insights::ForecastOptions o;
  o.schema = schema;
  o.period = period;
  o.backtest = true;
  o.draws = draws;
  o.run_id = "bench";
  o.backtest_periods = periods;
  // Wall and CPU seconds of each run (the machine is shared: CPU seconds say what the run itself cost).
  std::vector<double> walls, cpus;
  insights::ForecastReport r;
  for (int run = 0; run < std::max(1, runs); ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    r = insights::RunForecast(wh, o);
    walls.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    cpus.push_back(static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
    std::printf("run %d: %.1f s wall, %.1f s CPU\n", run + 1, walls.back(), cpus.back());
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double secs = median(walls), cpu = median(cpus);
  for (const auto& l : r.TextLines()) std::printf("%s\n", l.c_str());
  const auto& b = *r.backtest;
  // Which method each backtest cutoff's deal model chose, and how its Platt map bends the scores (slope < 1 flattens
  // them): a figure off target is often one or two cutoffs' doing.
  std::printf(
      "\nbacktest deal models: training cutoff, method, holdout AUC of the full model vs the stage rates, "
      "rounds (full/stage), eventual-outcome Platt map a + b logit(p)\n");
  for (const auto& m : b.models) {
    std::printf("  %s %-11s %.3f vs %.3f %4d/%-4d", FormatDate(m.train_end_ms).c_str(), m.method.c_str(), m.holdout_auc,
                m.stage_auc, m.rounds, m.stage_rounds);
    if (m.eventual_platt.size() == 2)
      std::printf(" a %+.3f b %.3f\n", m.eventual_platt[0], m.eventual_platt[1]);
    else
      std::printf(" not calibrated\n");
  }
  const auto* rev = b.Score("total", "revlens");
  const auto* wp = b.Score("total", "weighted_pipeline");
  size_t covered = 0, n = 0;
  for (const auto& row : b.rows) {
    if (row.actual <= 0 && row.forecast.p90 <= 0) continue;
    ++n;
    covered += row.covered;
  }
  // Per-deal figures two ways. As revlens itself can score them: the snapshots whose deal has closed by the as-of
  // date, with the outcome seen then. And on every snapshot with the outcome the truth knows (how each deal still
  // open today will end). At the latest cutoffs the first keeps only the deals that closed within weeks: a
  // selection on what happened after the cutoff (won and lost cycles differ in length and spread), which moves both
  // the mean prediction and the win rate of those cutoffs (on demo seeds 7 and 11, with the stage-only rates of the
  // time, the last month's gap between them was -0.12 and -0.13 among the deals closed since, -0.06 and -0.09 over
  // all). The targets are judged on the second, which is free of that selection.
  std::vector<double> ours, oracle, ours_all, oracle_all_p;
  std::vector<int> y, y_all;
  bool eventual = true;  // the truth gives every deal's outcome (not so in a truth kept by an older --keep)
  std::vector<int64_t> cutoff_all, deal_all;
  std::vector<insights::BacktestDeal> snaps_all;
  for (const auto& d : b.deals) {
    const auto it = truth_p.find(d.deal_id);
    if (it == truth_p.end()) continue;
    if (d.known) {
      ours.push_back(d.p_win);
      oracle.push_back(it->second.p_win);
      y.push_back(d.won);
    }
    eventual = eventual && it->second.won >= 0;
    if (it->second.won >= 0) {
      ours_all.push_back(d.p_win);
      oracle_all_p.push_back(it->second.p_win);
      y_all.push_back(it->second.won);
      cutoff_all.push_back(d.cutoff_ms);
      deal_all.push_back(d.deal_id);
      snaps_all.push_back(d);
    }
  }
  eventual = eventual && !y_all.empty();
  std::printf("\n");
  if (eventual) {
    std::printf("per-deal calibration on every open-deal snapshot, outcomes from the truth (%zu snapshots, %zu of "
                "them still open at the as-of date):\n",
                y_all.size(), y_all.size() - y.size());
    Reliability(b, ours_all, y_all, oracle_all_p, &cutoff_all, &deal_all);
    ByStage(insights::LoadForecastData(wh, schema), snaps_all, ours_all, y_all, oracle_all_p);
  } else {
    Reliability(b, ours, y, oracle, nullptr);
  }
  const std::vector<double>& p_eval = eventual ? ours_all : ours;
  const std::vector<double>& o_eval = eventual ? oracle_all_p : oracle;
  const std::vector<int>& y_eval = eventual ? y_all : y;
  const double auc = insights::AucRoc(p_eval, y_eval), oauc = insights::AucRoc(o_eval, y_eval);
  const double ece = insights::ExpectedCalibrationError(p_eval, y_eval);
  const double ratio = rev && wp && wp->wape > 0 ? rev->wape / wp->wape : 0;
  const double cov = n ? static_cast<double>(covered) / static_cast<double>(n) : 0;
  std::printf("\n== figures (%s) ==\n", insights::PeriodTypeName(period).c_str());
  std::printf("backtest WAPE revlens %.3f vs weighted pipeline %.3f: ratio %.2f (target <= 0.60) %s\n",
              rev ? rev->wape : 0, wp ? wp->wape : 0, ratio, ratio <= 0.6 ? "MET" : "NOT MET");
  // The noise floor of the WAPE: what a forecast would expect if its own spread were exactly right (for a normal
  // distribution, E|X - median| = 0.798 sd, and sd = (P90 - P10) / 2.563). A WAPE near this figure cannot be
  // bettered much by any method on these periods; a baseline that lands below it was lucky.
  double spread_err = 0, total_actual = 0;
  for (const auto& row : b.rows) {
    if (row.forecast.slice.type != "total") continue;
    spread_err += 0.798 * (row.forecast.p90 - row.forecast.p10) / 2.563;
    total_actual += row.actual;
  }
  if (total_actual > 0)
    std::printf("expected WAPE if revlens's own spread is right (the noise floor on these periods): %.3f, ratio %.2f "
                "to the weighted pipeline's\n",
                spread_err / total_actual, wp && wp->wape > 0 ? spread_err / total_actual / wp->wape : 0);
  std::printf("P10-P90 coverage over %zu periods x slices: %.1f%% (target 70-90%%) %s\n", n, 100 * cov,
              cov >= 0.7 && cov <= 0.9 ? "MET" : "NOT MET");
  std::printf(
      "per-deal p_win on %zu open-deal snapshots (%s): AUC %.3f vs oracle %.3f (oracle - 0.03 = %.3f) %s; "
      "ECE %.3f (target <= 0.05) %s; oracle AUC over all closed deals %.3f\n",
      y_eval.size(), eventual ? "every snapshot, the truth's outcomes" : "closed by the as-of date", auc, oauc,
      oauc - 0.03, auc >= oauc - 0.03 ? "MET" : "NOT MET", ece, ece <= 0.05 ? "MET" : "NOT MET", oracle_all);
  if (eventual && !y.empty())
    std::printf("  as revlens's backtest sees them (the %zu closed by the as-of date): AUC %.3f vs oracle %.3f, ECE "
                "%.3f\n",
                y.size(), insights::AucRoc(ours, y), insights::AucRoc(oracle, y),
                insights::ExpectedCalibrationError(ours, y));
  // The truth's probabilities against the same outcomes: when they too sit above the wins, the outcomes of these
  // periods fell short of their own odds (the truth is a probability at creation; a deal still open at a cutoff
  // has survived some losses, so the oracle is not perfectly calibrated here either).
  double mean_oracle = 0, mean_won = 0;
  for (size_t i = 0; i < y_eval.size(); ++i) {
    mean_oracle += o_eval[i] / static_cast<double>(y_eval.size());
    mean_won += y_eval[i] / static_cast<double>(y_eval.size());
  }
  if (!y_eval.empty())
    std::printf("the truth's p_win on the same snapshots: ECE %.3f, mean %.3f vs won %.3f\n",
                insights::ExpectedCalibrationError(o_eval, y_eval), mean_oracle, mean_won);
  if (daily > 0 && eventual) {
    const insights::ForecastData loaded = insights::LoadForecastData(wh, schema);
    DailyCalibration(insights::TruncateAt(loaded, loaded.as_of_ms), b, truth_p, period, daily);
  }
  std::printf(
      "revlens forecast --backtest (load, train %zu models, %d draws, write): %.1f s wall, %.1f s CPU (median of "
      "%zu; target <= 20 s on large)\n",
      b.models.size() + 1, draws, secs, cpu, walls.size());
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf(
          "usage: bench_forecast [--size demo|large] [--seed N] [--period quarter|month|both] [--draws N] "
          "[--runs N] [--periods K] [--daily N] [--anchor YYYY-MM-DD] [--warehouse URL --schema S] [--keep FILE]\n");
      return 0;
    }
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
    else if (k == "--keep")
      a.keep = v;
    else if (k == "--runs")
      a.runs = std::stoi(v);
    else if (k == "--periods")
      a.periods = std::stoi(v);
    else if (k == "--daily")
      a.daily = std::stoi(v);
    else if (k == "--anchor")
      a.anchor = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    if (a.daily < 0) a.daily = a.size == "demo" ? 1 : 0;
    auto opts = testing::TestPortalOptions(a.size, a.seed);
    if (!a.anchor.empty()) opts.anchor_date = a.anchor;
    std::unique_ptr<testing::BuiltPortal> portal;
    std::unique_ptr<warehouse::Warehouse> own;
    nlohmann::json truth;
    warehouse::Warehouse* wh = nullptr;
    std::string schema = a.schema;
    const auto t0 = std::chrono::steady_clock::now();
    std::string anchor_tag = a.anchor;
    std::replace(anchor_tag.begin(), anchor_tag.end(), '-', '_');
    const std::string kept_schema =
        "bench_forecast_" + a.size + "_" + std::to_string(a.seed) + (anchor_tag.empty() ? "" : "_" + anchor_tag);
    const std::string truth_file = a.keep + "." + kept_schema + ".truth.json";
    if (!a.keep.empty() && std::filesystem::exists(truth_file)) {
      own = warehouse::OpenWarehouse("duckdb://" + a.keep);
      wh = own.get();
      schema = kept_schema;
      std::ifstream(truth_file) >> truth;
    } else if (!a.warehouse.empty()) {
      own = warehouse::OpenWarehouse(a.warehouse);
      wh = own.get();
      truth = emulator::GeneratePortal(opts).truth;
    } else {
      portal = testing::BuiltPortal::Create("duckdb", opts);
      wh = &portal->Wh();
      schema = portal->ModelSchema();
      truth = portal->Truth();
      if (!a.keep.empty()) {
        // Copy the input models (as tables) into the kept file; the truth beside it, written last.
        auto& src = portal->Wh();
        src.Execute("ATTACH '" + a.keep + "' AS bench_keep");
        src.Execute("CREATE SCHEMA IF NOT EXISTS bench_keep." + kept_schema);
        for (const char* m : kInputModels)
          src.Execute("CREATE OR REPLACE TABLE bench_keep." + kept_schema + "." + m + " AS SELECT * FROM " +
                      warehouse::Warehouse::QualifiedName(schema, m));
        src.Execute("DETACH bench_keep");
        std::ofstream(truth_file) << TruthSubset(truth).dump();
        std::printf("kept the forecast's inputs in %s (schema %s)\n", a.keep.c_str(), kept_schema.c_str());
      }
    }
    std::printf("portal %s seed %llu ready in %.1f s\n", a.size.c_str(), static_cast<unsigned long long>(a.seed),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::map<int64_t, TruthDeal> truth_p;
    for (const auto& d : truth.at("deals"))
      truth_p[d.at("id").get<int64_t>()] = {d.at("p_win").get<double>(), d.contains("won") ? d.at("won").get<bool>() : -1};
    const double oracle_all = truth.value("oracle_auc_deals", 0.0);
    if (a.period == "quarter" || a.period == "both")
      Report(*wh, schema, truth_p, insights::PeriodType::kQuarter, a.draws, a.runs, a.periods, a.daily, oracle_all);
    if (a.period == "month" || a.period == "both")
      Report(*wh, schema, truth_p, insights::PeriodType::kMonth, a.draws, a.runs, a.periods, a.daily, oracle_all);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_forecast: %s\n", e.what());
    return 1;
  }
  return 0;
}
