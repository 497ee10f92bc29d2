// File: engine/retrieval/brute_force.h
//
// The exact retrieval oracle: scores every eligible row against the query
// and keeps the best. Used by Retriever for its guaranteed (exact) path and
// by tests anywhere in the tree as the reference answer.
//
// Shapes: `normalized` is the row-major n x d item matrix (engine/common/
// matrix.h) whose rows are L2-normalized; `query` is d floats of any non-zero
// norm. Similarity is cosine = inner product of the normalized query with
// the row, computed in float as NormalizeQuery(query).dot(row).
//
// Thread-safety: free functions over const inputs; safe to call concurrently.
#ifndef FEEDGOV_ENGINE_RETRIEVAL_BRUTE_FORCE_H_
#define FEEDGOV_ENGINE_RETRIEVAL_BRUTE_FORCE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/common/matrix.h"
#include "engine/common/row_set.h"
#include "engine/common/types.h"

namespace feedgov {

// One retrieved row and its cosine similarity to the query, in [-1, 1]
// (up to float rounding).
struct Hit {
  Row row = 0;
  float similarity = 0.0f;

  friend bool operator==(const Hit&, const Hit&) = default;
};

// The canonical result order: similarity descending, then row ascending.
inline bool HitBefore(const Hit& a, const Hit& b) {
  if (a.similarity != b.similarity) return a.similarity > b.similarity;
  return a.row < b.row;
}

// Checks a query before any search: d floats, all finite, non-zero norm.
// INVALID_ARGUMENT naming the problem, e.g. "query has 32 floats, want 64".
absl::Status ValidateQuery(absl::Span<const float> query, int64_t d);

// `query` scaled to unit L2 norm (norm accumulated in double).
// REQUIRES: ValidateQuery(query, query.size()).ok().
Eigen::VectorXf NormalizeQuery(absl::Span<const float> query);

// Cosine similarity of unit `q` with row `row`: q.dot(normalized.row(row)).
// Every exact similarity in feedgov/retrieval is computed by this function so
// that exact and oracle results are bitwise identical.
// `normalized` may be a RowMatrixXf or a Map of one (e.g. the vectors a
// FAISS Flat index stores): a row's dot product depends only on its values
// and its address modulo the SIMD width, which agree for 16-byte-aligned
// buffers of the same d.
template <typename Matrix>
inline float RowSimilarity(const Eigen::MatrixBase<Matrix>& normalized, Row row,
                           const Eigen::VectorXf& q) {
  return normalized.row(row).dot(q.transpose());
}

// Top min(k, #eligible) eligible rows by similarity, in HitBefore order.
// `eligible` == nullptr means every row is eligible.
// Errors (INVALID_ARGUMENT): query fails ValidateQuery; k < 0;
// eligible->size() != normalized.rows().
absl::StatusOr<std::vector<Hit>> BruteForceSearch(
    const RowMatrixXf& normalized, absl::Span<const float> query, int k,
    const RowSet* eligible);

// Every eligible row with similarity >= min_similarity, in HitBefore order,
// truncated to the first `max_results`. Errors as BruteForceSearch, plus
// INVALID_ARGUMENT for a non-finite min_similarity or max_results < 0.
absl::StatusOr<std::vector<Hit>> BruteForceAboveThreshold(
    const RowMatrixXf& normalized, absl::Span<const float> query,
    float min_similarity, int max_results, const RowSet* eligible);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RETRIEVAL_BRUTE_FORCE_H_
