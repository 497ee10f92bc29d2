// RateLimitedLog: at most N lines per kind and second, a summary of the
// suppressed ones, unlimited lines untouched.
#include "engine/service/rate_limited_log.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov::service {
namespace {

TEST(RateLimitedLogTest, LimitsEachKindPerSecondAndSummarizes) {
  std::ostringstream out;
  ::feedgov::testing::FakeClock clock;
  RateLimitedLog log(&out, 2, &clock);
  for (int i = 0; i < 5; ++i) log.WriteLimited("a", absl::StrCat("a", i));
  log.WriteLimited("b", "b0");  // Another kind has its own budget.
  log.Write("plain");           // Never limited.
  EXPECT_EQ(out.str(), "a0\na1\nb0\nplain\n");
  clock.Advance(absl::Milliseconds(999));
  log.WriteLimited("a", "a5");  // Same window: dropped.
  EXPECT_EQ(out.str(), "a0\na1\nb0\nplain\n");
  clock.Advance(absl::Milliseconds(1));
  log.WriteLimited("a", "a6");
  EXPECT_EQ(out.str(),
            "a0\na1\nb0\nplain\n"
            "log: suppressed 4 similar lines (kind=a) in 1 s\na6\n");
  clock.Advance(absl::Seconds(5));
  log.WriteLimited("a", "a7");  // Nothing suppressed since: no summary.
  EXPECT_THAT(out.str(), ::testing::EndsWith("a6\na7\n"));
}

TEST(RateLimitedLogTest, NullStreamWritesNothing) {
  ::feedgov::testing::FakeClock clock;
  RateLimitedLog log(nullptr, 1, &clock);
  log.Write("x");
  log.WriteLimited("k", "y");
}

}  // namespace
}  // namespace feedgov::service
