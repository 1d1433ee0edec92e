// Metrics with known values: AUC and DeLong's standard error, PR-AUC, Brier, ECE, isotonic calibration (PAV),
// lift, capture, population stability index.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/errors.hpp"
#include "insights/metrics.hpp"

namespace revlens::insights {
namespace {

TEST(Metrics, AucAndDeLongOnAHandExample) {
  // Positives 0.35 and 0.8, negatives 0.1 and 0.4: 3 of 4 pairs ordered, V10 = {0.5, 1}, V01 = {1, 0.5}.
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<int> y = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(AucRoc(s, y), 0.75);
  const auto e = AucDeLong(s, y);
  EXPECT_DOUBLE_EQ(e.auc, 0.75);
  EXPECT_NEAR(e.se, std::sqrt(0.125), 1e-12);  // var(V10)/2 + var(V01)/2 = 0.0625 + 0.0625
  EXPECT_EQ(e.positives, 2);
  EXPECT_EQ(e.negatives, 2);
  EXPECT_LT(e.ci.low, 0.5);  // two positives cannot exclude chance
}

TEST(Metrics, AucTiesCountOneHalfAndDegenerateInputs) {
  EXPECT_DOUBLE_EQ(AucRoc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(AucRoc({1, 2, 3}, {1, 1, 0}), 0.0);
  EXPECT_TRUE(std::isnan(AucRoc({1, 2}, {0, 0})));
  EXPECT_THROW(AucRoc({1, 2}, {0}), InvalidInputError);
}

TEST(Metrics, DeLongIntervalCoversTheTruthAndShrinksWithData) {
  // Two normals one standard deviation apart: AUC = Phi(1 / sqrt(2)) = 0.7602.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n01;
  std::vector<double> s;
  std::vector<int> y;
  for (int i = 0; i < 4000; ++i) {
    const int label = i % 4 == 0;
    s.push_back(n01(rng) + label);
    y.push_back(label);
  }
  const auto e = AucDeLong(s, y);
  EXPECT_NEAR(e.auc, 0.7602, 0.02);
  EXPECT_LT(e.ci.low, 0.7602);
  EXPECT_GT(e.ci.high, 0.7602);
  EXPECT_LT(e.se, 0.01);
  // Paired: a score against itself differs by exactly zero; against noise it is clearly better.
  const auto same = AucDeLongPaired(s, s, y);
  EXPECT_DOUBLE_EQ(same.diff, 0.0);
  std::vector<double> noise(s.size());
  for (auto& v : noise) v = n01(rng);
  const auto better = AucDeLongPaired(s, noise, y);
  EXPECT_GT(better.ci.low, 0.15);
}

TEST(Metrics, PrAucBrierLiftCapture) {
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<int> y = {0, 0, 1, 1};
  // Ranked: 0.8 (pos, precision 1), 0.4 (neg), 0.35 (pos, precision 2/3): AP = (1 + 2/3) / 2.
  EXPECT_NEAR(PrAuc(s, y), (1.0 + 2.0 / 3.0) / 2.0, 1e-12);
  EXPECT_NEAR(Brier({0.1, 0.4, 0.35, 0.8}, y), (0.01 + 0.16 + 0.4225 + 0.04) / 4, 1e-12);
  std::vector<double> score(100);
  std::vector<int> label(100, 0);
  for (int i = 0; i < 100; ++i) score[static_cast<size_t>(i)] = i;
  for (int i : {99, 98, 97, 10, 5}) label[static_cast<size_t>(i)] = 1;  // 3 of 5 in the top 10
  EXPECT_NEAR(TopDecileLift(score, label), (3.0 / 5.0) / 0.1, 1e-12);
  EXPECT_NEAR(CaptureAtShare(score, label, 0.5), 3.0 / 5.0, 1e-12);
  EXPECT_NEAR(CaptureAtShare(score, label, 1.0), 1.0, 1e-12);
  // A tie straddling the cut counts pro rata.
  EXPECT_NEAR(CaptureAtShare({1, 1, 1, 1}, {1, 0, 0, 0}, 0.5), 0.5, 1e-12);
}

TEST(Metrics, ExpectedCalibrationError) {
  // Two equal-count bins: predictions 0.1 with 1 of 10 positive (gap 0), 0.5 with 8 of 10 (gap 0.3).
  std::vector<double> p;
  std::vector<int> y;
  for (int i = 0; i < 10; ++i) {
    p.push_back(0.1);
    y.push_back(i == 0);
  }
  for (int i = 0; i < 10; ++i) {
    p.push_back(0.5);
    y.push_back(i < 8);
  }
  EXPECT_NEAR(ExpectedCalibrationError(p, y, 2), 0.5 * 0.0 + 0.5 * 0.3, 1e-12);
}

TEST(Metrics, CalibratedEceFloorShrinksWithTheRows) {
  // Predictions spread over (0, 1): on 300 rows chance alone gives an ECE of a few points, on 100,000 almost none
  // (it falls like 1 / sqrt(rows per bin)); the same seed repeats the figure.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.02, 0.98);
  std::vector<double> small(300), large(100000);
  for (auto& v : small) v = u(rng);
  for (auto& v : large) v = u(rng);
  const double f_small = CalibratedEceFloor(small), f_large = CalibratedEceFloor(large, 20);
  EXPECT_GT(f_small, 0.03);
  EXPECT_LT(f_small, 0.07);
  EXPECT_LT(f_large, 0.006);
  EXPECT_DOUBLE_EQ(CalibratedEceFloor(small), f_small);
  EXPECT_TRUE(std::isnan(CalibratedEceFloor({})));
}

TEST(Metrics, IsotonicPoolsAdjacentViolators) {
  IsotonicCalibrator c;
  c.Fit({1, 2, 3, 4, 5}, {1, 0, 1, 0, 1});
  // Blocks: {1,2} -> 0.5, {3,4} -> 0.5, {5} -> 1.
  EXPECT_DOUBLE_EQ(c.Apply(0.0), 0.5);
  EXPECT_DOUBLE_EQ(c.Apply(1.5), 0.5);
  EXPECT_DOUBLE_EQ(c.Apply(4.5), 0.75);  // between the knots (4, 0.5) and (5, 1)
  EXPECT_DOUBLE_EQ(c.Apply(9.0), 1.0);
  // Monotone on random data, and the JSON round trip keeps it.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u;
  std::vector<double> s;
  std::vector<int> y;
  for (int i = 0; i < 2000; ++i) {
    s.push_back(u(rng));
    y.push_back(u(rng) < s.back() * s.back());
  }
  c.Fit(s, y);
  const auto back = IsotonicCalibrator::FromJson(c.ToJson());
  double last = -1;
  for (double x = 0; x <= 1.0; x += 0.01) {
    EXPECT_GE(c.Apply(x), last);
    last = c.Apply(x);
    EXPECT_DOUBLE_EQ(back.Apply(x), c.Apply(x));
  }
  EXPECT_NEAR(c.Apply(0.7), 0.49, 0.1);
  // Calibrating fixes a miscalibrated score: ECE falls.
  std::vector<double> raw(s.size());
  for (size_t i = 0; i < s.size(); ++i) raw[i] = s[i];
  EXPECT_LT(ExpectedCalibrationError(c.Apply(raw), y), ExpectedCalibrationError(raw, y));
}

TEST(Metrics, PopulationStabilityIndex) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n01;
  std::vector<double> a, b, shifted;
  for (int i = 0; i < 20000; ++i) {
    a.push_back(n01(rng));
    b.push_back(n01(rng));
    shifted.push_back(n01(rng) + 0.8);
  }
  const auto ref = MakePsiReference(a);
  EXPECT_EQ(ref.cuts.size(), 9u);
  EXPECT_LT(PopulationStabilityIndex(ref, b), 0.01);
  EXPECT_GT(PopulationStabilityIndex(ref, shifted), 0.2);
  // Discrete values keep one bin each; missing values have their own bin.
  const auto flags = MakePsiReference({0, 0, 1, 1, NAN, NAN});
  EXPECT_EQ(flags.cuts.size(), 1u);
  EXPECT_NEAR(PopulationStabilityIndex(flags, {0, 0, 1, 1, NAN, NAN}), 0.0, 1e-12);
  const auto back = PsiReference::FromJson(ref.ToJson());
  EXPECT_DOUBLE_EQ(PopulationStabilityIndex(back, shifted), PopulationStabilityIndex(ref, shifted));
}

}  // namespace
}  // namespace revlens::insights
