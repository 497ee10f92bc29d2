// File: engine/common/clock.h
//
// Injected time source. Production code takes a `const Clock&` (or
// shared_ptr) and never calls absl::Now() directly, so tests drive time with
// FakeClock (engine/testing/fake_clock.h).
#ifndef FEEDGOV_ENGINE_COMMON_CLOCK_H_
#define FEEDGOV_ENGINE_COMMON_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace feedgov {

// Thread-safe: implementations must allow concurrent Now() calls.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // Process-wide instance; never destroyed.
  static const RealClock& Get() {
    static const RealClock* clock = new RealClock;
    return *clock;
  }
};

// A clock that always reads the same instant (`feedgov rank --now`, golden
// pages). Thread-safe (immutable).
class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override { return now_; }

 private:
  const absl::Time now_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_CLOCK_H_
