#include "engine/model/als.h"

#include <cmath>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "engine/model/model_config.h"
#include "engine/model/ratings_csv_for_test.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

// Observed pairs of a seeded rank-3 problem: (u, i) is observed when the true
// affinity is high; the rating grows with the affinity (1..5 stars).
AlsInput LowRankProblem(int32_t users, int32_t items, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd u(users, 3), v(items, 3);
  for (int r = 0; r < users; ++r)
    for (int c = 0; c < 3; ++c) u(r, c) = normal(gen);
  for (int r = 0; r < items; ++r)
    for (int c = 0; c < 3; ++c) v(r, c) = normal(gen);
  AlsInput input{users, items, {}};
  for (int32_t a = 0; a < users; ++a) {
    for (int32_t b = 0; b < items; ++b) {
      double s = u.row(a).dot(v.row(b));
      if (s > 1.0) {
        float rating = static_cast<float>(std::min(5.0, std::round(s)));
        input.entries.push_back({a, b, rating});
      }
    }
  }
  return input;
}

AlsOptions SmallOptions() {
  AlsOptions o;
  o.dim = 6;
  o.alpha = 5.0;
  o.lambda = 0.5;
  o.iterations = 12;
  o.seed = 7;
  o.init_stddev = 0.1;
  o.num_threads = 2;
  return o;
}

// Brute force over all pairs, straight from the paper's definition.
double NaiveLoss(const AlsInput& input, const AlsOptions& o,
                 const RowMatrixXf& x, const RowMatrixXf& y) {
  std::map<std::pair<int, int>, double> r;
  for (const AlsEntry& e : input.entries) r[{e.user_index, e.item_index}] += e.rating;
  double loss = 0;
  for (int u = 0; u < input.num_users; ++u) {
    for (int i = 0; i < input.num_items; ++i) {
      auto it = r.find({u, i});
      double p = it == r.end() ? 0.0 : 1.0;
      double c = 1.0 + o.alpha * (it == r.end() ? 0.0 : it->second);
      double s = x.row(u).cast<double>().dot(y.row(i).cast<double>());
      loss += c * (p - s) * (p - s);
    }
  }
  return loss + o.lambda * (x.cast<double>().squaredNorm() +
                            y.cast<double>().squaredNorm());
}

// Closed form with the dense n x n confidence matrix C_u:
// x = (Yt C_u Y + lambda I)^-1 Yt C_u p(u).
Eigen::VectorXd NaiveSolve(const RowMatrixXf& y,
                           const std::map<int, double>& ratings, double alpha,
                           double lambda) {
  Eigen::MatrixXd yd = y.cast<double>();
  const int n = static_cast<int>(yd.rows());
  Eigen::MatrixXd c = Eigen::MatrixXd::Identity(n, n);
  Eigen::VectorXd p = Eigen::VectorXd::Zero(n);
  for (const auto& [i, r] : ratings) {
    c(i, i) = 1.0 + alpha * r;
    p(i) = 1.0;
  }
  Eigen::MatrixXd a = yd.transpose() * c * yd +
                      lambda * Eigen::MatrixXd::Identity(yd.cols(), yd.cols());
  return a.colPivHouseholderQr().solve(yd.transpose() * c * p);
}

void ExpectNonIncreasing(const std::vector<double>& losses) {
  for (size_t t = 1; t < losses.size(); ++t) {
    EXPECT_LE(losses[t], losses[t - 1] * (1.0 + 1e-6))
        << "sweep " << t + 1 << " increased the loss";
  }
}

TEST(AlsTest, LossNeverIncreasesOnSyntheticLowRankProblem) {
  AlsInput input = LowRankProblem(80, 120, 1);
  ASSERT_GT(input.entries.size(), 500u);
  std::vector<AlsProgress> progress;
  ASSERT_OK_AND_ASSIGN(
      AlsModel model,
      TrainAls(input, SmallOptions(),
               [&](const AlsProgress& p) { progress.push_back(p); }));
  ASSERT_EQ(model.loss_history.size(), 12u);
  ExpectNonIncreasing(model.loss_history);
  EXPECT_LT(model.loss_history.back(), 0.5 * model.loss_history.front());
  ASSERT_EQ(progress.size(), 12u);
  for (size_t t = 0; t < progress.size(); ++t) {
    EXPECT_EQ(progress[t].iteration, static_cast<int>(t) + 1);
    EXPECT_EQ(progress[t].loss, model.loss_history[t]);
    EXPECT_GE(progress[t].elapsed_seconds, 0.0);
  }
}

TEST(AlsTest, ReportedLossEqualsBruteForceObjective) {
  AlsInput input = LowRankProblem(15, 20, 2);
  input.entries.push_back(input.entries.front());  // A duplicate pair.
  AlsOptions o = SmallOptions();
  o.iterations = 3;
  ASSERT_OK_AND_ASSIGN(AlsModel model, TrainAls(input, o));
  double naive = NaiveLoss(input, o, model.user_factors, model.item_factors);
  EXPECT_NEAR(model.loss_history.back(), naive, 1e-9 * naive);
  ASSERT_OK_AND_ASSIGN(double loss, AlsLoss(input, o, model.user_factors,
                                            model.item_factors));
  EXPECT_NEAR(loss, naive, 1e-9 * naive);
}

TEST(AlsTest, FoldInEqualsDenseClosedFormSolution) {
  // dim 6: 1 or 2 rated items take the Woodbury path, 3 or more the Cholesky
  // path; both must match the dense closed form.
  std::mt19937_64 gen(3);
  std::normal_distribution<float> normal;
  RowMatrixXf y(11, 6);
  for (int r = 0; r < 11; ++r)
    for (int c = 0; c < 6; ++c) y(r, c) = normal(gen);
  AlsOptions o = SmallOptions();
  o.dim = 6;
  o.alpha = 3.0;
  o.lambda = 0.7;
  ASSERT_OK_AND_ASSIGN(AlsFoldIn fold_in, AlsFoldIn::Create(y, o));
  const std::vector<std::vector<AlsRatedItem>> cases = {
      {{4, 5.0f}},
      {{1, 4.0f}, {9, 0.5f}},
      {{1, 4.0f}, {5, 0.5f}, {8, 2.0f}},
      {{0, 1.0f}, {2, 3.0f}, {3, 0.0f}, {6, 5.0f}, {7, 2.5f}, {10, 4.5f}}};
  for (const std::vector<AlsRatedItem>& rated : cases) {
    std::map<int, double> ratings;
    for (const AlsRatedItem& r : rated) ratings[r.item_index] += r.rating;
    ASSERT_OK_AND_ASSIGN(RowMatrixXf x, fold_in.Solve(rated));
    Eigen::VectorXd want = NaiveSolve(y, ratings, 3.0, 0.7);
    ASSERT_EQ(x.rows(), 1);
    ASSERT_EQ(x.cols(), 6);
    for (int c = 0; c < 6; ++c) {
      EXPECT_NEAR(x(0, c), want(c), 1e-5) << rated.size() << " rated items";
    }
  }
}

TEST(AlsTest, FoldInMergesDuplicatesAndEmptyGivesZero) {
  RowMatrixXf y = RowMatrixXf::Random(6, 3);
  AlsOptions o = SmallOptions();
  o.dim = 3;
  ASSERT_OK_AND_ASSIGN(AlsFoldIn fold_in, AlsFoldIn::Create(y, o));
  ASSERT_OK_AND_ASSIGN(RowMatrixXf twice, fold_in.Solve({{2, 1.0f}, {2, 2.0f}}));
  ASSERT_OK_AND_ASSIGN(RowMatrixXf once, fold_in.Solve({{2, 3.0f}}));
  EXPECT_TRUE(twice.isApprox(once));
  ASSERT_OK_AND_ASSIGN(RowMatrixXf none, fold_in.Solve({}));
  EXPECT_TRUE(none.isZero(0));
}

TEST(AlsTest, TrainedItemFactorsSolveTheirNormalEquations) {
  // The last half-sweep solves items against the final user factors, so each
  // item row must equal the dense closed form with users as the fixed side.
  // dim 8 and 30 users: items with < 4 users use the Woodbury path, the
  // others the Cholesky path.
  AlsInput input = LowRankProblem(30, 12, 4);
  AlsOptions o = SmallOptions();
  o.dim = 8;
  o.iterations = 2;
  ASSERT_OK_AND_ASSIGN(AlsModel model, TrainAls(input, o));
  for (int32_t i = 0; i < input.num_items; ++i) {
    std::map<int, double> ratings;
    for (const AlsEntry& e : input.entries)
      if (e.item_index == i) ratings[e.user_index] += e.rating;
    Eigen::VectorXd want =
        NaiveSolve(model.user_factors, ratings, o.alpha, o.lambda);
    for (int c = 0; c < o.dim; ++c) {
      EXPECT_NEAR(model.item_factors(i, c), want(c), 1e-4) << "item " << i;
    }
  }
}

TEST(AlsTest, SameSeedSameResultForAnyThreadCount) {
  AlsInput input = LowRankProblem(70, 90, 5);
  AlsOptions o = SmallOptions();
  o.num_threads = 1;
  ASSERT_OK_AND_ASSIGN(AlsModel one, TrainAls(input, o));
  o.num_threads = 4;
  ASSERT_OK_AND_ASSIGN(AlsModel four, TrainAls(input, o));
  EXPECT_EQ(one.user_factors, four.user_factors);
  EXPECT_EQ(one.item_factors, four.item_factors);
  EXPECT_EQ(one.loss_history, four.loss_history);
  o.seed = 8;
  ASSERT_OK_AND_ASSIGN(AlsModel other, TrainAls(input, o));
  EXPECT_NE(one.item_factors, other.item_factors);
}

TEST(AlsTest, UsersAndItemsWithoutEntriesGetFiniteZeroFactors) {
  AlsInput input{4, 5, {{0, 0, 5.0f}, {0, 1, 3.0f}, {1, 1, 4.0f}}};
  ASSERT_OK_AND_ASSIGN(AlsModel model, TrainAls(input, SmallOptions()));
  EXPECT_TRUE(model.user_factors.allFinite());
  EXPECT_TRUE(model.item_factors.allFinite());
  EXPECT_TRUE(model.user_factors.row(3).isZero(0));
  EXPECT_TRUE(model.item_factors.row(4).isZero(0));
  EXPECT_FALSE(model.item_factors.row(1).isZero(0));
}

TEST(AlsTest, EmptyInputTrainsToEmptyFactors) {
  ASSERT_OK_AND_ASSIGN(AlsModel model, TrainAls(AlsInput{}, SmallOptions()));
  EXPECT_EQ(model.user_factors.rows(), 0);
  EXPECT_EQ(model.item_factors.rows(), 0);
}

TEST(AlsTest, BadInputIsInvalidArgumentNamingTheEntry) {
  using absl::StatusCode::kInvalidArgument;
  AlsOptions o = SmallOptions();
  EXPECT_THAT(TrainAls(AlsInput{2, 2, {{0, 2, 1.0f}}}, o),
              StatusIs(kInvalidArgument, "entries[0]"));
  EXPECT_THAT(TrainAls(AlsInput{2, 2, {{0, 0, 1.0f}, {-1, 0, 1.0f}}}, o),
              StatusIs(kInvalidArgument, "entries[1]"));
  EXPECT_THAT(TrainAls(AlsInput{2, 2, {{0, 0, std::nanf("")}}}, o),
              StatusIs(kInvalidArgument, "finite"));
  EXPECT_THAT(TrainAls(AlsInput{2, 2, {{0, 0, -1.0f}}}, o),
              StatusIs(kInvalidArgument, ">= 0"));
  EXPECT_THAT(TrainAls(AlsInput{-1, 2, {}}, o),
              StatusIs(kInvalidArgument, "num_users"));
}

TEST(AlsTest, BadOptionsAreInvalidArgumentNamingTheField) {
  using absl::StatusCode::kInvalidArgument;
  auto with = [](auto mutate) {
    AlsOptions o;
    mutate(o);
    return o.Validate();
  };
  EXPECT_OK(AlsOptions().Validate());
  EXPECT_THAT(with([](AlsOptions& o) { o.dim = 0; }), StatusIs(kInvalidArgument, "dim"));
  EXPECT_THAT(with([](AlsOptions& o) { o.dim = 1025; }), StatusIs(kInvalidArgument, "dim"));
  EXPECT_THAT(with([](AlsOptions& o) { o.alpha = -1; }), StatusIs(kInvalidArgument, "alpha"));
  EXPECT_THAT(with([](AlsOptions& o) { o.lambda = 0; }), StatusIs(kInvalidArgument, "lambda"));
  EXPECT_THAT(with([](AlsOptions& o) { o.iterations = 0; }),
              StatusIs(kInvalidArgument, "iterations"));
  EXPECT_THAT(with([](AlsOptions& o) { o.init_stddev = 0; }),
              StatusIs(kInvalidArgument, "init_stddev"));
  EXPECT_THAT(with([](AlsOptions& o) { o.num_threads = -1; }),
              StatusIs(kInvalidArgument, "num_threads"));
  RowMatrixXf y(3, 5);
  EXPECT_THAT(AlsFoldIn::Create(y, AlsOptions()), StatusIs(kInvalidArgument, "dim"));
}

TEST(AlsTest, FromConfigCopiesFieldsAndDefaultsZeros) {
  v1::AlsConfig config;
  config.set_dim(16);
  config.set_lambda(2.5);
  AlsOptions o = AlsOptions::FromConfig(config);
  EXPECT_EQ(o.dim, 16);
  EXPECT_EQ(o.lambda, 2.5);
  EXPECT_EQ(o.alpha, AlsOptions().alpha);
  EXPECT_EQ(o.iterations, AlsOptions().iterations);
  AlsOptions d = AlsOptions::FromConfig(DefaultModelConfig().als());
  EXPECT_EQ(d.dim, 64);
  EXPECT_EQ(d.alpha, 10.0);
  EXPECT_EQ(d.lambda, 0.1);
  EXPECT_EQ(d.iterations, 15);
  EXPECT_EQ(d.seed, 42u);
  EXPECT_EQ(d.init_stddev, 0.01);
}

TEST(AlsTest, IndexInteractionsNumbersIdsAscending) {
  std::vector<Interaction> r = {{30, 700, 4.0f, 1}, {10, 500, 2.0f, 2},
                                {30, 500, 1.0f, 3}};
  IndexedInteractions idx = IndexInteractions(r);
  EXPECT_EQ(idx.user_ids, (std::vector<UserId>{10, 30}));
  EXPECT_EQ(idx.item_ids, (std::vector<ItemId>{500, 700}));
  EXPECT_EQ(idx.input.num_users, 2);
  EXPECT_EQ(idx.input.num_items, 2);
  ASSERT_EQ(idx.input.entries.size(), 3u);
  EXPECT_EQ(idx.input.entries[0].user_index, 1);
  EXPECT_EQ(idx.input.entries[0].item_index, 1);
  EXPECT_EQ(idx.input.entries[1].user_index, 0);
  EXPECT_EQ(idx.input.entries[1].item_index, 0);
  EXPECT_EQ(idx.input.entries[2].rating, 1.0f);
}

TEST(AlsTest, LossNeverIncreasesOnMovieLens) {
  std::vector<Interaction> ratings = testing::ReadMovieLensSmallRatings();
  ASSERT_GT(ratings.size(), 100000u);
  IndexedInteractions idx = IndexInteractions(ratings);
  ASSERT_OK_AND_ASSIGN(v1::ModelConfig config,
                       LoadModelConfig(testing::SourceDir() +
                                       "/models/default.textproto"));
  AlsOptions o = AlsOptions::FromConfig(config.als());
  o.iterations = 6;
  ASSERT_OK_AND_ASSIGN(AlsModel model, TrainAls(idx.input, o));
  ExpectNonIncreasing(model.loss_history);
  EXPECT_TRUE(model.user_factors.allFinite());
  EXPECT_TRUE(model.item_factors.allFinite());
  EXPECT_EQ(model.user_factors.rows(), 610);
  EXPECT_EQ(model.item_factors.rows(), static_cast<int>(idx.item_ids.size()));
}

}  // namespace
}  // namespace feedgov
