// File: engine/service/admission.h
//
// AdmissionQueue: bounds how many RPCs run their engine work at once
// (`feedgov serve --threads`) and queues the rest, first come first served,
// instead of refusing them. A call is refused only when
//  * max_waiting calls are already queued (RESOURCE_EXHAUSTED, "server busy";
//    the client should retry with backoff), or
//  * its deadline passes while it waits (DEADLINE_EXCEEDED), or
//  * the client cancels it while it waits (CANCELLED).
//
// Thread-safety: all methods thread-safe.
#ifndef FEEDGOV_ENGINE_SERVICE_ADMISSION_H_
#define FEEDGOV_ENGINE_SERVICE_ADMISSION_H_

#include <cstdint>
#include <list>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace feedgov::service {

struct AdmissionOptions {
  // Calls running at once, [1, 256].
  int max_running = 4;
  // Calls waiting for a slot, [0, 4096]; one more is RESOURCE_EXHAUSTED.
  int max_waiting = 1024;
  // Names the lane in messages, e.g. "Rank" -> "4 Rank calls running".
  std::string lane = "Rank";
  // How often a waiting call checks whether its client cancelled it.
  absl::Duration cancel_poll = absl::Milliseconds(250);

  // INVALID_ARGUMENT naming the field and its range.
  absl::Status Validate() const;
};

class AdmissionQueue {
 public:
  // REQUIRES: options.Validate().ok().
  explicit AdmissionQueue(AdmissionOptions options);
  AdmissionQueue(const AdmissionQueue&) = delete;
  AdmissionQueue& operator=(const AdmissionQueue&) = delete;

  // Takes a slot, waiting in FIFO order while max_running calls run. OK
  // means the caller holds a slot and must Release() it. Errors (no slot
  // held): RESOURCE_EXHAUSTED when max_waiting calls already wait;
  // DEADLINE_EXCEEDED when `deadline` passes first (also when it has
  // passed already and no slot is free); CANCELLED when `cancelled()`
  // becomes true (polled every cancel_poll while waiting, and once more
  // when a slot is handed over, which then passes to the next waiter; the
  // deadline is checked then too). `cancelled` runs with the queue's lock
  // held and must not call back into the queue. The messages name the
  // bounds.
  absl::Status Acquire(absl::Time deadline,
                       absl::FunctionRef<bool()> cancelled);
  // Gives the slot to the longest-waiting call, or frees it.
  void Release();

  int running() const;
  int waiting() const;
  // Largest running() / waiting() seen since construction.
  int peak_running() const;
  int peak_waiting() const;
  const AdmissionOptions& options() const { return options_; }

 private:
  struct Waiter {
    absl::CondVar cv;
    bool granted = false;
  };

  void ReleaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const AdmissionOptions options_;
  mutable absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_running_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_waiting_ ABSL_GUARDED_BY(mu_) = 0;
  std::list<Waiter*> queue_ ABSL_GUARDED_BY(mu_);  // Front waits longest.
};

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_ADMISSION_H_
