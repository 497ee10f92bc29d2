// File: engine/testing/status_matchers.h
//
// GoogleTest 1.12 has no absl::Status matchers; these are the small ones we
// need. Test-only.
#ifndef FEEDGOV_ENGINE_TESTING_STATUS_MATCHERS_H_
#define FEEDGOV_ENGINE_TESTING_STATUS_MATCHERS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace feedgov::testing

// EXPECT_OK(status_or_statusor);
#define EXPECT_OK(expr) \
  EXPECT_TRUE(::feedgov::testing::GetStatus(expr).ok()) \
      << ::feedgov::testing::GetStatus(expr)
#define ASSERT_OK(expr) \
  ASSERT_TRUE(::feedgov::testing::GetStatus(expr).ok()) \
      << ::feedgov::testing::GetStatus(expr)

// ASSERT_OK_AND_ASSIGN(auto x, MakeX());
#define FEEDGOV_TEST_CONCAT_INNER_(a, b) a##b
#define FEEDGOV_TEST_CONCAT_(a, b) FEEDGOV_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(FEEDGOV_TEST_CONCAT_(statusor_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(so, lhs, rexpr) \
  auto so = (rexpr);                               \
  ASSERT_TRUE(so.ok()) << so.status();             \
  lhs = std::move(so).value()

// Matches a Status/StatusOr whose code is `code` and whose message contains
// `substr`.
MATCHER_P2(StatusIs, code, substr,
           std::string("has code ") + absl::StatusCodeToString(code) +
               " and message containing '" + std::string(substr) + "'") {
  const absl::Status& s = ::feedgov::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         s.message().find(std::string(substr)) != absl::string_view::npos;
}

#endif  // FEEDGOV_ENGINE_TESTING_STATUS_MATCHERS_H_
