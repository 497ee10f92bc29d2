#include "engine/scoring/scorer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "Eigen/Dense"
#include "absl/strings/str_cat.h"

namespace feedgov {
namespace {

constexpr double kSecondsPerDay = 86400.0;

absl::Status CheckWeight(double v, const char* name) {
  if (!std::isfinite(v) || v < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scoring.", name, " = ", v, ": want a finite value >= 0"));
  }
  return absl::OkStatus();
}

absl::Status CheckHalfLife(double v, const char* name) {
  if (!std::isfinite(v) || v <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("scoring.", name, " = ", v, ": want a finite value > 0"));
  }
  return absl::OkStatus();
}

double HalfLifeDecay(double age_days, double half_life_days) {
  return std::exp2(-std::max(0.0, age_days) / half_life_days);
}

// A popularity a prior can use: finite and >= 0, else 0. Items are
// validated where they enter (catalog/item_limits.h); this keeps one bad
// value from zeroing every other prior (log1p(inf) as the denominator) if
// one ever slipped through.
float UsablePopularity(float p) { return std::isfinite(p) && p > 0 ? p : 0.0f; }

// Cosine clamped to [-1, 1]; NaN counts as -1 (least similar), so no
// blended score leaves [0, w_sim + w_pop + w_fresh].
double ClampCosine(float c) {
  if (!(c >= -1.0f)) return -1.0;  // NaN and < -1.
  return c > 1.0f ? 1.0 : static_cast<double>(c);
}

}  // namespace

absl::Status ScoringOptions::Validate() const {
  for (auto s : {CheckWeight(similarity_weight, "similarity_weight"),
                 CheckWeight(popularity_weight, "popularity_weight"),
                 CheckWeight(freshness_weight, "freshness_weight"),
                 CheckHalfLife(popularity_half_life_days,
                               "popularity_half_life_days"),
                 CheckHalfLife(freshness_half_life_days,
                               "freshness_half_life_days")}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

ScoringOptions ScoringOptions::FromConfig(const v1::ScoringConfig& c) {
  ScoringOptions o;
  if (c.similarity_weight() != 0) o.similarity_weight = c.similarity_weight();
  if (c.popularity_weight() != 0) o.popularity_weight = c.popularity_weight();
  if (c.freshness_weight() != 0) o.freshness_weight = c.freshness_weight();
  if (c.popularity_half_life_days() != 0) {
    o.popularity_half_life_days = c.popularity_half_life_days();
  }
  if (c.freshness_half_life_days() != 0) {
    o.freshness_half_life_days = c.freshness_half_life_days();
  }
  return o;
}

ItemPriors ItemPriors::Compute(absl::Span<const Item> items,
                               UnixSeconds reference_time,
                               const ScoringOptions& options) {
  ItemPriors p;
  const size_t n = items.size();
  p.features_.resize(n);
  double max_pop = 0;
  for (const Item& item : items) {
    max_pop = std::max(
        max_pop, static_cast<double>(UsablePopularity(item.decayed_popularity)));
  }
  const double denom = std::log1p(max_pop);
  for (size_t r = 0; r < n; ++r) {
    const Item& item = items[r];
    p.features_[r].popularity =
        denom > 0 ? static_cast<float>(
                        std::log1p(UsablePopularity(item.decayed_popularity)) /
                        denom)
                  : 0.0f;
    double age_days =
        (static_cast<double>(reference_time) - item.first_seen) / kSecondsPerDay;
    p.features_[r].freshness = static_cast<float>(
        HalfLifeDecay(age_days, options.freshness_half_life_days));
    p.features_[r].prior_score =
        static_cast<float>(options.popularity_weight * p.features_[r].popularity +
                           options.freshness_weight * p.features_[r].freshness);
  }
  p.rows_by_prior_.resize(n);
  std::iota(p.rows_by_prior_.begin(), p.rows_by_prior_.end(), 0);
  std::sort(p.rows_by_prior_.begin(), p.rows_by_prior_.end(),
            [&](Row a, Row b) {
              if (p.features_[a].prior_score != p.features_[b].prior_score) {
                return p.features_[a].prior_score > p.features_[b].prior_score;
              }
              return items[a].id < items[b].id;
            });
  p.prior_scores_by_rank_.reserve(n);
  for (Row r : p.rows_by_prior_) p.prior_scores_by_rank_.push_back(p.features_[r].prior_score);
  return p;
}

absl::StatusOr<std::vector<double>> Scorer::Score(
    absl::Span<const Row> rows, absl::Span<const float> similarities,
    const ItemPriors& priors) const {
  if (!similarities.empty() && similarities.size() != rows.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("scoring: ", similarities.size(), " similarities for ",
                     rows.size(), " rows"));
  }
  const Eigen::Index k = static_cast<Eigen::Index>(rows.size());
  // Feature matrix F (k x 3): [similarity, popularity, freshness].
  Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor> features(k, 3);
  constexpr Eigen::Index kAhead = 16;  // Rows are scattered: prefetch.
  for (Eigen::Index i = 0; i < std::min(k, kAhead); ++i) {
    if (rows[i] >= 0 && rows[i] < priors.size()) priors.Prefetch(rows[i]);
  }
  for (Eigen::Index i = 0; i < k; ++i) {
    if (i + kAhead < k && rows[i + kAhead] >= 0 &&
        rows[i + kAhead] < priors.size()) {
      priors.Prefetch(rows[i + kAhead]);
    }
    Row r = rows[i];
    if (r < 0 || r >= priors.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("scoring: row ", r, " outside [0, ", priors.size(), ")"));
    }
    // Cosine clamped to [-1, 1] and mapped to [0, 1], so the blend stays
    // non-negative and within its documented range.
    features(i, 0) =
        similarities.empty() ? 0.0 : (1.0 + ClampCosine(similarities[i])) / 2.0;
    features(i, 1) = priors.popularity(r);
    features(i, 2) = priors.freshness(r);
  }
  Eigen::Vector3d weights(options_.similarity_weight,
                          options_.popularity_weight,
                          options_.freshness_weight);
  Eigen::VectorXd scores = features * weights;
  return std::vector<double>(scores.data(), scores.data() + k);
}

}  // namespace feedgov
