#include "engine/retrieval/brute_force.h"

#include <vector>

#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;

// Four 2-d unit rows at hand-picked angles.
RowMatrixXf FourRows() {
  RowMatrixXf m(4, 2);
  m << 1, 0,   //
      0, 1,    //
      -1, 0,   //
      0.6f, 0.8f;
  return m;
}

TEST(BruteForceSearch, RanksByHandComputedCosine) {
  const std::vector<float> query = {2, 0};  // Norm 2: normalized internally.
  ASSERT_OK_AND_ASSIGN(auto hits, BruteForceSearch(FourRows(), query, 3, nullptr));
  EXPECT_THAT(hits, ElementsAre(Hit{0, 1.0f}, Hit{3, 0.6f}, Hit{1, 0.0f}));
}

TEST(BruteForceSearch, TiesBreakByRowAscending) {
  RowMatrixXf m(3, 2);
  m << 0, 1, 1, 0, 1, 0;
  const std::vector<float> query = {1, 0};
  ASSERT_OK_AND_ASSIGN(auto hits, BruteForceSearch(m, query, 3, nullptr));
  EXPECT_THAT(hits, ElementsAre(Hit{1, 1.0f}, Hit{2, 1.0f}, Hit{0, 0.0f}));
}

TEST(BruteForceSearch, OnlyEligibleRowsAndAllOfThemWhenFewerThanK) {
  RowSet eligible(4);
  eligible.insert(1);
  eligible.insert(2);
  const std::vector<float> query = {1, 0};
  ASSERT_OK_AND_ASSIGN(auto hits, BruteForceSearch(FourRows(), query, 10, &eligible));
  EXPECT_THAT(hits, ElementsAre(Hit{1, 0.0f}, Hit{2, -1.0f}));
}

TEST(BruteForceAboveThreshold, KeepsRowsAtOrAboveThreshold) {
  const std::vector<float> query = {1, 0};
  ASSERT_OK_AND_ASSIGN(auto hits,
                       BruteForceAboveThreshold(FourRows(), query, 0.6f, 10, nullptr));
  EXPECT_THAT(hits, ElementsAre(Hit{0, 1.0f}, Hit{3, 0.6f}));
}

TEST(ValidateQuery, NamesTheProblem) {
  const std::vector<float> short_query(32, 1.0f);
  EXPECT_THAT(ValidateQuery(short_query, 64),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "query has 32 floats, want 64"));
  const std::vector<float> zero(4, 0.0f);
  EXPECT_THAT(ValidateQuery(zero, 4),
              StatusIs(absl::StatusCode::kInvalidArgument, "non-zero"));
  const std::vector<float> inf = {1, std::numeric_limits<float>::infinity()};
  EXPECT_THAT(ValidateQuery(inf, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, "query[1] is inf"));
}

}  // namespace
}  // namespace feedgov
