#include "insights/metrics.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "core/errors.hpp"
#include "insights/table_util.hpp"

namespace revlens::insights {
namespace {


void CheckSizes(size_t a, size_t b, const char* what) {
  if (a != b) throw InvalidInputError(std::string(what) + ": scores and labels differ in length");
}

/// 1-based ranks with ties given their mean rank.
std::vector<double> MidRanks(const std::vector<double>& v) {
  const size_t n = v.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(n);
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j + 1 < n && v[order[j + 1]] == v[order[i]]) ++j;
    const double mid = 0.5 * static_cast<double>(i + j) + 1.0;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = mid;
    i = j + 1;
  }
  return rank;
}

/// DeLong's structural components: V10 for each positive, V01 for each negative.
struct Components {
  std::vector<double> v10, v01;
  double auc = kNaN;
};

Components DeLongComponents(const std::vector<double>& score, const std::vector<int>& label) {
  CheckSizes(score.size(), label.size(), "AUC");
  std::vector<double> pos, neg;
  for (size_t i = 0; i < score.size(); ++i) (label[i] != 0 ? pos : neg).push_back(score[i]);
  Components c;
  const size_t m = pos.size(), n = neg.size();
  if (m == 0 || n == 0) return c;
  std::vector<double> all(pos);
  all.insert(all.end(), neg.begin(), neg.end());
  const auto tx = MidRanks(pos), ty = MidRanks(neg), tz = MidRanks(all);
  c.v10.resize(m);
  c.v01.resize(n);
  double sum = 0;
  for (size_t i = 0; i < m; ++i) sum += (c.v10[i] = (tz[i] - tx[i]) / static_cast<double>(n));
  for (size_t j = 0; j < n; ++j) c.v01[j] = 1.0 - (tz[m + j] - ty[j]) / static_cast<double>(m);
  c.auc = sum / static_cast<double>(m);
  return c;
}

double Covariance(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = a.size();
  if (n < 2) return 0;
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / static_cast<double>(n);
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / static_cast<double>(n);
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += (a[i] - ma) * (b[i] - mb);
  return s / static_cast<double>(n - 1);
}

double Z(double level) {
  return boost::math::quantile(boost::math::normal(), 0.5 + level / 2.0);
}

/// Row indices sorted by score, highest first.
std::vector<size_t> Descending(const std::vector<double>& score) {
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  return order;
}

}  // namespace

double AucRoc(const std::vector<double>& score, const std::vector<int>& label) {
  return DeLongComponents(score, label).auc;
}

AucEstimate AucDeLong(const std::vector<double>& score, const std::vector<int>& label, double level) {
  const Components c = DeLongComponents(score, label);
  AucEstimate e;
  e.positives = static_cast<int64_t>(c.v10.size());
  e.negatives = static_cast<int64_t>(c.v01.size());
  if (std::isnan(c.auc)) {
    e.auc = kNaN;
    e.ci = {kNaN, kNaN};
    return e;
  }
  e.auc = c.auc;
  const double var = Covariance(c.v10, c.v10) / static_cast<double>(c.v10.size()) +
                     Covariance(c.v01, c.v01) / static_cast<double>(c.v01.size());
  e.se = std::sqrt(std::max(0.0, var));
  const double z = Z(level);
  e.ci = {std::max(0.0, e.auc - z * e.se), std::min(1.0, e.auc + z * e.se)};
  return e;
}

AucDifference AucDeLongPaired(const std::vector<double>& score_a, const std::vector<double>& score_b,
                              const std::vector<int>& label, double level) {
  CheckSizes(score_a.size(), score_b.size(), "paired AUC");
  const Components a = DeLongComponents(score_a, label), b = DeLongComponents(score_b, label);
  AucDifference d;
  d.auc_a = a.auc;
  d.auc_b = b.auc;
  d.diff = a.auc - b.auc;
  if (std::isnan(d.diff)) {
    d.ci = {kNaN, kNaN};
    return d;
  }
  const double m = static_cast<double>(a.v10.size()), n = static_cast<double>(a.v01.size());
  const double var = (Covariance(a.v10, a.v10) + Covariance(b.v10, b.v10) - 2 * Covariance(a.v10, b.v10)) / m +
                     (Covariance(a.v01, a.v01) + Covariance(b.v01, b.v01) - 2 * Covariance(a.v01, b.v01)) / n;
  d.se = std::sqrt(std::max(0.0, var));
  const double z = Z(level);
  d.ci = {d.diff - z * d.se, d.diff + z * d.se};
  return d;
}

double PrAuc(const std::vector<double>& score, const std::vector<int>& label) {
  CheckSizes(score.size(), label.size(), "PR-AUC");
  const double total_pos = static_cast<double>(std::count_if(label.begin(), label.end(), [](int l) { return l != 0; }));
  if (total_pos == 0) return kNaN;
  const auto order = Descending(score);
  double tp = 0, fp = 0, ap = 0;
  size_t i = 0;
  while (i < order.size()) {
    size_t j = i;
    double group_pos = 0, group_n = 0;
    while (j < order.size() && score[order[j]] == score[order[i]]) {
      group_pos += label[order[j]] != 0 ? 1 : 0;
      group_n += 1;
      ++j;
    }
    tp += group_pos;
    fp += group_n - group_pos;
    if (group_pos > 0) ap += group_pos / total_pos * (tp / (tp + fp));
    i = j;
  }
  return ap;
}

double Brier(const std::vector<double>& prob, const std::vector<int>& label) {
  CheckSizes(prob.size(), label.size(), "Brier");
  if (prob.empty()) return kNaN;
  double s = 0;
  for (size_t i = 0; i < prob.size(); ++i) {
    const double d = prob[i] - (label[i] != 0 ? 1.0 : 0.0);
    s += d * d;
  }
  return s / static_cast<double>(prob.size());
}

double ExpectedCalibrationError(const std::vector<double>& prob, const std::vector<int>& label, int bins) {
  CheckSizes(prob.size(), label.size(), "ECE");
  const size_t n = prob.size();
  if (n == 0 || bins <= 0) return kNaN;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return prob[a] < prob[b]; });
  const size_t b = std::min<size_t>(static_cast<size_t>(bins), n);
  double ece = 0;
  for (size_t k = 0; k < b; ++k) {
    const size_t lo = k * n / b, hi = (k + 1) * n / b;
    if (hi <= lo) continue;
    double sp = 0, sy = 0;
    for (size_t i = lo; i < hi; ++i) {
      sp += prob[order[i]];
      sy += label[order[i]] != 0 ? 1.0 : 0.0;
    }
    const double cnt = static_cast<double>(hi - lo);
    ece += cnt / static_cast<double>(n) * std::fabs(sp / cnt - sy / cnt);
  }
  return ece;
}

double CalibratedEceFloor(const std::vector<double>& prob, int draws, uint64_t seed, int bins) {
  if (prob.empty() || draws <= 0) return kNaN;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<int> sim(prob.size());
  double sum = 0;
  for (int t = 0; t < draws; ++t) {
    for (size_t i = 0; i < prob.size(); ++i) sim[i] = u(rng) < prob[i] ? 1 : 0;
    sum += ExpectedCalibrationError(prob, sim, bins);
  }
  return sum / draws;
}

double CaptureAtShare(const std::vector<double>& score, const std::vector<int>& label, double share) {
  CheckSizes(score.size(), label.size(), "capture");
  const double total_pos = static_cast<double>(std::count_if(label.begin(), label.end(), [](int l) { return l != 0; }));
  if (total_pos == 0 || score.empty()) return kNaN;
  const auto order = Descending(score);
  const double budget = std::clamp(share, 0.0, 1.0) * static_cast<double>(score.size());
  double taken = 0, found = 0;
  size_t i = 0;
  while (i < order.size() && taken < budget) {
    size_t j = i;
    double group_pos = 0;
    while (j < order.size() && score[order[j]] == score[order[i]]) group_pos += label[order[j++]] != 0 ? 1 : 0;
    const double group_n = static_cast<double>(j - i);
    const double take = std::min(group_n, budget - taken);
    found += group_pos * take / group_n;  // a tie straddling the cut counts pro rata
    taken += take;
    i = j;
  }
  return found / total_pos;
}

double TopDecileLift(const std::vector<double>& score, const std::vector<int>& label) {
  const double c = CaptureAtShare(score, label, 0.1);
  return std::isnan(c) ? kNaN : c / 0.1;
}

void IsotonicCalibrator::Fit(const std::vector<double>& score, const std::vector<int>& label) {
  CheckSizes(score.size(), label.size(), "isotonic calibration");
  if (score.empty()) throw InvalidInputError("isotonic calibration needs at least one row");
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  struct Block {
    double w, sy, x_lo, x_hi;
  };
  std::vector<Block> blocks;
  for (size_t k = 0; k < order.size(); ++k) {
    const double x = score[order[k]], y = label[order[k]] != 0 ? 1.0 : 0.0;
    if (!blocks.empty() && blocks.back().x_hi == x) {  // equal scores are one point
      blocks.back().w += 1;
      blocks.back().sy += y;
    } else {
      blocks.push_back({1, y, x, x});
    }
    // Pool adjacent violators: merge while the previous block's mean exceeds the last one's.
    while (blocks.size() >= 2) {
      Block& b = blocks[blocks.size() - 1];
      Block& a = blocks[blocks.size() - 2];
      if (a.sy / a.w <= b.sy / b.w) break;
      a.w += b.w;
      a.sy += b.sy;
      a.x_hi = b.x_hi;
      blocks.pop_back();
    }
  }
  x_.clear();
  y_.clear();
  for (const auto& b : blocks) {
    const double m = b.sy / b.w;
    x_.push_back(b.x_lo);
    y_.push_back(m);
    if (b.x_hi != b.x_lo) {
      x_.push_back(b.x_hi);
      y_.push_back(m);
    }
  }
}

double IsotonicCalibrator::Apply(double s) const {
  if (x_.empty()) throw InvalidInputError("isotonic calibration is not fitted");
  if (std::isnan(s)) return kNaN;
  if (s <= x_.front()) return y_.front();
  if (s >= x_.back()) return y_.back();
  const size_t hi = static_cast<size_t>(std::upper_bound(x_.begin(), x_.end(), s) - x_.begin());
  const size_t lo = hi - 1;
  if (x_[hi] == x_[lo]) return y_[hi];
  const double t = (s - x_[lo]) / (x_[hi] - x_[lo]);
  return y_[lo] + t * (y_[hi] - y_[lo]);
}

std::vector<double> IsotonicCalibrator::Apply(const std::vector<double>& score) const {
  std::vector<double> out(score.size());
  for (size_t i = 0; i < score.size(); ++i) out[i] = Apply(score[i]);
  return out;
}

nlohmann::json IsotonicCalibrator::ToJson() const {
  return {{"x", x_}, {"y", y_}};
}

IsotonicCalibrator IsotonicCalibrator::FromJson(const nlohmann::json& j) {
  IsotonicCalibrator c;
  c.x_ = j.at("x").get<std::vector<double>>();
  c.y_ = j.at("y").get<std::vector<double>>();
  if (c.x_.size() != c.y_.size() || c.x_.empty()) throw InvalidInputError("isotonic calibration: malformed knots");
  return c;
}

nlohmann::json PsiReference::ToJson() const {
  return {{"cuts", cuts}, {"shares", shares}};
}

PsiReference PsiReference::FromJson(const nlohmann::json& j) {
  PsiReference r;
  r.cuts = j.at("cuts").get<std::vector<double>>();
  r.shares = j.at("shares").get<std::vector<double>>();
  if (r.shares.size() != r.cuts.size() + 2) throw InvalidInputError("PSI reference: malformed bins");
  return r;
}

namespace {
/// Shares of `values` in the reference's bins (the last entry is the missing bin).
std::vector<double> BinShares(const std::vector<double>& cuts, const std::vector<double>& values) {
  std::vector<double> counts(cuts.size() + 2, 0.0);
  for (double v : values) {
    if (std::isnan(v)) {
      counts.back() += 1;
    } else {
      counts[static_cast<size_t>(std::lower_bound(cuts.begin(), cuts.end(), v) - cuts.begin())] += 1;
    }
  }
  if (!values.empty())
    for (auto& c : counts) c /= static_cast<double>(values.size());
  return counts;
}
}  // namespace

PsiReference MakePsiReference(const std::vector<double>& values, int bins) {
  std::vector<double> present;
  for (double v : values)
    if (!std::isnan(v)) present.push_back(v);
  std::sort(present.begin(), present.end());
  PsiReference r;
  const size_t n = present.size();
  for (int k = 1; k < bins && n > 0; ++k) {
    const size_t idx = std::min(n - 1, static_cast<size_t>(std::ceil(static_cast<double>(k) * n / bins)) - 1);
    const double cut = present[idx];
    if (cut < present.back() && (r.cuts.empty() || cut > r.cuts.back())) r.cuts.push_back(cut);
  }
  r.shares = BinShares(r.cuts, values);
  return r;
}

double PopulationStabilityIndex(const PsiReference& reference, const std::vector<double>& values) {
  if (values.empty()) return kNaN;
  const auto actual = BinShares(reference.cuts, values);
  double psi = 0;
  for (size_t k = 0; k < actual.size() && k < reference.shares.size(); ++k) {
    const double e = std::max(reference.shares[k], 1e-4), a = std::max(actual[k], 1e-4);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

}  // namespace revlens::insights
