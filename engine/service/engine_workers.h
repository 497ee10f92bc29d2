// File: engine/service/engine_workers.h
//
// EngineWorkers: a fixed pool of threads that run the engine's work for
// RPC handlers. gRPC's sync server runs each call on whichever of its
// threads took it (one per call in flight, 64+ under load); running
// FeedEngine::Rank on the same few long-lived threads instead keeps their
// caches, stacks and malloc arenas warm, as in an in-process caller.
//
// Run() blocks the calling (gRPC) thread until a worker has run the task.
// The admission queue in front (admission.h) admits at most `threads`
// Ranks, so with as many workers a task never waits for one.
//
// Thread-safety: Run() may be called from any number of threads. The
// destructor waits for running tasks and must not race with Run().
#ifndef FEEDGOV_ENGINE_SERVICE_ENGINE_WORKERS_H_
#define FEEDGOV_ENGINE_SERVICE_ENGINE_WORKERS_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace feedgov::service {

class EngineWorkers {
 public:
  // REQUIRES: 1 <= threads <= 256.
  explicit EngineWorkers(int threads);
  ~EngineWorkers();
  EngineWorkers(const EngineWorkers&) = delete;
  EngineWorkers& operator=(const EngineWorkers&) = delete;

  // Runs `task` on a worker thread and returns when it has returned.
  void Run(absl::FunctionRef<void()> task);

  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  struct Task {
    absl::FunctionRef<void()> fn;
    bool done = false;
  };
  void Loop();

  absl::Mutex mu_;
  std::deque<Task*> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_ENGINE_WORKERS_H_
