#pragma once
/// Deterministic fault injection for reliability tests. A spec like
/// `5xx=0.1,429=0.05,reset=0.02,truncate=0.02,slow=0.01` (fractions of requests; `slow_ms=N`
/// sets the delay of a slow response, default 6000) is drawn by a seeded generator, so the same
/// seed and request order give the same faults. `partial=0.2` is per input, not per request: that
/// fraction of the inputs of an object batch update fails in a 207 multi-status answer (the
/// rest of the batch is applied), drawn from a second seeded generator so it does not shift the
/// per-request sequence. Changeable while running. Thread-safe.
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace revlens::emulator {

enum class FaultKind { kNone, kStatus500, kStatus502, kStatus503, kStatus429, kReset, kTruncate, kSlow };

class FaultInjector {
 public:
  /// Throws ConfigError (one line naming the bad item) on a malformed spec.
  FaultInjector(std::string_view spec, uint64_t seed);
  /// Replace the spec; throws ConfigError and keeps the old one when malformed.
  void SetSpec(std::string_view spec);
  /// The spec in force, normalised.
  std::string Spec() const;
  /// Draw the fault for the next request.
  FaultKind Next();
  /// Draw whether the next input of a batch write fails (the `partial` fraction).
  bool NextInputFails();
  /// Inputs failed by `partial` so far.
  uint64_t PartialCount() const;
  /// Delay of a slow response, in milliseconds.
  int SlowMillis() const;
  /// Counts of faults injected so far, by kind (index = FaultKind).
  std::vector<uint64_t> Counts() const;

 private:
  mutable std::mutex mu_;
  double p5xx_ = 0, p429_ = 0, preset_ = 0, ptruncate_ = 0, pslow_ = 0;
  double p500_ = 0, p502_ = 0, p503_ = 0;  ///< individual statuses (`500=`), on top of `5xx=`
  double ppartial_ = 0;                    ///< per batch-write input, not per request
  int slow_ms_ = 6000;
  std::mt19937_64 rng_;
  std::mt19937_64 input_rng_;  ///< draws `partial` per input, apart from the per-request sequence
  uint64_t partial_count_ = 0;
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(8, 0);
};

}  // namespace revlens::emulator
