#include "engine/runtime/state_dir_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/common/time_util.h"

namespace feedgov {
namespace {

std::string LockPath(const std::string& state_dir) {
  return absl::StrCat(state_dir, "/", kStateDirLockFileName);
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[512];
  off_t offset = 0;
  while (true) {
    ssize_t n = pread(fd, buf, sizeof(buf), offset);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    offset += n;
    if (out.size() > 4096) break;  // Ours are ~100 bytes.
  }
  return out;
}

// "key value" lines; unknown keys and malformed lines are ignored.
StateDirOwner ParseOwner(absl::string_view text) {
  StateDirOwner owner;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (kv.first == "pid") {
      if (!absl::SimpleAtoi(kv.second, &owner.pid)) owner.pid = 0;
    } else if (kv.first == "command") {
      owner.command = std::string(kv.second);
    } else if (kv.first == "address") {
      owner.address = std::string(kv.second);
    } else if (kv.first == "since") {
      absl::StatusOr<absl::Time> t = ParseRfc3339(kv.second);
      if (t.ok()) owner.since = *t;
    }
  }
  return owner;
}

}  // namespace

std::string DescribeStateDirOwner(const StateDirOwner& owner) {
  if (owner.pid == 0) {
    return "another process (it has just taken the lock; details not yet "
           "written)";
  }
  std::string since =
      owner.since == absl::InfinitePast()
          ? ""
          : absl::StrCat(", since ", FormatRfc3339Utc(owner.since));
  if (owner.is_server()) {
    return absl::StrCat("a running server (pid ", owner.pid, ", ",
                        owner.address.empty()
                            ? std::string("starting, not listening yet")
                            : absl::StrCat("listening on ", owner.address),
                        since, ")");
  }
  return absl::StrCat("`feedgov ", owner.command, "` (pid ", owner.pid, since,
                      ")");
}

absl::StatusOr<std::unique_ptr<StateDirLock>> StateDirLock::Acquire(
    const std::string& state_dir, absl::string_view command) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create state directory ",
                                            state_dir, ": ", ec.message()));
  }
  const std::string path = LockPath(state_dir);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      absl::Status s = Errno("cannot lock", path);
      close(fd);
      return s;
    }
    StateDirOwner holder = ParseOwner(ReadAll(fd));
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("state dir ", state_dir, " is owned by ",
                     DescribeStateDirOwner(holder)));
  }
  StateDirOwner me;
  me.pid = getpid();
  me.command = std::string(command);
  me.since = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  std::unique_ptr<StateDirLock> lock(new StateDirLock(fd, path, std::move(me)));
  absl::Status written = lock->Write();
  if (!written.ok()) return written;
  return lock;
}

absl::Status StateDirLock::SetAddress(absl::string_view address) {
  owner_.address = std::string(address);
  return Write();
}

absl::Status StateDirLock::Write() {
  std::string text =
      absl::StrCat("pid ", owner_.pid, "\ncommand ", owner_.command, "\n");
  if (!owner_.address.empty()) {
    absl::StrAppend(&text, "address ", owner_.address, "\n");
  }
  absl::StrAppend(&text, "since ", FormatRfc3339Utc(owner_.since), "\n");
  // Write first, then cut: a reader sees the old or the new details, never
  // an empty file (except before the first write).
  if (pwrite(fd_, text.data(), text.size(), 0) !=
      static_cast<ssize_t>(text.size())) {
    return Errno("cannot write", path_);
  }
  if (ftruncate(fd_, static_cast<off_t>(text.size())) != 0) {
    return Errno("cannot truncate", path_);
  }
  return absl::OkStatus();
}

StateDirLock::~StateDirLock() { close(fd_); }

absl::StatusOr<std::optional<StateDirOwner>> FindStateDirOwner(
    const std::string& state_dir) {
  const std::string path = LockPath(state_dir);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    return Errno("cannot open", path);
  }
  std::optional<StateDirOwner> owner;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);  // Nobody holds it: the file (if any) is stale.
  } else if (errno == EWOULDBLOCK) {
    owner = ParseOwner(ReadAll(fd));
  } else {
    absl::Status s = Errno("cannot lock", path);
    close(fd);
    return s;
  }
  close(fd);
  return owner;
}

}  // namespace feedgov
