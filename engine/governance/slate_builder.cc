#include "engine/governance/slate_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "engine/common/reasons.h"
#include "engine/governance/pin_check.h"
#include "engine/governance/policy.h"

namespace feedgov {

namespace {

struct Cand {
  SlateCandidate c;
  bool from_ranked = false;
  bool used = false;
  bool eligible_positive() const { return c.positive && c.key_slot_allowed; }
};

class Builder {
 public:
  explicit Builder(const SlateInput& in) : in_(in) {
    start_ = in.start_position;
    end_ = start_ + std::clamp(in.page_size, 0, kMaxPageSize);
  }

  SlateResult Run() {
    CollectCandidates();
    PlacePins();
    SetUpWindow();
    for (int p = start_; p < end_; ++p) {
      if (placed_.contains(p)) continue;
      if (IsKeySlot(p)) {
        FillKeySlot(p);
      } else {
        FillOther(p);
      }
    }
    return Finish();
  }

 private:
  void AddCandidates(const std::vector<SlateCandidate>& list, bool ranked) {
    for (const SlateCandidate& c : list) {
      if (!by_row_.emplace(c.row, static_cast<int>(cands_.size())).second) {
        continue;
      }
      cands_.push_back(Cand{c, ranked, false});
    }
  }

  void CollectCandidates() {
    AddCandidates(in_.ranked, true);
    AddCandidates(in_.positive_pool, false);
    AddCandidates(in_.key_safe_pool, false);
    std::sort(cands_.begin(), cands_.end(),
              [](const Cand& a, const Cand& b) { return SlateBefore(a.c, b.c); });
    by_row_.clear();
    for (int i = 0; i < static_cast<int>(cands_.size()); ++i) {
      by_row_[cands_[i].c.row] = i;
      if (cands_[i].from_ranked && !cands_[i].c.key_slot_allowed) {
        ranked_not_key_.push_back(i);
      }
      if (cands_[i].eligible_positive()) ++eligible_unused_;
    }
  }

  bool IsKeySlot(int p) const {
    return std::binary_search(in_.key_slots.begin(), in_.key_slots.end(), p);
  }

  void PlacePins() {
    absl::flat_hash_set<Row> pinned_rows;
    for (const PinnedItem& pin : in_.pins) {
      const int p = pin.position;
      if (p < start_ || p >= end_ || placed_.contains(p)) continue;
      // Fail closed even for a pin the overlay admitted (the pin rule).
      if (CheckPin(false, pin.item.key_slot_allowed, IsKeySlot(p)) !=
          PinRefusal::kNone) {
        continue;
      }
      if (!pinned_rows.insert(pin.item.row).second) continue;
      SlateCandidate item = pin.item;
      item.reasons |= kEditorPin;
      placed_[p] = item;
      auto it = by_row_.find(item.row);
      if (it != by_row_.end()) MarkUsed(it->second);
    }
  }

  void SetUpWindow() {
    if (in_.quota_min_positive <= 0) return;
    const int k = std::min<int>(in_.quota_window, in_.key_slots.size());
    window_.assign(in_.key_slots.begin(), in_.key_slots.begin() + std::max(k, 0));
    positives_in_window_ = in_.positives_in_window_so_far;
    for (int q : window_) {
      auto it = placed_.find(q);
      if (it != placed_.end() && it->second.positive) ++positives_in_window_;
    }
  }

  bool InWindow(int p) const {
    return std::binary_search(window_.begin(), window_.end(), p);
  }
  int Need() const {
    return std::max(0, in_.quota_min_positive - positives_in_window_);
  }
  // Window positions >= p not pinned on this page.
  int Free(int p) const {
    int n = 0;
    for (auto it = std::lower_bound(window_.begin(), window_.end(), p);
         it != window_.end(); ++it) {
      if (!placed_.contains(*it)) ++n;
    }
    return n;
  }

  void MarkUsed(int i) {
    if (cands_[i].used) return;
    cands_[i].used = true;
    if (cands_[i].eligible_positive()) --eligible_unused_;
  }

  template <typename Pred>
  int BestUnused(Pred pred) const {
    for (int i = 0; i < static_cast<int>(cands_.size()); ++i) {
      if (!cands_[i].used && pred(cands_[i])) return i;
    }
    return -1;
  }

  void Place(int p, int i, uint32_t extra_reasons) {
    MarkUsed(i);
    SlateCandidate item = cands_[i].c;
    item.reasons |= extra_reasons;
    if (!cands_[i].from_ranked) item.reasons |= kKeySlotBackfill;
    if (InWindow(p) && item.positive) ++positives_in_window_;
    placed_[p] = item;
  }

  void FillKeySlot(int p) {
    int chosen = -1;
    uint32_t reasons = 0;
    if (InWindow(p) && Need() > 0 && Need() >= Free(p)) {
      chosen = BestUnused([](const Cand& c) { return c.eligible_positive(); });
      if (chosen >= 0) reasons = kPositiveQuota;
    }
    if (chosen < 0) {
      chosen = BestUnused([](const Cand& c) { return c.c.key_slot_allowed; });
    }
    CountKeptOut(chosen);
    if (chosen < 0) {
      ++unfilled_key_slots_;
      return;
    }
    Place(p, chosen, reasons);
  }

  // Marks unused ranked non-key-allowed candidates sorted before `chosen`
  // (all when chosen < 0). Sorted order makes the frontier monotone.
  void CountKeptOut(int chosen) {
    const int bound = chosen < 0 ? static_cast<int>(cands_.size()) : chosen;
    while (kept_frontier_ < static_cast<int>(ranked_not_key_.size()) &&
           ranked_not_key_[kept_frontier_] < bound) {
      if (!cands_[ranked_not_key_[kept_frontier_]].used) ++kept_out_;
      ++kept_frontier_;
    }
  }

  void FillOther(int p) {
    const int r = std::min(Need(), Free(p));
    const bool reserve = r > 0 && eligible_unused_ <= r;
    auto allowed = [reserve](const Cand& c) {
      return !(reserve && c.eligible_positive());
    };
    int chosen = BestUnused(
        [&](const Cand& c) { return c.from_ranked && allowed(c); });
    if (chosen < 0) {
      chosen = BestUnused(
          [&](const Cand& c) { return !c.from_ranked && allowed(c); });
    }
    if (chosen >= 0) Place(p, chosen, 0);
  }

  SlateResult Finish() {
    SlateResult res;
    std::vector<int> positions;
    for (const auto& [p, item] : placed_) positions.push_back(p);
    std::sort(positions.begin(), positions.end());
    for (int p : positions) {
      res.slots.push_back(SlateSlot{placed_[p], p, IsKeySlot(p)});
    }
    if (in_.quota_min_positive > 0) {
      const int later = static_cast<int>(
          window_.end() - std::lower_bound(window_.begin(), window_.end(), end_));
      res.quota_required = std::max(0, in_.quota_min_positive - later);
    }
    res.quota_met = positives_in_window_;
    res.positives_in_window_after = positives_in_window_;
    res.quota_shortfall = std::max(0, res.quota_required - res.quota_met);
    res.kept_out_of_key_slots = kept_out_;
    res.unfilled_key_slots = unfilled_key_slots_;
    return res;
  }

  const SlateInput& in_;
  int start_ = 0, end_ = 0;
  std::vector<Cand> cands_;  // Sorted by SlateBefore.
  absl::flat_hash_map<Row, int> by_row_;
  std::vector<int> ranked_not_key_;  // Indices into cands_, ascending.
  int kept_frontier_ = 0;
  int kept_out_ = 0;
  int eligible_unused_ = 0;
  int unfilled_key_slots_ = 0;
  std::vector<int> window_;
  int positives_in_window_ = 0;
  absl::flat_hash_map<int, SlateCandidate> placed_;
};

}  // namespace

SlateResult BuildSlate(const SlateInput& input) {
  return Builder(input).Run();
}

}  // namespace feedgov
