// Lead scoring's figures (issue 6): on the `demo` portal, the time-ordered holdout AUC beside the oracle's (the
// ground truth's p_convert_90d on the same holdout contacts), calibration error and the share of conversions tiers
// A+B capture; training time on the `large` portal (200k contacts); scoring time for 1M contacts (the demo portal's
// encoded live contacts tiled to a million rows, every score and its three reasons).
//
//   bench_scoring [--seed 42] [--skip-large] [--rows 1000000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "insights/metrics.hpp"
#include "insights/scoring.hpp"
#include "portal_fixture.hpp"

namespace {

using revlens::insights::AucDeLongPaired;
using revlens::insights::RunLeadScoring;
using revlens::insights::ScoringOptions;
using revlens::insights::ScoringReport;

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

const char* Verdict(bool ok) { return ok ? "met" : "NOT MET"; }

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 42;
  bool large = true;
  size_t rows = 1000000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--skip-large")) large = false;
    else if (!std::strcmp(argv[i], "--rows") && i + 1 < argc) rows = std::strtoull(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: bench_scoring [--seed N] [--skip-large] [--rows N]\n");
      return 2;
    }
  }
  int failures = 0;

  // 1. Accuracy on the demo portal against the oracle.
  auto t0 = std::chrono::steady_clock::now();
  auto demo = revlens::testing::BuiltPortal::Create("duckdb", revlens::testing::TestPortalOptions("demo", seed));
  std::printf("demo portal (seed %llu) generated, synced and built in %.1f s\n", static_cast<unsigned long long>(seed),
              Since(t0));
  ScoringOptions o;
  o.model_schema = demo->ModelSchema();
  const ScoringReport rep = RunLeadScoring(demo->Wh(), o);
  std::printf("%s", rep.Text().c_str());
  const auto& tc = demo->Truth().at("contacts");
  std::map<int64_t, double> p_true;
  for (size_t i = 0; i < tc.at("id").size(); ++i)
    p_true[tc.at("id")[i].get<int64_t>()] = tc.at("p_convert_90d")[i].get<double>();
  std::vector<double> model, oracle;
  std::vector<int> y;
  for (const auto& h : rep.holdout) {
    const auto it = p_true.find(h.contact_id);
    if (it == p_true.end()) continue;  // a duplicate contact the truth does not model
    model.push_back(h.score);
    oracle.push_back(it->second);
    y.push_back(h.label);
  }
  const auto d = AucDeLongPaired(model, oracle, y);
  const bool auc_ok = d.auc_a >= d.auc_b - 0.02;
  const bool ece_ok = rep.likelihood.ece <= 0.03;
  const bool cap_ok = rep.likelihood.tiers_ab_capture >= 0.80;
  std::printf("\n%-48s %12s %12s %10s\n", "demo portal, time-ordered holdout", "revlens", "target", "");
  std::printf("%-48s %12.4f %12s %10s\n", "AUC-ROC (oracle on the same contacts below)", d.auc_a, ">= oracle-0.02",
              Verdict(auc_ok));
  std::printf("%-48s %12.4f\n", "oracle AUC (truth p_convert_90d)", d.auc_b);
  std::printf("%-48s %+12.4f  95%% CI %+.4f to %+.4f (DeLong, paired; %zu contacts, %d conversions)\n",
              "model - oracle", d.diff, d.ci.low, d.ci.high, y.size(), static_cast<int>(std::count(y.begin(), y.end(), 1)));
  std::printf("%-48s %12.4f %12s %10s\n", "expected calibration error", rep.likelihood.ece, "<= 0.03", Verdict(ece_ok));
  std::printf("%-48s %11.1f%% %12s %10s\n", "conversions captured by tiers A+B", 100 * rep.likelihood.tiers_ab_capture,
              ">= 80%", Verdict(cap_ok));
  std::printf("%-48s %11.1f%%\n", "contacts in tiers A+B", 100 * rep.likelihood.tiers_ab_share);
  failures += !auc_ok + !ece_ok + !cap_ok;

  // 2. Scoring a million contacts: the demo portal's encoded live contacts, tiled.
  {
    auto model_ptr = revlens::insights::LatestLeadModel(demo->Wh(), demo->ModelSchema());
    const auto enc = revlens::insights::EncodeLiveContacts(demo->Wh(), demo->ModelSchema(), *model_ptr);
    revlens::insights::FeatureMatrix big(rows, enc.x.cols);
    for (size_t r = 0; r < rows; ++r) {
      const float* src = &enc.x.values[(r % enc.x.rows) * enc.x.cols];
      std::copy(src, src + enc.x.cols, &big.values[r * big.cols]);
    }
    for (auto mode : {revlens::insights::ReasonMode::kAuto}) {
      const auto t = std::chrono::steady_clock::now();
      const auto scores = revlens::insights::ScoreLeads(*model_ptr, big, mode);
      const double s = Since(t);
      const bool ok = s <= 10.0;
      failures += !ok;
      std::printf("\n%-48s %11.2fs %12s %10s  (%zu rows, 3 scores + 3 reasons each, %s reasons; e.g. \"%s\")\n",
                  "score 1M contacts", s, "<= 10 s", Verdict(ok), scores.size(),
                  rows > 200000 ? "approximate" : "exact", scores.empty() ? "" : scores[0].reasons.c_str());
    }
  }
  demo.reset();

  // 3. Training on the large portal.
  if (large) {
    t0 = std::chrono::steady_clock::now();
    auto big = revlens::testing::BuiltPortal::Create("duckdb", revlens::testing::TestPortalOptions("large", seed));
    std::printf("\nlarge portal generated, synced and built in %.1f s\n", Since(t0));
    ScoringOptions ol;
    ol.model_schema = big->ModelSchema();
    const auto tr = std::chrono::steady_clock::now();
    const ScoringReport lr = RunLeadScoring(big->Wh(), ol);
    const double total = Since(tr);
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
