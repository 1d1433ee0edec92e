#include "insights/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/errors.hpp"

namespace revlens::insights {
namespace {

TEST(WilsonInterval, MatchesPublishedValues) {
  // 81 of 263 at 95%: Wilson interval 0.2553-0.3662 (Newcombe 1998, table I style check).
  const auto ci = WilsonInterval(81, 263);
  EXPECT_NEAR(ci.low, 0.2553, 5e-4);
  EXPECT_NEAR(ci.high, 0.3662, 5e-4);
  const auto zero = WilsonInterval(0, 10);
  EXPECT_DOUBLE_EQ(zero.low, 0.0);
  EXPECT_NEAR(zero.high, 0.2775, 5e-4);
  const auto none = WilsonInterval(0, 0);
  EXPECT_DOUBLE_EQ(none.low, 0.0);
  EXPECT_DOUBLE_EQ(none.high, 1.0);
}

TEST(BenjaminiHochberg, AdjustsAndControlsInInputOrder) {
  const std::vector<double> p = {0.04, 0.001, 0.03, 0.5, 0.012};
  const auto adj = BenjaminiHochbergAdjusted(p);
  // Sorted: 0.001 (k1) 0.012 (k2) 0.03 (k3) 0.04 (k4) 0.5 (k5) -> 0.005, 0.03, 0.05, 0.05, 0.5.
  EXPECT_NEAR(adj[1], 0.005, 1e-12);
  EXPECT_NEAR(adj[4], 0.03, 1e-12);
  EXPECT_NEAR(adj[2], 0.05, 1e-12);
  EXPECT_NEAR(adj[0], 0.05, 1e-12);
  EXPECT_NEAR(adj[3], 0.5, 1e-12);
  const auto d = BenjaminiHochberg(p, 0.05);
  EXPECT_EQ(d, (std::vector<bool>{true, true, true, false, true}));
  const auto strict = BenjaminiHochberg(p, 0.01);
  EXPECT_EQ(strict, (std::vector<bool>{false, true, false, false, false}));
}

// Reference values: exact sums over the hypergeometric support in rational arithmetic (Python's fractions),
// which is what R's fisher.test reports for these tables.
TEST(FisherExactTwoSided, MatchesExactEnumeration) {
  EXPECT_NEAR(FisherExactTwoSided(3, 1, 1, 3), 0.4857142857142857, 1e-12);  // Fisher's tea-tasting table
  EXPECT_NEAR(FisherExactTwoSided(1, 9, 11, 3), 0.0027594561852200836, 1e-12);
  EXPECT_NEAR(FisherExactTwoSided(10, 20, 30, 40), 0.5044757698516282, 1e-10);
  EXPECT_NEAR(FisherExactTwoSided(0, 5, 5, 0), 0.007936507936507936, 1e-12);
  EXPECT_NEAR(FisherExactTwoSided(25, 75, 200, 400), 0.10623596625976552, 1e-9);
  EXPECT_NEAR(FisherExactTwoSided(60, 40, 300, 600) / 2.8835243512690576e-07, 1.0, 1e-6);
  // Symmetric in rows and in columns.
  EXPECT_NEAR(FisherExactTwoSided(1, 9, 11, 3), FisherExactTwoSided(11, 3, 1, 9), 1e-14);
  EXPECT_NEAR(FisherExactTwoSided(1, 9, 11, 3), FisherExactTwoSided(9, 1, 3, 11), 1e-14);
  // Empty margins carry no evidence.
  EXPECT_DOUBLE_EQ(FisherExactTwoSided(0, 0, 5, 7), 1.0);
  EXPECT_DOUBLE_EQ(FisherExactTwoSided(0, 4, 0, 7), 1.0);
  EXPECT_DOUBLE_EQ(FisherExactTwoSided(5, 5, 5, 5), 1.0);
  EXPECT_THROW(FisherExactTwoSided(-1, 2, 3, 4), InvalidInputError);
}

TEST(FisherExactTwoSided, AgreesWithBruteForceOnRandomTables) {
  // Brute force: sum the probabilities (log-gamma) of every table at most as likely as the observed one.
  auto brute = [](int64_t a, int64_t b, int64_t c, int64_t d) {
    const int64_t n = a + b, r = a + c, total = a + b + c + d;
    auto lchoose = [](int64_t x, int64_t k) {
      return std::lgamma(static_cast<double>(x + 1)) - std::lgamma(static_cast<double>(k + 1)) -
             std::lgamma(static_cast<double>(x - k + 1));
    };
    auto pmf = [&](int64_t k) { return std::exp(lchoose(r, k) + lchoose(total - r, n - k) - lchoose(total, n)); };
    const double observed = pmf(a) * (1 + 1e-7);
    double p = 0;
    for (int64_t k = std::max<int64_t>(0, n + r - total); k <= std::min(n, r); ++k)
      if (pmf(k) <= observed) p += pmf(k);
    return std::min(1.0, p);
  };
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> cell(0, 60);
  for (int i = 0; i < 300; ++i) {
    const int64_t a = cell(rng), b = cell(rng), c = cell(rng) * 3, d = cell(rng) * 3;
    const double expected = brute(a, b, c, d);
    EXPECT_NEAR(FisherExactTwoSided(a, b, c, d), expected, 1e-9 + 1e-6 * expected)
        << a << " " << b << " " << c << " " << d;
  }
}

TEST(TwoProportionZTest, MatchesTheFormula) {
  // 30/100 vs 20/100: pooled 0.25, z = 1.63299, two-sided p = erfc(z / sqrt 2) = 0.1024704.
  EXPECT_NEAR(TwoProportionZTest(30, 100, 20, 100), 0.1024704348597495, 1e-9);
  EXPECT_NEAR(TwoProportionZTest(20, 100, 30, 100), 0.1024704348597495, 1e-9);
  EXPECT_DOUBLE_EQ(TwoProportionZTest(0, 10, 0, 20), 1.0);
  EXPECT_DOUBLE_EQ(TwoProportionZTest(3, 0, 2, 10), 1.0);
  // Close to Fisher's exact test on a large table.
  EXPECT_NEAR(TwoProportionZTest(250, 1000, 2800, 10000), FisherExactTwoSided(250, 750, 2800, 7200), 0.01);
}

TEST(WelchTTest, MatchesPublishedExample) {
  // Wikipedia's "Welch's t-test" example A1 vs A2: t = -2.455, df = 24.99, p = 0.02138 (reference computed with
  // the regularized incomplete beta).
  const std::vector<double> a1 = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                                  21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
  const std::vector<double> a2 = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                                  24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
  const auto m1 = SampleMoments(a1), m2 = SampleMoments(a2);
  EXPECT_EQ(m1.n, 15);
  EXPECT_NEAR(m1.mean, 20.82, 1e-12);
  EXPECT_NEAR(m1.variance, 7.867428571428574, 1e-10);
  EXPECT_NEAR(m2.variance, 3.812666666666668, 1e-10);
  EXPECT_NEAR(WelchTTest(m1, m2), 0.021378001462866728, 1e-8);
  EXPECT_NEAR(WelchTTest(m2, m1), 0.021378001462866728, 1e-8);
  EXPECT_DOUBLE_EQ(WelchTTest(SampleMoments({1.0}), m2), 1.0);
  EXPECT_DOUBLE_EQ(WelchTTest(SampleMoments({2, 2, 2}), SampleMoments({2, 2})), 1.0);
  EXPECT_DOUBLE_EQ(WelchTTest(SampleMoments({2, 2, 2}), SampleMoments({3, 3})), 0.0);
}

TEST(RidgeLogistic, RecoversGroupLogOddsWithoutPenalty) {
  // One binary feature, no penalty: the MLE is the log-odds of each group (20/100 and 60/100).
  std::vector<std::vector<double>> x;
  std::vector<int> y;
  for (int i = 0; i < 100; ++i) {
    x.push_back({0.0});
    y.push_back(i < 20 ? 1 : 0);
  }
  for (int i = 0; i < 100; ++i) {
    x.push_back({1.0});
    y.push_back(i < 60 ? 1 : 0);
  }
  RidgeLogistic unpenalised(0.0);
  unpenalised.Fit(x, y);
  EXPECT_TRUE(unpenalised.State().converged);
  EXPECT_NEAR(unpenalised.State().intercept, std::log(0.2 / 0.8), 1e-8);
  EXPECT_NEAR(unpenalised.State().coefficients.at(0), std::log(0.6 / 0.4) - std::log(0.2 / 0.8), 1e-8);
  EXPECT_NEAR(unpenalised.PredictProbability({1.0}), 0.6, 1e-9);
  EXPECT_NEAR(unpenalised.PredictProbability({0.0}), 0.2, 1e-9);
  // A penalty shrinks the coefficient toward 0 but keeps its sign.
  RidgeLogistic ridge(50.0);
  ridge.Fit(x, y);
  EXPECT_GT(ridge.State().coefficients.at(0), 0.0);
  EXPECT_LT(ridge.State().coefficients.at(0), unpenalised.State().coefficients.at(0));
}

TEST(RidgeLogistic, AnOffsetCarriesTheLogOddsAndTheCoefficientsMeasureTheDeparture) {
  // Outcomes drawn at log-odds 0.8 * z with z as the offset: the free fit finds the coefficient of z at -0.2 (the
  // departure from the offset's 1), a strong penalty pulls it to the offset alone, and the intercept stays ~0.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0, 1.5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::vector<double>> x;
  std::vector<double> offset;
  std::vector<int> y;
  for (int i = 0; i < 20000; ++i) {
    const double z = normal(rng);
    x.push_back({z});
    offset.push_back(z);
    y.push_back(u(rng) < 1 / (1 + std::exp(-0.8 * z)) ? 1 : 0);
  }
  RidgeLogistic free_fit(0.0);
  free_fit.Fit(x, y, {}, offset);
  EXPECT_TRUE(free_fit.State().converged);
  EXPECT_NEAR(free_fit.State().coefficients.at(0), -0.2, 0.05);
  EXPECT_NEAR(free_fit.State().intercept, 0.0, 0.05);
  RidgeLogistic pinned(1e7);
  pinned.Fit(x, y, {}, offset);
  EXPECT_NEAR(pinned.State().coefficients.at(0), 0.0, 1e-3);
  EXPECT_THROW(free_fit.Fit(x, y, {}, {1.0}), InvalidInputError);
  offset[7] = std::nan("");
  EXPECT_THROW(free_fit.Fit(x, y, {}, offset), InvalidInputError);
}

TEST(RidgeLogistic, StaysFiniteOnSeparableAndDuplicatedFeatures) {
  // Feature 0 separates the outcome perfectly and feature 1 duplicates it: without a penalty the MLE is infinite.
  std::vector<std::vector<double>> x;
  std::vector<int> y;
  for (int i = 0; i < 40; ++i) {
    const double f = i % 2;
    x.push_back({f, f});
    y.push_back(static_cast<int>(f));
  }
  RidgeLogistic ridge(1.0);
  ridge.Fit(x, y);
  EXPECT_TRUE(ridge.State().converged);
  EXPECT_TRUE(std::isfinite(ridge.State().coefficients[0]));
  EXPECT_NEAR(ridge.State().coefficients[0], ridge.State().coefficients[1], 1e-8);
  EXPECT_GT(ridge.PredictProbability({1, 1}), 0.85);
  EXPECT_LT(ridge.PredictProbability({0, 0}), 0.15);
  EXPECT_THROW(ridge.Fit({}, {}), InvalidInputError);
  EXPECT_THROW(ridge.Fit({{1.0}, {1.0, 2.0}}, {0, 1}), InvalidInputError);
  EXPECT_THROW(RidgeLogistic(-1.0), InvalidInputError);
}

}  // namespace
}  // namespace revlens::insights
