#include "engine/scoring/scorer.h"

#include <cmath>

#include "engine/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

constexpr UnixSeconds kDay = 86400;

std::vector<Item> TwoItems() {
  Item a;
  a.id = 10;
  a.decayed_popularity = 99.0f;  // the most popular: prior 1.0
  a.first_seen = 1000 * kDay;    // age 0 at reference time: freshness 1.0
  Item b;
  b.id = 20;
  b.decayed_popularity = 9.0f;   // log1p(9)/log1p(99) = log(10)/log(100) = 0.5
  b.first_seen = 1000 * kDay - 365 * kDay;  // one freshness half-life old
  return {a, b};
}

TEST(ItemPriors, MatchesHandComputedValues) {
  ScoringOptions o;
  o.freshness_half_life_days = 365;
  ItemPriors p = ItemPriors::Compute(TwoItems(), 1000 * kDay, o);
  EXPECT_NEAR(p.popularity(0), 1.0, 1e-6);
  EXPECT_NEAR(p.popularity(1), 0.5, 1e-6);
  EXPECT_NEAR(p.freshness(0), 1.0, 1e-6);
  EXPECT_NEAR(p.freshness(1), 0.5, 1e-6);
  EXPECT_NEAR(p.prior_score(1), 0.3 * 0.5 + 0.1 * 0.5, 1e-6);
  EXPECT_EQ(p.rows_by_prior(), (std::vector<Row>{0, 1}));
  EXPECT_EQ(p.prior_scores_by_rank(),
            (std::vector<float>{p.prior_score(0), p.prior_score(1)}));
}

TEST(ItemPriors, TiesAreBrokenByItemId) {
  std::vector<Item> items = TwoItems();
  items[1] = items[0];
  items[0].id = 30;  // row 0 has the larger id
  ItemPriors p = ItemPriors::Compute(items, 1000 * kDay, ScoringOptions{});
  EXPECT_EQ(p.rows_by_prior(), (std::vector<Row>{1, 0}));
  EXPECT_EQ(p.prior_scores_by_rank(),
            (std::vector<float>{p.prior_score(1), p.prior_score(0)}));
}

TEST(Scorer, BlendIsTheDocumentedLinearCombination) {
  ScoringOptions o;
  o.similarity_weight = 2.0;
  o.popularity_weight = 0.5;
  o.freshness_weight = 0.25;
  o.freshness_half_life_days = 365;
  ItemPriors p = ItemPriors::Compute(TwoItems(), 1000 * kDay, o);
  Scorer s(o);
  std::vector<Row> rows = {1, 0};
  std::vector<float> sims = {0.5f, -0.25f};
  ASSERT_OK_AND_ASSIGN(auto scores, s.Score(rows, sims, p));
  EXPECT_NEAR(scores[0], 2.0 * 0.75 + 0.5 * 0.5 + 0.25 * 0.5, 1e-6);
  EXPECT_NEAR(scores[1], 2.0 * 0.375 + 0.5 * 1.0 + 0.25 * 1.0, 1e-6);
  ASSERT_OK_AND_ASSIGN(auto prior_only, s.Score(rows, {}, p));
  EXPECT_NEAR(prior_only[0], 0.5 * 0.5 + 0.25 * 0.5, 1e-6);
}

TEST(Scorer, RejectsMismatchedSpansAndBadRows) {
  ItemPriors p = ItemPriors::Compute(TwoItems(), 1000 * kDay, ScoringOptions{});
  Scorer s{ScoringOptions{}};
  std::vector<Row> rows = {0, 1};
  std::vector<float> one = {0.1f};
  EXPECT_THAT(s.Score(rows, one, p),
              StatusIs(absl::StatusCode::kInvalidArgument, "1 similarities for 2"));
  std::vector<Row> bad = {5};
  EXPECT_THAT(s.Score(bad, {}, p),
              StatusIs(absl::StatusCode::kInvalidArgument, "row 5 outside"));
}

TEST(ItemPriors, ANonFinitePopularityDoesNotZeroTheOthers) {
  std::vector<Item> items = TwoItems();
  Item bad;
  bad.id = 30;
  bad.first_seen = 1000 * kDay;
  for (float p : {INFINITY, NAN, -5.0f}) {
    bad.decayed_popularity = p;
    items.resize(2);
    items.push_back(bad);
    ItemPriors priors = ItemPriors::Compute(items, 1000 * kDay, ScoringOptions());
    // As if the bad item had popularity 0 (hand-computed, first test).
    EXPECT_NEAR(priors.popularity(0), 1.0, 1e-6) << p;
    EXPECT_NEAR(priors.popularity(1), 0.5, 1e-6) << p;
    EXPECT_EQ(priors.popularity(2), 0.0f) << p;
    for (Row r = 0; r < 3; ++r) EXPECT_TRUE(std::isfinite(priors.prior_score(r)));
  }
}

TEST(Scorer, CosinesAreClampedSoNoScoreLeavesItsRange) {
  ScoringOptions o;
  o.similarity_weight = 1;
  o.popularity_weight = 0;
  o.freshness_weight = 0;
  Scorer scorer(o);
  ItemPriors priors = ItemPriors::Compute(TwoItems(), 1000 * kDay, o);
  const std::vector<Row> rows = {0, 1, 0, 1, 0};
  const std::vector<float> sims = {1.0000002f, NAN, -3.0f, INFINITY, 0.2f};
  ASSERT_OK_AND_ASSIGN(std::vector<double> scores,
                       scorer.Score(rows, sims, priors));
  // (1 + clamp(cos)) / 2, NaN as -1.
  EXPECT_EQ(scores, (std::vector<double>{1.0, 0.0, 0.0, 1.0,
                                         (1.0 + double{0.2f}) / 2}));
}

TEST(ScoringOptions, ValidateNamesTheField) {
  ScoringOptions o;
  o.freshness_half_life_days = 0;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     "freshness_half_life_days"));
  o = ScoringOptions{};
  o.popularity_weight = std::nan("");
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     "popularity_weight"));
}

}  // namespace
}  // namespace feedgov
