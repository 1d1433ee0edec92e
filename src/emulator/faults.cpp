#include "emulator/faults.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

#include "core/errors.hpp"

namespace revlens::emulator {
namespace {

// A parsed spec; applied to the injector only when every item is valid.
struct ParsedSpec {
  double p5xx = 0, p500 = 0, p502 = 0, p503 = 0, p429 = 0, reset = 0, truncate = 0, slow = 0;
  double partial = 0;  // per batch-write input: outside the per-request total
  int slow_ms = 6000;
};

[[noreturn]] void Bad(std::string_view item, std::string_view why) {
  throw ConfigError("fault spec item '" + std::string(item) + "' " + std::string(why) +
                    " (expected e.g. 5xx=0.1,429=0.05,reset=0.02,truncate=0.02,slow=0.01,slow_ms=6000,partial=0.1)");
}

ParsedSpec ParseSpec(std::string_view text) {
  ParsedSpec spec;
  std::vector<std::string> seen;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = TrimSpace(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;  // tolerate `a=1,,b=2` and a trailing comma
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) Bad(item, "has no '='");
    const std::string key(TrimSpace(item.substr(0, eq)));
    const std::string_view value = TrimSpace(item.substr(eq + 1));
    for (const auto& k : seen) {
      if (k == key) Bad(item, "repeats a key");
    }
    seen.push_back(key);

    if (key == "slow_ms") {
      int ms = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
      if (ec != std::errc() || ptr != value.data() + value.size() || value.empty() || ms < 0 || ms > 600'000) {
        Bad(item, "needs a whole number of milliseconds in [0, 600000]");
      }
      spec.slow_ms = ms;
      continue;
    }
    static constexpr std::pair<std::string_view, double ParsedSpec::*> kFractions[] = {
        {"5xx", &ParsedSpec::p5xx},          {"500", &ParsedSpec::p500},  {"502", &ParsedSpec::p502},
        {"503", &ParsedSpec::p503},          {"429", &ParsedSpec::p429},  {"reset", &ParsedSpec::reset},
        {"truncate", &ParsedSpec::truncate}, {"slow", &ParsedSpec::slow}, {"partial", &ParsedSpec::partial}};
    double* target = nullptr;
    for (const auto& [name, member] : kFractions) {
      if (key == name) target = &(spec.*member);
    }
    if (target == nullptr)
      Bad(item, "has an unknown key (use 5xx, 500, 502, 503, 429, reset, truncate, slow, slow_ms, partial)");
    double p = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
    if (ec != std::errc() || ptr != value.data() + value.size() || value.empty() || !std::isfinite(p) || p < 0 ||
        p > 1) {
      Bad(item, "needs a fraction in [0, 1]");
    }
    *target = p;
  }
  const double total =
      spec.p5xx + spec.p500 + spec.p502 + spec.p503 + spec.p429 + spec.reset + spec.truncate + spec.slow;
  if (total > 1 + 1e-9) {
    std::ostringstream os;
    os << "fault spec '" << text << "' has fractions summing to " << total << ", more than 1";
    throw ConfigError(os.str());
  }
  return spec;
}

// 53 random bits -> [0, 1): the same on every standard library, unlike uniform_real_distribution.
double Uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace

FaultInjector::FaultInjector(std::string_view spec, uint64_t seed)
    : rng_(seed), input_rng_(seed ^ 0x9e3779b97f4a7c15ULL) {
  SetSpec(spec);
}

void FaultInjector::SetSpec(std::string_view text) {
  const ParsedSpec s = ParseSpec(text);  // throws before anything changes
  std::lock_guard lock(mu_);
  p5xx_ = s.p5xx;
  p500_ = s.p500;
  p502_ = s.p502;
  p503_ = s.p503;
  p429_ = s.p429;
  preset_ = s.reset;
  ptruncate_ = s.truncate;
  pslow_ = s.slow;
  ppartial_ = s.partial;
  slow_ms_ = s.slow_ms;
}

std::string FaultInjector::Spec() const {
  std::lock_guard lock(mu_);
  std::ostringstream os;
  bool first = true;
  auto put = [&](const char* key, double p) {
    if (p <= 0) return;
    os << (first ? "" : ",") << key << '=' << p;
    first = false;
  };
  put("5xx", p5xx_);
  put("500", p500_);
  put("502", p502_);
  put("503", p503_);
  put("429", p429_);
  put("reset", preset_);
  put("truncate", ptruncate_);
  put("slow", pslow_);
  put("partial", ppartial_);
  if (pslow_ > 0 || slow_ms_ != 6000) os << (first ? "" : ",") << "slow_ms=" << slow_ms_;
  return os.str();
}

FaultKind FaultInjector::Next() {
  std::lock_guard lock(mu_);
  // One draw per request, even when no fault is configured, so the sequence for a seed does not
  // depend on when faults were switched on.
  const double u = Uniform(rng_);
  FaultKind kind = FaultKind::kNone;
  double edge = p5xx_;
  if (u < edge) {
    // Where u falls inside the 5xx band picks the status: an even, deterministic three-way split.
    const int third = std::min(2, static_cast<int>(u / p5xx_ * 3));
    kind = third == 0 ? FaultKind::kStatus500 : third == 1 ? FaultKind::kStatus502 : FaultKind::kStatus503;
  } else if (u < (edge += p500_)) {
    kind = FaultKind::kStatus500;
  } else if (u < (edge += p502_)) {
    kind = FaultKind::kStatus502;
  } else if (u < (edge += p503_)) {
    kind = FaultKind::kStatus503;
  } else if (u < (edge += p429_)) {
    kind = FaultKind::kStatus429;
  } else if (u < (edge += preset_)) {
    kind = FaultKind::kReset;
  } else if (u < (edge += ptruncate_)) {
    kind = FaultKind::kTruncate;
  } else if (u < (edge += pslow_)) {
    kind = FaultKind::kSlow;
  }
  ++counts_[static_cast<size_t>(kind)];
  return kind;
}

bool FaultInjector::NextInputFails() {
  std::lock_guard lock(mu_);
  if (ppartial_ <= 0) return false;  // no draw: switching `partial` on does not replay old inputs
  const bool fails = Uniform(input_rng_) < ppartial_;
  partial_count_ += fails;
  return fails;
}

uint64_t FaultInjector::PartialCount() const {
  std::lock_guard lock(mu_);
  return partial_count_;
}

int FaultInjector::SlowMillis() const {
  std::lock_guard lock(mu_);
  return slow_ms_;
}

std::vector<uint64_t> FaultInjector::Counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

}  // namespace revlens::emulator
