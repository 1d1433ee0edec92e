#pragma once
/// Statistics shared by the intelligence products: proportions with intervals, tests, false-discovery control,
/// and a ridge-penalised logistic regression.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace revlens::insights {

/// A two-sided interval.
struct Interval {
  double low = 0, high = 0;
};

/// Wilson score interval for `successes` out of `trials` at confidence `level` (0.95 by default).
Interval WilsonInterval(int64_t successes, int64_t trials, double level = 0.95);

/// Benjamini–Hochberg: for each p-value, whether it is a discovery at false-discovery rate `q`.
std::vector<bool> BenjaminiHochberg(const std::vector<double>& p_values, double q);

/// Benjamini–Hochberg adjusted p-values (q-values), in the input order.
std::vector<double> BenjaminiHochbergAdjusted(const std::vector<double>& p_values);

/// Two-sided Fisher exact test of the 2×2 table [[a, b], [c, d]] (rows: group, rest; columns: success, failure):
/// the probability, under the hypergeometric null with both margins fixed, of a table at most as likely as the
/// observed one (R's fisher.test convention, relative tolerance 1e-7). 1 when a margin is empty.
double FisherExactTwoSided(int64_t a, int64_t b, int64_t c, int64_t d);

/// Two-sided pooled two-proportion z-test of x1/n1 against x2/n2. 1 when either group is empty or the pooled
/// proportion is 0 or 1.
double TwoProportionZTest(int64_t x1, int64_t n1, int64_t x2, int64_t n2);

/// Count, mean and (sample, n - 1) variance of a sample.
struct Moments {
  int64_t n = 0;
  double mean = 0, variance = 0;
};

/// Moments of `values` (Welford's update; variance 0 below two values).
Moments SampleMoments(const std::vector<double>& values);

/// Two-sided Welch t-test of the difference in means (unequal variances, Welch–Satterthwaite degrees of
/// freedom). 1 when either group has fewer than two values or both variances are 0 with equal means; 0 when both
/// variances are 0 and the means differ.
double WelchTTest(const Moments& x, const Moments& y);

/// The learned state of a logistic regression: log-odds = intercept + coefficients · x.
struct LogisticState {
  double intercept = 0;
  std::vector<double> coefficients;
  int iterations = 0;
  bool converged = false;
};

/// Logistic regression with an L2 (ridge) penalty `lambda`·|β|²/2 on the coefficients (not the intercept),
/// fitted by Newton–Raphson (IRLS). The penalty keeps the fit finite for separable or collinear features, such as
/// overlapping segment indicators.
class RidgeLogistic {
 public:
  /// Configure the penalty and the Newton iterations' limits.
  explicit RidgeLogistic(double lambda = 1.0, int max_iterations = 100, double tolerance = 1e-9);
  /// Fit on `x` (one row per observation, every row the same length) and 0/1 outcomes `y`, each row counting
  /// `weights[i]` times (all 1 when `weights` is empty; a binomial count is two rows, successes and failures).
  /// Throws InvalidInputError when the sizes disagree, a weight is negative, or there are no rows.
  /// `offset[i]` (empty: none) is added to row i's log-odds with no coefficient of its own: the coefficients then
  /// measure, and the penalty shrinks them toward, a departure from it.
  void Fit(const std::vector<std::vector<double>>& x, const std::vector<int>& y,
           const std::vector<double>& weights = {}, const std::vector<double>& offset = {});
  /// P(y = 1 | row) under the fitted state.
  double PredictProbability(const std::vector<double>& row) const;
  /// The fitted state.
  const LogisticState& State() const { return state_; }

 private:
  double lambda_;
  int max_iterations_;
  double tolerance_;
  LogisticState state_;
};

/// The logistic log loss of one outcome `y` (0/1) at log-odds `eta`: log(1 + e^eta) - y·eta, without overflow.
inline double LogisticLoss(double eta, int y) {
  const double softplus = eta > 0 ? eta + std::log1p(std::exp(-eta)) : std::log1p(std::exp(eta));
  return softplus - (y ? eta : 0.0);
}

}  // namespace revlens::insights
