// File: engine/common/file_util.h
//
// Small filesystem helpers with absl::Status errors. Not thread-safe with
// respect to concurrent writers of the same path.
#ifndef FEEDGOV_ENGINE_COMMON_FILE_UTIL_H_
#define FEEDGOV_ENGINE_COMMON_FILE_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace feedgov {

// Whole file as bytes. NOT_FOUND if missing, INVALID_ARGUMENT "<path> is a
// directory, not a file", DATA_LOSS on a read error.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Checks, before any work is done, that an output directory can be
// written to `path` the way the snapshot writer installs one (a temporary
// sibling renamed over `path`): OK when the parent directory exists and is
// writable, and `path` is absent, an empty directory, or a directory that
// holds `marker_file` (a previous output, e.g. a snapshot's manifest).
// Errors name `path`: NOT_FOUND (parent missing), INVALID_ARGUMENT (parent
// or `path` is not a directory), PERMISSION_DENIED (parent not writable),
// FAILED_PRECONDITION (a directory with other contents; never replaced).
absl::Status CheckWritableOutputDir(const std::string& path,
                                    absl::string_view marker_file);

// "<source dir>/<relative>", e.g. DefaultPath("policies/cn-ecology.textproto"):
// default file locations resolved against the source tree the binary was
// built from (FEEDGOV_SOURCE_DIR), so the CLI works from any directory.
std::string DefaultPath(const std::string& relative);
// `value`, or DefaultPath(relative) when `value` is empty.
std::string PathOrDefault(const std::string& value, const std::string& relative);

// Writes `contents` to `path` atomically: a temporary file in the same
// directory is written, fsync'ed and renamed over `path`, then the directory
// is fsync'ed. On error nothing at `path` changes. INTERNAL on I/O errors.
absl::Status WriteFileAtomic(const std::string& path,
                             absl::string_view contents);

// fsync of a directory (after creating or renaming entries in it).
absl::Status SyncDirectory(const std::string& dir);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_FILE_UTIL_H_
