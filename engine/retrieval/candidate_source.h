// File: engine/retrieval/candidate_source.h
//
// Candidate sources: the rows of an allowed set that one page may need,
// with their blended and final scores (scoring/final_score.h). One source
// answers per request; each is a small object built on the stack from the
// request's snapshots, and every call is one "retrieve + score" of a row
// set (the eligible rows, or a key-slot pool).
//
//   PriorSource       the profile-free path (non-personalized). It is never
//                     handed user data: its constructor takes none.
//   ThresholdSource   the personalized path: a threshold algorithm (Fagin,
//                     Lotem and Naor 2003) over three sorted lists, the
//                     cosine top-kc of a FAISS search, the prior top-kp and
//                     the prior top-kb of the policy-BOOSTed rows, grown
//                     until no unseen row can beat the page's need.
//   ExhaustiveSource  the personalized reference: every allowed row scored
//                     (O(n) per call). Never for serving; the oracle the
//                     threshold source must equal whenever retrieval is
//                     exact (candidate_source_test.cc, and
//                     tests/pipeline/candidate_head_test.cc on MovieLens).
//
// Guarantees of Retrieve(allowed, allowed_count, k, need), with
// target = min(k, 2 * page_size) and "final" the FinalScorer's score:
//   * every returned row is in `allowed`, at most once;
//   * PriorSource: rows by prior (the non-personalized blend), ties on the
//     float prior taken together, grown until the target-th best final
//     score beats the prior cut times FinalScorer::FactorBound, so a
//     boosted row below the cut is not missed;
//   * ThresholdSource: every allowed row whose final score is >= the
//     min of the target-th best final score and, when need.cuts(), the
//     need.key_slot_allowed-th best among key-slot-allowed rows is returned
//     (given exact cosines from the Retriever); rows with an editor or user
//     factor above 1 are always scored. Positives below that are best
//     effort (the positive pool covers a short quota);
//   * ExhaustiveSource: every allowed row.
// Errors: those of Retriever::Search and Scorer::Score (INVALID_ARGUMENT
// for a bad query; INTERNAL when FAISS fails).
//
// Thread-safety: sources are immutable; they borrow the request's
// snapshots, which must outlive them.
#ifndef FEEDGOV_ENGINE_RETRIEVAL_CANDIDATE_SOURCE_H_
#define FEEDGOV_ENGINE_RETRIEVAL_CANDIDATE_SOURCE_H_

#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/catalog/catalog_state.h"
#include "engine/common/row_set.h"
#include "engine/common/types.h"
#include "engine/governance/slate_plan.h"
#include "engine/governance/verdict.h"
#include "engine/scoring/final_score.h"
#include "engine/scoring/scorer.h"

namespace feedgov {

// Rows with their cosines (empty on the profile-free path), blended and
// final scores, index-aligned.
struct ScoredRows {
  std::vector<Row> rows;
  std::vector<float> sims;
  std::vector<double> blended;
  std::vector<double> finals;

  // The rows at `indices` as slate candidates (FinalScorer::Candidate).
  std::vector<SlateCandidate> Candidates(
      const FinalScorer& scorer, absl::Span<const size_t> indices) const;
};

// What every source reads on one request.
struct SourceInputs {
  const CatalogState* state = nullptr;   // Embeddings, index, priors.
  const Scorer* blend = nullptr;         // The blend (scorer.h).
  const FinalScorer* final = nullptr;    // The final score.
  const GovernanceView* view = nullptr;  // Key-slot flags, policy boosts.
  int page_size = 0;                     // [1, kMaxPageSize].
};

class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  // Rows of `allowed` (allowed_count: allowed.count() when known, else -1)
  // for a page that needs `need`, with k = the candidate budget
  // (>= 1). See the file comment.
  virtual absl::StatusOr<ScoredRows> Retrieve(const RowSet& allowed,
                                              int allowed_count, int k,
                                              const SlateNeed& need) const = 0;
};

class PriorSource final : public CandidateSource {
 public:
  explicit PriorSource(const SourceInputs& in) : in_(in) {}
  absl::StatusOr<ScoredRows> Retrieve(const RowSet& allowed, int allowed_count,
                                      int k,
                                      const SlateNeed& need) const override;

 private:
  const SourceInputs in_;
};

// A personalized source: the request's inputs and the user's profile
// vector (d floats, finite, non-zero norm).
class QuerySource : public CandidateSource {
 public:
  QuerySource(const SourceInputs& in, absl::Span<const float> query)
      : in_(in), query_(query) {}

 protected:
  const SourceInputs in_;
  const absl::Span<const float> query_;
};

class ThresholdSource final : public QuerySource {
 public:
  using QuerySource::QuerySource;
  absl::StatusOr<ScoredRows> Retrieve(const RowSet& allowed, int allowed_count,
                                      int k,
                                      const SlateNeed& need) const override;
};

class ExhaustiveSource final : public QuerySource {
 public:
  using QuerySource::QuerySource;
  absl::StatusOr<ScoredRows> Retrieve(const RowSet& allowed, int allowed_count,
                                      int k,
                                      const SlateNeed& need) const override;
};

// The top `k` rows of `eligible` (and of `also`, if not null) by prior
// score: the first k of ItemPriors::rows_by_prior() that qualify, plus any
// tied with the k-th on the (float) prior. The profile-free order.
std::vector<Row> TopByPrior(const ItemPriors& priors, const RowSet& eligible,
                            int k, const RowSet* also = nullptr);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RETRIEVAL_CANDIDATE_SOURCE_H_
