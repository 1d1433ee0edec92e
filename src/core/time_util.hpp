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
/// Current wall-clock time in epoch milliseconds.
int64_t NowMillis();

}  // namespace revlens
