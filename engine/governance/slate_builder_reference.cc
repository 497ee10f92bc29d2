// BuildSlateReference: the slow, obviously correct oracle for BuildSlate.
// Everything is recomputed at every position with linear scans; no
// cursors, no incremental counters.
#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "engine/common/reasons.h"
#include "engine/governance/policy.h"
#include "engine/governance/slate_builder.h"

namespace feedgov {
namespace {

bool Contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// True when a comes before b in slate order.
bool ComesFirst(const SlateCandidate& a, const SlateCandidate& b) {
  double sa = std::isfinite(a.score) ? a.score : -INFINITY;
  double sb = std::isfinite(b.score) ? b.score : -INFINITY;
  if (sa > sb) return true;
  if (sa < sb) return false;
  if (a.id < b.id) return true;
  if (a.id > b.id) return false;
  return a.row < b.row;
}

struct RefState {
  const SlateInput* in;
  int start, end;
  std::vector<std::optional<SlateCandidate>> page;  // index p - start
  std::vector<bool> pinned;                         // index p - start
  std::vector<SlateCandidate> all;                  // deduped candidates
  std::vector<Row> ranked_rows;
  std::vector<Row> kept_out_rows;

  bool FromRanked(Row r) const {
    for (const SlateCandidate& c : in->ranked) {
      if (c.row == r) return true;
    }
    return false;
  }
  bool Used(Row r) const {
    for (const auto& s : page) {
      if (s.has_value() && s->row == r) return true;
    }
    return false;
  }
  std::vector<int> Window() const {
    std::vector<int> w;
    if (in->quota_min_positive <= 0) return w;
    for (int i = 0; i < in->quota_window && i < (int)in->key_slots.size(); ++i) {
      w.push_back(in->key_slots[i]);
    }
    return w;
  }
  int PositivesInWindowNow() const {
    int n = in->positives_in_window_so_far;
    for (int q : Window()) {
      if (q >= start && q < end && page[q - start].has_value() &&
          page[q - start]->positive) {
        ++n;
      }
    }
    return n;
  }
  int Need() const {
    return std::max(0, in->quota_min_positive - PositivesInWindowNow());
  }
  int Free(int p) const {
    int n = 0;
    for (int q : Window()) {
      if (q < p) continue;
      bool pin = q >= start && q < end && pinned[q - start];
      if (!pin) ++n;
    }
    return n;
  }
  // Best unused candidate satisfying pred, by linear scan.
  template <typename Pred>
  std::optional<SlateCandidate> Best(Pred pred) const {
    std::optional<SlateCandidate> best;
    for (const SlateCandidate& c : all) {
      if (Used(c.row) || !pred(c)) continue;
      if (!best.has_value() || ComesFirst(c, *best)) best = c;
    }
    return best;
  }
  int UnusedEligiblePositives() const {
    int n = 0;
    for (const SlateCandidate& c : all) {
      if (!Used(c.row) && c.positive && c.key_slot_allowed) ++n;
    }
    return n;
  }
};

void Dedupe(RefState& s) {
  for (const auto* list : {&s.in->ranked, &s.in->positive_pool,
                           &s.in->key_safe_pool}) {
    for (const SlateCandidate& c : *list) {
      bool seen = false;
      for (const SlateCandidate& d : s.all) seen = seen || d.row == c.row;
      if (!seen) s.all.push_back(c);
    }
  }
}

void Pins(RefState& s) {
  for (const PinnedItem& pin : s.in->pins) {
    int p = pin.position;
    if (p < s.start || p >= s.end) continue;
    if (s.page[p - s.start].has_value()) continue;
    if (Contains(s.in->key_slots, p) && !pin.item.key_slot_allowed) continue;
    if (s.Used(pin.item.row)) continue;
    SlateCandidate item = pin.item;
    item.reasons |= kEditorPin;
    s.page[p - s.start] = item;
    s.pinned[p - s.start] = true;
  }
}

void KeySlot(RefState& s, int p, int& unfilled) {
  std::optional<SlateCandidate> pick;
  uint32_t extra = 0;
  std::vector<int> w = s.Window();
  if (Contains(w, p) && s.Need() > 0 && s.Need() >= s.Free(p)) {
    pick = s.Best([](const SlateCandidate& c) {
      return c.positive && c.key_slot_allowed;
    });
    if (pick.has_value()) extra = kPositiveQuota;
  }
  if (!pick.has_value()) {
    pick = s.Best([](const SlateCandidate& c) { return c.key_slot_allowed; });
  }
  for (const SlateCandidate& c : s.all) {
    if (s.Used(c.row) || c.key_slot_allowed || !s.FromRanked(c.row)) continue;
    if (pick.has_value() && !ComesFirst(c, *pick)) continue;
    if (std::find(s.kept_out_rows.begin(), s.kept_out_rows.end(), c.row) ==
        s.kept_out_rows.end()) {
      s.kept_out_rows.push_back(c.row);
    }
  }
  if (!pick.has_value()) {
    ++unfilled;
    return;
  }
  pick->reasons |= extra;
  if (!s.FromRanked(pick->row)) pick->reasons |= kKeySlotBackfill;
  s.page[p - s.start] = pick;
}

void OtherSlot(RefState& s, int p) {
  int r = std::min(s.Need(), s.Free(p));
  bool reserve = r > 0 && s.UnusedEligiblePositives() <= r;
  auto ok = [&](const SlateCandidate& c) {
    return !(reserve && c.positive && c.key_slot_allowed);
  };
  std::optional<SlateCandidate> pick = s.Best(
      [&](const SlateCandidate& c) { return s.FromRanked(c.row) && ok(c); });
  if (!pick.has_value()) {
    pick = s.Best(
        [&](const SlateCandidate& c) { return !s.FromRanked(c.row) && ok(c); });
    if (pick.has_value()) pick->reasons |= kKeySlotBackfill;
  }
  if (pick.has_value()) s.page[p - s.start] = pick;
}

}  // namespace

SlateResult BuildSlateReference(const SlateInput& input) {
  RefState s;
  s.in = &input;
  s.start = input.start_position;
  int size = input.page_size < 0 ? 0 : std::min(input.page_size, kMaxPageSize);
  s.end = s.start + size;
  s.page.assign(size, std::nullopt);
  s.pinned.assign(size, false);
  Dedupe(s);
  Pins(s);
  int unfilled = 0;
  for (int p = s.start; p < s.end; ++p) {
    if (s.pinned[p - s.start]) continue;
    if (Contains(input.key_slots, p)) {
      KeySlot(s, p, unfilled);
    } else {
      OtherSlot(s, p);
    }
  }
  SlateResult res;
  for (int p = s.start; p < s.end; ++p) {
    if (s.page[p - s.start].has_value()) {
      res.slots.push_back(
          SlateSlot{*s.page[p - s.start], p, Contains(input.key_slots, p)});
    }
  }
  if (input.quota_min_positive > 0) {
    int later = 0;
    for (int q : s.Window()) later += q >= s.end ? 1 : 0;
    res.quota_required = std::max(0, input.quota_min_positive - later);
  }
  res.quota_met = s.PositivesInWindowNow();
  res.positives_in_window_after = res.quota_met;
  res.quota_shortfall = std::max(0, res.quota_required - res.quota_met);
  res.kept_out_of_key_slots = static_cast<int>(s.kept_out_rows.size());
  res.unfilled_key_slots = unfilled;
  return res;
}

}  // namespace feedgov
