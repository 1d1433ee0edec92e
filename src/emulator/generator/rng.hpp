#pragma once
/// A seeded PRNG with its own distributions, so a seed gives the same bytes on every standard
/// library (the <random> distributions are implementation-defined).
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/hash.hpp"

namespace revlens::emulator::gen {

/// SplitMix64 step: mixes a 64-bit value into a well-spread one.
inline uint64_t SplitMix(uint64_t x) {
  return SplitMix64(x);
}
/// Derive an independent stream seed from a seed and a tag (e.g. entity kind and index).
inline uint64_t StreamSeed(uint64_t seed, uint64_t tag, uint64_t index = 0) {
  return SplitMix(SplitMix(seed ^ SplitMix(tag)) + index * 0x632be59bd9b4e019ULL);
}

/// xoshiro256** with hand-written uniform/normal/lognormal/exponential/poisson draws.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (auto& w : s_) {
      x = SplitMix(x);
      w = x;
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double a, double b) { return a + (b - a) * Uniform(); }
  /// Uniform integer in [lo, hi].
  int64_t Int(int64_t lo, int64_t hi) {
    const double span = static_cast<double>(hi - lo) + 1.0;
    const int64_t v = lo + static_cast<int64_t>(Uniform() * span);
    return v > hi ? hi : v;
  }
  bool Bernoulli(double p) { return Uniform() < p; }
  double Normal() {
    // Box-Muller without caching the second value, so each call consumes a fixed two draws.
    const double u1 = 1.0 - Uniform();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double Normal(double mu, double sigma) { return mu + sigma * Normal(); }
  double LogNormal(double mu, double sigma) { return std::exp(Normal(mu, sigma)); }
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }
  int64_t Poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda < 30) {
      const double l = std::exp(-lambda);
      int64_t k = 0;
      double p = Uniform();
      while (p > l) {
        ++k;
        p *= Uniform();
      }
      return k;
    }
    const double v = std::round(Normal(lambda, std::sqrt(lambda)));
    return v < 0 ? 0 : static_cast<int64_t>(v);
  }
  /// Index drawn from cumulative weights (last element = total).
  size_t Pick(const std::vector<double>& cumulative) {
    const double u = Uniform() * cumulative.back();
    size_t lo = 0, hi = cumulative.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (cumulative[mid] > u) hi = mid; else lo = mid + 1;
    }
    return lo;
  }
  /// Index drawn from a small weight list.
  template <size_t N>
  size_t PickW(const double (&w)[N]) {
    double total = 0;
    for (double x : w) total += x;
    double u = Uniform() * total;
    for (size_t i = 0; i < N; ++i) {
      if (u < w[i]) return i;
      u -= w[i];
    }
    return N - 1;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

/// Running cumulative sums of `w`.
inline std::vector<double> Cumulative(const std::vector<double>& w) {
  std::vector<double> c(w.size());
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) c[i] = (s += w[i]);
  return c;
}

inline double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double Logit(double p) { return std::log(p / (1.0 - p)); }

}  // namespace revlens::emulator::gen
