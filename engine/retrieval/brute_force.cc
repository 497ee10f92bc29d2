#include "engine/retrieval/brute_force.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

absl::Status ValidateEligible(const RowSet* eligible, int64_t n) {
  if (eligible != nullptr && eligible->size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("eligible set has ", eligible->size(), " rows, want ", n,
                     " (the catalog size)"));
  }
  return absl::OkStatus();
}

// Calls fn(row) for every eligible row in increasing order.
template <typename Fn>
void ForEachEligible(int64_t n, const RowSet* eligible, Fn&& fn) {
  if (eligible == nullptr) {
    for (Row r = 0; r < n; ++r) fn(r);
  } else {
    eligible->ForEach(fn);
  }
}

}  // namespace

absl::Status ValidateQuery(absl::Span<const float> query, int64_t d) {
  if (static_cast<int64_t>(query.size()) != d) {
    return absl::InvalidArgumentError(
        absl::StrCat("query has ", query.size(), " floats, want ", d));
  }
  double sum_sq = 0.0;
  for (size_t i = 0; i < query.size(); ++i) {
    if (!std::isfinite(query[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query[", i, "] is ", query[i], ", want a finite float"));
    }
    sum_sq += static_cast<double>(query[i]) * query[i];
  }
  if (!(sum_sq > 0.0) || !std::isfinite(sum_sq)) {
    return absl::InvalidArgumentError(
        absl::StrCat("query has L2 norm^2 ", sum_sq,
                     ", want a non-zero finite norm"));
  }
  return absl::OkStatus();
}

Eigen::VectorXf NormalizeQuery(absl::Span<const float> query) {
  double sum_sq = 0.0;
  for (float v : query) sum_sq += static_cast<double>(v) * v;
  const double inv = 1.0 / std::sqrt(sum_sq);
  Eigen::VectorXf q(static_cast<Eigen::Index>(query.size()));
  for (size_t i = 0; i < query.size(); ++i) {
    q[static_cast<Eigen::Index>(i)] = static_cast<float>(query[i] * inv);
  }
  return q;
}

absl::StatusOr<std::vector<Hit>> BruteForceSearch(
    const RowMatrixXf& normalized, absl::Span<const float> query, int k,
    const RowSet* eligible) {
  FEEDGOV_RETURN_IF_ERROR(ValidateQuery(query, normalized.cols()));
  FEEDGOV_RETURN_IF_ERROR(ValidateEligible(eligible, normalized.rows()));
  if (k < 0) {
    return absl::InvalidArgumentError(absl::StrCat("k is ", k, ", want >= 0"));
  }
  const Eigen::VectorXf q = NormalizeQuery(query);
  std::vector<Hit> all;
  ForEachEligible(normalized.rows(), eligible, [&](Row r) {
    all.push_back({r, RowSimilarity(normalized, r, q)});
  });
  std::sort(all.begin(), all.end(), HitBefore);
  if (static_cast<int64_t>(all.size()) > k) all.resize(k);
  return all;
}

absl::StatusOr<std::vector<Hit>> BruteForceAboveThreshold(
    const RowMatrixXf& normalized, absl::Span<const float> query,
    float min_similarity, int max_results, const RowSet* eligible) {
  FEEDGOV_RETURN_IF_ERROR(ValidateQuery(query, normalized.cols()));
  FEEDGOV_RETURN_IF_ERROR(ValidateEligible(eligible, normalized.rows()));
  if (!std::isfinite(min_similarity)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_similarity is ", min_similarity, ", want a finite float"));
  }
  if (max_results < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_results is ", max_results, ", want >= 0"));
  }
  const Eigen::VectorXf q = NormalizeQuery(query);
  std::vector<Hit> all;
  ForEachEligible(normalized.rows(), eligible, [&](Row r) {
    const float s = RowSimilarity(normalized, r, q);
    if (s >= min_similarity) all.push_back({r, s});
  });
  std::sort(all.begin(), all.end(), HitBefore);
  if (static_cast<int64_t>(all.size()) > max_results) all.resize(max_results);
  return all;
}

}  // namespace feedgov
