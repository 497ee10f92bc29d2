#include "engine/model/eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

using ItemSet = absl::flat_hash_set<ItemId>;
using ItemsByUser = absl::flat_hash_map<UserId, ItemSet>;

ItemsByUser GroupItems(const std::vector<Interaction>& ratings) {
  ItemsByUser out;
  for (const Interaction& r : ratings) out[r.user].insert(r.item);
  return out;
}

// Train items of `user`, or an empty set.
const ItemSet& SeenItems(const ItemsByUser& seen, UserId user) {
  static const ItemSet* const kEmpty = new ItemSet;
  auto it = seen.find(user);
  return it == seen.end() ? *kEmpty : it->second;
}

std::vector<ItemId> DistinctItems(const std::vector<Interaction>& ratings) {
  std::vector<ItemId> items;
  items.reserve(ratings.size());
  for (const Interaction& r : ratings) items.push_back(r.item);
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

int32_t HoldoutCount(size_t n, double fraction) {
  if (n < 2 || fraction <= 0) return 0;
  auto h = static_cast<int64_t>(std::floor(fraction * static_cast<double>(n)));
  return static_cast<int32_t>(
      std::clamp<int64_t>(h, 1, static_cast<int64_t>(n) - 1));
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

}  // namespace

TimeSplit SplitByTime(const std::vector<Interaction>& ratings,
                      double holdout_fraction) {
  double fraction =
      std::isnan(holdout_fraction) ? 0.0 : std::clamp(holdout_fraction, 0.0, 1.0);
  std::vector<Interaction> sorted = ratings;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Interaction& a, const Interaction& b) {
                     return std::tie(a.user, a.time, a.item) <
                            std::tie(b.user, b.time, b.item);
                   });
  TimeSplit split;
  for (size_t begin = 0; begin < sorted.size();) {
    size_t end = begin;
    while (end < sorted.size() && sorted[end].user == sorted[begin].user) ++end;
    size_t cut = end - HoldoutCount(end - begin, fraction);
    split.train.insert(split.train.end(), sorted.begin() + begin,
                       sorted.begin() + cut);
    split.test.insert(split.test.end(), sorted.begin() + cut,
                      sorted.begin() + end);
    begin = end;
  }
  return split;
}

double RecallAtK(absl::Span<const ItemId> ranked, const ItemSet& relevant,
                 int k) {
  if (k <= 0 || relevant.empty()) return 0.0;
  ItemSet hits;
  for (size_t r = 0; r < ranked.size() && r < static_cast<size_t>(k); ++r) {
    if (relevant.contains(ranked[r])) hits.insert(ranked[r]);
  }
  size_t denom = std::min(static_cast<size_t>(k), relevant.size());
  return static_cast<double>(hits.size()) / static_cast<double>(denom);
}

double NdcgAtK(absl::Span<const ItemId> ranked, const ItemSet& relevant,
               int k) {
  if (k <= 0 || relevant.empty()) return 0.0;
  ItemSet hits;
  double dcg = 0.0;
  for (size_t r = 0; r < ranked.size() && r < static_cast<size_t>(k); ++r) {
    if (relevant.contains(ranked[r]) && hits.insert(ranked[r]).second) {
      dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    }
  }
  double ideal = 0.0;
  size_t n = std::min(static_cast<size_t>(k), relevant.size());
  for (size_t r = 0; r < n; ++r) {
    ideal += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  }
  return dcg / ideal;
}

EvalRow EvaluateRanker(const TimeSplit& split, std::string name,
                       const Ranker& ranker, int k) {
  ItemsByUser holdout = GroupItems(split.test);
  std::vector<UserId> users;
  users.reserve(holdout.size());
  for (const auto& [user, items] : holdout) users.push_back(user);
  std::sort(users.begin(), users.end());
  EvalRow row;
  row.method = std::move(name);
  row.users = static_cast<int32_t>(users.size());
  for (UserId user : users) {
    std::vector<ItemId> ranked = ranker(user, k);
    row.recall += RecallAtK(ranked, holdout[user], k);
    row.ndcg += NdcgAtK(ranked, holdout[user], k);
  }
  if (!users.empty()) {
    row.recall /= static_cast<double>(users.size());
    row.ndcg /= static_cast<double>(users.size());
  }
  return row;
}

Ranker MakePopularityRanker(const TimeSplit& split) {
  absl::flat_hash_map<ItemId, int64_t> counts;
  for (const Interaction& r : split.train) ++counts[r.item];
  auto order = std::make_shared<std::vector<ItemId>>();
  for (const auto& [item, count] : counts) order->push_back(item);
  std::sort(order->begin(), order->end(), [&](ItemId a, ItemId b) {
    int64_t ca = counts[a], cb = counts[b];
    return ca != cb ? ca > cb : a < b;
  });
  auto seen = std::make_shared<const ItemsByUser>(GroupItems(split.train));
  return [order, seen](UserId user, int k) {
    const ItemSet& mine = SeenItems(*seen, user);
    std::vector<ItemId> out;
    for (ItemId item : *order) {
      if (static_cast<int>(out.size()) >= k) break;
      if (!mine.contains(item)) out.push_back(item);
    }
    return out;
  };
}

Ranker MakeRandomRanker(const TimeSplit& split, uint64_t seed) {
  auto items =
      std::make_shared<const std::vector<ItemId>>(DistinctItems(split.train));
  auto seen = std::make_shared<const ItemsByUser>(GroupItems(split.train));
  return [items, seen, seed](UserId user, int k) {
    const ItemSet& mine = SeenItems(*seen, user);
    std::vector<ItemId> pool;
    for (ItemId item : *items) {
      if (!mine.contains(item)) pool.push_back(item);
    }
    std::mt19937_64 gen(SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(user))));
    size_t n = std::min(pool.size(), static_cast<size_t>(std::max(k, 0)));
    for (size_t j = 0; j < n; ++j) {  // Partial Fisher-Yates.
      std::uniform_int_distribution<size_t> pick(j, pool.size() - 1);
      std::swap(pool[j], pool[pick(gen)]);
    }
    pool.resize(n);
    return pool;
  };
}

absl::StatusOr<Ranker> TrainAlsRanker(const TimeSplit& split,
                                      const AlsOptions& options) {
  IndexedInteractions indexed = IndexInteractions(split.train);
  FEEDGOV_ASSIGN_OR_RETURN(AlsModel model, TrainAls(indexed.input, options));
  struct State {
    RowMatrixXf users, items;
    std::vector<ItemId> item_ids;
    absl::flat_hash_map<UserId, int32_t> user_index;
    ItemsByUser seen;
  };
  auto state = std::make_shared<State>();
  state->users = std::move(model.user_factors);
  state->items = std::move(model.item_factors);
  state->item_ids = std::move(indexed.item_ids);
  for (size_t u = 0; u < indexed.user_ids.size(); ++u) {
    state->user_index[indexed.user_ids[u]] = static_cast<int32_t>(u);
  }
  state->seen = GroupItems(split.train);
  std::shared_ptr<const State> frozen = std::move(state);
  return Ranker([frozen](UserId user, int k) {
    std::vector<ItemId> out;
    auto it = frozen->user_index.find(user);
    if (it == frozen->user_index.end() || k <= 0) return out;
    Eigen::VectorXf scores = frozen->items * frozen->users.row(it->second).transpose();
    const ItemSet& mine = SeenItems(frozen->seen, user);
    std::vector<int32_t> rows;
    for (int32_t i = 0; i < scores.size(); ++i) {
      if (!mine.contains(frozen->item_ids[i])) rows.push_back(i);
    }
    size_t n = std::min(rows.size(), static_cast<size_t>(k));
    std::partial_sort(rows.begin(), rows.begin() + n, rows.end(),
                      [&](int32_t a, int32_t b) {
                        return scores[a] != scores[b] ? scores[a] > scores[b]
                                                      : a < b;
                      });
    for (size_t j = 0; j < n; ++j) out.push_back(frozen->item_ids[rows[j]]);
    return out;
  });
}

absl::StatusOr<EvalReport> RunOfflineEval(
    const std::vector<Interaction>& ratings, const AlsOptions& als_options,
    int k, double holdout_fraction, uint64_t random_seed) {
  if (k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("RunOfflineEval: k = ", k, ", expected >= 1"));
  }
  if (!(holdout_fraction > 0 && holdout_fraction < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RunOfflineEval: holdout_fraction = ", holdout_fraction,
        ", expected (0, 1)"));
  }
  if (ratings.empty()) {
    return absl::InvalidArgumentError("RunOfflineEval: no ratings");
  }
  FEEDGOV_RETURN_IF_ERROR(als_options.Validate());
  TimeSplit split = SplitByTime(ratings, holdout_fraction);
  EvalReport report;
  report.k = k;
  report.train_ratings = static_cast<int64_t>(split.train.size());
  report.test_ratings = static_cast<int64_t>(split.test.size());

  auto start = std::chrono::steady_clock::now();
  FEEDGOV_ASSIGN_OR_RETURN(Ranker als, TrainAlsRanker(split, als_options));
  double als_seconds = Seconds(start);
  start = std::chrono::steady_clock::now();
  Ranker popularity = MakePopularityRanker(split);
  double popularity_seconds = Seconds(start);

  report.rows.push_back(EvaluateRanker(split, "als", als, k));
  report.rows.back().train_seconds = als_seconds;
  report.rows.push_back(EvaluateRanker(split, "popularity", popularity, k));
  report.rows.back().train_seconds = popularity_seconds;
  report.rows.push_back(
      EvaluateRanker(split, "random", MakeRandomRanker(split, random_seed), k));
  return report;
}

std::string FormatEvalTable(const EvalReport& report) {
  std::string recall = absl::StrCat("Recall@", report.k);
  std::string ndcg = absl::StrCat("NDCG@", report.k);
  std::string out = absl::StrFormat("%-12s %7s %10s %10s %9s\n", "method",
                                    "users", recall, ndcg, "train_s");
  for (const EvalRow& row : report.rows) {
    absl::StrAppendFormat(&out, "%-12s %7d %10.4f %10.4f %9.2f\n", row.method,
                          row.users, row.recall, row.ndcg, row.train_seconds);
  }
  return out;
}

}  // namespace feedgov
