// File: engine/service/rate_limited_log.h
//
// RateLimitedLog: the server's request log (one line per RPC), with lines
// of a noisy kind (e.g. requests whose bytes cannot be decoded, which a
// broken or hostile client can send at line rate) limited to
// `lines_per_second` per kind and one-second window. The first line of a
// kind written after a window in which K lines of that kind were dropped is
// preceded by "log: suppressed K similar lines (kind=<kind>) in 1 s". The
// exact numbers are always in the counters (AdminService.Stats).
//
// Thread-safety: thread-safe; lines are written whole.
#ifndef FEEDGOV_ENGINE_SERVICE_RATE_LIMITED_LOG_H_
#define FEEDGOV_ENGINE_SERVICE_RATE_LIMITED_LOG_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/common/clock.h"

namespace feedgov::service {

class RateLimitedLog {
 public:
  // `out` may be null (nothing is written); not owned, outlives the log.
  // `lines_per_second` >= 1.
  RateLimitedLog(std::ostream* out, int lines_per_second, const Clock* clock);

  // Writes `line` (a newline is added).
  void Write(absl::string_view line);
  // Writes `line` unless `kind` already wrote lines_per_second lines in
  // its current window (see the file comment).
  void WriteLimited(absl::string_view kind, absl::string_view line);

 private:
  struct Window {
    absl::Time start = absl::InfinitePast();
    int written = 0;
    int64_t suppressed = 0;
  };

  std::ostream* const out_;
  const int lines_per_second_;
  const Clock* const clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_RATE_LIMITED_LOG_H_
