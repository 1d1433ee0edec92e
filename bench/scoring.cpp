// Lead scoring's figures (issue 6): on the `demo` portal, the time-ordered holdout AUC beside the oracle's (the
// ground truth's p_convert_90d on the same holdout contacts), calibration error and the share of conversions tiers
// A+B capture; training time on the `large` portal (200k contacts); scoring time for 1M contacts (the demo portal's
// encoded live contacts tiled to a million rows, every score and its three reasons).
//
//   bench_scoring [--seed 42] [--skip-large] [--skip-demo] [--rows 1000000]
#include "insights/scoring.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "insights/lead_model.hpp"
#include "insights/metrics.hpp"
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

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 42;
  bool large = true, demo_part = true;
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
    else if (!std::strcmp(argv[i], "--sweep") && i + 1 < argc)
      sweep = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: bench_scoring [--seed N] [--skip-large] [--skip-demo] [--rows N] [--sweep eta,eta,...]\n");
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
    auto demo = revlens::testing::BuiltPortal::Create("duckdb", revlens::testing::TestPortalOptions("demo", seed));
    std::printf("demo portal (seed %llu) generated, synced and built in %.1f s\n",
                static_cast<unsigned long long>(seed), Since(t0));
    ScoringOptions o;
    o.model_schema = demo->ModelSchema();
    o.progress = progress;
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
      const auto& tcs = demo->Truth().at("contacts");
      std::map<int64_t, double> pt;
      for (size_t i = 0; i < tcs.at("id").size(); ++i)
        pt[tcs.at("id")[i].get<int64_t>()] = tcs.at("p_convert_90d")[i].get<double>();
      std::vector<double> sm, so_;
      std::vector<int> sy;
      for (const auto& h : sr.holdout) {
        const auto it = pt.find(h.contact_id);
        if (it == pt.end()) continue;
        sm.push_back(h.score);
        so_.push_back(it->second);
        sy.push_back(h.label);
      }
      const auto sd = AucDeLongPaired(sm, so_, sy);
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
                "model - oracle", d.diff, d.ci.low, d.ci.high, y.size(),
                static_cast<int>(std::count(y.begin(), y.end(), 1)));
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
