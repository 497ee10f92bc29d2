// File: engine/common/time_util.h
//
// RFC 3339 timestamps. Inputs may carry any UTC offset ("+08:00", "-05:00",
// "Z"); everything is stored and compared as UTC. Intervention windows may
// also be written as local times or dates in an IANA time zone
// (ParseWindowTime); the zone database is the system's /usr/share/zoneinfo
// (Debian package tzdata), read by absl's cctz.
#ifndef FEEDGOV_ENGINE_COMMON_TIME_UTIL_H_
#define FEEDGOV_ENGINE_COMMON_TIME_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/common/types.h"

namespace feedgov {

// Parses "2026-11-30T18:00:00+08:00" (fractional seconds allowed).
// INVALID_ARGUMENT naming the text when it is not RFC 3339 with an offset.
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text);

// "2026-11-30T10:00:00Z" (UTC, second precision).
std::string FormatRfc3339Utc(absl::Time t);

// Which end of a window a time bounds. A date-only value names a whole day:
// kStart is the first instant of that day, kEnd the first instant of the
// next day (the window includes the whole named day; ends are exclusive).
enum class WindowBound { kStart, kEnd };

// Loads an IANA zone ("Asia/Shanghai", "America/New_York", "UTC").
// INVALID_ARGUMENT "<field>: unknown time zone 'X' (want an IANA name such as
// Asia/Shanghai or America/New_York)" for an empty, malformed (not
// [A-Za-z0-9_+-] parts separated by '/', at most 64 bytes) or unknown name.
absl::StatusOr<absl::TimeZone> LoadIanaZone(absl::string_view field,
                                            absl::string_view name);

// Parses a window time as editors write it:
//   * RFC 3339 with an offset ("2027-01-01T09:00:00+08:00", "...Z"): that
//     instant; `zone` is not consulted (only checked when non-empty);
//   * a local date and time, "2027-01-01T09:00" or "2027-01-01T09:00:00":
//     that wall-clock time in `zone`;
//   * a date, "2027-01-01": the first instant of that day in `zone`
//     (kStart) or of the following day (kEnd).
// DST rule: a local time that does not exist in `zone` (inside a
// spring-forward gap) or that occurs twice (inside a fall-back fold) is
// refused with INVALID_ARGUMENT naming the instants around it, so that the
// editor gives an explicit offset; nothing is guessed. (A date is never
// refused: a day that starts inside a gap starts at the transition.)
// Errors are INVALID_ARGUMENT starting with `field` (e.g. "--start"), or
// "--zone" for an unknown zone; a local form with an empty `zone` is
// "<field>: '<text>' has no UTC offset; give one, or --zone".
// Latest window time: 2100-01-01T00:00:00Z (catalog/item_limits.h too).
inline constexpr int64_t kMaxWindowUnixSeconds = 4102444800;

// Window times are in [1970-01-01, 2100-01-01] UTC; others are
// INVALID_ARGUMENT "<field>: '<text>' is outside ...".
absl::StatusOr<absl::Time> ParseWindowTime(absl::string_view field,
                                           absl::string_view text,
                                           absl::string_view zone,
                                           WindowBound bound);

// "2027-02-01T00:00:00+08:00": `t` in the named zone with its offset, second
// precision; an empty or unloadable zone, or an offset that is not whole
// minutes, formats UTC ("...Z").
std::string FormatRfc3339InZone(absl::Time t, absl::string_view zone);

inline UnixSeconds ToUnixSeconds(absl::Time t) { return absl::ToUnixSeconds(t); }
inline absl::Time FromUnixSeconds(UnixSeconds s) { return absl::FromUnixSeconds(s); }

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_TIME_UTIL_H_
