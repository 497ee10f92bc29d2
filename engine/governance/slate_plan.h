// File: engine/governance/slate_plan.h
//
// SlatePlan: what one page's slate will need, decided before retrieval and
// handed to it as a typed value. The page's key slots, positive-quota
// progress and pins (the SlateInput of slate_builder.h without its
// candidates) fix how much of the ranked candidates BuildSlate can read
// (SlateNeed); retrieval makes its candidates exact down to that need
// (retrieval/candidate_source.h), the readable-head cut keeps only what it
// names, and the pools are asked for only when the candidates cannot fill
// this page's key slots (Gov. Art. 11: the positive quota is drawn from a
// positive pool, not only from the candidates).
//
// The cuts never change the slate: BuildSlate over the cut candidates
// equals BuildSlate over all of them (proofs beside the SlatePlan constructor
// and KeepReadableHead in slate_plan.cc; tests/pipeline/candidate_head_test.cc
// checks it over every MovieLens user against the untrimmed reference).
//
// Thread-safety: values and pure functions.
#ifndef FEEDGOV_ENGINE_GOVERNANCE_SLATE_PLAN_H_
#define FEEDGOV_ENGINE_GOVERNANCE_SLATE_PLAN_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "engine/common/row_set.h"
#include "engine/common/types.h"
#include "engine/governance/policy.h"
#include "engine/governance/slate_builder.h"
#include "engine/governance/verdict.h"

namespace feedgov {

// How much of the ranked list (in slate order) the slate builder can read:
// the shortest prefix holding `candidates` candidates, `key_slot_allowed`
// key-slot-allowed ones and `positives` eligible positives (positive and
// key-slot-allowed). candidates == 0: the whole list (no cut).
struct SlateNeed {
  int64_t candidates = 0;
  int64_t key_slot_allowed = 0;
  int64_t positives = 0;

  bool cuts() const { return candidates > 0; }
};

// A pool of extra candidates the page's key slots need (slate_builder.h:
// positive_pool, key_safe_pool): the best `k` rows of `allowed` by final
// score.
struct PoolRequest {
  enum class Kind { kPositive, kKeySafe };
  Kind kind = Kind::kPositive;
  RowSet allowed;
  int k = 0;
};

class SlatePlan {
 public:
  // The page [start, start + page_size) of `surface` (page_size in
  // [1, kMaxPageSize]), with `positives_so_far` positives already placed in
  // the quota window on earlier pages of the chain and the editor pins that
  // fall on this page (validated by the intervention overlay).
  SlatePlan(const Surface& surface, int start, int page_size,
            int positives_so_far, std::vector<PinnedItem> pins_on_page);

  // What BuildSlate reads of the ranked candidates (see SlateNeed).
  const SlateNeed& need() const { return need_; }
  int start() const { return in_.start_position; }
  int page_size() const { return in_.page_size; }
  // Key slots on this page and positives the quota still needs.
  int key_slots_on_page() const { return key_on_page_; }
  int quota_need() const { return quota_need_; }

  // The pools this page needs given its ranked candidates (none when the
  // page has no key slot or the candidates hold enough key-slot-allowed
  // rows and positives): rows of `eligible` the view allows in key slots
  // (and, for the positive pool, positive ones).
  std::vector<PoolRequest> Pools(const std::vector<SlateCandidate>& ranked,
                                 const RowSet& eligible,
                                 const GovernanceView& view) const;

  // The builder's input with the candidates moved in. With `trim`, ranked
  // is cut to the head BuildSlate can read (KeepReadableHead).
  SlateInput Input(std::vector<SlateCandidate> ranked,
                   std::vector<SlateCandidate> positive_pool,
                   std::vector<SlateCandidate> key_safe_pool, bool trim) const;

 private:
  SlateInput in_;  // Without candidates.
  int key_on_page_ = 0;
  int quota_need_ = 0;
  SlateNeed need_;
};

// Indices of the rows (with final scores `finals`) whose final score (NaN
// as -inf) is >= the smallest value v such that those rows hold `need`
// (with the view's key-slot flags); rows at v are all kept, so the result
// is a prefix of the list in slate order (score first). Every row when
// !need.cuts(), when there are at most need.candidates rows, or when the
// whole list does not hold `need`. REQUIRES: rows.size() == finals.size().
std::vector<size_t> ReadableHead(absl::Span<const Row> rows,
                                 absl::Span<const double> finals,
                                 const SlateNeed& need,
                                 const GovernanceView& view);

// Cuts in.ranked to the head BuildSlate can read, without changing its
// result (see slate_plan.cc). O(C log L) for C ranked candidates and a head
// of L.
void KeepReadableHead(SlateInput& in);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_SLATE_PLAN_H_
