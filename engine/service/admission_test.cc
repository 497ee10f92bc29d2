// AdmissionQueue: slots, FIFO hand-over, the queue bound, deadlines and
// cancellation, checked against counts kept by the test itself.
#include "engine/service/admission.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "engine/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace feedgov::service {
namespace {

bool Never() { return false; }

AdmissionOptions Opts(int running, int waiting) {
  AdmissionOptions o;
  o.max_running = running;
  o.max_waiting = waiting;
  o.cancel_poll = absl::Milliseconds(5);
  return o;
}

// Spins until `pred` holds (the test's own threads reach a known state).
template <typename Pred>
void WaitFor(Pred pred) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!pred() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_TRUE(pred());
}

TEST(AdmissionOptionsTest, ValidateNamesFieldAndRange) {
  EXPECT_OK(Opts(1, 0).Validate());
  EXPECT_OK(Opts(256, 4096).Validate());
  for (auto [running, waiting] : {std::pair{0, 10}, {257, 10}, {4, -1}, {4, 4097}}) {
    absl::Status s = Opts(running, waiting).Validate();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << running << " " << waiting;
    EXPECT_NE(s.message().find("outside"), absl::string_view::npos) << s;
  }
}

TEST(AdmissionQueueTest, AdmitsUpToMaxRunningWithoutWaiting) {
  AdmissionQueue q(Opts(2, 0));
  EXPECT_OK(q.Acquire(absl::InfiniteFuture(), Never));
  EXPECT_OK(q.Acquire(absl::InfiniteFuture(), Never));
  EXPECT_EQ(q.running(), 2);
  // No queue at all: the third is refused at once.
  EXPECT_EQ(q.Acquire(absl::InfiniteFuture(), Never).code(),
            absl::StatusCode::kResourceExhausted);
  q.Release();
  EXPECT_OK(q.Acquire(absl::InfiniteFuture(), Never));
  q.Release();
  q.Release();
  EXPECT_EQ(q.running(), 0);
}

TEST(AdmissionQueueTest, HandsSlotsOverInArrivalOrder) {
  AdmissionQueue q(Opts(1, 8));
  ASSERT_OK(q.Acquire(absl::InfiniteFuture(), Never));  // The holder.
  absl::Mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&, i] {
      ASSERT_OK(q.Acquire(absl::InfiniteFuture(), Never));
      {
        absl::MutexLock lock(&mu);
        order.push_back(i);
      }
      q.Release();
    });
    WaitFor([&] { return q.waiting() == i + 1; });  // Fixes the arrival order.
  }
  EXPECT_EQ(q.running(), 1);
  q.Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(q.running(), 0);
  EXPECT_EQ(q.waiting(), 0);
  EXPECT_EQ(q.peak_waiting(), 5);
}

TEST(AdmissionQueueTest, RefusesOnlyBeyondTheQueueBound) {
  AdmissionQueue q(Opts(1, 2));
  ASSERT_OK(q.Acquire(absl::InfiniteFuture(), Never));
  std::vector<std::thread> waiters;
  for (int i = 0; i < 2; ++i) {
    waiters.emplace_back([&] {
      EXPECT_OK(q.Acquire(absl::InfiniteFuture(), Never));
      q.Release();
    });
  }
  WaitFor([&] { return q.waiting() == 2; });
  absl::Status refused = q.Acquire(absl::InfiniteFuture(), Never);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("server busy"), absl::string_view::npos) << refused;
  EXPECT_NE(refused.message().find("--max-queued-calls 2"), absl::string_view::npos)
      << refused;
  EXPECT_EQ(q.waiting(), 2);  // The refused call did not take a place.
  q.Release();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(q.running(), 0);
}

TEST(AdmissionQueueTest, DeadlinePassingWhileQueuedLeavesTheQueue) {
  AdmissionQueue q(Opts(1, 4));
  ASSERT_OK(q.Acquire(absl::InfiniteFuture(), Never));
  const absl::Time start = absl::Now();
  absl::Status s = q.Acquire(start + absl::Milliseconds(60), Never);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(60));
  EXPECT_EQ(q.waiting(), 0);
  // A deadline already in the past with no free slot fails at once.
  EXPECT_EQ(q.Acquire(absl::Now() - absl::Seconds(1), Never).code(),
            absl::StatusCode::kDeadlineExceeded);
  q.Release();
  EXPECT_EQ(q.running(), 0);
  // With a free slot the past deadline does not matter (the handler checks).
  EXPECT_OK(q.Acquire(absl::Now() - absl::Seconds(1), Never));
  q.Release();
}

TEST(AdmissionQueueTest, CancelledWhileQueuedLeavesTheQueue) {
  AdmissionQueue q(Opts(1, 4));
  ASSERT_OK(q.Acquire(absl::InfiniteFuture(), Never));
  std::atomic<bool> cancel{false};
  std::thread waiter([&] {
    absl::Status s = q.Acquire(absl::InfiniteFuture(), [&] { return cancel.load(); });
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  });
  WaitFor([&] { return q.waiting() == 1; });
  cancel = true;
  waiter.join();
  EXPECT_EQ(q.waiting(), 0);
  q.Release();
  EXPECT_EQ(q.running(), 0);
}

// The client gives up just as the slot is handed over: the waiter must not
// run (CANCELLED), and the slot must pass on rather than leak. The poll is
// an hour, so only the hand-over can observe the cancellation.
TEST(AdmissionQueueTest, CancelledWhenGrantedPassesTheSlotOn) {
  AdmissionOptions o = Opts(1, 4);
  o.cancel_poll = absl::Hours(1);
  AdmissionQueue q(o);
  ASSERT_OK(q.Acquire(absl::InfiniteFuture(), Never));
  std::atomic<bool> cancel{false};
  std::thread first([&] {
    absl::Status s = q.Acquire(absl::InfiniteFuture(), [&] { return cancel.load(); });
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  });
  WaitFor([&] { return q.waiting() == 1; });
  std::atomic<bool> second_in{false};
  std::thread second([&] {
    // Bounded, so a leaked slot fails the test instead of hanging it.
    EXPECT_OK(q.Acquire(absl::Now() + absl::Seconds(10), Never));
    second_in = true;
    q.Release();
  });
  WaitFor([&] { return q.waiting() == 2; });
  cancel = true;
  q.Release();  // To `first`, which hands it to `second`.
  first.join();
  second.join();
  EXPECT_TRUE(second_in.load());
  EXPECT_EQ(q.running(), 0);  // Also the slot `first` would have leaked.
  EXPECT_EQ(q.waiting(), 0);
}

// Oracle: a counter of callers inside the critical section, kept by the
// test, never exceeds max_running, and every caller gets in.
TEST(AdmissionQueueTest, NeverRunsMoreThanMaxRunningUnderContention) {
  constexpr int kThreads = 24, kRounds = 40, kMaxRunning = 3;
  AdmissionQueue q(Opts(kMaxRunning, kThreads));
  std::atomic<int> inside{0}, most{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        ASSERT_OK(q.Acquire(absl::InfiniteFuture(), Never));
        int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
        ++done;
        q.Release();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done.load(), kThreads * kRounds);
  EXPECT_LE(most.load(), kMaxRunning);
  EXPECT_LE(q.peak_running(), kMaxRunning);
  EXPECT_EQ(q.running(), 0);
  EXPECT_EQ(q.waiting(), 0);
}

}  // namespace
}  // namespace feedgov::service
