// Lead scoring's figures (issue 6): on the `demo` portal, the time-ordered holdout AUC beside the oracle's (the
// ground truth's p_convert_90d on the same holdout contacts), calibration error and the share of conversions tiers
// A+B capture; training time on the `large` portal (200k contacts); scoring time for 1M contacts (the demo portal's
// encoded live contacts tiled to a million rows, every score and its three reasons).
//
//   bench_scoring [--seed 42] [--skip-large] [--skip-demo] [--rows 1000000] [--diagnose] [--baseline] [--no-effects]
//
// --diagnose prints where the gap to the oracle comes from (see Diagnose); --baseline scores the way revlens did
// before the segment feature and the linear blend (trees alone), for before/after figures; --no-effects generates the
// demo portal with every planted effect off (the model should then say "No signal").
#include "insights/scoring.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "insights/lead_model.hpp"
#include "insights/metrics.hpp"
#include "insights/stats.hpp"
#include "portal_fixture.hpp"

namespace {

using revlens::insights::AucDeLongPaired;
using revlens::insights::RunLeadScoring;
using revlens::insights::ScoringOptions;
using revlens::insights::ScoringReport;

/// CPU seconds of the whole process (every thread): on a shared machine the wall time depends on the load, this
/// does not (on 2 idle cores, wall ~ CPU / 2 for the threaded parts).
double CpuSeconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

/// The 1-minute load average, printed beside timings.
double Load() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : 0.0;
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// Boosting rounds kept per sub-model ("likelihood 120, fit 80, engagement 60").
std::string ModelRounds(const revlens::insights::LeadModel& m) {
  std::string out;
  for (const auto& sub : m.models)
    out += (out.empty() ? "" : ", ") + sub.name + " " + std::to_string(sub.booster.Rounds());
  return out;
}

const char* Verdict(bool ok) {
  return ok ? "met" : "NOT MET";
}

/// The truth's p_convert_90d by contact id.
std::map<int64_t, double> TrueProbabilities(const nlohmann::json& truth) {
  const auto& tc = truth.at("contacts");
  std::map<int64_t, double> p;
  for (size_t i = 0; i < tc.at("id").size(); ++i)
    p[tc.at("id")[i].get<int64_t>()] = tc.at("p_convert_90d")[i].get<double>();
  return p;
}

/// The run's holdout AUC against the oracle's (`p_true`) on the same contacts (duplicates, which the truth does not
/// model, left out); `contacts` and `conversions` count them.
revlens::insights::AucDifference VersusOracle(const ScoringReport& rep, const std::map<int64_t, double>& p_true,
                                              size_t* contacts = nullptr, int* conversions = nullptr) {
  std::vector<double> model, oracle;
  std::vector<int> y;
  for (const auto& h : rep.holdout) {
    const auto it = p_true.find(h.contact_id);
    if (it == p_true.end()) continue;
    model.push_back(h.score);
    oracle.push_back(it->second);
    y.push_back(h.label);
  }
  if (contacts) *contacts = y.size();
  if (conversions) *conversions = static_cast<int>(std::count(y.begin(), y.end(), 1));
  return AucDeLongPaired(model, oracle, y);
}

/// `--diagnose`: where the gap to the oracle comes from. Reproduces revlens score's labels and time-ordered split
/// (customer within 90 days, calibration 15%, holdout the latest 25%), compares lead_features' inputs with the
/// truth's own, and fits plain ridge logistic regressions on the same training rows: on the truth's observable
/// inputs (the ceiling a learner reaches from observable data at this sample size), the same plus the latent intent,
/// and on lead_features' versions of those inputs. Reads the truth: a benchmark's tool, never the product's.
void Diagnose(revlens::testing::BuiltPortal& p) {
  using revlens::insights::AucRoc;
  const auto d = revlens::insights::LoadLeadData(p.Wh(), p.ModelSchema());
  const auto& truth = p.Truth();
  const auto& tc = truth.at("contacts");
  struct TruthRow {
    std::string seniority, function, segment;
    double response_h = -1, p_convert = 0, p_opp = 0, intent = 0;
    int usage14 = 0;
  };
  std::map<int64_t, std::string> company_segment;
  const auto& tco = truth.at("companies");
  for (size_t i = 0; i < tco.at("id").size(); ++i)
    company_segment[tco.at("id")[i].get<int64_t>()] = tco.at("segment")[i].get<std::string>();
  std::map<int64_t, TruthRow> t;
  for (size_t i = 0; i < tc.at("id").size(); ++i) {
    TruthRow r;
    r.seniority = tc.at("seniority")[i].get<std::string>();
    r.function = tc.at("function")[i].get<std::string>();
    r.response_h = tc.at("first_response_hours")[i].get<double>();
    r.p_convert = tc.at("p_convert_90d")[i].get<double>();
    r.p_opp = tc.at("p_opportunity")[i].get<double>();
    r.intent = tc.at("latent_intent")[i].get<double>();
    r.usage14 = tc.at("usage_active_days_14")[i].get<int>();
    const auto co = tc.at("company_id")[i].get<int64_t>();
    r.segment = co ? company_segment[co] : "";
    t[tc.at("id")[i].get<int64_t>()] = r;
  }
  // Labels and split as RunLeadScoring's defaults; rows without a truth row (duplicates) are left out.
  const int64_t window_ms = 90LL * 86400000LL;
  std::vector<size_t> labeled;
  std::vector<int> y_of(d.Rows(), -1);
  for (size_t r = 0; r < d.Rows(); ++r) {
    if (d.created_ms[r] < 0 || d.created_ms[r] + window_ms > d.as_of_end_ms) continue;
    const int64_t out = d.customer_ms[r];
    if (out >= 0 && out <= d.prediction_ms[r]) continue;
    y_of[r] = (out >= 0 && out <= d.created_ms[r] + window_ms) ? 1 : 0;
    labeled.push_back(r);
  }
  const size_t n = labeled.size();
  const auto n_test = static_cast<size_t>(std::llround(0.25 * static_cast<double>(n)));
  const auto n_cal = static_cast<size_t>(std::llround(0.15 * static_cast<double>(n)));
  const size_t n_train = n - n_test - n_cal;
  std::printf("\ndiagnosis: %zu matured contacts (train %zu, calibrate %zu, holdout %zu); %lld conversions\n", n,
              n_train, n_cal, n_test, static_cast<long long>(std::count(y_of.begin(), y_of.end(), 1)));
  // 1. lead_features' inputs against the truth's.
  size_t with_truth = 0, sen_ok = 0, fn_ok = 0, usage_ok = 0, inbound = 0, touch_seen = 0, slow_ok = 0, seg_rows = 0;
  std::map<std::string, std::set<std::string>> industry_spellings;
  size_t no_industry = 0, no_employees = 0, seg_seen = 0;
  for (size_t r : labeled) {
    const auto it = t.find(d.id[r]);
    if (it == t.end()) continue;
    const TruthRow& tr = it->second;
    ++with_truth;
    sen_ok += d.Text(r, "seniority") == tr.seniority;
    fn_ok += d.Text(r, "job_function") == tr.function;
    usage_ok += static_cast<int>(d.Num(r, "usage_active_days")) == tr.usage14;
    if (tr.response_h >= 0) {
      ++inbound;
      const double h = d.Num(r, "first_touch_hours");
      touch_seen += !std::isnan(h);
      slow_ok += (std::isnan(h) ? true : h > 24) == (tr.response_h > 24);
    }
    if (!tr.segment.empty()) {
      ++seg_rows;
      industry_spellings[tr.segment].insert(d.Text(r, "company_industry"));
      no_industry += d.Text(r, "company_industry").empty();
      seg_seen += !d.Text(r, "company_segment").empty();
      no_employees += std::isnan(d.Num(r, "company_employees"));
    }
  }
  auto pct = [](size_t a, size_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  std::printf("  seniority as the truth's %.1f%%, function %.1f%%, usage days in the first 14 %.1f%% (of %zu)\n",
              pct(sen_ok, with_truth), pct(fn_ok, with_truth), pct(usage_ok, with_truth), with_truth);
  std::printf(
      "  inbound leads %zu: first touch seen before the prediction time %.1f%%, slow (> 24 h) flag right %.1f%%\n",
      inbound, pct(touch_seen, inbound), pct(slow_ok, inbound));
  std::printf(
      "  contacts in a planted segment %zu: industry blank %.1f%%, employees blank %.1f%%, company_segment set "
      "%.1f%%; industry spellings:",
      seg_rows, pct(no_industry, seg_rows), pct(no_employees, seg_rows), pct(seg_seen, seg_rows));
  for (const auto& [seg, sp] : industry_spellings) std::printf(" %s %zu;", seg.c_str(), sp.size());
  std::printf("\n");

  // 2. Ridge logistic regressions on the same split.
  auto onehot = [](std::vector<double>& x, const std::vector<std::string>& levels, const std::string& v) {
    for (const auto& l : levels) x.push_back(v == l ? 1.0 : 0.0);
  };
  const std::vector<std::string> segs = {"mid_market_software", "enterprise_financial_services", "smb_retail",
                                         "education"};
  const std::vector<std::string> sens = {"c_level", "vp", "director", "manager", "student"};
  const std::vector<std::string> fns = {"marketing", "sales", "revenue_operations", "engineering", "finance",
                                        "it",        "hr"};
  const std::vector<std::string> srcs = {"ORGANIC_SEARCH", "PAID_SEARCH",     "EMAIL_MARKETING", "SOCIAL_MEDIA",
                                         "REFERRALS",      "OTHER_CAMPAIGNS", "DIRECT_TRAFFIC",  "OFFLINE"};
  auto shared = [&](std::vector<double>& x, size_t r) {
    onehot(x, srcs, d.Text(r, "original_source"));
    x.push_back(d.Num(r, "created_by_import"));
    const double v = d.Num(r, "web_visits");
    x.push_back(std::log1p(std::min(200.0, std::isnan(v) ? 0.0 : v)));
    const double f = d.Num(r, "form_submissions");
    x.push_back(std::min(5.0, std::isnan(f) ? 0.0 : f));
  };
  // mask_segment: the truth's segment only where the CRM shows the company's industry and size (the others' is
  // unknowable from the data).
  bool mask_segment = false;
  auto truth_inputs = [&](size_t r, const TruthRow& tr, bool intent) {
    std::vector<double> x;
    onehot(x, segs, mask_segment && d.Text(r, "company_segment").empty() ? std::string() : tr.segment);
    onehot(x, sens, tr.seniority);
    onehot(x, fns, tr.function);
    shared(x, r);
    x.push_back(tr.usage14);
    x.push_back(tr.response_h > 24 ? 1.0 : 0.0);
    x.push_back(tr.response_h > 0 ? tr.response_h / 24.0 : 0.0);
    if (intent) x.push_back(tr.intent);
    return x;
  };
  // How product_inputs shows the segment and the first response: the planted cells and a "> 24 h" flag (the truth's
  // own shapes), or, as the product must, every industry × size cell seen in training and the hours alone.
  bool every_cell = false, slow_flag = true;
  std::vector<std::string> cells;
  {
    std::set<std::string> seen;
    for (size_t k = 0; k < n_train; ++k) {
      const std::string seg = d.Text(labeled[k], "company_segment");
      if (!seg.empty()) seen.insert(seg);
    }
    cells.assign(seen.begin(), seen.end());
  }
  auto product_inputs = [&](size_t r, const TruthRow&, bool extra) {
    std::vector<double> x;
    // The planted segments as lead_features' company_segment shows them (industry with admins' spellings mapped,
    // by employee band).
    const std::string seg = d.Text(r, "company_segment");
    const std::string ind = seg.substr(0, seg.find(", "));
    const double e = d.Num(r, "company_employees");
    const int band = std::isnan(e) ? -1 : e <= 10 ? 0 : e <= 50 ? 1 : e <= 200 ? 2 : e <= 1000 ? 3 : e <= 5000 ? 4 : 5;
    if (every_cell) {
      onehot(x, cells, seg);
    } else {
      x.push_back(ind == "computer software" && (band == 2 || band == 3));
      x.push_back(ind == "financial services" && band >= 4);
      x.push_back(ind == "retail" && (band == 0 || band == 1));
      x.push_back(ind == "education management");
    }
    onehot(x, sens, d.Text(r, "seniority"));
    onehot(x, fns, d.Text(r, "job_function"));
    shared(x, r);
    x.push_back(d.Num(r, "usage_active_days"));
    const double h = d.Num(r, "first_touch_hours");
    if (slow_flag) x.push_back(!std::isnan(h) && h > 24 ? 1.0 : 0.0);
    x.push_back(std::isnan(h) ? 0.0 : std::min(h, 14 * 24.0) / 24.0);
    if (extra) {
      for (const char* c :
           {"web_page_views", "email_opens", "email_clicks", "usage_logins", "usage_key_feature_uses"}) {
        const double v = d.Num(r, c);
        x.push_back(std::log1p(std::isnan(v) ? 0.0 : v));
      }
    }
    return x;
  };
  // in_sample: fitted on every matured contact, the holdout included (no estimation noise left to speak of: what
  // the inputs could give with far more data).
  auto fit = [&](const char* name, auto&& design, bool flag, bool with_cal, bool in_sample = false) {
    std::vector<std::vector<double>> xtr;
    std::vector<int> ytr;
    std::vector<double> score, oracle;
    std::vector<int> yte;
    for (size_t k = 0; k < n; ++k) {
      const size_t r = labeled[k];
      const auto it = t.find(d.id[r]);
      if (it == t.end()) continue;
      if (in_sample || k < n_train + (with_cal ? n_cal : 0)) {
        xtr.push_back(design(r, it->second, flag));
        ytr.push_back(y_of[r]);
      }
    }
    revlens::insights::RidgeLogistic lr(1.0);
    lr.Fit(xtr, ytr);
    for (size_t k = n_train + n_cal; k < n; ++k) {
      const size_t r = labeled[k];
      const auto it = t.find(d.id[r]);
      if (it == t.end()) continue;
      score.push_back(lr.PredictProbability(design(r, it->second, flag)));
      oracle.push_back(it->second.p_convert);
      yte.push_back(y_of[r]);
    }
    const auto diff = AucDeLongPaired(score, oracle, yte);
    std::printf("  %-62s holdout AUC %.4f (oracle %.4f, gap %+.4f)\n", name, diff.auc_a, diff.auc_b, diff.diff);
  };
  fit("logistic, truth's inputs (no AE), train slice", truth_inputs, false, false);
  fit("logistic, truth's inputs (no AE), train + calibration slices", truth_inputs, false, true);
  fit("logistic, truth's inputs + latent intent, train slice", truth_inputs, true, false);
  mask_segment = true;
  fit("logistic, truth's inputs, segment only where the CRM shows it, train", truth_inputs, false, false);
  fit("logistic, the same, fitted on every row (in-sample)", truth_inputs, false, true, true);
  mask_segment = false;
  fit("logistic, truth's inputs (no AE), fitted on every row (in-sample)", truth_inputs, false, true, true);
  fit("logistic, truth's inputs + intent, fitted on every row (in-sample)", truth_inputs, true, true, true);
  {
    std::vector<double> po, pc;
    std::vector<int> yy;
    for (size_t k = n_train + n_cal; k < n; ++k) {
      const auto it = t.find(d.id[labeled[k]]);
      if (it == t.end()) continue;
      po.push_back(it->second.p_opp);
      pc.push_back(it->second.p_convert);
      yy.push_back(y_of[labeled[k]]);
    }
    std::printf("  %-62s holdout AUC %.4f (p_convert_90d %.4f)\n", "truth's p_opportunity alone", AucRoc(po, yy),
                AucRoc(pc, yy));
  }
  fit("logistic, lead_features' versions of those inputs, train slice", product_inputs, false, false);
  slow_flag = false;
  fit("logistic, the same without the > 24 h flag (hours only), train slice", product_inputs, false, false);
  every_cell = true;
  fit("logistic, the same with every segment cell, not the planted ones", product_inputs, false, false);
  slow_flag = true;
  fit("logistic, every segment cell, with the > 24 h flag, train slice", product_inputs, false, false);
  every_cell = false;
  fit("logistic, lead_features' inputs + other counters, train slice", product_inputs, true, false);
  fit("logistic, lead_features' inputs + other counters, train + calibration", product_inputs, true, true);
  // What the prediction time adds beyond the truth's: by day 14 part of the conversion process has happened (the
  // deal opened), which p_convert_90d, a probability as of creation, integrates over. lead_features leaves
  // lifecycle stages out by design; this shows what they would be worth.
  {
    size_t opp = 0, opp_conv = 0;
    std::vector<double> flag;
    std::vector<int> yy;
    for (size_t k = 0; k < n; ++k) {
      const size_t r = labeled[k];
      const bool is_opp = d.opp_ms[r] >= 0 && d.opp_ms[r] <= d.prediction_ms[r];
      opp += is_opp;
      opp_conv += is_opp && y_of[r];
      if (k >= n_train + n_cal) {
        flag.push_back(is_opp ? 1.0 : 0.0);
        yy.push_back(y_of[r]);
      }
    }
    std::printf(
        "  already an opportunity at the prediction time: %zu matured contacts, %zu of them converted; that "
        "flag alone ranks the holdout with AUC %.4f\n",
        opp, opp_conv, AucRoc(flag, yy));
  }

  // 3. The product's own model under a few booster settings (blend on), same split.
  const auto p_true = TrueProbabilities(truth);
  struct Setting {
    const char* name;
    int depth;
    double mcw, lambda, eta;
    bool blend;
  };
  for (const Setting& st :
       {Setting{"trees alone, depth 3 (before)", 3, 2, 2, 0.1, false},
        Setting{"trees alone, depth 2", 2, 2, 2, 0.1, false}, Setting{"blend, depth 3 (default)", 3, 2, 2, 0.1, true},
        Setting{"blend, depth 2", 2, 2, 2, 0.1, true},
        Setting{"blend, depth 2, min_child_weight 5, lambda 5", 2, 5, 5, 0.1, true},
        Setting{"blend, depth 4, min_child_weight 5", 4, 5, 2, 0.1, true},
        Setting{"blend, depth 3, eta 0.05", 3, 2, 2, 0.05, true}}) {
    ScoringOptions so;
    so.model_schema = p.ModelSchema();
    so.linear_blend = st.blend;
    so.gbm.max_depth = st.depth;
    so.gbm.min_child_weight = st.mcw;
    so.gbm.reg_lambda = st.lambda;
    so.gbm.learning_rate = st.eta;
    const ScoringReport sr = RunLeadScoring(p.Wh(), so);
    const auto diff = VersusOracle(sr, p_true);
    std::printf("  %-62s holdout AUC %.4f (gap %+.4f), ECE %.4f, A+B %.1f%%, fit %.3f, engagement %.3f\n", st.name,
                diff.auc_a, diff.diff, sr.likelihood.ece, 100 * sr.likelihood.tiers_ab_capture, sr.fit.auc.auc,
                sr.engagement.auc.auc);
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 42;
  bool large = true, demo_part = true, diagnose = false, baseline = false, effects = true;
  std::string sweep;  // comma-separated learning rates to compare on the demo portal (AUC, rounds, CPU time)
  size_t rows = 1000000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc)
      seed = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--skip-large"))
      large = false;
    else if (!std::strcmp(argv[i], "--skip-demo"))
      demo_part = false;
    else if (!std::strcmp(argv[i], "--rows") && i + 1 < argc)
      rows = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--diagnose"))
      diagnose = true;
    else if (!std::strcmp(argv[i], "--baseline"))
      baseline = true;
    else if (!std::strcmp(argv[i], "--no-effects"))
      effects = false;
    else if (!std::strcmp(argv[i], "--sweep") && i + 1 < argc)
      sweep = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: bench_scoring [--seed N] [--skip-large] [--skip-demo] [--rows N] [--sweep eta,eta,...] "
                   "[--diagnose] [--baseline] [--no-effects]\n");
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int failures = 0;
  const auto bench_start = std::chrono::steady_clock::now();
  auto progress = [&](const std::string& line) {
    std::fprintf(stderr, "[%7.1f s] %s\n", Since(bench_start), line.c_str());
  };

  auto t0 = std::chrono::steady_clock::now();
  if (demo_part) {
    // 1. Accuracy on the demo portal against the oracle.
    auto demo =
        revlens::testing::BuiltPortal::Create("duckdb", revlens::testing::TestPortalOptions("demo", seed, effects));
    std::printf("demo portal (seed %llu) generated, synced and built in %.1f s\n",
                static_cast<unsigned long long>(seed), Since(t0));
    if (diagnose) Diagnose(*demo);
    ScoringOptions o;
    o.model_schema = demo->ModelSchema();
    o.progress = progress;
    if (baseline) {
      // The model before the segment feature and the linear blend, for before/after figures on any seed.
      o.linear_blend = false;
      demo->Wh().Execute("ALTER TABLE " + demo->T("lead_features") + " DROP COLUMN company_segment");
    }
    for (size_t pos = 0; pos < sweep.size();) {
      size_t end = sweep.find(',', pos);
      if (end == std::string::npos) end = sweep.size();
      ScoringOptions so = o;
      so.progress = nullptr;
      so.gbm.learning_rate = std::stod(sweep.substr(pos, end - pos));
      pos = end + 1;
      const double cpu = CpuSeconds();
      const ScoringReport sr = RunLeadScoring(demo->Wh(), so);
      const double cpu_s = CpuSeconds() - cpu;
      const auto sd = VersusOracle(sr, TrueProbabilities(demo->Truth()));
      std::string rounds;
      if (auto mp = revlens::insights::LatestLeadModel(demo->Wh(), demo->ModelSchema())) rounds = ModelRounds(*mp);
      std::printf(
          "sweep eta %.3f: AUC %.4f (oracle %.4f, fit %.4f, engagement %.4f), ECE %.4f, A+B capture %.1f%%, "
          "rounds %s, train %.2f s wall, score %.2f s wall, CPU %.2f s\n",
          so.gbm.learning_rate, sd.auc_a, sd.auc_b, sr.fit.auc.auc, sr.engagement.auc.auc, sr.likelihood.ece,
          100 * sr.likelihood.tiers_ab_capture, rounds.c_str(), sr.train_seconds, sr.score_seconds, cpu_s);
    }
    const ScoringReport rep = RunLeadScoring(demo->Wh(), o);
    std::printf("%s", rep.Text().c_str());
    size_t holdout_contacts = 0;
    int holdout_conversions = 0;
    const auto d = VersusOracle(rep, TrueProbabilities(demo->Truth()), &holdout_contacts, &holdout_conversions);
    const bool auc_ok = d.auc_a >= d.auc_b - 0.02;
    const bool ece_ok = rep.likelihood.ece <= 0.03;
    const bool cap_ok = rep.likelihood.tiers_ab_capture >= 0.80;
    std::printf("\n%-48s %12s %12s %10s\n", "demo portal, time-ordered holdout", "revlens", "target", "");
    std::printf("%-48s %12.4f %12s %10s\n", "AUC-ROC (oracle on the same contacts below)", d.auc_a, ">= oracle-0.02",
                Verdict(auc_ok));
    std::printf("%-48s %12.4f\n", "oracle AUC (truth p_convert_90d)", d.auc_b);
    std::printf("%-48s %+12.4f  95%% CI %+.4f to %+.4f (DeLong, paired; %zu contacts, %d conversions)\n",
                "model - oracle", d.diff, d.ci.low, d.ci.high, holdout_contacts, holdout_conversions);
    std::printf("%-48s %12.4f %12s %10s\n", "expected calibration error", rep.likelihood.ece, "<= 0.03",
                Verdict(ece_ok));
    std::printf("%-48s %11.1f%% %12s %10s\n", "conversions captured by tiers A+B",
                100 * rep.likelihood.tiers_ab_capture, ">= 80%", Verdict(cap_ok));
    std::printf("%-48s %11.1f%%\n", "contacts in tiers A+B", 100 * rep.likelihood.tiers_ab_share);
    failures += !auc_ok + !ece_ok + !cap_ok;
    if (auto mp = revlens::insights::LatestLeadModel(demo->Wh(), demo->ModelSchema()))
      std::printf("%-48s %s (learning rate %.2f)\n", "boosting rounds kept", ModelRounds(*mp).c_str(),
                  o.gbm.learning_rate);
    const bool demo_score_ok = rep.score_seconds <= 1.0;
    failures += !demo_score_ok;
    std::printf("%-48s %11.2fs %12s %10s  (%lld contacts, exact TreeSHAP reasons)\n", "score the demo's live contacts",
                rep.score_seconds, "<= 1 s", Verdict(demo_score_ok), static_cast<long long>(rep.scored));

    // 2. Scoring a million contacts: the demo portal's encoded live contacts, tiled.
    {
      auto model_ptr = revlens::insights::LatestLeadModel(demo->Wh(), demo->ModelSchema());
      auto te = std::chrono::steady_clock::now();
      double ce = CpuSeconds();
      const auto enc = revlens::insights::EncodeLiveContacts(demo->Wh(), demo->ModelSchema(), *model_ptr);
      std::printf("%-48s %11.2fs  (CPU %.2f s, load %.1f)\n", "read + encode the demo's live contacts", Since(te),
                  CpuSeconds() - ce, Load());
      te = std::chrono::steady_clock::now();
      ce = CpuSeconds();
      const auto demo_scores = revlens::insights::ScoreLeads(*model_ptr, enc.x, revlens::insights::ReasonMode::kExact);
      std::printf("%-48s %11.2fs  (CPU %.2f s, load %.1f; %zu contacts, 3 scores + 3 exact TreeSHAP reasons each)\n",
                  "score the demo's encoded contacts", Since(te), CpuSeconds() - ce, Load(), demo_scores.size());
      revlens::insights::FeatureMatrix big(rows, enc.x.cols);
      for (size_t r = 0; r < rows; ++r) {
        const float* src = &enc.x.values[(r % enc.x.rows) * enc.x.cols];
        std::copy(src, src + enc.x.cols, &big.values[r * big.cols]);
      }
      for (auto mode : {revlens::insights::ReasonMode::kAuto}) {
        const auto t = std::chrono::steady_clock::now();
        const double cpu = CpuSeconds();
        const auto scores = revlens::insights::ScoreLeads(*model_ptr, big, mode);
        const double s = Since(t), cpu_s = CpuSeconds() - cpu;
        const bool ok = s <= 10.0;
        failures += !ok;
        std::printf(
            "\n%-48s %11.2fs %12s %10s  (%zu rows, 3 scores + 3 reasons each, %s reasons; CPU %.2f s, "
            "load %.1f; e.g. \"%s\")\n",
            "score 1M contacts", s, "<= 10 s", Verdict(ok), scores.size(), rows > 200000 ? "approximate" : "exact",
            cpu_s, Load(), scores.empty() ? "" : scores[0].reasons.c_str());
      }
      // The linear blend's share of that: the same model with its linear parts switched off.
      const auto art = demo->Wh().Query("SELECT artifact FROM " + demo->T("model_runs") +
                                        " WHERE artifact IS NOT NULL ORDER BY trained_at DESC LIMIT 1");
      auto trees_only = revlens::insights::LeadModel::FromArtifact(revlens::warehouse::AsString(art.rows[0][0]));
      for (auto& sub : trees_only->models) sub.linear = revlens::insights::LinearPart();
      const auto t = std::chrono::steady_clock::now();
      const double cpu = CpuSeconds();
      const auto plain = revlens::insights::ScoreLeads(*trees_only, big, revlens::insights::ReasonMode::kAuto);
      std::printf("%-48s %11.2fs  (CPU %.2f s, load %.1f; %zu rows)\n", "the same without the linear blend", Since(t),
                  CpuSeconds() - cpu, Load(), plain.size());
    }
    demo.reset();
  }

  // 3. Training on the large portal.
  if (large) {
    t0 = std::chrono::steady_clock::now();
    auto big = revlens::testing::BuiltPortal::Create("duckdb", revlens::testing::TestPortalOptions("large", seed));
    std::printf("\nlarge portal generated, synced and built in %.1f s\n", Since(t0));
    ScoringOptions ol;
    ol.model_schema = big->ModelSchema();
    ol.progress = progress;
    if (baseline) {
      ol.linear_blend = false;
      big->Wh().Execute("ALTER TABLE " + big->T("lead_features") + " DROP COLUMN company_segment");
    }
    const auto tr = std::chrono::steady_clock::now();
    const double cpu = CpuSeconds();
    const ScoringReport lr = RunLeadScoring(big->Wh(), ol);
    const double total = Since(tr), cpu_s = CpuSeconds() - cpu;
    if (auto mp = revlens::insights::LatestLeadModel(big->Wh(), big->ModelSchema()))
      std::printf("%-48s %s\n", "boosting rounds kept", ModelRounds(*mp).c_str());
    std::printf("%-48s %.2f s (whole run; load %.1f)\n", "CPU time", cpu_s, Load());
    std::printf("%s", lr.Text().c_str());
    const bool ok = lr.train_seconds + (total - lr.train_seconds - lr.score_seconds) <= 30.0;
    failures += !ok;
    std::printf("%-48s %11.2fs %12s %10s  (read + train + evaluate; scoring %zu contacts %.2f s; whole run %.2f s)\n",
                "train on large (200k contacts)", total - lr.score_seconds, "<= 30 s", Verdict(ok),
                static_cast<size_t>(lr.scored), lr.score_seconds, total);
  }
  std::printf("\n%d target(s) not met\n", failures);
  return failures == 0 ? 0 : 1;
}
