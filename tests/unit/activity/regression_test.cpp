// The regressions behind `revlens activity`: known coefficients recovered from simulated data, standard errors
// that match the spread of estimates, weighted rows equal to repeated rows, and the ridge keeping a separable
// column finite.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/errors.hpp"
#include "insights/activity.hpp"

namespace revlens::insights {
namespace {

struct Simulated {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

/// y ~ Bernoulli(sigmoid(b0 + b1·binary + b2·normal + b3·indicator)).
Simulated SimulateLogistic(size_t n, const std::vector<double>& beta, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution half(0.4), rare(0.15);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  Simulated s;
  for (size_t i = 0; i < n; ++i) {
    const std::vector<double> row = {half(rng) ? 1.0 : 0.0, normal(rng), rare(rng) ? 1.0 : 0.0};
    double eta = beta[0];
    for (size_t j = 0; j < row.size(); ++j) eta += beta[j + 1] * row[j];
    s.y.push_back(u(rng) < 1 / (1 + std::exp(-eta)) ? 1.0 : 0.0);
    s.x.push_back(row);
  }
  return s;
}

TEST(ActivityRegression, LogisticRecoversKnownCoefficients) {
  const std::vector<double> beta = {-0.7, 0.79, -0.4, 0.5};
  const Simulated s = SimulateLogistic(40000, beta, 11);
  const RegressionFit fit = FitLogistic(s.x, s.y);
  ASSERT_TRUE(fit.converged);
  ASSERT_EQ(fit.coefficients.size(), 4u);
  for (size_t j = 0; j < beta.size(); ++j) {
    EXPECT_GT(fit.std_errors[j], 0);
    EXPECT_LT(fit.std_errors[j], 0.06);
    EXPECT_NEAR(fit.coefficients[j], beta[j], 3.5 * fit.std_errors[j]) << j;
  }
}

TEST(ActivityRegression, LogisticIntervalsCoverAtTheirLevel) {
  // 200 replications: the 95% Wald interval of the binary column's coefficient covers the truth about 95% of
  // the time (binomial 95% band for 200 draws: 180-197).
  const std::vector<double> beta = {-1.0, 0.79, 0.3, 0.0};
  int covered = 0;
  for (uint64_t rep = 0; rep < 200; ++rep) {
    const Simulated s = SimulateLogistic(1500, beta, 100 + rep);
    const RegressionFit fit = FitLogistic(s.x, s.y);
    covered += std::fabs(fit.coefficients[1] - beta[1]) <= 1.959964 * fit.std_errors[1];
  }
  EXPECT_GE(covered, 180);
  EXPECT_LE(covered, 198);
}

TEST(ActivityRegression, WeightsEqualRepeatedRows) {
  const Simulated s = SimulateLogistic(600, {0.2, -0.5, 0.3, 0.8}, 3);
  Simulated doubled = s;
  doubled.x.insert(doubled.x.end(), s.x.begin(), s.x.end());
  doubled.y.insert(doubled.y.end(), s.y.begin(), s.y.end());
  const RegressionFit a = FitLogistic(doubled.x, doubled.y);
  const RegressionFit b = FitLogisticWeighted(s.x, s.y, std::vector<double>(s.x.size(), 2.0));
  for (size_t j = 0; j < 4; ++j) {
    EXPECT_NEAR(a.coefficients[j], b.coefficients[j], 1e-8);
    EXPECT_NEAR(a.std_errors[j], b.std_errors[j], 1e-8);
  }
}

TEST(ActivityRegression, RidgeKeepsASeparableColumnFinite) {
  // The third column is 1 only on successes: the unpenalised estimate runs off to infinity.
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (int i = 0; i < 200; ++i) {
    const double yi = i % 3 == 0 ? 1.0 : 0.0;
    x.push_back({static_cast<double>(i % 2), yi > 0 && i % 2 == 0 ? 1.0 : 0.0});
    y.push_back(yi);
  }
  const RegressionFit fit = FitLogistic(x, y, {0.0, 1.0});
  EXPECT_TRUE(fit.converged);
  for (double b : fit.coefficients) EXPECT_TRUE(std::isfinite(b));
  EXPECT_GT(fit.coefficients[2], 1.0);
  EXPECT_LT(fit.coefficients[2], 10.0);
}

TEST(ActivityRegression, LinearRecoversKnownCoefficients) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal(0, 1);
  std::bernoulli_distribution half(0.5);
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (int i = 0; i < 5000; ++i) {
    const double a = half(rng) ? 1.0 : 0.0, b = normal(rng);
    x.push_back({a, b});
    y.push_back(3.5 + std::log(0.8) * a + 0.2 * b + 0.5 * normal(rng));
  }
  const RegressionFit fit = FitLinear(x, y);
  EXPECT_NEAR(fit.coefficients[0], 3.5, 4 * fit.std_errors[0]);
  EXPECT_NEAR(fit.coefficients[1], std::log(0.8), 4 * fit.std_errors[1]);
  EXPECT_NEAR(fit.coefficients[2], 0.2, 4 * fit.std_errors[2]);
  EXPECT_NEAR(fit.std_errors[1], 0.5 * std::sqrt(1.0 / 2500 + 1.0 / 2500), 0.002);
  EXPECT_NEAR(fit.residual_variance, 0.25, 0.02);
}

TEST(ActivityRegression, RejectsMismatchedInput) {
  EXPECT_THROW(FitLogistic({}, {}), InvalidInputError);
  EXPECT_THROW(FitLogistic({{1.0}, {0.0}}, {1.0}), InvalidInputError);
  EXPECT_THROW(FitLogistic({{1.0}, {0.0, 1.0}}, {1.0, 0.0}), InvalidInputError);
  EXPECT_THROW(FitLogisticWeighted({{1.0}, {0.0}}, {1.0, 0.0}, {1.0}), InvalidInputError);
  EXPECT_THROW(FitLinear({{1.0}}, {}), InvalidInputError);
}

}  // namespace
}  // namespace revlens::insights
