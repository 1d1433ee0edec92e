#pragma once
/// HubSpot's rate limits, per tier: a 10-second rolling window, a daily limit, and the search
/// API's own per-second limit (hubspot-api-notes.md section 7). Thread-safe.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace revlens::emulator {

/// The outcome of one request against the limits, with the figures for the response headers.
struct RateDecision {
  bool allowed = true;
  std::string policy;        ///< when refused: TEN_SECONDLY_ROLLING, DAILY or SECONDLY
  std::string message;       ///< when refused: HubSpot's message for that policy
  int max = 0;               ///< X-HubSpot-RateLimit-Max (search: the per-second limit, 5)
  int remaining = 0;         ///< X-HubSpot-RateLimit-Remaining (after this request)
  int interval_ms = 10000;   ///< X-HubSpot-RateLimit-Interval-Milliseconds (search: 1000)
  int64_t daily = 0;         ///< X-HubSpot-RateLimit-Daily
  int64_t daily_remaining = 0;  ///< X-HubSpot-RateLimit-Daily-Remaining
};

class RateLimiter {
 public:
  /// `tier`: free, starter, pro (professional), enterprise, none. Throws ConfigError otherwise.
  explicit RateLimiter(const std::string& tier);
  /// False for tier `none`: every request is allowed and no headers are sent.
  bool Enabled() const { return enabled_; }
  /// Count one request at `now_ms` and say whether it is allowed. Search requests use the
  /// per-second search limit only (they are exempt from the 10-second window).
  RateDecision Check(bool is_search, int64_t now_ms);

 private:
  bool enabled_ = false;
  int per_ten_seconds_ = 0;
  int64_t per_day_ = 0;
  int search_per_second_ = 0;
  std::mutex mu_;
  std::deque<int64_t> window_;         ///< timestamps of allowed requests in the last 10 s
  std::deque<int64_t> search_window_;  ///< timestamps of allowed searches in the last 1 s
  int64_t day_start_ms_ = 0;
  int64_t day_count_ = 0;
};

}  // namespace revlens::emulator
