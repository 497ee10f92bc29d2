// File: engine/governance/verdict.h
//
// Per-item policy verdicts: what a pack says about one item on one surface
// for one audience, and a catalog-wide view of all verdicts.
//
// Fail closed: a label that cannot be evaluated (name not in the pack's
// taxonomy, confidence NaN or outside [0, 1]) drops the item with
// label_error = true; it is counted as degraded, never served.
#ifndef FEEDGOV_ENGINE_GOVERNANCE_VERDICT_H_
#define FEEDGOV_ENGINE_GOVERNANCE_VERDICT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/common/chunked_array.h"
#include "engine/common/row_set.h"
#include "engine/common/types.h"
#include "engine/governance/policy.h"

namespace feedgov {

// kept_out_by values that name no label.
inline constexpr char kKeptOutUnreviewed[] = "(unreviewed)";
inline constexpr char kKeptOutUnlabeled[] = "(unlabeled)";

struct ItemVerdict {
  bool dropped = false;           // Never served on this surface/audience.
  bool key_slot_allowed = true;   // May occupy a key slot (false if dropped).
  bool positive = false;          // Counts toward positive quotas.
  float score_factor = 1.0f;      // Product of fired DOWNRANK/BOOST factors.
  uint32_t reasons = 0;           // kPositiveBoost | kDownranked (reasons.h).
  std::string dropped_by;         // Label that fired the first DROP rule, or
                                  // the unevaluable label on label_error.
  std::string kept_out_by;        // Label that fired the first KEEP_OUT rule,
                                  // or kKeptOutUnreviewed / kKeptOutUnlabeled.
  bool label_error = false;       // Dropped because a label was unevaluable.
  // A machine label (source kModel) that a DROP rule matched at the
  // threshold it holds machine labels to, but did not act on because the
  // rule does not set drop_on_machine_label: the item awaits a person's
  // review (other rules, e.g. KEEP_OUT and DOWNRANK, still apply). The first
  // such label (rule order, then item order); empty when none or when the
  // item is dropped.
  std::string awaiting_review;

  friend bool operator==(const ItemVerdict&, const ItemVerdict&) = default;
};

// Evaluates `labels` against the rules in force on `surface` for `audience`
// (PolicyPack::RulesFor). Semantics:
//  * Precedence: a label of source kModel or kMapping is ignored when the
//    item also has a kReviewer label of the same name (a moderator's
//    bad.clickbait at confidence 0 clears a labeler's 0.95).
//  * A rule fires when some label it matches has confidence >= the
//    threshold that label is held to; each rule fires at most once per item.
//    Rules are visited in file order (pack rules, then audience rules).
//  * The threshold: for a kModel (machine) label that a pack.machine_labels
//    entry matches (PolicyPack::MachineLabelFor), the entry's
//    key_slot_threshold for KEEP_OUT_OF_KEY_SLOTS and its
//    elsewhere_threshold for DROP, DOWNRANK and BOOST; for every other
//    label, the rule's threshold.
//  * A DROP rule ignores kModel labels unless it sets drop_on_machine_label
//    (a machine label alone never drops an item unless the pack says so);
//    the first machine label it would have fired on is named in
//    awaiting_review.
//  * DROP -> dropped; KEEP_OUT_OF_KEY_SLOTS -> !key_slot_allowed;
//    DOWNRANK / BOOST -> score_factor *= factor and the matching reason.
//  * surface.unlabeled: REQUIRE_REVIEWED keeps items with no REVIEWER label
//    out of key slots (a reviewer marks a clean item "reviewed" with any
//    label, e.g. confidence 0); DENY_UNLABELED keeps items with no label at
//    all out of key slots.
//  * positive: some positive-class label has confidence >=
//    pack.positive_threshold, or for a machine label with an entry >= its
//    elsewhere_threshold (and the item is not dropped).
//  * dropped implies !key_slot_allowed and !positive.
// Thread-safe (pure function of its arguments).
ItemVerdict EvaluateItem(const PolicyPack& pack, const Surface& surface,
                         Audience audience, absl::Span<const Label> labels);

// All verdicts of one (pack, surface, audience, label version) over catalog
// rows [0, num_rows). Built once, immutable, shared across requests; callers
// key their cache by the label version. Thread-safe for concurrent reads.
// The view does not keep references to the pack or to the labels.
class GovernanceView {
 public:
  // Catalog-wide counters (the annual-report / degraded-mode numbers).
  struct Counters {
    int32_t rows = 0;
    int32_t dropped = 0;           // Including label errors.
    int32_t label_errors = 0;      // Degraded: unevaluable labels.
    int32_t kept_out_of_key_slots = 0;  // Servable but not key-slot-allowed.
    int32_t positive = 0;          // Servable positives.
    int32_t positive_key_slot_allowed = 0;
    int32_t downranked = 0;
    int32_t boosted = 0;
    // Servable items a DROP rule held for review (ItemVerdict::awaiting_review).
    int32_t awaiting_review = 0;
    std::map<std::string, int32_t> dropped_by_label;   // label -> items
    std::map<std::string, int32_t> kept_out_by_label;  // label -> items
    std::map<std::string, int32_t> awaiting_review_by_label;  // label -> items

    friend bool operator==(const Counters&, const Counters&) = default;
  };

  // `labels_of(row)` returns the labels of `row`; the span only needs to
  // live until the next call.
  static std::shared_ptr<const GovernanceView> Build(
      const PolicyPack& pack, const Surface& surface, Audience audience,
      int32_t num_rows,
      absl::FunctionRef<absl::Span<const Label>(Row)> labels_of);

  // The view of the same (pack, surface, audience) after the labels of
  // `changed` rows changed: a copy of `base` in which only those rows are
  // re-evaluated (`labels_of(row)` gives their new labels) and the counters
  // are adjusted (old verdict subtracted, new one added). Equal to a fresh
  // Build over the new labels, verdict for verdict, RowSet for RowSet and
  // counter for counter, provided `changed` lists every row whose labels
  // differ from those `base` was built from (duplicates are harmless).
  // Cost: the RowSets are copied (O(num_rows / 8) bytes); the per-row
  // arrays share storage with `base` except the 4096-row chunks holding a
  // changed row (ChunkedArray); plus O(|changed|) evaluations. `base` is
  // not modified.
  // Errors: FAILED_PRECONDITION when `base` is of another pack id/version,
  // surface or audience; INVALID_ARGUMENT for a row outside [0, num_rows).
  static absl::StatusOr<std::shared_ptr<const GovernanceView>> WithUpdatedRows(
      const GovernanceView& base, const PolicyPack& pack, const Surface& surface,
      Audience audience, absl::Span<const Row> changed,
      absl::FunctionRef<absl::Span<const Label>(Row)> labels_of);

  int32_t num_rows() const { return servable_.size(); }
  // REQUIRES: 0 <= row < num_rows().
  ItemVerdict verdict(Row row) const;
  float score_factor(Row row) const { return factor_[row]; }
  // Rows whose score_factor exceeds 1 (the product of the BOOST and
  // DOWNRANK factors that fired lifts them), and the largest such factor
  // (1 when there are none). Kept up to date by WithUpdatedRows.
  const RowSet& boosted() const { return boosted_; }
  float max_boost_factor() const {
    return boost_factors_.empty() ? 1.0f : boost_factors_.rbegin()->first;
  }
  // Hints the cache to load score_factor(row) (for loops over scattered
  // rows, a few rows ahead).
  void PrefetchScoreFactor(Row row) const { __builtin_prefetch(&factor_[row]); }
  uint32_t reasons(Row row) const { return reasons_[row]; }

  const RowSet& servable() const { return servable_; }        // !dropped
  const RowSet& key_slot_allowed() const { return key_allowed_; }
  const RowSet& positive_key_slot_allowed() const { return positive_key_; }
  const RowSet& positive() const { return positive_; }  // verdict().positive
  const RowSet& label_errors() const { return label_error_; }
  const Counters& counters() const { return counters_; }

  const std::string& pack_id() const { return pack_id_; }
  int pack_version() const { return pack_version_; }
  const std::string& surface_id() const { return surface_id_; }
  Audience audience() const { return audience_; }

 private:
  GovernanceView() = default;
  GovernanceView(const GovernanceView&) = default;
  int32_t Intern(const std::string& name);
  // Writes `v` into the per-row arrays and RowSets of `row`.
  void Store(Row row, const ItemVerdict& v);
  // factor_[row] = factor, keeping boosted_ and boost_factors_ in step.
  void SetFactor(Row row, float factor);
  // Adds (sign +1) or removes (sign -1) `v`'s contribution to counters_.
  void Account(const ItemVerdict& v, int sign);

  std::string pack_id_;
  int pack_version_ = 0;
  std::string surface_id_;
  Audience audience_ = Audience::kGeneral;
  RowSet servable_, key_allowed_, positive_, positive_key_, label_error_;
  RowSet boosted_;  // factor_ > 1.
  // factor > 1 -> number of rows with it (few distinct values: products of
  // the pack's BOOST and DOWNRANK factors), for max_boost_factor().
  std::map<float, int32_t> boost_factors_;
  ChunkedArray<float> factor_;
  ChunkedArray<uint32_t> reasons_;
  ChunkedArray<int32_t> dropped_by_;   // Index into names_, -1 if none.
  ChunkedArray<int32_t> kept_out_by_;  // Index into names_, -1 if none.
  ChunkedArray<int32_t> awaiting_review_;  // Index into names_, -1 if none.
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, int32_t> name_index_;
  Counters counters_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_VERDICT_H_
