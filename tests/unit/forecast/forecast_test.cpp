// The pipeline forecast on synthetic portals: point-in-time correctness (nothing after a cutoff reaches it),
// recovery of the generator's truth, the refusal and no-signal paths, and the result tables on DuckDB and
// PostgreSQL.
#include "insights/forecast.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "core/time_util.hpp"
#include "insights/metrics.hpp"
#include "portal_fixture.hpp"

namespace revlens::insights {
namespace {

using testing::BuiltPortal;
using testing::TestPortalOptions;

int64_t Ms(const char* date) {
  return *ParseTimestampMillis(date);
}

/// The demo portal on DuckDB, synced and built once for the binary, with its forecast data loaded.
struct Demo {
  std::unique_ptr<BuiltPortal> portal;
  ForecastData data;
};

std::unique_ptr<Demo>& DemoSlot() {
  static std::unique_ptr<Demo> demo;
  return demo;
}

Demo& SharedDemo() {
  auto& demo = DemoSlot();
  if (!demo) {
    demo = std::make_unique<Demo>();
    demo->portal = BuiltPortal::Create("duckdb", TestPortalOptions("demo", 5));
    demo->data = LoadForecastData(demo->portal->Wh(), demo->portal->ModelSchema());
  }
  return *demo;
}

/// Drops the demo portal's schemas and file at the end of the run.
class DropDemo : public ::testing::Environment {
 public:
  void TearDown() override { DemoSlot().reset(); }
};
// GoogleTest takes ownership of a registered environment (its API takes a raw pointer).
const auto* const kDropDemo = ::testing::AddGlobalTestEnvironment(new DropDemo);

ForecastOptions FastOptions(PeriodType period = PeriodType::kQuarter) {
  ForecastOptions o;
  o.period = period;
  o.draws = 2000;
  o.write = false;
  return o;
}

bool SameFloat(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

TEST(ForecastPeriods, CalendarMonthsAndQuarters) {
  const Period q = PeriodContaining(Ms("2026-05-17T10:00:00Z"), PeriodType::kQuarter);
  EXPECT_EQ(q.label, "2026-Q2");
  EXPECT_EQ(FormatDate(q.start_ms), "2026-04-01");
  EXPECT_EQ(FormatDate(q.end_ms), "2026-07-01");
  const Period m = ShiftPeriod(PeriodContaining(Ms("2026-12-31"), PeriodType::kMonth), PeriodType::kMonth, 1);
  EXPECT_EQ(m.label, "2027-01");
  EXPECT_EQ(ShiftPeriod(q, PeriodType::kQuarter, -2).label, "2025-Q4");
  EXPECT_THROW(ParsePeriodType("week"), ConfigError);
}

// A deal created after the cutoff never appears in that cutoff's pipeline, and the pipeline rebuilt from events
// is the daily_pipeline_snapshot of the day before the cutoff (open deals, stage, amount, forecast category).
TEST(ForecastPointInTime, PipelineAtCutoffIsTheSnapshotOfThatDay) {
  Demo& demo = SharedDemo();
  const int64_t cutoff = Ms("2025-10-01");
  const ForecastData view = TruncateAt(demo.data, cutoff);
  std::map<int64_t, DealState> open;
  size_t later = 0;
  for (const auto& d : demo.data.deals) later += d.created_ms >= cutoff;
  ASSERT_GT(later, 100u) << "the test needs deals created after the cutoff";
  for (const auto& d : view.deals) {
    ASSERT_LT(d.created_ms, cutoff) << d.deal_id;
    const DealState s = StateAt(view, d, cutoff);
    if (s.exists && s.open) open[d.deal_id] = s;
  }
  ASSERT_GT(open.size(), 30u);
  const auto rs = demo.portal->Wh().Query("SELECT deal_id, deal_stage_id, amount, forecast_category FROM " +
                                          demo.portal->T("daily_pipeline_snapshot") +
                                          " WHERE date_day = DATE '2025-09-30' AND is_open ORDER BY deal_id");
  ASSERT_EQ(rs.RowCount(), open.size());
  for (const auto& r : rs.rows) {
    const int64_t id = warehouse::AsInt64(r[0]);
    ASSERT_TRUE(open.count(id)) << id;
    const DealState& s = open[id];
    EXPECT_EQ(view.stages[static_cast<size_t>(s.stage)].stage_id, warehouse::AsString(r[1])) << id;
    if (warehouse::IsNull(r[2]))
      EXPECT_TRUE(std::isnan(s.amount)) << id;
    else
      EXPECT_DOUBLE_EQ(s.amount, warehouse::AsDouble(r[2])) << id;
  }
  // The forecast at the cutoff scores exactly these deals.
  const CutoffForecast cf = ForecastAt(view, cutoff, FastOptions());
  ASSERT_EQ(cf.deals.size(), open.size());
  for (const auto& f : cf.deals) EXPECT_TRUE(open.count(f.deal_id)) << f.deal_id;
}

// A stage change (or any event) after the cutoff never leaks: features at the cutoff from the full history equal
// those from the history cut at the cutoff, and the whole forecast made at the cutoff from the full data equals
// the one made from the data as it stood then.
TEST(ForecastPointInTime, LaterChangesNeverLeakIntoFeaturesOrForecast) {
  Demo& demo = SharedDemo();
  const int64_t cutoff = Ms("2025-07-01");
  const ForecastData view = TruncateAt(demo.data, cutoff);
  const OutcomeIndex full_outcomes(demo.data), view_outcomes(view);
  std::map<int64_t, size_t> view_index;
  for (size_t i = 0; i < view.deals.size(); ++i) view_index[view.deals[i].deal_id] = i;
  size_t moved_later = 0, compared = 0;
  std::vector<float> a(DealFeatureCount()), b(DealFeatureCount());
  for (const auto& d : demo.data.deals) {
    const DealState s = StateAt(demo.data, d, cutoff);
    if (!s.exists || !s.open) continue;
    const DealRecord& v = view.deals.at(view_index.at(d.deal_id));
    const DealState sv = StateAt(view, v, cutoff);
    ASSERT_EQ(s.stage, sv.stage);
    bool later_stage = false;
    for (const auto& e : d.stages) later_stage |= e.at_ms >= cutoff && e.value != s.stage;
    moved_later += later_stage;
    DealFeatures(demo.data, full_outcomes, d, s, cutoff, a.data());
    DealFeatures(view, view_outcomes, v, sv, cutoff, b.data());
    for (size_t k = 0; k < a.size(); ++k)
      ASSERT_TRUE(SameFloat(a[k], b[k])) << "deal " << d.deal_id << " feature " << DealFeatureNames()[k];
    ++compared;
  }
  ASSERT_GT(moved_later, 20u) << "the test needs open deals whose stage changed after the cutoff";
  ASSERT_EQ(
      compared, view.deals.size() - [&] {
        size_t closed_or_gone = 0;
        for (const auto& d : view.deals) {
          const DealState s = StateAt(view, d, cutoff);
          closed_or_gone += !(s.exists && s.open);
        }
        return closed_or_gone;
      }());

  const ForecastOptions o = FastOptions();
  const CutoffForecast from_full = ForecastAt(demo.data, cutoff, o);
  const CutoffForecast from_view = ForecastAt(view, cutoff, o);
  ASSERT_EQ(from_full.deals.size(), from_view.deals.size());
  for (size_t i = 0; i < from_full.deals.size(); ++i) {
    EXPECT_EQ(from_full.deals[i].deal_id, from_view.deals[i].deal_id);
    EXPECT_DOUBLE_EQ(from_full.deals[i].p_win, from_view.deals[i].p_win) << from_full.deals[i].deal_id;
  }
  ASSERT_EQ(from_full.rows.size(), from_view.rows.size());
  for (size_t i = 0; i < from_full.rows.size(); ++i) {
    EXPECT_DOUBLE_EQ(from_full.rows[i].p50, from_view.rows[i].p50) << from_full.rows[i].slice.label;
    EXPECT_DOUBLE_EQ(from_full.rows[i].weighted_pipeline, from_view.rows[i].weighted_pipeline);
  }
}

// Too little history: the forecast refuses and says how much it needs.
TEST(ForecastRefusal, TooLittleHistorySaysWhatIsNeeded) {
  Demo& demo = SharedDemo();
  int64_t first = kNever;
  for (const auto& d : demo.data.deals) first = std::min(first, d.created_ms);
  const int64_t cutoff = first + 120 * kDayMs;
  const ForecastData view = TruncateAt(demo.data, cutoff);
  try {
    ForecastAt(view, cutoff, FastOptions());
    FAIL() << "expected InsufficientHistoryError";
  } catch (const InsufficientHistoryError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("at least 50 won and 50 lost deals"), std::string::npos) << m;
    EXPECT_NE(m.find("180 days"), std::string::npos) << m;
  }
  ForecastData early = demo.data;
  early.as_of_ms = cutoff;
  EXPECT_THROW(RunForecastOn(early, FastOptions()), InsufficientHistoryError);
}

// Truth recovery: the backtest beats HubSpot's weighted pipeline, its intervals are honest, per-deal win
// probabilities rank as well as the generator's own p_win, and the creation-rate growth is the planted one.
TEST(ForecastTruth, BacktestRecoversBookingsAndWinProbabilities) {
  Demo& demo = SharedDemo();
  ForecastOptions o = FastOptions();
  o.backtest = true;
  const ForecastReport r = RunForecastOn(demo.data, o);
  ASSERT_TRUE(r.backtest);
  const BacktestReport& b = *r.backtest;
  ASSERT_EQ(b.periods.size(), 4u);
  const MethodScore* rev = b.Score("total", "revlens");
  const MethodScore* wp = b.Score("total", "weighted_pipeline");
  ASSERT_TRUE(rev && wp);
  EXPECT_LT(rev->wape, 0.6 * wp->wape) << "revlens " << rev->wape << " weighted " << wp->wape;
  size_t covered = 0, n = 0;
  for (const auto& row : b.rows) {
    if (row.actual <= 0 && row.forecast.p90 <= 0) continue;
    ++n;
    covered += row.covered;
  }
  ASSERT_GT(n, 20u);
  const double coverage = static_cast<double>(covered) / static_cast<double>(n);
  EXPECT_GE(coverage, 0.6);
  EXPECT_LE(coverage, 0.97);

  // Every open deal of every cutoff, scored against how it ends (the truth knows the outcome of deals still open at
  // the as-of date; the backtest's own figures leave those out and says how many).
  std::map<int64_t, std::pair<double, int>> truth_p;
  for (const auto& d : demo.portal->Truth().at("deals"))
    truth_p[d.at("id").get<int64_t>()] = {d.at("p_win").get<double>(), d.at("won").get<bool>() ? 1 : 0};
  std::vector<double> ours, oracle;
  std::vector<int> y;
  size_t known = 0;
  for (const auto& d : b.deals) {
    const auto& [p_true, won] = truth_p.at(d.deal_id);
    ours.push_back(d.p_win);
    oracle.push_back(p_true);
    y.push_back(won);
    if (d.known) {
      ++known;
      EXPECT_EQ(d.won, won) << "deal " << d.deal_id;
    } else {
      EXPECT_EQ(d.won, 0) << "deal " << d.deal_id;
    }
  }
  EXPECT_EQ(known, b.deals_known);
  EXPECT_LT(known, b.deals.size());  // the latest cutoffs have deals still open today
  // The report says what ECE chance alone gives on as many snapshots (a few hundred here: a few points).
  EXPECT_GT(b.deal_ece_floor, 0.01);
  EXPECT_LT(b.deal_ece_floor, 0.08);
  const auto text = r.TextLines();
  EXPECT_TRUE(std::any_of(text.begin(), text.end(), [](const std::string& l) {
    return l.find("a calibrated model shows") != std::string::npos;
  }));
  ASSERT_GT(y.size(), 200u);
  EXPECT_GE(AucRoc(ours, y), AucRoc(oracle, y) - 0.05);
  EXPECT_LE(ExpectedCalibrationError(ours, y), 0.08);
  // Outcomes are predictable (the holdout AUC's interval lies above 0.5) and the deal features rank no worse than the
  // stage rates (by stage, days in stage and age). Whether they beat them with 95% confidence is a close call at this
  // size: on `demo` the paired gain is +0.01 to +0.03 AUC on ~285 holdout deals with an interval about +-0.05 wide
  // (seed 5: 0.729 vs 0.702, -0.022 to 0.077), so the check may keep the stage rates; when it does, it must say why.
  EXPECT_GT(r.current.model.holdout_auc_low, 0.5) << r.current.model.message;
  EXPECT_GE(r.current.model.holdout_auc, r.current.model.stage_auc) << r.current.model.message;
  if (r.current.model.method != "model") {
    EXPECT_NE(r.current.model.message.find("add nothing over the stage"), std::string::npos) << r.current.model.message;
  }

  NewDealModel fresh;
  const ForecastData now = TruncateAt(demo.data, demo.data.as_of_ms);
  fresh.Fit(now, now.as_of_ms);
  const double growth = demo.portal->Truth().at("growth").at("annual_contact_growth_log").get<double>();
  size_t nb = 0;
  while (nb < now.pipelines.size() && now.pipelines[nb] != "default") ++nb;
  ASSERT_LT(nb, now.pipelines.size());
  EXPECT_NEAR(fresh.GrowthPerYear(static_cast<int>(nb)), growth, 0.3);
}

// The current forecast: quantiles ordered, slices add up, per-deal probabilities consistent.
TEST(ForecastCurrent, SlicesAndDealsAreConsistent) {
  Demo& demo = SharedDemo();
  const ForecastReport r = RunForecastOn(demo.data, FastOptions(PeriodType::kMonth));
  ASSERT_EQ(r.current.periods.size(), 3u);
  EXPECT_EQ(r.current.periods[0].label, "2026-07");
  std::map<std::string, double> by_type_mean;
  for (const auto& row : r.current.rows) {
    EXPECT_LE(row.p10, row.p50);
    EXPECT_LE(row.p50, row.p90);
    if (row.period.label == "2026-07") by_type_mean[row.slice.type] += row.mean;
  }
  EXPECT_NEAR(by_type_mean["pipeline"], by_type_mean["total"], 1e-6 * by_type_mean["total"] + 1e-6);
  EXPECT_NEAR(by_type_mean["owner"], by_type_mean["total"], 1e-6 * by_type_mean["total"] + 1e-6);
  EXPECT_GT(by_type_mean["total"], 0);
  ASSERT_FALSE(r.current.deals.empty());
  for (const auto& d : r.current.deals) {
    double sum = 0;
    for (double p : d.p_close) {
      EXPECT_GE(p, -1e-12);
      sum += p;
    }
    EXPECT_LE(sum, d.p_win + 1e-9);
    EXPECT_LE(d.p_win, 1.0);
  }
}

// The Monte Carlo (draws in chunks on every core, owners of new deals from an alias table): a run repeats
// exactly with the same seed, and every period x slice's simulated mean agrees with its expectation (closed so far
// + expected from open deals + expected from new ones) within a few standard errors.
TEST(ForecastCurrent, MonteCarloRepeatsAndMatchesExpectations) {
  Demo& demo = SharedDemo();
  const ForecastOptions o = FastOptions();
  const ForecastReport a = RunForecastOn(demo.data, o), b = RunForecastOn(demo.data, o);
  ASSERT_EQ(a.current.rows.size(), b.current.rows.size());
  size_t checked = 0, owners = 0;
  for (size_t i = 0; i < a.current.rows.size(); ++i) {
    const ForecastRow& r = a.current.rows[i];
    EXPECT_EQ(r.p10, b.current.rows[i].p10);
    EXPECT_EQ(r.p50, b.current.rows[i].p50);
    EXPECT_EQ(r.p90, b.current.rows[i].p90);
    EXPECT_EQ(r.mean, b.current.rows[i].mean);
    if (!(r.p10 > r.closed_so_far)) continue;  // mass at zero: the P10-P90 spread says nothing about the spread
    // Standard error of the mean from the spread (P90 - P10 = 2.56 sd for a normal sum).
    const double se = (r.p90 - r.p10) / 2.56 / std::sqrt(static_cast<double>(o.draws));
    const double expected = r.closed_so_far + r.expected_open + r.expected_new;
    EXPECT_NEAR(r.mean, expected, 6 * se) << r.period.label << " " << r.slice.type << " " << r.slice.label;
    ++checked;
    owners += r.slice.type == "owner";
  }
  EXPECT_GT(checked, 20u);
  EXPECT_GT(owners, 10u);
}

// A portal with every planted effect off: deal features add nothing over the stage, so the forecast says so and
// uses stage conversion rates.
TEST(ForecastNoSignal, EffectsOffFallsBackToStageRates) {
  auto portal = BuiltPortal::Create("duckdb", TestPortalOptions("demo", 11, false));
  const ForecastData data = LoadForecastData(portal->Wh(), portal->ModelSchema());
  const ForecastReport r = RunForecastOn(data, FastOptions());
  EXPECT_EQ(r.current.model.method, "stage_rates") << r.current.model.message;
  EXPECT_NE(r.current.model.message.find("stage conversion rates"), std::string::npos);
}

// The deal model a forecast run stores (forecast_model_runs) predicts exactly as the one it trained: `revlens serve`
// re-predicts one deal with it when the deal's stage changes.
/// Holdout snapshots whose true calibration slope is `slope`: `deals` deals, each seen at `per_deal` snapshots
/// with one outcome, drawn at logit(truth) = slope * logit(score).
struct PlattSample {
  std::vector<double> p;
  std::vector<int> y;
  std::vector<size_t> deal;
};

PlattSample DrawPlattSample(size_t deals, size_t per_deal, double slope, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> score_logit(0, 1.5), drift(0, 0.2);
  std::uniform_real_distribution<double> u(0, 1);
  PlattSample s;
  for (size_t d = 0; d < deals; ++d) {
    const double z = score_logit(rng);
    const int won = u(rng) < 1 / (1 + std::exp(-slope * z)) ? 1 : 0;
    for (size_t k = 0; k < per_deal; ++k) {
      s.p.push_back(1 / (1 + std::exp(-(z + drift(rng)))));
      s.y.push_back(won);
      s.deal.push_back(d);
    }
  }
  return s;
}

TEST(ForecastCalibration, PlattSlopeIsShrunkTowardOneByTheDealsNotTheSnapshots) {
  // 5,000 deals seen once, true slope 0.5: the data outweighs the prior and the map finds the slope.
  const PlattSample many = DrawPlattSample(5000, 1, 0.5, 1);
  const auto found = FitPlattMap(many.p, many.y, many.deal, 0.1);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_NEAR(found[1], 0.5, 0.1);
  // 40 deals seen 25 times each (1,000 snapshots, 40 outcomes), same truth: too little to move a good score far.
  // Counted per snapshot, the same 1,000 rows would weigh like 1,000 deals and pull the slope to ~0.8.
  const PlattSample few = DrawPlattSample(40, 25, 0.5, 2);
  const auto shrunk = FitPlattMap(few.p, few.y, few.deal, 0.1);
  EXPECT_GT(shrunk[1], 0.85);
  EXPECT_LE(shrunk[1], 1.0);
  std::vector<size_t> distinct(few.deal.size());
  for (size_t i = 0; i < distinct.size(); ++i) distinct[i] = i;
  const auto as_rows = FitPlattMap(few.p, few.y, distinct, 0.1);
  EXPECT_LT(as_rows[1], shrunk[1] - 0.1);
  EXPECT_THROW(FitPlattMap(few.p, few.y, {1, 2}, 0.1), InvalidInputError);
  EXPECT_THROW(FitPlattMap(few.p, few.y, few.deal, 0.0), InvalidInputError);
}

TEST(ForecastModelArtifact, SaveThenLoadPredictsTheSame) {
  Demo& demo = SharedDemo();
  const ForecastData data = TruncateAt(demo.data, demo.data.as_of_ms);
  const int64_t cutoff = data.as_of_ms;
  const OutcomeIndex outcomes(data);
  DealModel model;
  model.Fit(data, outcomes, cutoff);
  const std::string artifact = model.Save();
  const DealModel loaded = DealModel::Load(artifact);
  EXPECT_EQ(loaded.Report().method, model.Report().method);
  EXPECT_EQ(loaded.Report().message, model.Report().message);
  EXPECT_TRUE(loaded.Codes() == model.Codes());
  EXPECT_TRUE(loaded.Codes() == FeatureCodes::Of(data));
  EXPECT_EQ(loaded.Save(), artifact) << "a loaded model saves to the same artifact";
  std::vector<size_t> open;
  std::vector<DealState> states;
  for (size_t i = 0; i < data.deals.size(); ++i) {
    DealState st = StateAt(data, data.deals[i], cutoff);
    if (!st.exists || !st.open) continue;
    open.push_back(i);
    states.push_back(st);
  }
  ASSERT_GT(open.size(), 50u);
  std::vector<int64_t> ends;
  const Period p0 = PeriodContaining(cutoff, PeriodType::kQuarter);
  for (int k = 0; k < 3; ++k) ends.push_back(ShiftPeriod(p0, PeriodType::kQuarter, k).end_ms);
  const auto a = model.Predict(data, outcomes, open, states, cutoff, ends);
  const auto b = loaded.Predict(data, outcomes, open, states, cutoff, ends);
  ASSERT_EQ(a.size(), b.size());
  double spread = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].p_win, b[i].p_win) << "deal " << data.deals[open[i]].deal_id;
    EXPECT_EQ(a[i].won_by, b[i].won_by) << "deal " << data.deals[open[i]].deal_id;
    spread = std::max(spread, std::abs(a[i].p_win - a[0].p_win));
  }
  EXPECT_GT(spread, 0.05) << "the predictions do not vary: the comparison proves nothing";
  EXPECT_THROW(DealModel::Load("{\"format\": \"something else\"}"), InvalidInputError);
  EXPECT_THROW(DealModel::Load("not json"), InvalidInputError);
}

// Data loaded after another build is recoded to the model's codes: every deal keeps its pipeline, attributes and
// technologies (by value), and values the model never saw become unknown.
TEST(ForecastModelArtifact, AlignCodesKeepsValues) {
  const ForecastData& d = SharedDemo().data;
  FeatureCodes codes = FeatureCodes::Of(d);
  for (auto* v : {&codes.pipelines, &codes.industry, &codes.size_band, &codes.seniority, &codes.source, &codes.tech})
    std::reverse(v->begin(), v->end());
  ASSERT_FALSE(codes.tech.empty());
  const std::string dropped = codes.tech.back();
  codes.tech.pop_back();
  ForecastData a = d;
  AlignCodes(a, codes);
  EXPECT_TRUE(FeatureCodes::Of(a) == codes);
  ASSERT_EQ(a.deals.size(), d.deals.size());
  const auto Name = [](const std::vector<std::string>& vocab, int code) {
    return code < 0 ? std::string() : vocab.at(static_cast<size_t>(code));
  };
  size_t lost_tech = 0;
  for (size_t i = 0; i < d.deals.size(); ++i) {
    const auto &x = d.deals[i], &y = a.deals[i];
    EXPECT_EQ(Name(d.pipelines, x.pipeline), Name(a.pipelines, y.pipeline));
    EXPECT_EQ(Name(d.industry_vocabulary, x.industry), Name(a.industry_vocabulary, y.industry));
    EXPECT_EQ(Name(d.size_band_vocabulary, x.size_band), Name(a.size_band_vocabulary, y.size_band));
    EXPECT_EQ(Name(d.seniority_vocabulary, x.seniority), Name(a.seniority_vocabulary, y.seniority));
    EXPECT_EQ(Name(d.source_vocabulary, x.lead_source),
              Name(a.source_vocabulary, y.lead_source));
    std::set<std::string> tx, ty;
    for (int t : x.tech)
      if (d.tech_vocabulary[static_cast<size_t>(t)] != dropped) tx.insert(d.tech_vocabulary[static_cast<size_t>(t)]);
      else ++lost_tech;
    for (int t : y.tech) ty.insert(a.tech_vocabulary[static_cast<size_t>(t)]);
    EXPECT_EQ(tx, ty);
  }
  EXPECT_GT(lost_tech, 0u) << "no deal had the dropped technology: the test proves nothing about it";
}

// The result tables, on DuckDB (the demo portal) and PostgreSQL (a smaller portal): written in one run,
// replaced by the next.
void CheckTables(warehouse::Warehouse& wh, const std::string& schema) {
  ForecastOptions o = FastOptions();
  o.schema = schema;
  o.write = true;
  o.backtest = true;
  o.backtest_periods = 2;
  o.run_id = "run-1";
  const ForecastReport r1 = RunForecast(wh, o);
  o.run_id = "run-2";
  const ForecastReport r2 = RunForecast(wh, o);
  const auto Q = [&](const std::string& t) { return warehouse::Warehouse::QualifiedName(schema, t); };
  for (const char* t : {"deal_predictions", "forecast", "forecast_backtest"}) {
    const auto rs = wh.Query(std::string("SELECT count(*), count(DISTINCT run_id), min(run_id) FROM ") + Q(t));
    EXPECT_GT(warehouse::AsInt64(rs.rows[0][0]), 0) << t;
    EXPECT_EQ(warehouse::AsInt64(rs.rows[0][1]), 1) << t;
    EXPECT_EQ(warehouse::AsString(rs.rows[0][2]), "run-2") << t;
  }
  const auto n =
      wh.Query("SELECT count(*), sum(CASE WHEN p_win BETWEEN 0 AND 1 THEN 1 ELSE 0 END) FROM " + Q("deal_predictions"));
  EXPECT_EQ(warehouse::AsInt64(n.rows[0][0]), static_cast<int64_t>(r2.current.deals.size()));
  EXPECT_EQ(warehouse::AsInt64(n.rows[0][1]), static_cast<int64_t>(r2.current.deals.size()));
  const auto t = wh.Query("SELECT period, p10, p50, p90 FROM " + Q("forecast") +
                          " WHERE slice_type = 'total' ORDER BY period_start");
  ASSERT_EQ(t.RowCount(), r1.current.periods.size());
  for (const auto& row : t.rows) {
    EXPECT_LE(warehouse::AsDouble(row[1]), warehouse::AsDouble(row[2]));
    EXPECT_LE(warehouse::AsDouble(row[2]), warehouse::AsDouble(row[3]));
  }
  const auto bt = wh.Query("SELECT count(DISTINCT period) FROM " + Q("forecast_backtest"));
  EXPECT_EQ(warehouse::AsInt64(bt.rows[0][0]), static_cast<int64_t>(r2.backtest->periods.size()));
  // The deal model of each run is appended to forecast_model_runs; the latest one is run-2's.
  const auto runs = wh.Query("SELECT run_id, method FROM " + Q("forecast_model_runs") + " ORDER BY trained_at");
  ASSERT_GE(runs.RowCount(), 2u);
  EXPECT_EQ(warehouse::AsString(runs.rows[runs.RowCount() - 1][0]), "run-2");
  EXPECT_EQ(warehouse::AsString(runs.rows[runs.RowCount() - 1][1]), r2.current.model.method);
  const auto stored = LatestDealModel(wh, schema);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->run_id, "run-2");
  EXPECT_EQ(stored->cutoff_ms, r2.current.cutoff_ms);
  ASSERT_EQ(stored->periods.size(), r2.current.periods.size());
  EXPECT_EQ(stored->periods.back().end_ms, r2.current.periods.back().end_ms);
  EXPECT_EQ(stored->model->Report().method, r2.current.model.method);
}

TEST(ForecastTables, DuckDb) {
  Demo& demo = SharedDemo();
  CheckTables(demo.portal->Wh(), demo.portal->ModelSchema());
}

TEST(ForecastTables, Postgres) {
  auto options = TestPortalOptions("small", 5);
  options.deals = 900;
  auto portal = BuiltPortal::Create("postgres", options);
  if (!portal) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  CheckTables(portal->Wh(), portal->ModelSchema());
}

}  // namespace
}  // namespace revlens::insights
