// File: engine/scoring/final_score.h
//
// FinalScorer: the one final score of a row on one request, and the reasons
// that go with it. Every place that ranks (the candidate sources, the
// readable-head cut, the pools, the slate's candidates) calls it, so the
// score a row is selected by is the score it is served with.
//
//   final = blend                        (scorer.h: w_sim (1 + cos) / 2 +
//                                         w_pop popularity + w_fresh freshness)
//         x policy factor                (the pack's BOOST and DOWNRANK rules
//                                         that fire on the row's labels:
//                                         GovernanceView::score_factor;
//                                         Algorithmic Recommendation
//                                         Provisions Art. 6)
//         x editor factor                (active boosts x buries of the row,
//                                         Manual intervention issue; Gov.
//                                         Art. 12 manual intervention)
//         x user factor                  (the user's own controls: "see less",
//                                         deleted and added interest tags;
//                                         personalized path only)
//
// The products are taken in this order, in double, so that a score computed
// twice is bitwise the same. Reasons: PERSONALIZED on the personalized path,
// else NON_PERSONALIZED | POPULAR; the view's POSITIVE_BOOST / DOWNRANKED;
// EDITOR_BOOST for an editor factor >= 1 and EDITOR_BURY below 1; SEE_LESS
// for a user factor below 1.
//
// Units: blend in [0, w_sim + w_pop + w_fresh]; factors finite and > 0
// (validated where they enter: the pack loader, the intervention manager,
// the user stage), so the final score keeps the blend's sign.
//
// Thread-safety: immutable after construction; borrows everything it is
// given (the request's snapshots), which must outlive it.
#ifndef FEEDGOV_ENGINE_SCORING_FINAL_SCORE_H_
#define FEEDGOV_ENGINE_SCORING_FINAL_SCORE_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "engine/catalog/catalog.h"
#include "engine/common/reasons.h"
#include "engine/common/types.h"
#include "engine/governance/slate_builder.h"
#include "engine/governance/verdict.h"

namespace feedgov {

// Score factors of catalog rows (absent: 1).
using RowFactors = absl::flat_hash_map<Row, double>;

class FinalScorer {
 public:
  // `policy_boost_bound`: the largest product of policy factors any row can
  // get (PolicyPack::BoostBound for the request's surface and audience).
  FinalScorer(const Catalog& catalog, const GovernanceView& view,
              const RowFactors& editor, const RowFactors& user,
              bool personalized, double policy_boost_bound)
      : catalog_(catalog),
        view_(view),
        editor_(editor),
        user_(user),
        personalized_(personalized),
        policy_boost_bound_(policy_boost_bound) {}

  // The final score of `row` with blended score `blended`.
  // REQUIRES: 0 <= row < catalog size.
  double Score(Row row, double blended) const {
    return Apply(row, blended, nullptr);
  }

  // The row as a slate candidate: id, final score, reasons, key-slot flags.
  SlateCandidate Candidate(Row row, double blended) const {
    SlateCandidate c;
    c.row = row;
    c.id = catalog_.id(row);
    c.reasons = 0;
    c.score = Apply(row, blended, &c.reasons);
    c.key_slot_allowed = view_.key_slot_allowed().contains(row);
    c.positive = view_.positive_key_slot_allowed().contains(row);
    return c;
  }

  // Appends `fresh` (blended scores of `rows`) to `blended` and their Score
  // to `finals`, loading policy factors a few rows ahead (each is a cache
  // miss in a catalog-sized array).
  void AppendFinals(absl::Span<const Row> rows, absl::Span<const double> fresh,
                    std::vector<double>& blended,
                    std::vector<double>& finals) const;

  // An upper bound on the product of the factors Score applies to any row:
  // the policy bound times the largest editor and user factors (downranks,
  // buries and "see less" are <= 1). O(#editor + #user factors).
  double FactorBound() const;

  const RowFactors& editor_factors() const { return editor_; }
  const RowFactors& user_factors() const { return user_; }
  bool personalized() const { return personalized_; }

 private:
  double Apply(Row row, double blended, uint32_t* reasons) const {
    double score = blended * view_.score_factor(row);
    if (reasons != nullptr) {
      *reasons |=
          (personalized_ ? kPersonalized : (kNonPersonalized | kPopular)) |
          view_.reasons(row);
    }
    // The factor maps are usually empty: skip hashing the row then.
    if (!editor_.empty()) {
      if (auto it = editor_.find(row); it != editor_.end()) {
        score *= it->second;
        if (reasons != nullptr)
          *reasons |= it->second >= 1.0 ? kEditorBoost : kEditorBury;
      }
    }
    if (!user_.empty()) {
      if (auto it = user_.find(row); it != user_.end()) {
        score *= it->second;
        if (reasons != nullptr && it->second < 1.0) *reasons |= kSeeLess;
      }
    }
    return score;
  }

  const Catalog& catalog_;
  const GovernanceView& view_;
  const RowFactors& editor_;
  const RowFactors& user_;
  const bool personalized_;
  const double policy_boost_bound_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_SCORING_FINAL_SCORE_H_
