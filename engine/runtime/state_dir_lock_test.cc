// The state directory's LOCK: one owner at a time, in this process or
// another; released on close; a stale LOCK file blocks nothing.
#include "engine/runtime/state_dir_lock.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::HasSubstr;

TEST(StateDirLock, SecondAcquireInTheSameProcessIsRefusedNamingTheOwner) {
  const std::string dir = testing::MakeTempDir("lock_same_process");
  ASSERT_OK_AND_ASSIGN(auto lock, StateDirLock::Acquire(dir, "serve"));
  ASSERT_OK(lock->SetAddress("127.0.0.1:8443"));
  auto second = StateDirLock::Acquire(dir, "boost");
  ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(),
              HasSubstr(absl::StrCat(
                  "state dir ", dir, " is owned by a running server (pid ",
                  getpid(), ", listening on 127.0.0.1:8443, since ")))
      << second.status();
  ASSERT_OK_AND_ASSIGN(auto owner, FindStateDirOwner(dir));
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->pid, getpid());
  EXPECT_EQ(owner->address, "127.0.0.1:8443");
  EXPECT_TRUE(owner->is_server());
  EXPECT_LE(owner->since, absl::Now());
  EXPECT_GT(owner->since, absl::Now() - absl::Minutes(1));
}

TEST(StateDirLock, AnotherProcessIsRefusedWhileHeldAndAdmittedAfterRelease) {
  const std::string dir = testing::MakeTempDir("lock_other_process");
  // Exit code of a child that tries to take the lock: 0 taken, 3 refused
  // with the owner named, 4 anything else.
  auto try_in_child = [&dir]() {
    pid_t pid = fork();
    if (pid == 0) {
      auto lock = StateDirLock::Acquire(dir, "bury");
      if (lock.ok()) _exit(0);
      bool named =
          lock.status().code() == absl::StatusCode::kFailedPrecondition &&
          lock.status().message().find("`feedgov pin`") != std::string::npos;
      _exit(named ? 3 : 4);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  {
    ASSERT_OK_AND_ASSIGN(auto lock, StateDirLock::Acquire(dir, "pin"));
    EXPECT_EQ(try_in_child(), 3);
  }
  // Released on destruction.
  EXPECT_EQ(try_in_child(), 0);
  ASSERT_OK_AND_ASSIGN(auto owner, FindStateDirOwner(dir));
  EXPECT_FALSE(owner.has_value());
  ASSERT_OK_AND_ASSIGN(auto again, StateDirLock::Acquire(dir, "pin"));
}

TEST(StateDirLock, StaleLockFileOfAKilledServerBlocksNothing) {
  const std::string dir = testing::MakeTempDir("lock_stale");
  // What a SIGKILLed server leaves: the file with its details, no lock.
  {
    std::ofstream out(absl::StrCat(dir, "/", kStateDirLockFileName));
    out << "pid 999999\ncommand serve\naddress 127.0.0.1:1\n"
           "since 2026-01-01T00:00:00Z\n";
  }
  ASSERT_OK_AND_ASSIGN(auto owner, FindStateDirOwner(dir));
  EXPECT_FALSE(owner.has_value());
  ASSERT_OK_AND_ASSIGN(auto lock, StateDirLock::Acquire(dir, "boost"));
  // The new owner's details replace the stale ones.
  ASSERT_OK_AND_ASSIGN(owner, FindStateDirOwner(dir));
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->pid, getpid());
  EXPECT_EQ(owner->command, "boost");
  EXPECT_EQ(owner->address, "");
}

TEST(StateDirLock, NoLockFileMeansNoOwner) {
  const std::string dir = testing::MakeTempDir("lock_none");
  ASSERT_OK_AND_ASSIGN(auto owner, FindStateDirOwner(dir));
  EXPECT_FALSE(owner.has_value());
}

}  // namespace
}  // namespace feedgov
