#include "engine/common/time_util.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace feedgov {

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time t;
  std::string err;
  // RFC3339_full accepts "Z" or a numeric offset and optional fractions.
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time '", text,
        "' is not RFC 3339 with an offset (e.g. 2026-11-30T18:00:00+08:00): ",
        err));
  }
  return t;
}

std::string FormatRfc3339Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

namespace {

// An IANA name: parts of [A-Za-z0-9_+-] separated by '/', never "." or "..",
// so a name can never point outside /usr/share/zoneinfo.
bool WellFormedZoneName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  // Files of /usr/share/zoneinfo that are not zones of the tz database, or
  // depend on the host: the local zone, POSIX rule defaults, "Factory", and
  // the duplicate posix/ and right/ (leap-second) trees.
  for (absl::string_view host : {"localtime", "posixrules", "Factory"}) {
    if (name == host) return false;
  }
  if (absl::StartsWith(name, "posix/") || absl::StartsWith(name, "right/"))
    return false;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
          c != '+' && c != '-') {
        return false;
      }
    }
  }
  return true;
}

std::string FormatWithOffset(absl::Time t, absl::TimeZone tz) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, tz);
}

// The instant of a civil second in `tz`, by the rule documented in the
// header: unique times only, unless `first_instant` (dates: the first
// instant at or after the civil time).
absl::StatusOr<absl::Time> CivilToInstant(
    absl::string_view field, absl::string_view text, absl::CivilSecond civil,
    absl::string_view zone_name, absl::TimeZone tz, bool first_instant) {
  const absl::TimeZone::TimeInfo info = tz.At(civil);
  switch (info.kind) {
    case absl::TimeZone::TimeInfo::UNIQUE:
      return info.pre;
    case absl::TimeZone::TimeInfo::SKIPPED:
      if (first_instant) return info.trans;
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", text, " does not exist in ", zone_name,
          " (the clocks jump forward over it, to ",
          FormatWithOffset(info.trans, tz), " = ", FormatRfc3339Utc(info.trans),
          "); give a time outside the gap, or an explicit UTC offset"));
    case absl::TimeZone::TimeInfo::REPEATED:
      if (first_instant) return std::min(info.pre, info.post);
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", text, " is ambiguous in ", zone_name,
          " (the clocks fall back: it occurs twice, as ",
          FormatWithOffset(std::min(info.pre, info.post), tz), " and ",
          FormatWithOffset(std::max(info.pre, info.post), tz),
          "); give one of these, with its offset"));
  }
  return absl::InternalError("unknown civil time kind");
}

}  // namespace

// ParseWindowTime without its range check.
absl::StatusOr<absl::Time> ParseAnyWindowTime(absl::string_view field,
                                              absl::string_view text,
                                              absl::string_view zone,
                                              WindowBound bound);

absl::StatusOr<absl::TimeZone> LoadIanaZone(absl::string_view field,
                                            absl::string_view name) {
  absl::TimeZone tz;
  if (!WellFormedZoneName(name) ||
      !absl::LoadTimeZone(std::string(name), &tz)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": unknown time zone '", name.substr(0, 64),
        "' (want an IANA name such as Asia/Shanghai or America/New_York, from "
        "/usr/share/zoneinfo)"));
  }
  return tz;
}

absl::StatusOr<absl::Time> ParseWindowTime(absl::string_view field,
                                           absl::string_view text,
                                           absl::string_view zone,
                                           WindowBound bound) {
  absl::StatusOr<absl::Time> t = ParseAnyWindowTime(field, text, zone, bound);
  // Windows are schedules: 1970 to 2100 (found by fuzzing: year 220 in
  // New York has a local mean time offset of -4:56:02, which no RFC 3339
  // offset can show back).
  if (t.ok() && (*t < absl::UnixEpoch() ||
                 *t > absl::FromUnixSeconds(kMaxWindowUnixSeconds))) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": '", text.substr(0, 64), "' is outside 1970-01-01 .. "
        "2100-01-01 UTC"));
  }
  return t;
}

absl::StatusOr<absl::Time> ParseAnyWindowTime(absl::string_view field,
                                              absl::string_view text,
                                              absl::string_view zone,
                                              WindowBound bound) {
  absl::TimeZone tz;
  if (!zone.empty()) {
    absl::StatusOr<absl::TimeZone> loaded = LoadIanaZone("--zone", zone);
    if (!loaded.ok()) return loaded.status();
    tz = *loaded;
  }
  absl::Time instant;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, std::string(text), &instant, &err)) {
    return instant;
  }
  absl::CivilSecond second;
  absl::CivilMinute minute;
  absl::CivilDay day;
  std::optional<absl::CivilSecond> civil;
  bool is_date = false;
  if (absl::ParseCivilTime(text, &second)) {
    civil = second;
  } else if (absl::ParseCivilTime(text, &minute)) {
    civil = absl::CivilSecond(minute);
  } else if (absl::ParseCivilTime(text, &day)) {
    is_date = true;
    civil = absl::CivilSecond(bound == WindowBound::kEnd ? day + 1 : day);
  }
  if (!civil) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", text.substr(0, 64),
                     "' is not a time: want RFC 3339 with an offset "
                     "(2027-01-01T09:00:00+08:00), or with --zone a local time "
                     "(2027-01-01T09:00) or a date (2027-01-01)"));
  }
  if (zone.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", text,
                     "' has no UTC offset; give one "
                     "(2027-01-01T09:00:00+08:00), or --zone with an IANA name "
                     "(--zone Asia/Shanghai)"));
  }
  return CivilToInstant(field, text, *civil, zone, tz, is_date);
}

std::string FormatRfc3339InZone(absl::Time t, absl::string_view zone) {
  absl::TimeZone tz;
  if (zone.empty() || !WellFormedZoneName(zone) ||
      !absl::LoadTimeZone(std::string(zone), &tz)) {
    return FormatRfc3339Utc(t);
  }
  // RFC 3339 offsets are whole minutes: an instant whose offset is not
  // (local mean time before 1900, Monrovia until 1972) is shown in UTC.
  if (tz.At(t).offset % 60 != 0) return FormatRfc3339Utc(t);
  return FormatWithOffset(t, tz);
}

}  // namespace feedgov
