// File: engine/retrieval/synthetic.h
//
// Deterministic synthetic embeddings for tests and benchmarks. The same
// (n, d, num_clusters, seed) gives bitwise-identical output on every platform
// (own PRNG and Box-Muller; no std::*_distribution, whose output is
// implementation-defined).
#ifndef FEEDGOV_ENGINE_RETRIEVAL_SYNTHETIC_H_
#define FEEDGOV_ENGINE_RETRIEVAL_SYNTHETIC_H_

#include <cstdint>

#include "engine/common/matrix.h"

namespace feedgov {

// n x d row-major matrix of L2-normalized vectors drawn from `num_clusters`
// Gaussian clusters: a unit centre per cluster, each row = centre + isotropic
// Gaussian noise of expected norm 0.6, then normalized. Rows are assigned to
// clusters uniformly at random. Typical same-cluster cosine ~0.75, cross-
// cluster ~0.
// REQUIRES: n >= 0, d >= 1, num_clusters >= 1 (aborts with a message
// otherwise; this is fixture code, never called with user input).
RowMatrixXf MakeClusteredEmbeddings(int n, int d, int num_clusters,
                                    uint64_t seed);

// `count` x d matrix of query vectors (NOT normalized; norms vary in
// [0.5, 2]) near random rows of `normalized`: row + Gaussian noise of
// expected norm 0.3, scaled. Deterministic in `seed`.
// REQUIRES: normalized.rows() >= 1, count >= 0.
RowMatrixXf MakeQueriesNear(const RowMatrixXf& normalized, int count,
                            uint64_t seed);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RETRIEVAL_SYNTHETIC_H_
