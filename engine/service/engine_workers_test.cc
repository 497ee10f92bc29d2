// EngineWorkers against counts kept by the test: every task runs exactly
// once, on a worker (never on the caller), on at most `threads` distinct
// threads, with at most `threads` running at once.
#include "engine/service/engine_workers.h"

#include <atomic>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace feedgov::service {
namespace {

TEST(EngineWorkersTest, RunsEachTaskOnceOnAWorkerThread) {
  EngineWorkers workers(2);
  EXPECT_EQ(workers.threads(), 2);
  int runs = 0;
  std::thread::id ran_on;
  workers.Run([&] {
    ++runs;
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(runs, 1);
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(EngineWorkersTest, ManyCallersShareAtMostThreadsWorkers) {
  constexpr int kWorkers = 3, kCallers = 16, kTasksEach = 50;
  EngineWorkers workers(kWorkers);
  absl::Mutex mu;
  std::set<std::thread::id> worker_ids;
  std::atomic<int> running{0}, peak{0}, done{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&] {
      for (int t = 0; t < kTasksEach; ++t) {
        int result = -1;
        workers.Run([&] {
          const int now = ++running;
          int p = peak.load();
          while (now > p && !peak.compare_exchange_weak(p, now)) {
          }
          {
            absl::MutexLock lock(&mu);
            worker_ids.insert(std::this_thread::get_id());
          }
          result = t;
          --running;
        });
        // Run returned only after the task did: its result is visible.
        EXPECT_EQ(result, t);
        ++done;
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(done.load(), kCallers * kTasksEach);
  EXPECT_LE(peak.load(), kWorkers);
  EXPECT_LE(worker_ids.size(), static_cast<size_t>(kWorkers));
  EXPECT_GE(worker_ids.size(), 1u);
}

// Threads of this process, from /proc/self/status.
int ProcessThreads() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST(EngineWorkersTest, DestructorEndsEveryWorkerThread) {
  const int before = ProcessThreads();
  ASSERT_GT(before, 0);
  {
    EngineWorkers workers(4);
    EXPECT_EQ(ProcessThreads(), before + 4);
    workers.Run([] {});
  }
  EXPECT_EQ(ProcessThreads(), before);
}

}  // namespace
}  // namespace feedgov::service
