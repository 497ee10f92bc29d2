#include "engine/service/admission.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace feedgov::service {

absl::Status AdmissionOptions::Validate() const {
  if (max_running < 1 || max_running > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_running (--threads) ", max_running, " outside [1, 256]"));
  }
  if (max_waiting < 0 || max_waiting > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_waiting (--max-queued-calls) ", max_waiting, " outside [0, 4096]"));
  }
  if (cancel_poll <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("cancel_poll must be positive");
  }
  return absl::OkStatus();
}

AdmissionQueue::AdmissionQueue(AdmissionOptions options)
    : options_(std::move(options)) {}

absl::Status AdmissionQueue::Acquire(absl::Time deadline,
                                     absl::FunctionRef<bool()> cancelled) {
  absl::MutexLock lock(&mu_);
  if (running_ < options_.max_running && queue_.empty()) {
    peak_running_ = std::max(peak_running_, ++running_);
    return absl::OkStatus();
  }
  if (static_cast<int>(queue_.size()) >= options_.max_waiting) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "server busy: ", running_, " ", options_.lane, " calls running (",
        options_.max_running, " slots) and ", queue_.size(),
        " waiting (--max-queued-calls ", options_.max_waiting,
        "); retry with backoff"));
  }
  Waiter me;
  auto pos = queue_.insert(queue_.end(), &me);
  peak_waiting_ = std::max(peak_waiting_, static_cast<int>(queue_.size()));
  while (!me.granted) {
    const absl::Time now = absl::Now();
    absl::Status refused;
    if (now >= deadline) {
      refused = absl::DeadlineExceededError(absl::StrCat(
          "deadline passed while queued behind ", running_, " running ",
          options_.lane, " calls (", options_.max_running, " slots)"));
    } else if (cancelled()) {
      refused = absl::CancelledError("cancelled by the client while queued");
    }
    if (!refused.ok()) {
      queue_.erase(pos);
      return refused;
    }
    me.cv.WaitWithDeadline(&mu_, std::min(deadline, now + options_.cancel_poll));
  }
  // Release() handed its slot over (running_ kept). A call whose deadline
  // passed or whose client gave up meanwhile gets no engine work: the slot
  // goes on to the next waiter. The deadline first: gRPC also reports a
  // call past its deadline as cancelled.
  if (absl::Now() >= deadline) {
    ReleaseLocked();
    return absl::DeadlineExceededError(absl::StrCat(
        "deadline passed while queued behind ", running_, " running ",
        options_.lane, " calls (", options_.max_running, " slots)"));
  }
  if (cancelled()) {
    ReleaseLocked();
    return absl::CancelledError("cancelled by the client while queued");
  }
  return absl::OkStatus();
}

void AdmissionQueue::Release() {
  absl::MutexLock lock(&mu_);
  ReleaseLocked();
}

void AdmissionQueue::ReleaseLocked() {
  if (queue_.empty()) {
    --running_;
    return;
  }
  Waiter* next = queue_.front();
  queue_.pop_front();
  next->granted = true;
  next->cv.Signal();
}

int AdmissionQueue::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

int AdmissionQueue::waiting() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int AdmissionQueue::peak_running() const {
  absl::MutexLock lock(&mu_);
  return peak_running_;
}

int AdmissionQueue::peak_waiting() const {
  absl::MutexLock lock(&mu_);
  return peak_waiting_;
}

}  // namespace feedgov::service
