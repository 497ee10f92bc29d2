#include "engine/common/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

#ifndef FEEDGOV_SOURCE_DIR
#define FEEDGOV_SOURCE_DIR "."
#endif

namespace feedgov {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is a directory, not a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("read error in ", path));
  return ss.str();
}

absl::Status CheckWritableOutputDir(const std::string& path,
                                    absl::string_view marker_file) {
  namespace fs = std::filesystem;
  if (path.empty()) return absl::InvalidArgumentError("output path is empty");
  fs::path out(path);
  if (!out.has_filename()) out = out.parent_path();  // "snap/" is "snap".
  const fs::path parent = out.has_parent_path() ? out.parent_path() : ".";
  std::error_code ec;
  const fs::file_status parent_st = fs::status(parent, ec);
  if (!fs::exists(parent_st)) {
    return absl::NotFoundError(absl::StrCat(
        "output ", path, ": parent directory ", parent.string(),
        " does not exist"));
  }
  if (!fs::is_directory(parent_st)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "output ", path, ": ", parent.string(), " is not a directory"));
  }
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "output ", path, ": parent directory ", parent.string(),
        " is not writable (", std::strerror(errno), ")"));
  }
  const fs::file_status st = fs::symlink_status(out, ec);
  if (!fs::exists(st)) return absl::OkStatus();
  if (!fs::is_directory(st)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "output ", path, " exists and is not a directory; not replacing it"));
  }
  if (fs::is_empty(out, ec) || fs::exists(out / std::string(marker_file), ec)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "output ", path, " is a directory with other contents (no ",
      marker_file, "); not replacing it"));
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoError("open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync directory", dir);
  return absl::OkStatus();
}

absl::Status WriteFileAtomic(const std::string& path,
                             absl::string_view contents) {
  std::filesystem::path target(path);
  std::string dir = target.has_parent_path() ? target.parent_path().string()
                                             : std::string(".");
  // Unique per call, so that threads of one process (not only processes)
  // can write the same path at once: the last rename wins, whole.
  static std::atomic<uint64_t> next{0};
  std::string tmp = absl::StrCat(path, ".tmp.", ::getpid(), ".", next.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return ErrnoError("create", tmp);
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoError("write", tmp);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return ErrnoError("fsync", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return ErrnoError("rename", tmp);
  }
  return SyncDirectory(dir);
}

std::string DefaultPath(const std::string& relative) {
  return absl::StrCat(FEEDGOV_SOURCE_DIR, "/", relative);
}

std::string PathOrDefault(const std::string& value, const std::string& relative) {
  return value.empty() ? DefaultPath(relative) : value;
}

}  // namespace feedgov
