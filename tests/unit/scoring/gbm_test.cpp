// The XGBoost estimator: learns a known signal, early stopping, contributions that add up to the margin, save and
// load to bytes, errors with XGBoost's own message.
#include "insights/gbm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/errors.hpp"
#include "insights/metrics.hpp"

namespace revlens::insights {
namespace {

/// y ~ Bernoulli(sigmoid(2 x0 - x1)); x2 is noise; x0 missing for one row in ten.
void MakeData(size_t n, uint64_t seed, FeatureMatrix* x, std::vector<float>* y, std::vector<double>* p) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01;
  std::uniform_real_distribution<double> u;
  *x = FeatureMatrix(n, 3);
  y->assign(n, 0);
  p->assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const double a = n01(rng), b = n01(rng), c = n01(rng);
    (*p)[i] = 1 / (1 + std::exp(-(2 * a - b)));
    (*y)[i] = u(rng) < (*p)[i] ? 1.0f : 0.0f;
    x->At(i, 0) = i % 10 == 0 ? NAN : static_cast<float>(a);
    x->At(i, 1) = static_cast<float>(b);
    x->At(i, 2) = static_cast<float>(c);
  }
}

std::vector<int> Ints(const std::vector<float>& y) {
  return std::vector<int>(y.begin(), y.end());
}

TEST(Gbm, LearnsAKnownSignalAndStopsEarly) {
  FeatureMatrix x, xv, xt;
  std::vector<float> y, yv, yt;
  std::vector<double> p, pv, pt;
  MakeData(4000, 1, &x, &y, &p);
  MakeData(1000, 2, &xv, &yv, &pv);
  MakeData(2000, 3, &xt, &yt, &pt);
  GbmParams params;
  params.max_rounds = 1000;
  params.learning_rate = 0.3;
  params.early_stopping_rounds = 20;
  GbmClassifier m(params);
  m.Fit(x, y, &xv, &yv);
  EXPECT_LT(m.Rounds(), 1000);  // stopped early
  EXPECT_GT(m.Rounds(), 1);
  const auto pred = m.Predict(xt);
  std::vector<double> d(pred.begin(), pred.end());
  const double oracle = AucRoc(pt, Ints(yt));
  EXPECT_GT(AucRoc(d, Ints(yt)), oracle - 0.03);
  for (float v : pred) {
    EXPECT_GT(v, 0.0f);
    EXPECT_LT(v, 1.0f);
  }
}

TEST(Gbm, ContributionsAddUpToTheMarginAndFavourTheSignal) {
  FeatureMatrix x;
  std::vector<float> y;
  std::vector<double> p;
  MakeData(3000, 4, &x, &y, &p);
  GbmClassifier m;
  m.Fit(x, y);
  const auto margin = m.PredictMargin(x);
  for (bool approximate : {false, true}) {
    const auto c = m.PredictContributions(x, approximate);
    ASSERT_EQ(c.width, 4u);
    double imp[3] = {0, 0, 0};
    for (size_t r = 0; r < c.rows; ++r) {
      double s = 0;
      for (size_t j = 0; j < c.width; ++j) s += c.At(r, j);
      EXPECT_NEAR(s, margin[r], 1e-3);
      for (size_t j = 0; j < 3; ++j) imp[j] += std::fabs(c.At(r, j));
    }
    EXPECT_GT(imp[0], imp[1]);      // coefficient 2 beats 1
    EXPECT_GT(imp[1], 3 * imp[2]);  // noise matters least
  }
}

// The hand-written tree tables (TreeEnsemble) against XGBoost's own contributions: Saabas and exact TreeSHAP per
// feature to 1e-4, margins too, on depth-3 trees (exact tables) and depth-5 trees (XGBoost's exact path).
TEST(Gbm, TreeTablesEqualXgboostContributions) {
  FeatureMatrix x;
  std::vector<float> y;
  std::vector<double> p;
  MakeData(3000, 6, &x, &y, &p);
  for (int depth : {3, 5}) {
    GbmParams params;
    params.max_rounds = 60;
    params.max_depth = depth;
    params.learning_rate = 0.2;
    GbmClassifier m(params);
    m.Fit(x, y);
    EXPECT_EQ(m.Trees().NumTrees(), 60u);
    EXPECT_EQ(m.Trees().HasExact(), depth == 3);
    const auto margin = m.PredictMargin(x);
    for (size_t r = 0; r < x.rows; ++r) EXPECT_NEAR(m.Trees().Margin(&x.values[r * x.cols]), margin[r], 1e-4);
    for (bool approximate : {true, false}) {
      const auto ours = m.PredictContributions(x, approximate);
      const auto ref = m.XgboostContributions(x, approximate);
      ASSERT_EQ(ours.values.size(), ref.values.size());
      double max_diff = 0, total = 0;
      for (size_t i = 0; i < ours.values.size(); ++i) {
        max_diff = std::max(max_diff, static_cast<double>(std::fabs(ours.values[i] - ref.values[i])));
        total += std::fabs(ref.values[i]);
      }
      EXPECT_LT(max_diff, 1e-4) << "depth " << depth << (approximate ? " approximate" : " exact");
      EXPECT_GT(total, 100.0);  // the contributions are not all zero
    }
  }
  // A loaded model has the same tables.
  GbmClassifier m;
  m.Fit(x, y);
  const GbmClassifier back = GbmClassifier::Load(m.Save());
  const auto a = m.PredictContributions(x), b = back.PredictContributions(x);
  for (size_t i = 0; i < a.values.size(); ++i) EXPECT_FLOAT_EQ(a.values[i], b.values[i]);
}

TEST(Gbm, SavesAndLoadsToBytes) {
  FeatureMatrix x;
  std::vector<float> y;
  std::vector<double> p;
  MakeData(1500, 5, &x, &y, &p);
  GbmClassifier m;
  m.Fit(x, y);
  const std::string bytes = m.Save();
  const GbmClassifier back = GbmClassifier::Load(bytes);
  EXPECT_EQ(back.NumFeatures(), 3u);
  EXPECT_EQ(back.Rounds(), m.Rounds());
  const auto a = m.Predict(x), b = back.Predict(x);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(a[i], b[i]);
  EXPECT_THROW(GbmClassifier::Load("not a model"), GbmError);
}

TEST(Gbm, RejectsBadInput) {
  FeatureMatrix x(4, 2);
  GbmClassifier m;
  EXPECT_THROW(m.Fit(x, {0, 1, 2, 0}), InvalidInputError);
  EXPECT_THROW(m.Fit(x, {0, 1}), InvalidInputError);
  EXPECT_THROW(m.Predict(x), GbmError);  // not trained
  for (size_t i = 0; i < x.values.size(); ++i) x.values[i] = static_cast<float>(i % 3);
  m.Fit(x, {0, 1, 0, 1});
  EXPECT_THROW(m.Predict(FeatureMatrix(2, 5)), InvalidInputError);
}

}  // namespace
}  // namespace revlens::insights
