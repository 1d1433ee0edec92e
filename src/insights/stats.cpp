#include "insights/stats.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <numeric>

#include "core/errors.hpp"

namespace revlens::insights {

Interval WilsonInterval(int64_t successes, int64_t trials, double level) {
  if (trials <= 0) return {0.0, 1.0};
  const double z = boost::math::quantile(boost::math::normal(), 0.5 + level / 2.0);
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double denom = 1.0 + z * z / n;
  const double centre = (p + z * z / (2.0 * n)) / denom;
  const double half = z * std::sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::vector<double> BenjaminiHochbergAdjusted(const std::vector<double>& p_values) {
  const size_t m = p_values.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(m, 1.0);
  double running = 1.0;
  for (size_t k = m; k-- > 0;) {
    const size_t i = order[k];
    running = std::min(running, p_values[i] * static_cast<double>(m) / static_cast<double>(k + 1));
    adjusted[i] = std::min(1.0, running);
  }
  return adjusted;
}

std::vector<bool> BenjaminiHochberg(const std::vector<double>& p_values, double q) {
  const auto adjusted = BenjaminiHochbergAdjusted(p_values);
  std::vector<bool> out(adjusted.size());
  for (size_t i = 0; i < adjusted.size(); ++i) out[i] = adjusted[i] <= q;
  return out;
}

double FisherExactTwoSided(int64_t a, int64_t b, int64_t c, int64_t d) {
  if (a < 0 || b < 0 || c < 0 || d < 0) throw InvalidInputError("Fisher exact test: negative cell count");
  const int64_t n = a + b;  // group size (the sample)
  const int64_t r = a + c;  // successes in the population
  const int64_t total = n + c + d;
  if (n == 0 || n == total || r == 0 || r == total) return 1.0;
  // Hand-written on purpose: Boost's hypergeometric_distribution is exact but costs ~3 ms per pdf at N ~ 20,000
  // (prime factorisation), and a run tests hundreds of tables over all leads. Here one log-gamma evaluation
  // (Boost.Math) anchors the pmf at the mode and the ratio recurrence walks outward down both tails, which decay
  // geometrically, so a test costs microseconds.
  const int64_t lo = std::max<int64_t>(0, n + r - total), hi = std::min(n, r);
  auto lchoose = [](int64_t x, int64_t k) {
    return boost::math::lgamma(static_cast<double>(x + 1)) - boost::math::lgamma(static_cast<double>(k + 1)) -
           boost::math::lgamma(static_cast<double>(x - k + 1));
  };
  auto log_pmf = [&](int64_t k) { return lchoose(r, k) + lchoose(total - r, n - k) - lchoose(total, n); };
  const int64_t mode =
      std::clamp<int64_t>(static_cast<int64_t>(std::floor(static_cast<double>(n + 1) * static_cast<double>(r + 1) /
                                                          static_cast<double>(total + 2))),
                          lo, hi);
  const double p_mode = std::exp(log_pmf(mode));
  const double threshold = std::exp(log_pmf(a)) * (1.0 + 1e-7);
  if (p_mode <= threshold) return 1.0;
  // P(k+1) / P(k) = (r - k)(n - k) / ((k + 1)(total - r - n + k + 1)).
  auto up = [&](int64_t k) {
    return static_cast<double>(r - k) * static_cast<double>(n - k) /
           (static_cast<double>(k + 1) * static_cast<double>(total - r - n + k + 1));
  };
  double p = 0;
  double term = p_mode;
  for (int64_t k = mode + 1; k <= hi; ++k) {  // upper tail
    term *= up(k - 1);
    if (term <= threshold) p += term;
    if (term < threshold * 1e-18) break;  // the rest cannot change a double
  }
  term = p_mode;
  for (int64_t k = mode - 1; k >= lo; --k) {  // lower tail
    term /= up(k);
    if (term <= threshold) p += term;
    if (term < threshold * 1e-18) break;
  }
  return std::min(1.0, p);
}

double TwoProportionZTest(int64_t x1, int64_t n1, int64_t x2, int64_t n2) {
  if (n1 <= 0 || n2 <= 0) return 1.0;
  const double p1 = static_cast<double>(x1) / static_cast<double>(n1);
  const double p2 = static_cast<double>(x2) / static_cast<double>(n2);
  const double pooled = static_cast<double>(x1 + x2) / static_cast<double>(n1 + n2);
  const double se =
      std::sqrt(pooled * (1.0 - pooled) * (1.0 / static_cast<double>(n1) + 1.0 / static_cast<double>(n2)));
  if (!(se > 0)) return 1.0;
  const double z = std::fabs(p1 - p2) / se;
  return std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(boost::math::normal(), z)));
}

Moments SampleMoments(const std::vector<double>& values) {
  Moments m;
  double m2 = 0;
  for (double v : values) {
    ++m.n;
    const double delta = v - m.mean;
    m.mean += delta / static_cast<double>(m.n);
    m2 += delta * (v - m.mean);
  }
  m.variance = m.n > 1 ? m2 / static_cast<double>(m.n - 1) : 0.0;
  return m;
}

double WelchTTest(const Moments& x, const Moments& y) {
  if (x.n < 2 || y.n < 2) return 1.0;
  const double vx = x.variance / static_cast<double>(x.n), vy = y.variance / static_cast<double>(y.n);
  const double se2 = vx + vy;
  if (!(se2 > 0)) return x.mean == y.mean ? 1.0 : 0.0;
  const double t = std::fabs(x.mean - y.mean) / std::sqrt(se2);
  const double df = se2 * se2 / (vx * vx / static_cast<double>(x.n - 1) + vy * vy / static_cast<double>(y.n - 1));
  const boost::math::students_t dist(df);
  return std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(dist, t)));
}

RidgeLogistic::RidgeLogistic(double lambda, int max_iterations, double tolerance)
    : lambda_(lambda), max_iterations_(max_iterations), tolerance_(tolerance) {
  if (lambda < 0) throw InvalidInputError("ridge logistic regression: lambda must be >= 0");
}

void RidgeLogistic::Fit(const std::vector<std::vector<double>>& x, const std::vector<int>& y,
                        const std::vector<double>& weights, const std::vector<double>& offset) {
  if (x.empty() || x.size() != y.size())
    throw InvalidInputError("ridge logistic regression: need one outcome per row and at least one row");
  if (!weights.empty() && weights.size() != x.size())
    throw InvalidInputError("ridge logistic regression: need one weight per row");
  if (!offset.empty() && offset.size() != x.size())
    throw InvalidInputError("ridge logistic regression: need one offset per row");
  const auto n = static_cast<Eigen::Index>(x.size());
  const auto p = static_cast<Eigen::Index>(x.front().size());
  Eigen::MatrixXd design(n, p + 1);
  Eigen::VectorXd target(n), count = Eigen::VectorXd::Ones(n), base = Eigen::VectorXd::Zero(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& row = x[static_cast<size_t>(i)];
    if (static_cast<Eigen::Index>(row.size()) != p)
      throw InvalidInputError("ridge logistic regression: rows of different lengths");
    design(i, 0) = 1.0;
    for (Eigen::Index j = 0; j < p; ++j) design(i, j + 1) = row[static_cast<size_t>(j)];
    target(i) = y[static_cast<size_t>(i)] != 0 ? 1.0 : 0.0;
    if (!offset.empty()) {
      base(i) = offset[static_cast<size_t>(i)];
      if (!std::isfinite(base(i))) throw InvalidInputError("ridge logistic regression: offsets must be finite");
    }
    if (!weights.empty()) {
      count(i) = weights[static_cast<size_t>(i)];
      if (!(count(i) >= 0)) throw InvalidInputError("ridge logistic regression: weights must be >= 0");
    }
  }
  const double total = count.sum();
  if (!(total > 0)) throw InvalidInputError("ridge logistic regression: the weights sum to 0");
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(p + 1, lambda_);
  penalty(0) = 0.0;
  // Start from the intercept of the base rate (clamped so an all-0 or all-1 outcome stays finite), or from the
  // offset alone.
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(p + 1);
  const double rate = std::clamp(count.dot(target) / total, 1e-6, 1.0 - 1e-6);
  beta(0) = offset.empty() ? std::log(rate / (1.0 - rate)) : 0.0;
  state_ = LogisticState{};
  for (int it = 1; it <= max_iterations_; ++it) {
    const Eigen::VectorXd eta = base + design * beta;
    const Eigen::VectorXd mu = (1.0 + (-eta.array()).exp()).inverse().matrix();
    const Eigen::VectorXd w = (count.array() * (mu.array() * (1.0 - mu.array())).max(1e-10)).matrix();
    const Eigen::VectorXd gradient =
        design.transpose() * (count.array() * (target - mu).array()).matrix() - penalty.cwiseProduct(beta);
    Eigen::MatrixXd hessian = design.transpose() * w.asDiagonal() * design;
    hessian.diagonal() += penalty;
    // A tiny ridge on the intercept too keeps the solve defined when every outcome is the same.
    hessian(0, 0) += 1e-9;
    const Eigen::VectorXd step = hessian.ldlt().solve(gradient);
    beta += step;
    state_.iterations = it;
    if (step.lpNorm<Eigen::Infinity>() < tolerance_) {
      state_.converged = true;
      break;
    }
  }
  state_.intercept = beta(0);
  state_.coefficients.assign(beta.data() + 1, beta.data() + beta.size());
}

double RidgeLogistic::PredictProbability(const std::vector<double>& row) const {
  double eta = state_.intercept;
  for (size_t j = 0; j < row.size() && j < state_.coefficients.size(); ++j) eta += state_.coefficients[j] * row[j];
  return 1.0 / (1.0 + std::exp(-eta));
}

}  // namespace revlens::insights
