#pragma once
/// The client-side rate limiter: keeps a HubSpot client under the portal's 10-second rolling
/// limit, its daily limit and the search API's per-second limit, learning the figures from the
/// X-HubSpot-RateLimit-* response headers (hubspot-api-notes.md section 7). Thread-safe.
///
/// Every decision takes an explicit time in milliseconds (TryAcquire, OnResponse, OnRateLimited),
/// so the logic is tested deterministically; Acquire() blocks on the injected clock.
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "hubspot/client.hpp"

namespace revlens::hubspot {

/// How the pacer starts and how much safety it keeps.
struct PacerOptions {
  /// Standard requests per interval before any header was seen; 0 = unlimited until a header.
  int initial_max = 100;
  /// The rolling interval before any header says otherwise (HubSpot: 10 s).
  int64_t interval_ms = 10'000;
  /// Fraction of the learned Max the pacer uses.
  double headroom = 1.0;
  /// Search requests per second; 0 = unlimited.
  int search_per_second = 4;
  /// Added to the interval: the server stamps a request when it arrives, after we stamp it as
  /// sent, so a request may count in the server's window for up to this long after ours. The
  /// margin in force is at least the longest time to first byte among recent responses (an
  /// upper bound of that delay; a loaded server or network stretches it), at most interval / 4,
  /// and grows when a 429 shows our own requests alone filled the window.
  int64_t margin_ms = 250;
  /// The same for the 1-second search window (at most 500 ms).
  int64_t search_margin_ms = 100;
  /// How many recent responses' latencies bound the margin.
  int latency_samples = 64;
  /// Sends are remembered this long past the window, to reconcile late responses' headers.
  int64_t retention_ms = 30'000;
};

/// The rate-limit headers of one response; -1 where absent.
struct RateHeaders {
  int max = -1;                   ///< X-HubSpot-RateLimit-Max
  int remaining = -1;             ///< X-HubSpot-RateLimit-Remaining
  int64_t interval_ms = -1;       ///< X-HubSpot-RateLimit-Interval-Milliseconds
  int64_t daily = -1;             ///< X-HubSpot-RateLimit-Daily
  int64_t daily_remaining = -1;   ///< X-HubSpot-RateLimit-Daily-Remaining
};

/// Whether a request may go now, and if not, when to ask again.
struct Admission {
  bool allowed = false;
  int64_t retry_at_ms = 0;  ///< when not allowed: the earliest time a slot can free
};

class Pacer {
 public:
  /// Milliseconds on a monotonic clock.
  using Clock = std::function<int64_t()>;
  /// `clock` defaults to std::chrono::steady_clock.
  explicit Pacer(PacerOptions options, Clock clock = {});

  /// Take a slot at `now_ms` if the limits allow (the request is then counted as sent at
  /// `now_ms`). Throws HubSpotApiError(429) when the daily limit is used up.
  Admission TryAcquire(RequestKind kind, int64_t now_ms);
  /// Wait on the clock until a slot is free, take it, and return the send time.
  /// Throws HubSpotApiError(429) when the daily limit is used up.
  int64_t Acquire(RequestKind kind);

  /// Learn from a response (any status but 429) to a request sent at `sent_ms`, its first byte
  /// received at `now_ms` (the request reached the server in between): Max, Interval,
  /// Daily and Daily-Remaining; and when Remaining says fewer are left than our own sends
  /// explain, count the difference (another integration on the same app) as sent at `sent_ms`.
  /// A successful (`ok`) standard response without a Max header, before any Max was seen, means
  /// the server announces no limit (the emulator's tier `none`): the window becomes unlimited.
  void OnResponse(RequestKind kind, int64_t sent_ms, int64_t now_ms, const RateHeaders& headers, bool ok = true);
  /// React to a 429 with HubSpot's `policyName`: DAILY marks the daily limit used up;
  /// TEN_SECONDLY_ROLLING (with no Remaining left, or no headers) fills the window so standard
  /// requests wait until it clears; SECONDLY holds searches for a second. A 429 whose headers
  /// still show Remaining > 0 changes nothing (a spurious 429; the caller backs off).
  void OnRateLimited(RequestKind kind, std::string_view policy, int64_t sent_ms, int64_t now_ms,
                     const RateHeaders& headers);

  /// Standard requests allowed per window now (0 = unlimited).
  int Capacity() const;
  /// The rolling interval now in force (without the margin).
  int64_t IntervalMs() const;
  /// The safety margin now in force.
  int64_t MarginMs() const;
  /// Standard requests (ours and inferred others) counted in the window ending at `now_ms`.
  int InWindow(int64_t now_ms) const;
  /// Searches counted in the search window ending at `now_ms`.
  int SearchesInWindow(int64_t now_ms) const;
  /// True once the daily limit is used up (until the next midnight UTC).
  bool DailyExhausted(int64_t now_ms) const;
  /// The clock's current time.
  int64_t Now() const { return clock_(); }

 private:
  int64_t Margin() const { return std::min(interval_ms_ / 4, std::max(margin_ms_, latency_max_)); }
  int64_t WindowMs() const { return interval_ms_ + Margin(); }
  int64_t SearchWindowMs() const {
    return 1000 + std::min<int64_t>(500, std::max(options_.search_margin_ms, latency_max_));
  }
  void NoteLatencyLocked(int64_t sent_ms, int64_t now_ms);
  void Prune(int64_t now_ms);
  int CountIn(const std::deque<int64_t>& d, int64_t after_ms, int64_t upto_ms) const;
  int CountPhantomsIn(int64_t after_ms, int64_t upto_ms) const;
  Admission TryLocked(RequestKind kind, int64_t now_ms);
  void LearnLocked(const RateHeaders& h, int64_t now_ms);
  void ReconcileLocked(int server_max, int server_remaining, int64_t sent_ms, int64_t now_ms, bool from_429);
  void ThrowDailyLocked(int64_t now_ms) const;

  PacerOptions options_;
  Clock clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int capacity_ = 0;             ///< 0 = unlimited
  int learned_max_ = 0;          ///< last X-HubSpot-RateLimit-Max (0 = none seen)
  int64_t interval_ms_ = 10'000;
  int64_t margin_ms_ = 250;      ///< the base margin (grown by 429s)
  std::deque<int64_t> latencies_;  ///< recent send-to-first-byte times
  int64_t latency_max_ = 0;        ///< their maximum
  int64_t last_growth_ms_ = -1;    ///< when the margin last grew (one 429 burst grows it once)
  std::deque<int64_t> sends_;    ///< our standard sends, ascending
  std::vector<int64_t> phantoms_;  ///< inferred requests of others, ascending
  std::deque<int64_t> searches_;   ///< our search sends, ascending
  int64_t standard_blocked_until_ = 0;
  int64_t search_blocked_until_ = 0;
  int64_t daily_limit_ = 0;
  int64_t daily_exhausted_until_ = -1;  ///< clock time the exhaustion ends; -1 = not exhausted
};

}  // namespace revlens::hubspot
