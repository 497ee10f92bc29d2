#include "engine/model/eval.h"

#include <cmath>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "engine/model/model_config.h"
#include "engine/model/ratings_csv_for_test.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(MetricsTest, RecallAtKMatchesHandComputedValues) {
  absl::flat_hash_set<ItemId> relevant = {2, 5, 9};
  // Top-3 of {1,2,3,5} holds 2 hits (2); min(3, 3) = 3 -> 1/3.
  EXPECT_DOUBLE_EQ(RecallAtK({1, 2, 3, 5}, relevant, 3), 1.0 / 3);
  // Top-4 holds hits 2 and 5 -> 2/3.
  EXPECT_DOUBLE_EQ(RecallAtK({1, 2, 3, 5}, relevant, 4), 2.0 / 3);
  // k = 2 < |relevant| -> denominator 2; one hit -> 1/2.
  EXPECT_DOUBLE_EQ(RecallAtK({5, 1}, relevant, 2), 0.5);
  // A repeated hit counts once.
  EXPECT_DOUBLE_EQ(RecallAtK({5, 5, 5}, relevant, 3), 1.0 / 3);
  EXPECT_DOUBLE_EQ(RecallAtK({9, 5, 2}, relevant, 20), 1.0);
  EXPECT_DOUBLE_EQ(RecallAtK({1, 2}, {}, 20), 0.0);
  EXPECT_DOUBLE_EQ(RecallAtK({2}, relevant, 0), 0.0);
}

TEST(MetricsTest, NdcgAtKMatchesHandComputedValues) {
  absl::flat_hash_set<ItemId> relevant = {2, 5};
  // Hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068.
  // Ideal (2 hits at ranks 1, 2) = 1 + 0.63093.
  double want = (1 / std::log2(3.0) + 1 / std::log2(5.0)) /
                (1 + 1 / std::log2(3.0));
  EXPECT_NEAR(NdcgAtK({1, 2, 3, 5}, relevant, 10), want, 1e-12);
  EXPECT_NEAR(NdcgAtK({1, 2, 3, 5}, relevant, 10), 0.650921, 1e-6);
  // k = 1 with a miss at rank 1 -> 0; a hit at rank 1 -> 1.
  EXPECT_DOUBLE_EQ(NdcgAtK({1, 2}, relevant, 1), 0.0);
  EXPECT_DOUBLE_EQ(NdcgAtK({5, 1}, relevant, 1), 1.0);
  // k = 2, one hit at rank 2, ideal over min(2, 2): 0.63093 / 1.63093.
  EXPECT_NEAR(NdcgAtK({1, 5}, relevant, 2), 0.386853, 1e-6);
  EXPECT_DOUBLE_EQ(NdcgAtK({2, 5, 7}, relevant, 3), 1.0);
  // Repeated hit counts once.
  EXPECT_NEAR(NdcgAtK({5, 5}, relevant, 2), 1 / (1 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_DOUBLE_EQ(NdcgAtK({1}, {}, 5), 0.0);
}

TEST(SplitTest, HoldsOutLatestFifthPerUserTiesByItemId) {
  std::vector<Interaction> r;
  // User 1: 10 ratings at times 100..91 (descending item ids) -> 2 held out.
  for (int j = 0; j < 10; ++j) r.push_back({1, 100 + j, 3.0f, 100 - j});
  // User 2: 3 ratings, two tied at the latest time -> floor(0.6) -> 1 held
  // out: the tie is broken by item id, so item 9 (the larger) is latest.
  r.push_back({2, 9, 1.0f, 50});
  r.push_back({2, 4, 1.0f, 50});
  r.push_back({2, 7, 1.0f, 10});
  // User 3: a single rating stays in train.
  r.push_back({3, 1, 5.0f, 5});
  TimeSplit split = SplitByTime(r, 0.2);
  std::vector<std::pair<UserId, ItemId>> test;
  for (const Interaction& x : split.test) test.emplace_back(x.user, x.item);
  EXPECT_THAT(test, ElementsAre(std::pair<UserId, ItemId>{1, 101},
                                std::pair<UserId, ItemId>{1, 100},
                                std::pair<UserId, ItemId>{2, 9}));
  EXPECT_EQ(split.train.size(), 8u + 2u + 1u);
  for (const Interaction& t : split.train) {
    for (const Interaction& h : split.test) {
      if (t.user == h.user) {
        EXPECT_LE(t.time, h.time);
      }
    }
  }
}

TEST(SplitTest, TwoRatingsHoldOutOneAndHoldoutNeverEmptiesTrain) {
  std::vector<Interaction> r = {{1, 1, 1.0f, 1}, {1, 2, 1.0f, 2}};
  TimeSplit split = SplitByTime(r, 0.2);
  ASSERT_EQ(split.test.size(), 1u);
  EXPECT_EQ(split.test[0].item, 2);
  split = SplitByTime(r, 1.0);
  EXPECT_EQ(split.train.size(), 1u);
  EXPECT_TRUE(SplitByTime(r, 0.0).test.empty());
}

TEST(SplitTest, FractionOfLargeHistoryIsFloored) {
  std::vector<Interaction> r;
  for (int j = 0; j < 23; ++j) r.push_back({4, j, 1.0f, j});
  TimeSplit split = SplitByTime(r, 0.2);  // floor(4.6) = 4.
  ASSERT_EQ(split.test.size(), 4u);
  for (const Interaction& h : split.test) EXPECT_GE(h.item, 19);
}

TimeSplit ToySplit() {
  TimeSplit s;
  // Train: item 10 rated by 3 users, item 20 by 2, item 30 by 1.
  s.train = {{1, 10, 1, 1}, {2, 10, 1, 1}, {3, 10, 1, 1},
             {1, 20, 1, 1}, {2, 20, 1, 1}, {3, 30, 1, 1},
             {4, 40, 1, 1}};
  s.test = {{1, 30, 1, 2}, {2, 40, 1, 2}, {3, 20, 1, 2}};
  return s;
}

TEST(EvaluateRankerTest, PerfectRankerScoresOneAndUsersWithoutHoldoutSkipped) {
  TimeSplit s = ToySplit();
  Ranker oracle = [&](UserId user, int k) {
    std::vector<ItemId> out;
    for (const Interaction& h : s.test)
      if (h.user == user) out.push_back(h.item);
    return out;
  };
  EvalRow row = EvaluateRanker(s, "oracle", oracle, 20);
  EXPECT_EQ(row.method, "oracle");
  EXPECT_EQ(row.users, 3);  // User 4 has no holdout.
  EXPECT_DOUBLE_EQ(row.recall, 1.0);
  EXPECT_DOUBLE_EQ(row.ndcg, 1.0);
}

TEST(EvaluateRankerTest, PopularityExcludesTrainItemsAndOrdersByCount) {
  TimeSplit s = ToySplit();
  Ranker pop = MakePopularityRanker(s);
  // User 1 saw 10, 20: remaining by count are 30 (1), 40 (1), ties by id.
  EXPECT_THAT(pop(1, 5), ElementsAre(30, 40));
  EXPECT_THAT(pop(4, 2), ElementsAre(10, 20));
  EXPECT_THAT(pop(99, 1), ElementsAre(10));
  // User 1 -> 30 at rank 1 (hit); user 2 -> 30, 40: hit at rank 2;
  // user 3 -> 20 at rank 1 (hit).  Recall@2 = 1 for all.
  // NDCG@2 = (1 + 1/log2(3) + 1) / 3.
  EvalRow row = EvaluateRanker(s, "popularity", pop, 2);
  EXPECT_DOUBLE_EQ(row.recall, 1.0);
  EXPECT_NEAR(row.ndcg, (2.0 + 1 / std::log2(3.0)) / 3.0, 1e-12);
}

TEST(EvaluateRankerTest, RandomIsSeededDistinctAndUnseen) {
  TimeSplit s;
  for (int j = 0; j < 200; ++j) s.train.push_back({j % 7, j, 1.0f, 0});
  Ranker a = MakeRandomRanker(s, 5);
  Ranker b = MakeRandomRanker(s, 5);
  Ranker c = MakeRandomRanker(s, 6);
  std::vector<ItemId> got = a(3, 20);
  EXPECT_EQ(got, b(3, 20));
  EXPECT_NE(got, c(3, 20));
  EXPECT_NE(got, a(2, 20));
  ASSERT_EQ(got.size(), 20u);
  EXPECT_EQ(std::set<ItemId>(got.begin(), got.end()).size(), 20u);
  for (ItemId item : got) EXPECT_NE(item % 7, 3) << "item seen in train";
}

TEST(EvalTableTest, FormatsOneAlignedRowPerMethod) {
  EvalReport report;
  report.k = 20;
  report.rows = {{"als", 610, 0.12345, 0.2, 3.5}, {"random", 610, 0.001, 0.002, 0}};
  std::string table = FormatEvalTable(report);
  std::vector<std::string> lines = absl::StrSplit(table, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], HasSubstr("Recall@20"));
  EXPECT_THAT(lines[0], HasSubstr("NDCG@20"));
  EXPECT_THAT(lines[1], HasSubstr("0.1235"));
  EXPECT_THAT(lines[1], HasSubstr("3.50"));
  EXPECT_EQ(lines[0].size(), lines[1].size());
  EXPECT_EQ(lines[1].size(), lines[2].size());
}

TEST(RunOfflineEvalTest, BadArgumentsAreInvalidArgument) {
  std::vector<Interaction> r = {{1, 1, 1.0f, 1}, {1, 2, 1.0f, 2}};
  using absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(RunOfflineEval(r, AlsOptions(), 0), StatusIs(kInvalidArgument, "k"));
  EXPECT_THAT(RunOfflineEval(r, AlsOptions(), 20, 1.5),
              StatusIs(kInvalidArgument, "holdout_fraction"));
  EXPECT_THAT(RunOfflineEval({}, AlsOptions()),
              StatusIs(kInvalidArgument, "no ratings"));
  AlsOptions bad;
  bad.lambda = -1;
  EXPECT_THAT(RunOfflineEval(r, bad), StatusIs(kInvalidArgument, "lambda"));
}

TEST(RunOfflineEvalTest, AlsBeatsPopularityAndRandomOnMovieLens) {
  std::vector<Interaction> ratings = testing::ReadMovieLensSmallRatings();
  ASSERT_GT(ratings.size(), 100000u);
  ASSERT_OK_AND_ASSIGN(v1::ModelConfig config,
                       LoadModelConfig(testing::SourceDir() +
                                       "/models/default.textproto"));
  ASSERT_OK_AND_ASSIGN(
      EvalReport report,
      RunOfflineEval(ratings, AlsOptions::FromConfig(config.als())));
  std::cout << FormatEvalTable(report);
  ASSERT_EQ(report.rows.size(), 3u);
  const EvalRow& als = report.rows[0];
  const EvalRow& pop = report.rows[1];
  const EvalRow& rnd = report.rows[2];
  EXPECT_EQ(als.method, "als");
  EXPECT_EQ(pop.method, "popularity");
  EXPECT_EQ(rnd.method, "random");
  EXPECT_EQ(als.users, 610);
  EXPECT_EQ(report.train_ratings + report.test_ratings,
            static_cast<int64_t>(ratings.size()));
  EXPECT_GT(als.recall, pop.recall);
  EXPECT_GT(als.ndcg, pop.ndcg);
  EXPECT_GT(als.recall, rnd.recall);
  EXPECT_GT(als.ndcg, rnd.ndcg);
  EXPECT_GT(pop.recall, rnd.recall);
}

}  // namespace
}  // namespace feedgov
