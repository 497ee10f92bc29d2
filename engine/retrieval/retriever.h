// File: engine/retrieval/retriever.h
//
// Stage 1: candidate retrieval. A Retriever wraps one FAISS index over the
// catalog's L2-normalized item embeddings (cosine = inner product) and answers
// "the k eligible rows most similar to this query". It is the only code in
// feedgov that includes <faiss/...>; FAISS exceptions never escape it.
//
// Guarantees of Search (the page must never be short or polluted):
//   * exactly min(k, #eligible) hits, every one eligible, no -1, no padding,
//     no duplicates, in HitBefore order (similarity desc, then row asc);
//   * every similarity is the exact float cosine RowSimilarity() (brute_force.h),
//     even when rows were found by the approximate index;
//   * the result equals BruteForceSearch whenever the index is exact (e.g.
//     "Flat") or the filter is selective
//     (#eligible / n <= exact_max_eligible_fraction); otherwise rows come from
//     the ANN index (HNSW) with the filter applied inside FAISS, retried with a
//     larger k when the filter starved it, and finally from exact search.
//
// Thread-safety: a Retriever is immutable after construction; every const
// method may be called concurrently. Build/WithAddedRows/Deserialize return
// new objects and never touch existing ones.
#ifndef FEEDGOV_ENGINE_RETRIEVAL_RETRIEVER_H_
#define FEEDGOV_ENGINE_RETRIEVAL_RETRIEVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/common/matrix.h"
#include "engine/common/row_set.h"
#include "engine/common/types.h"
#include "engine/retrieval/brute_force.h"

namespace faiss {
struct Index;
}  // namespace faiss

namespace feedgov::v1 {
class RetrievalConfig;
}  // namespace feedgov::v1

namespace feedgov {

struct RetrieverOptions {
  // FAISS index_factory strings (inner-product metric). small_factory is used
  // for catalogs with fewer than hnsw_min_items rows, large_factory at or
  // above. Supported index families: "Flat" (exact) and HNSW ("HNSW32",
  // "HNSW16,SQ8", ...); Build rejects others with INVALID_ARGUMENT.
  std::string small_factory = "Flat";
  std::string large_factory = "HNSW32";
  int64_t hnsw_min_items = 50000;  // >= 1.
  // HNSW efSearch, set once on the index at Build/Deserialize (FAISS 1.7.3
  // ignores a per-call value). [1, 100000].
  int ef_search = 256;
  // HNSW efConstruction. [1, 10000].
  int ef_construction = 200;
  // Exact search when #eligible / n <= this. [0, 1].
  double exact_max_eligible_fraction = 0.05;
  // Rough cost of one requested HNSW result, in exact row scores (one
  // d-float dot product each). The ANN path is skipped for exact search when
  // ann_k * ann_cost_per_result >= #eligible, i.e. when scoring every
  // eligible row is expected to be cheaper. 0 disables the shortcut (ANN is
  // always tried first when the filter is not selective). >= 0.
  double ann_cost_per_result = 64.0;
  // Build the HNSW graph on the calling thread only, so the same embeddings
  // give a bitwise-identical index (and Serialize() bytes) on every run.
  // false: use all OpenMP threads (faster, graph varies run to run).
  bool deterministic_build = true;

  // INVALID_ARGUMENT naming the field and its allowed range.
  absl::Status Validate() const;

  // From models/*.textproto; 0 / empty fields take the defaults above.
  // The result still needs Validate() (negative values are kept as given).
  static RetrieverOptions FromConfig(const feedgov::v1::RetrievalConfig& config);
};

// Optional knobs of one Search.
struct SearchOptions {
  // eligible->count() when the caller already knows it (saves an O(n / 64)
  // count per call); -1: counted by Search. REQUIRES: exact when given
  // (INVALID_ARGUMENT if outside [-1, n]).
  int64_t eligible_count = -1;
  // The fewest eligible rows an ANN answer may hold and still be accepted;
  // -1 (or anything >= k): a full page of min(k, #eligible). With
  // min_hits < k, FAISS is asked for max(k, what min_hits needs) results,
  // so a filter that excludes 1% of the rows costs no more FAISS work than
  // no filter (instead of k / 0.99 plus a margin); the answer then holds
  // between min_hits and k rows. Ignored when k >= #eligible (every
  // eligible row is wanted) and on the exact paths. -1 or >= 1
  // (INVALID_ARGUMENT otherwise).
  int min_hits = -1;
};

// What one Search did, for logs, explanations and tests.
struct SearchInfo {
  bool exact = false;    // Rows came from exact search.
  int ann_attempts = 0;  // FAISS ANN calls made (0 when exact from the start).
  int64_t ann_k = 0;     // k of the last FAISS call (0 when none).
  // ANN found fewer than min(k, #eligible) eligible rows and exact search
  // filled the page instead.
  bool fell_back_to_exact = false;
};

class Retriever {
 public:
  // Largest k accepted by Search.
  static constexpr int kMaxK = 100000;

  // Builds an index over `normalized` (n x d, rows L2-normalized; the matrix is
  // copied). Factory: options.small_factory if n < hnsw_min_items, else
  // options.large_factory.
  // Errors: INVALID_ARGUMENT for invalid options, d < 1, a non-finite row or a
  // row whose norm is not 1 (+-1e-3), naming the row; INVALID_ARGUMENT if
  // FAISS rejects the factory string; INTERNAL if FAISS fails while adding.
  static absl::StatusOr<std::unique_ptr<Retriever>> Build(
      const RowMatrixXf& normalized, const RetrieverOptions& options);

  // Loads an index written by Serialize() for the same embeddings.
  // Errors: DATA_LOSS if the bytes are truncated, corrupted (checksum) or not
  // a FAISS index FAISS can read; FAILED_PRECONDITION if the index was built
  // for another catalog (n or d differ, or its stored vectors are not
  // `normalized`); INVALID_ARGUMENT as Build for options / embeddings.
  static absl::StatusOr<std::unique_ptr<Retriever>> Deserialize(
      absl::string_view bytes, const RowMatrixXf& normalized,
      const RetrieverOptions& options);

  ~Retriever();
  Retriever(const Retriever&) = delete;
  Retriever& operator=(const Retriever&) = delete;

  // Bytes for Deserialize. Format (little-endian):
  //   "FGRIDX01" | int64 n | int64 d | uint32 len | factory[len] |
  //   64 hex chars SHA-256(payload) | uint64 payload_len | payload
  // where payload is faiss::write_index of the index. INTERNAL if FAISS fails.
  absl::StatusOr<std::string> Serialize() const;

  // A Retriever for a grown catalog: `all_normalized` must start with this
  // Retriever's n rows unchanged (bitwise) and may append new rows at the end.
  // If the factory choice is unchanged the index is copied and the new rows
  // are added to the copy; if the catalog crossed hnsw_min_items it is rebuilt
  // with the large factory. Errors: FAILED_PRECONDITION if d differs, rows were
  // removed, or an existing row changed (rebuild with Build instead);
  // INVALID_ARGUMENT / INTERNAL as Build.
  absl::StatusOr<std::unique_ptr<Retriever>> WithAddedRows(
      const RowMatrixXf& all_normalized) const;

  // Top min(k, #eligible) eligible rows for `query` (d floats, any finite
  // non-zero norm; normalized internally); see the file comment for the
  // guarantees. `eligible` == nullptr means all rows are eligible; an empty
  // set gives an empty result and OK. `info`, if not null, receives what the
  // search did.
  //
  // ANN policy (want = min(k, #eligible)): FAISS applies the filter only when
  // collecting results (the best eligible rows among the nodes the graph
  // walk visited), so a selective filter starves it. The first call asks
  // for ann_k = want (no filter) or, with
  // p = #eligible / n, ceil((want + 3 * sqrt(want * (1 - p))) / p) (the
  // expected need plus three binomial standard deviations); on a short page
  // ann_k doubles and FAISS is asked again, at most 4 calls. Whenever
  // ann_k * ann_cost_per_result >= #eligible, or ann_k > kMaxK, exact search
  // answers instead.
  // Errors (INVALID_ARGUMENT, message names the problem): query size != d
  // ("query has 32 floats, want 64"), non-finite or zero query, k outside
  // [1, kMaxK], eligible->size() != n. INTERNAL if FAISS fails.
  // `options`: see SearchOptions (the defaults give the guarantees above).
  absl::StatusOr<std::vector<Hit>> Search(
      absl::Span<const float> query, int k, const RowSet* eligible,
      SearchInfo* info = nullptr,
      const SearchOptions& options = SearchOptions()) const;

  // Every eligible row with cosine >= min_similarity, exact, in HitBefore
  // order, at most max_results of them (the most similar). For near-duplicate
  // suppression. Errors: as Search for query / eligible; INVALID_ARGUMENT if
  // min_similarity is not finite or max_results is outside [1, kMaxK].
  absl::StatusOr<std::vector<Hit>> SearchAboveThreshold(
      absl::Span<const float> query, float min_similarity, int max_results,
      const RowSet* eligible) const;

  // The FAISS factory string of the index in use, e.g. "Flat" or "HNSW32".
  const std::string& factory() const { return factory_; }
  // True when the index is exact (every search is exact).
  bool is_exact() const { return is_exact_; }
  int64_t size() const { return embeddings_.rows(); }
  int64_t dim() const { return embeddings_.cols(); }
  const RetrieverOptions& options() const { return options_; }

 private:
  // Copies `embeddings` only when the index does not store them as floats.
  Retriever(const RowMatrixXf& embeddings, std::unique_ptr<faiss::Index> index,
            std::string factory, const RetrieverOptions& options);

  // Exact top-k over eligible rows (nullptr = all). q is unit-norm.
  std::vector<Hit> ExactSearch(const Eigen::VectorXf& q, int64_t want,
                               const RowSet* eligible) const;
  // True when asking FAISS for ann_k rows is not worth it against scoring
  // `count` eligible rows exactly.
  bool AnnTooCostly(int64_t ann_k, int64_t count) const;
  // ANN top-k; fewer than `want` hits when FAISS could not find enough.
  absl::StatusOr<std::vector<Hit>> AnnSearch(const Eigen::VectorXf& q,
                                             int64_t ann_k,
                                             const RowSet* eligible) const;

  std::unique_ptr<faiss::Index> index_;
  // n x d, what the index was built from. For Flat and HNSW-Flat indexes
  // this views the vectors FAISS stores (no second copy: 256 bytes per item
  // at d = 64, and the rows a search just visited are warm in cache);
  // otherwise (e.g. an SQ8 storage) it views own_embeddings_.
  RowMatrixXf own_embeddings_;
  Eigen::Map<const RowMatrixXf> embeddings_;
  std::string factory_;
  RetrieverOptions options_;
  bool is_exact_ = false;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RETRIEVAL_RETRIEVER_H_
