#include "engine/service/engine_workers.h"

namespace feedgov::service {

EngineWorkers::EngineWorkers(int threads) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

EngineWorkers::~EngineWorkers() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void EngineWorkers::Run(absl::FunctionRef<void()> task) {
  Task t{task};
  absl::MutexLock lock(&mu_);
  queue_.push_back(&t);
  mu_.Await(absl::Condition(&t.done));
}

void EngineWorkers::Loop() {
  for (;;) {
    Task* t = nullptr;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stop_ and nothing left to run.
      t = queue_.front();
      queue_.pop_front();
    }
    t->fn();
    absl::MutexLock lock(&mu_);
    t->done = true;
  }
}

}  // namespace feedgov::service
