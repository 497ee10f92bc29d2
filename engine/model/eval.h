// File: engine/model/eval.h
//
// Offline evaluation of rankers on a per-user time split.
//
// Protocol (docs/evaluation.md): each user's ratings are sorted by time (ties
// by item id) and the latest `holdout_fraction` of them are held out; the
// rest is the train split. A ranker sees only the train split and returns, for
// a user, k item ids it has not rated in train. Recall@k and NDCG@k against
// the user's held-out items are averaged over users with a non-empty holdout.
//
// Thread-safety: free functions are thread-safe; Ranker objects returned here
// are immutable and may be called concurrently.
#ifndef FEEDGOV_ENGINE_MODEL_EVAL_H_
#define FEEDGOV_ENGINE_MODEL_EVAL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/common/types.h"
#include "engine/model/als.h"

namespace feedgov {

struct TimeSplit {
  std::vector<Interaction> train;  // Grouped by user ascending, time order.
  std::vector<Interaction> test;   // Same order; the held-out latest ratings.
};

// Per user with n ratings: holds out h = clamp(floor(holdout_fraction * n),
// 1, n - 1) latest ratings when n >= 2 and holdout_fraction > 0, else none.
// Order: by time, ties by item id. holdout_fraction is clamped to [0, 1]
// (RunOfflineEval validates it instead).
TimeSplit SplitByTime(const std::vector<Interaction>& ratings,
                      double holdout_fraction = 0.2);

// |distinct hits among ranked[0, k)| / min(k, |relevant|); 0 when k <= 0 or
// relevant is empty.
double RecallAtK(absl::Span<const ItemId> ranked,
                 const absl::flat_hash_set<ItemId>& relevant, int k);

// Binary-relevance NDCG: DCG = sum_{r=1..min(k,|ranked|)} rel_r / log2(r + 1)
// (an item counts once, at its first position); ideal DCG places
// min(k, |relevant|) hits at the top. 0 when k <= 0 or relevant is empty.
double NdcgAtK(absl::Span<const ItemId> ranked,
               const absl::flat_hash_set<ItemId>& relevant, int k);

// A ranker: for a user id and k, up to k item ids, best first.
using Ranker = std::function<std::vector<ItemId>(UserId user, int k)>;

struct EvalRow {
  std::string method;
  int32_t users = 0;           // Users with a non-empty holdout.
  double recall = 0.0;         // Mean Recall@k.
  double ndcg = 0.0;           // Mean NDCG@k.
  double train_seconds = 0.0;  // Time to build the ranker (0 if none).
};

struct EvalReport {
  int k = 20;
  int64_t train_ratings = 0;
  int64_t test_ratings = 0;
  std::vector<EvalRow> rows;  // ALS, popularity, random.
};

// Averages Recall@k and NDCG@k of `ranker` over the users (ascending id) with
// a non-empty holdout. train_seconds is left 0.
EvalRow EvaluateRanker(const TimeSplit& split, std::string name,
                       const Ranker& ranker, int k = 20);

// Train-split rating count, descending (ties by item id); the user's train
// items are excluded.
Ranker MakePopularityRanker(const TimeSplit& split);

// Uniformly random train-split items the user has not rated in train; the
// draw depends only on (seed, user, k).
Ranker MakeRandomRanker(const TimeSplit& split, uint64_t seed);

// Trains ALS on split.train (ids re-indexed by IndexInteractions); scores are
// x_u . y_i, ties by item id, the user's train items excluded. Users unknown
// to the model get an empty list.
// Errors: as TrainAls.
absl::StatusOr<Ranker> TrainAlsRanker(const TimeSplit& split,
                                      const AlsOptions& options);

// Splits, builds the three rankers and evaluates them (rows in the order ALS,
// popularity, random).
// Errors: INVALID_ARGUMENT for k < 1, holdout_fraction outside (0, 1), empty
// ratings, or bad ALS options.
absl::StatusOr<EvalReport> RunOfflineEval(
    const std::vector<Interaction>& ratings, const AlsOptions& als_options,
    int k = 20, double holdout_fraction = 0.2, uint64_t random_seed = 1);

// One aligned table, e.g.
//   method        users  Recall@20  NDCG@20  train_s
//   als             610     0.1234   0.1234     3.21
std::string FormatEvalTable(const EvalReport& report);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_MODEL_EVAL_H_
