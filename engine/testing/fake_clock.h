// File: engine/testing/fake_clock.h
//
// A Clock whose time only moves when a test says so. Thread-safe.
#ifndef FEEDGOV_ENGINE_TESTING_FAKE_CLOCK_H_
#define FEEDGOV_ENGINE_TESTING_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "engine/common/clock.h"

namespace feedgov::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000))
      : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedgov::testing

#endif  // FEEDGOV_ENGINE_TESTING_FAKE_CLOCK_H_
