#include "engine/common/time_util.h"

#include "absl/strings/str_cat.h"

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

}  // namespace feedgov
