// File: engine/scoring/scorer.h
//
// STAGE 2: scoring. A documented linear blend, computed with Eigen:
//
//   score = w_sim   * similarity          ((1 + cos(user, item)) / 2, in
//                                          [0, 1]; 0 on the non-personalized
//                                          path)
//         + w_pop   * popularity_prior    ([0, 1])
//         + w_fresh * freshness           ([0, 1])
//
//   popularity_prior = log1p(decayed_popularity) / log1p(max decayed_popularity)
//     where decayed_popularity = sum over ratings of 0.5^(age / h_pop), age at
//     the catalog's reference time (time-decayed popularity, as in Weibo's
//     published hot-search "heat" but with exponential decay).
//   freshness = 0.5^(age_days / h_fresh), age = reference_time - first_seen.
//   A non-finite or negative decayed_popularity (never admitted:
//   catalog/item_limits.h) counts as 0 and does not enter the max.
//
// Weights and half-lives come from models/<name>.textproto (ScoringConfig).
// Every feature lies in [0, 1], so the blend is >= 0 and the policy factors
// (boost/downrank) and editor factors (boost/bury) that multiply it
// afterwards move an item in the intended direction, in the pipeline; ties are broken by item id
// ascending, so the same request yields the same page.
//
// Thread-safety: Scorer and ItemPriors are immutable after construction;
// all const methods are safe to call concurrently.
#ifndef FEEDGOV_ENGINE_SCORING_SCORER_H_
#define FEEDGOV_ENGINE_SCORING_SCORER_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/common/types.h"
#include "feedgov/v1/model_config.pb.h"

namespace feedgov {

struct ScoringOptions {
  double similarity_weight = 1.0;         // w_sim, finite, >= 0.
  double popularity_weight = 0.3;         // w_pop, finite, >= 0.
  double freshness_weight = 0.1;          // w_fresh, finite, >= 0.
  double popularity_half_life_days = 365; // h_pop, > 0.
  double freshness_half_life_days = 1095; // h_fresh, > 0.

  // INVALID_ARGUMENT naming the field when out of range.
  absl::Status Validate() const;
  // Zero fields in `config` take the defaults above.
  static ScoringOptions FromConfig(const v1::ScoringConfig& config);
};

// Per-row prior features of a catalog, computed once per catalog snapshot.
class ItemPriors {
 public:
  // `items` in row order; `reference_time` is the catalog's "now" (UTC s).
  static ItemPriors Compute(absl::Span<const Item> items,
                            UnixSeconds reference_time,
                            const ScoringOptions& options);

  int32_t size() const { return static_cast<int32_t>(features_.size()); }
  float popularity(Row row) const { return features_[row].popularity; }
  float freshness(Row row) const { return features_[row].freshness; }
  // Non-personalized score of each row: w_pop * pop + w_fresh * fresh.
  float prior_score(Row row) const { return features_[row].prior_score; }
  // Hints the cache to load row `row`'s features (ranking loops over
  // scattered rows call it a few rows ahead).
  void Prefetch(Row row) const { __builtin_prefetch(&features_[row]); }
  // All rows sorted by prior_score desc, then by item id asc.
  const std::vector<Row>& rows_by_prior() const { return rows_by_prior_; }
  // prior_scores_by_rank()[i] == prior_score(rows_by_prior()[i]): walks of
  // the prior order read scores sequentially instead of one cache miss per
  // row.
  const std::vector<float>& prior_scores_by_rank() const {
    return prior_scores_by_rank_;
  }

 private:
  // One row's features side by side: scoring a scattered row costs one
  // cache line, not three.
  struct Features {
    float popularity = 0;
    float freshness = 0;
    float prior_score = 0;
  };
  std::vector<Features> features_;
  std::vector<Row> rows_by_prior_;
  std::vector<float> prior_scores_by_rank_;
};

class Scorer {
 public:
  explicit Scorer(const ScoringOptions& options) : options_(options) {}

  // Blended scores for `rows`, with `similarities[i]` (a cosine, clamped
  // to [-1, 1]: float rounding of unit vectors can exceed 1 slightly; NaN
  // counts as -1) belonging to `rows[i]`. Every score is finite and in
  // [0, w_sim + w_pop + w_fresh]. Pass an empty `similarities` for the non-personalized path
  // (the similarity term is then 0). Returns one score per row, input order.
  // INVALID_ARGUMENT if the spans differ in length (when similarities is
  // non-empty) or a row is outside the priors.
  absl::StatusOr<std::vector<double>> Score(absl::Span<const Row> rows,
                                            absl::Span<const float> similarities,
                                            const ItemPriors& priors) const;

  const ScoringOptions& options() const { return options_; }

 private:
  ScoringOptions options_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_SCORING_SCORER_H_
