#pragma once
/// Time zones for wall-clock text (HubSpot's CSV exports print times in the portal's zone): UTC, fixed offsets,
/// and IANA zones read from the system's zoneinfo (TZif files; g++ 12's <chrono> has no tz database).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace revlens {

/// A time zone: its UTC offsets over time. Copyable; immutable after Load.
class TimeZone {
 public:
  /// UTC.
  TimeZone() = default;
  /// Load `UTC`/`Z`/`GMT`, a fixed offset (`+05:30`, `-0300`, `UTC+2`), or an IANA name (`America/New_York`)
  /// from $TZDIR or /usr/share/zoneinfo. Throws ConfigError naming the zone when it cannot be found or read.
  static TimeZone Load(std::string_view name);

  /// The zone's name as given to Load (`UTC` for the default).
  const std::string& Name() const { return name_; }
  /// Offset from UTC, in seconds, in effect at the UTC instant `utc_seconds`.
  int32_t OffsetAt(int64_t utc_seconds) const;
  /// Local wall-clock seconds (counted as if the wall clock were UTC) to UTC seconds. A wall time that occurs
  /// twice (clocks set back) resolves to the first occurrence; one skipped by a forward jump resolves with the
  /// offset in effect before the jump (as `mktime` does), landing after it.
  int64_t ToUtc(int64_t local_seconds) const;
  /// UTC seconds to local wall-clock seconds.
  int64_t ToLocal(int64_t utc_seconds) const { return utc_seconds + OffsetAt(utc_seconds); }

 private:
  std::string name_ = "UTC";
  int32_t initial_offset_ = 0;
  std::vector<int64_t> transitions_;  ///< UTC seconds, ascending
  std::vector<int32_t> offsets_;      ///< offset in effect from transitions_[i]
};

}  // namespace revlens
