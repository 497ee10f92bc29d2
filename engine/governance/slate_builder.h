// File: engine/governance/slate_builder.h
//
// BuildSlate: places candidates on one page of a surface so that the key-slot
// rules hold — the heart of enforcement. A pure, deterministic function.
//
// Guarantees (checked by a property test against BuildSlateReference):
//  * only candidates given in the input appear (callers pass servable items
//    only, so dropped/illegal items never appear); each row at most once;
//  * no item with key_slot_allowed == false ever sits in a key slot: if no
//    key-slot-allowed item is left, the key slot stays empty (the page is
//    shorter; counted in unfilled_key_slots), never filled with a bad item;
//  * the positive quota is met whenever enough eligible positives exist;
//    otherwise the shortfall is reported, not hidden;
//  * non-key slots follow score order (except positives held back for the
//    quota, see below).
//
// Algorithm (the normative spec; BuildSlateReference implements it naively):
//  Order: a before b when a.score > b.score, then a.id < b.id, then
//    a.row < b.row (NaN scores sort last).
//  Candidates: the union of ranked, positive_pool, key_safe_pool, deduped by
//    row; for a row given several times the first copy scanning ranked, then
//    positive_pool, then key_safe_pool (each in input order) is used.
//    "from ranked" means the row occurs in ranked.
//  Eligible positive: positive && key_slot_allowed.
//  Pins (in input order) are placed first. A pin is ignored when its
//    position is outside [start_position, start_position + page_size), when
//    its position is a key slot and its item is not key_slot_allowed (fail
//    closed), or when its position or row was taken by an earlier pin.
//    Placed pins get kEditorPin. A pinned row is never placed again.
//  Window W: the first quota_window entries of key_slots (empty when
//    quota_min_positive == 0). need = max(0, quota_min_positive -
//    positives_in_window_so_far - positives placed at W positions on this
//    page, pins included). free(p) = number of W positions >= p that are not
//    pinned on this page (positions on later pages count as free).
//  Then each unpinned position p of the page, in increasing order:
//   * key slot (p in key_slots):
//       if p in W and need > 0 and need >= free(p): the best unused eligible
//       positive (any source), reason kPositiveQuota; if there is none the
//       slot falls through to the normal choice.
//       normal choice: the best unused key_slot_allowed candidate (any
//       source); kKeySlotBackfill when not from ranked. None: slot empty.
//       Unused from-ranked candidates with key_slot_allowed == false that
//       come before the chosen item (all of them if the slot stays empty)
//       are counted, once per item, in kept_out_of_key_slots.
//   * other position: let R = min(need, free(p)). If R > 0 and at most R
//       unused eligible positives remain, they are reserved (skipped here).
//       The best unused non-reserved candidate from ranked; if none, the best
//       unused non-reserved pool-only candidate (kKeySlotBackfill); if none,
//       the position stays empty.
//  Results: quota_required = max(0, N - number of W positions >=
//    start_position + page_size) when N > 0, else 0; quota_met =
//    positives_in_window_after = positives_in_window_so_far + positives at W
//    positions on this page; quota_shortfall = max(0, required - met).
//
// Complexity: O(C log C + P * C) worst case for C candidates and page size P.
#ifndef FEEDGOV_ENGINE_GOVERNANCE_SLATE_BUILDER_H_
#define FEEDGOV_ENGINE_GOVERNANCE_SLATE_BUILDER_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/common/types.h"

namespace feedgov {

struct SlateCandidate {
  Row row = 0;
  ItemId id = 0;
  double score = 0.0;  // Already includes policy factors.
  bool key_slot_allowed = false;
  bool positive = false;
  uint32_t reasons = 0;  // Reason bitmask (reasons.h); the builder ORs in more.

  friend bool operator==(const SlateCandidate&, const SlateCandidate&) = default;
};

struct PinnedItem {
  SlateCandidate item;
  int position = 0;  // Absolute, 0-based.
};

struct SlateInput {
  // Absolute position of this page's first slot within the token chain.
  int start_position = 0;
  int page_size = 20;  // [1, kMaxPageSize]
  // Absolute positions of the surface's key slots, sorted ascending: every
  // key slot before start_position + page_size and through the end of the
  // quota window (Surface::SlateKeySlots).
  std::vector<int> key_slots;
  // At least quota_min_positive positives among the first quota_window key
  // slots.
  int quota_min_positive = 0;
  int quota_window = 0;
  // Positives already placed in window key slots on earlier pages.
  int positives_in_window_so_far = 0;
  std::vector<SlateCandidate> ranked;         // Servable candidates, any order.
  std::vector<SlateCandidate> positive_pool;  // Key-slot-allowed positives.
  std::vector<SlateCandidate> key_safe_pool;  // Key-slot-allowed backfill.
  std::vector<PinnedItem> pins;               // Validated by the caller.
};

struct SlateSlot {
  SlateCandidate item;
  int position = 0;
  bool key_slot = false;

  friend bool operator==(const SlateSlot&, const SlateSlot&) = default;
};

struct SlateResult {
  std::vector<SlateSlot> slots;  // In position order; gaps are empty slots.
  int quota_required = 0;
  int quota_met = 0;  // Positives in the window, earlier pages included.
  int quota_shortfall = 0;
  int kept_out_of_key_slots = 0;
  int unfilled_key_slots = 0;
  int positives_in_window_after = 0;

  friend bool operator==(const SlateResult&, const SlateResult&) = default;
};

// The slate order of the spec above: a before b when a.score > b.score,
// then a.id < b.id, then a.row < b.row; a non-finite score (NaN, +Inf or
// -Inf) is invalid, never the best: SlateSortKey maps it to -inf, last.
// A strict weak order for any scores; total on candidates of distinct rows.
// Everything that must agree with the builder's order (the readable-head
// cut, governance/slate_plan.h) uses these.
inline double SlateSortKey(double score) {
  return std::isfinite(score) ? score : -std::numeric_limits<double>::infinity();
}
inline bool SlateBefore(const SlateCandidate& a, const SlateCandidate& b) {
  const double sa = SlateSortKey(a.score), sb = SlateSortKey(b.score);
  if (sa != sb) return sa > sb;
  if (a.id != b.id) return a.id < b.id;
  return a.row < b.row;
}

// The production builder. Deterministic; thread-safe (pure).
SlateResult BuildSlate(const SlateInput& input);

// Slow reference implementation of the same spec (position by position,
// recomputing everything with linear scans). Test oracle only.
SlateResult BuildSlateReference(const SlateInput& input);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_SLATE_BUILDER_H_
