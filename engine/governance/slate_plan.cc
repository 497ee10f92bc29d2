#include "engine/governance/slate_plan.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

namespace feedgov {
namespace {

RowSet Intersect(const RowSet& a, const RowSet& b) {
  RowSet out = a;
  out.IntersectWith(b);
  return out;
}

}  // namespace

// What the steps after candidate generation can read of the ranked list.
// With P = page_size + pins, R = quota_min_positive and E = key slots on
// the page + positives the quota still needs: KeepReadableHead reads at
// most the prefix holding P candidates, P key-slot-allowed ones and P + R
// eligible positives, and Pools() asks for a pool only when the list holds
// fewer than E allowed or E positives. A prefix holding P, P + E and
// P + R + E of them therefore leaves both with the same answer as the whole
// list (and when the whole list holds fewer, ReadableHead keeps it all).
SlatePlan::SlatePlan(const Surface& surface, int start, int page_size,
                     int positives_so_far,
                     std::vector<PinnedItem> pins_on_page) {
  in_.start_position = start;
  in_.page_size = page_size;
  in_.key_slots = surface.SlateKeySlots(start, page_size);
  in_.quota_min_positive = surface.quota.min_positive;
  in_.quota_window = surface.quota.window;
  in_.positives_in_window_so_far = positives_so_far;
  in_.pins = std::move(pins_on_page);
  const int page_end = start + page_size;
  for (int p : in_.key_slots) key_on_page_ += p >= start && p < page_end;
  quota_need_ = std::max(0, in_.quota_min_positive - positives_so_far);
  const int64_t p = page_size + static_cast<int64_t>(in_.pins.size());
  const int64_t e = key_on_page_ + quota_need_;
  need_.candidates = p;
  need_.key_slot_allowed = p + e;
  need_.positives = p + std::max(0, in_.quota_min_positive) + e;
}

std::vector<PoolRequest> SlatePlan::Pools(
    const std::vector<SlateCandidate>& ranked, const RowSet& eligible,
    const GovernanceView& view) const {
  std::vector<PoolRequest> out;
  if (key_on_page_ == 0) return out;
  int ranked_key_ok = 0, ranked_positive = 0;
  for (const SlateCandidate& c : ranked) {
    ranked_key_ok += c.key_slot_allowed;
    ranked_positive += c.positive;
  }
  if (quota_need_ > 0 && ranked_positive < quota_need_ + key_on_page_) {
    out.push_back({PoolRequest::Kind::kPositive,
                   Intersect(eligible, view.positive_key_slot_allowed()),
                   quota_need_ + key_on_page_});
  }
  if (ranked_key_ok < key_on_page_ + quota_need_) {
    out.push_back({PoolRequest::Kind::kKeySafe,
                   Intersect(eligible, view.key_slot_allowed()),
                   2 * key_on_page_ + quota_need_});
  }
  return out;
}

SlateInput SlatePlan::Input(std::vector<SlateCandidate> ranked,
                            std::vector<SlateCandidate> positive_pool,
                            std::vector<SlateCandidate> key_safe_pool,
                            bool trim) const {
  SlateInput in = in_;
  in.ranked = std::move(ranked);
  in.positive_pool = std::move(positive_pool);
  in.key_safe_pool = std::move(key_safe_pool);
  if (trim) KeepReadableHead(in);
  return in;
}

std::vector<size_t> ReadableHead(absl::Span<const Row> rows,
                                 absl::Span<const double> finals,
                                 const SlateNeed& need,
                                 const GovernanceView& view) {
  const size_t m = rows.size();
  auto all = [m] {
    std::vector<size_t> every(m);
    for (size_t i = 0; i < m; ++i) every[i] = i;
    return every;
  };
  if (!need.cuts() || static_cast<int64_t>(m) <= need.candidates) return all();
  // Rows by final score (NaN as -inf, as SlateBefore), sorted only as deep
  // as needed; the key-slot flags (two scattered bitset reads per row) are
  // read only for the rows walked.
  struct Keyed {
    double key;
    uint32_t index;
  };
  std::vector<Keyed> order(m);
  for (size_t i = 0; i < m; ++i) {
    order[i] = {SlateSortKey(finals[i]), static_cast<uint32_t>(i)};
  }
  auto before = [](const Keyed& a, const Keyed& b) { return a.key > b.key; };
  const RowSet& allowed = view.key_slot_allowed();
  const RowSet& positive = view.positive_key_slot_allowed();
  std::optional<double> v;  // nullopt: the whole list never satisfies need.
  // The sort grows from a head of 8 x the need (at least one row).
  const size_t first_len = static_cast<size_t>(std::max<int64_t>(
      1,
      8 * std::max({need.candidates, need.key_slot_allowed, need.positives})));
  for (size_t len = std::min(m, first_len);; len = std::min(m, 2 * len)) {
    // The best `len` first, sorted: a selection then a sort of the head
    // (O(m + len log len)) costs less than a heap-based partial sort.
    if (len < m)
      std::nth_element(order.begin(), order.begin() + len, order.end(), before);
    std::sort(order.begin(), order.begin() + len, before);
    int64_t n_allowed = 0, n_pos = 0;
    for (size_t i = 0; i < len && !v; ++i) {
      const Row r = rows[order[i].index];
      const bool a = allowed.contains(r);
      n_allowed += a;
      n_pos += a && positive.contains(r);
      if (static_cast<int64_t>(i) + 1 >= need.candidates &&
          n_allowed >= need.key_slot_allowed && n_pos >= need.positives) {
        v = order[i].key;  // Rows tied with it are kept too (below).
      }
    }
    if (v || len == m) break;
  }
  if (!v) return all();
  std::vector<size_t> kept;
  for (const Keyed& k : order) {
    if (k.key >= *v) kept.push_back(k.index);
  }
  return kept;
}

// Let P = page_size + pins. The head is the shortest prefix of ranked (in
// SlateBefore order, a total order: rows are unique in ranked) holding >= P
// candidates, >= P key-slot-allowed ones and >= P + quota_min_positive
// eligible positives (positive && key_slot_allowed); the cut is made only
// when the whole list holds that many of each.
// Why the result is the same (spec in slate_builder.h):
//  * every pin and every position uses at most one candidate, so before any
//    choice at most P - 1 are used: for each kind X above, an unused X of
//    ranked exists in the head and beats every X beyond it. Each choice is
//    "the best unused X" (from ranked, or of any source, where the pools are
//    unchanged), so it never lands beyond the head, and the rows it
//    compares against are the same;
//  * a row beyond the head that is also in a pool keeps its row in the
//    union (now as a pool copy) but is never chosen (above);
//  * reservation: at least P + quota_min_positive - (P - 1) >
//    quota_min_positive >= R unused eligible positives remain in the head,
//    so "at most R remain" is false with and without the cut;
//  * kept_out_of_key_slots counts unused non-allowed ranked rows before the
//    chosen item; an unused key-slot-allowed ranked row is always in the
//    head, so the chosen item (or, for an empty slot, the end of the list)
//    never lies beyond it: the counted rows are all in the head.
void KeepReadableHead(SlateInput& in) {
  std::vector<SlateCandidate>& ranked = in.ranked;
  const int64_t p = in.page_size + static_cast<int64_t>(in.pins.size());
  const int64_t need_pos = p + std::max(0, in.quota_min_positive);
  int64_t allowed = 0, positives = 0;
  for (const SlateCandidate& c : ranked) {
    allowed += c.key_slot_allowed;
    positives += c.key_slot_allowed && c.positive;
  }
  const int64_t size = static_cast<int64_t>(ranked.size());
  if (size <= p || allowed < p || positives < need_pos) return;
  for (int64_t len =
           std::min<int64_t>(size, std::max<int64_t>(1, 8 * need_pos));
       ; len = std::min<int64_t>(size, 2 * len)) {
    std::partial_sort(ranked.begin(), ranked.begin() + len, ranked.end(),
                      SlateBefore);
    int64_t n_allowed = 0, n_pos = 0;
    for (int64_t i = 0; i < len; ++i) {
      n_allowed += ranked[i].key_slot_allowed;
      n_pos += ranked[i].key_slot_allowed && ranked[i].positive;
      if (i + 1 >= p && n_allowed >= p && n_pos >= need_pos) {
        ranked.resize(i + 1);
        return;
      }
    }
    if (len == size) return;  // Unreachable: the counts above hold.
  }
}

}  // namespace feedgov
