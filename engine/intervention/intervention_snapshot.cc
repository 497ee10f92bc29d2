#include "engine/intervention/intervention_snapshot.h"

#include <algorithm>
#include <utility>

namespace feedgov {
namespace {

bool InScope(const Intervention& iv, absl::string_view surface) {
  return iv.surface.empty() || iv.surface == surface;
}

// Decides which of two pins for the same position is kept (see header).
bool PreferPin(const Intervention& candidate, const Intervention& current) {
  bool cand_exact = !candidate.surface.empty();
  bool cur_exact = !current.surface.empty();
  if (cand_exact != cur_exact) return cand_exact;
  return candidate.id < current.id;
}

}  // namespace

InterventionSnapshot::InterventionSnapshot(
    std::vector<Intervention> interventions) {
  interventions.erase(
      std::remove_if(interventions.begin(), interventions.end(),
                     [](const Intervention& iv) { return iv.revoked; }),
      interventions.end());
  std::sort(interventions.begin(), interventions.end(),
            [](const Intervention& a, const Intervention& b) {
              return a.id < b.id;
            });
  interventions_ = std::move(interventions);
}

ActiveSet InterventionSnapshot::Active(absl::Time now,
                                       absl::string_view surface) const {
  ActiveSet out;
  std::map<int, const Intervention*> pin_sources;
  for (const Intervention& iv : interventions_) {
    if (!iv.ActiveAt(now) || !InScope(iv, surface)) continue;
    out.intervention_ids.push_back(iv.id);
    switch (iv.kind) {
      case InterventionKind::kPin: {
        auto [it, inserted] = pin_sources.emplace(iv.position, &iv);
        if (!inserted && PreferPin(iv, *it->second)) it->second = &iv;
        break;
      }
      case InterventionKind::kSuppressItem:
        out.suppressed_items.insert(iv.item_id);
        break;
      case InterventionKind::kSuppressAuthor:
        out.suppressed_authors.insert(iv.author);
        break;
      case InterventionKind::kSuppressNearDuplicates:
        out.near_duplicate_seeds.push_back(
            {iv.item_id, iv.cosine_threshold, iv.id});
        break;
      case InterventionKind::kBoost:
      case InterventionKind::kBury: {
        auto [it, inserted] = out.score_factors.emplace(iv.item_id, 1.0);
        it->second *= iv.factor;
        break;
      }
    }
  }
  for (const auto& [position, iv] : pin_sources) {
    out.pins.emplace(position, ActivePin{iv->item_id, iv->id});
  }
  return out;
}

InterventionSnapshot::Window InterventionSnapshot::StableWindow(
    absl::Time now, absl::string_view surface) const {
  Window w{absl::InfinitePast(), absl::InfiniteFuture()};
  for (const Intervention& iv : interventions_) {
    if (!InScope(iv, surface)) continue;
    // ActiveAt(t) flips only at start and at end.
    for (absl::Time edge : {iv.start, iv.end}) {
      if (edge <= now) {
        w.from = std::max(w.from, edge);
      } else {
        w.until = std::min(w.until, edge);
      }
    }
  }
  return w;
}

}  // namespace feedgov
