// File: engine/common/status_macros.h
//
// Abseil 20220623 ships no status macros; these keep the original code and
// message of the error they propagate (unlike ScaNN's, which erase it).
#ifndef FEEDGOV_ENGINE_COMMON_STATUS_MACROS_H_
#define FEEDGOV_ENGINE_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define FEEDGOV_CONCAT_INNER_(a, b) a##b
#define FEEDGOV_CONCAT_(a, b) FEEDGOV_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define FEEDGOV_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status feedgov_status_ = (expr);           \
    if (!feedgov_status_.ok()) return feedgov_status_; \
  } while (0)

// FEEDGOV_ASSIGN_OR_RETURN(auto x, MakeX());
// Evaluates an absl::StatusOr<T>; on error returns its status, else moves the
// value into `lhs`.
#define FEEDGOV_ASSIGN_OR_RETURN(lhs, rexpr) \
  FEEDGOV_ASSIGN_OR_RETURN_IMPL_(FEEDGOV_CONCAT_(feedgov_statusor_, __LINE__), lhs, rexpr)

#define FEEDGOV_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

namespace feedgov {

// Returns `status` with `context + ": "` prefixed to its message, code kept.
inline absl::Status Annotate(const absl::Status& status,
                             absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_STATUS_MACROS_H_
