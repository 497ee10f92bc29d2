#include "engine/service/rate_limited_log.h"

#include "absl/strings/str_cat.h"

namespace feedgov::service {

RateLimitedLog::RateLimitedLog(std::ostream* out, int lines_per_second,
                               const Clock* clock)
    : out_(out),
      lines_per_second_(lines_per_second < 1 ? 1 : lines_per_second),
      clock_(clock) {}

void RateLimitedLog::Write(absl::string_view line) {
  if (out_ == nullptr) return;
  const std::string text = absl::StrCat(line, "\n");
  absl::MutexLock lock(&mu_);
  *out_ << text << std::flush;
}

void RateLimitedLog::WriteLimited(absl::string_view kind,
                                  absl::string_view line) {
  if (out_ == nullptr) return;
  const absl::Time now = clock_->Now();
  std::string text;
  absl::MutexLock lock(&mu_);
  Window& w = windows_[kind];
  if (now - w.start >= absl::Seconds(1)) {
    if (w.suppressed > 0) {
      absl::StrAppend(&text, "log: suppressed ", w.suppressed,
                      " similar lines (kind=", kind, ") in 1 s\n");
    }
    w = Window{now, 0, 0};
  }
  if (w.written >= lines_per_second_) {
    ++w.suppressed;
    return;
  }
  ++w.written;
  absl::StrAppend(&text, line, "\n");
  *out_ << text << std::flush;
}

}  // namespace feedgov::service
