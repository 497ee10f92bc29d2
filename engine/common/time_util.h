// File: engine/common/time_util.h
//
// RFC 3339 timestamps. Inputs may carry any UTC offset ("+08:00", "-05:00",
// "Z"); everything is stored and compared as UTC.
#ifndef FEEDGOV_ENGINE_COMMON_TIME_UTIL_H_
#define FEEDGOV_ENGINE_COMMON_TIME_UTIL_H_

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

inline UnixSeconds ToUnixSeconds(absl::Time t) { return absl::ToUnixSeconds(t); }
inline absl::Time FromUnixSeconds(UnixSeconds s) { return absl::FromUnixSeconds(s); }

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_TIME_UTIL_H_
