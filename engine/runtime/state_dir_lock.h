// File: engine/runtime/state_dir_lock.h
//
// One owner per state directory. A process that writes a state directory
// (`feedgov serve`, and every offline write: pin, suppress, boost, bury,
// revoke, user set, ...) first takes an exclusive flock(2) on
// <state_dir>/LOCK and writes into it who it is: pid, command, the listen
// address (a server, once bound) and the start time, like LevelDB's LOCK
// file. A second writer is refused while the owner lives, with a message
// naming the owner; the kernel releases the lock when the owner exits or is
// killed, so a LOCK file left behind by a dead process blocks nothing (its
// contents are ignored unless its lock is held).
//
// flock locks belong to an open file description: a second Acquire in the
// same process fails too. The descriptor is opened O_CLOEXEC, so child
// processes never inherit the lock.
#ifndef FEEDGOV_ENGINE_RUNTIME_STATE_DIR_LOCK_H_
#define FEEDGOV_ENGINE_RUNTIME_STATE_DIR_LOCK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace feedgov {

inline constexpr char kStateDirLockFileName[] = "LOCK";

// Who holds a state directory's lock, as written in its LOCK file.
struct StateDirOwner {
  int64_t pid = 0;      // 0: the owner has not written its details yet.
  std::string command;  // "serve", "boost", "user set", ...
  std::string address;  // A server's listen address; empty otherwise.
  absl::Time since = absl::InfinitePast();  // When it took the lock.

  bool is_server() const { return command == "serve"; }
};

// "a running server (pid 1234, listening on 127.0.0.1:8443, since
// 2026-12-06T04:12:53Z)" or "`feedgov boost` (pid 99, since ...)".
std::string DescribeStateDirOwner(const StateDirOwner& owner);

class StateDirLock {
 public:
  // Creates `state_dir` if needed and takes the exclusive lock on its LOCK
  // file, recording this process (pid, `command`, now). FAILED_PRECONDITION
  // "state dir D is owned by <DescribeStateDirOwner>" when another open
  // file description (this or another process) holds it; INTERNAL for
  // file-system errors, naming the path.
  static absl::StatusOr<std::unique_ptr<StateDirLock>> Acquire(
      const std::string& state_dir, absl::string_view command);

  // Records the listen address (a server calls it once bound).
  absl::Status SetAddress(absl::string_view address);

  // Releases the lock (closes the descriptor). The file stays, as LevelDB's.
  ~StateDirLock();

  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;

  const StateDirOwner& owner() const { return owner_; }

 private:
  StateDirLock(int fd, std::string path, StateDirOwner owner)
      : fd_(fd), path_(std::move(path)), owner_(std::move(owner)) {}
  absl::Status Write();

  int fd_;
  std::string path_;
  StateDirOwner owner_;
};

// The live owner of `state_dir`, or nullopt when nobody holds its lock (no
// LOCK file, or a stale one). Never takes the lock for longer than the
// check. INTERNAL for file-system errors other than a missing file.
absl::StatusOr<std::optional<StateDirOwner>> FindStateDirOwner(
    const std::string& state_dir);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RUNTIME_STATE_DIR_LOCK_H_
