#pragma once
/// Time helpers: epoch milliseconds <-> ISO-8601 (UTC, millisecond precision, as HubSpot prints).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace revlens {

/// Format epoch milliseconds as `2024-11-20T20:12:09.236Z`.
std::string FormatIsoMillis(int64_t epoch_ms);
/// Format epoch milliseconds as a calendar date `2024-11-20` (UTC).
std::string FormatDate(int64_t epoch_ms);
/// Parse ISO-8601 (`2024-11-20`, `2024-11-20T20:12:09Z`, `...09.236Z`, `...+02:00`) or epoch milliseconds.
std::optional<int64_t> ParseTimestampMillis(std::string_view text);
/// Days since 1970-01-01 for a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
/// Civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm; the inverse of
/// DaysFromCivil). Inline: hot paths format hundreds of timestamps per page with it.
inline void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}
/// Integer division rounding toward negative infinity.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
/// Current wall-clock time in epoch milliseconds.
int64_t NowMillis();

}  // namespace revlens
