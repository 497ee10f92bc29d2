#include "engine/governance/policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/utf8.h"

namespace feedgov {

absl::string_view SurfaceKindName(SurfaceKind kind) {
  switch (kind) {
    case SurfaceKind::kFeed: return "FEED";
    case SurfaceKind::kFirstScreen: return "FIRST_SCREEN";
    case SurfaceKind::kHotList: return "HOT_LIST";
    case SurfaceKind::kPopup: return "POPUP";
    case SurfaceKind::kHotSearch: return "HOT_SEARCH";
    case SurfaceKind::kFeatured: return "FEATURED";
    case SurfaceKind::kRecommendationArea: return "RECOMMENDATION_AREA";
    case SurfaceKind::kMinorsZone: return "MINORS_ZONE";
    case SurfaceKind::kDiscover: return "DISCOVER";
    case SurfaceKind::kDefaultSearch: return "DEFAULT_SEARCH";
    case SurfaceKind::kOtherProminent: return "OTHER_PROMINENT";
  }
  return "UNKNOWN";
}

absl::string_view RuleActionName(RuleAction action) {
  switch (action) {
    case RuleAction::kDrop: return "DROP";
    case RuleAction::kKeepOutOfKeySlots: return "KEEP_OUT_OF_KEY_SLOTS";
    case RuleAction::kDownrank: return "DOWNRANK";
    case RuleAction::kBoost: return "BOOST";
  }
  return "UNKNOWN";
}

bool Rule::AppliesTo(absl::string_view surface_id) const {
  if (surfaces.empty()) return true;
  return std::find(surfaces.begin(), surfaces.end(), surface_id) !=
         surfaces.end();
}

bool Surface::IsKeySlot(int position) const {
  if (position < 0) return false;
  if (all_key_slots || position < first_n_key_slots) return true;
  return std::binary_search(listed_key_slots.begin(), listed_key_slots.end(),
                            position);
}

int Surface::num_key_slots() const {
  if (all_key_slots) return -1;
  int n = first_n_key_slots;
  for (int p : listed_key_slots) {
    if (p >= first_n_key_slots) ++n;
  }
  return n;
}

std::vector<int> Surface::SlateKeySlots(int start, int page_size) const {
  std::vector<int> out;
  int end = start + page_size;
  // Extend to the end of the quota window so the builder knows how many
  // window slots remain on later pages.
  int needed_window = quota.min_positive > 0 ? quota.window : 0;
  for (int p = 0;; ++p) {
    if (p >= end && static_cast<int>(out.size()) >= needed_window) break;
    if (!all_key_slots && p >= first_n_key_slots &&
        (listed_key_slots.empty() || p > listed_key_slots.back())) {
      break;
    }
    if (IsKeySlot(p)) out.push_back(p);
  }
  return out;
}

const MachineLabelThresholds* PolicyPack::MachineLabelFor(
    absl::string_view label_name) const {
  for (const MachineLabelThresholds& m : machine_labels) {
    if (m.Matches(label_name)) return &m;
  }
  return nullptr;
}

const Surface* PolicyPack::FindSurface(absl::string_view id) const {
  for (const Surface& s : surfaces) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

absl::StatusOr<const Surface*> PolicyPack::SurfaceOrError(
    absl::string_view id) const {
  if (const Surface* s = FindSurface(id)) return s;
  std::vector<absl::string_view> ids;
  for (const Surface& s : surfaces) ids.push_back(s.id);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown surface `", Echo(id), "`; policy '", this->id,
                   "' has: ", absl::StrJoin(ids, ", ")));
}

absl::StatusOr<const Surface*> PolicyPack::SurfaceFor(absl::string_view id,
                                                      Audience audience) const {
  absl::StatusOr<const Surface*> s = SurfaceOrError(id);
  if (!s.ok()) return s.status();
  if (audience == Audience::kMinors && minors.has_value() &&
      !minors->allowed_surfaces.empty() &&
      std::find(minors->allowed_surfaces.begin(),
                minors->allowed_surfaces.end(),
                id) == minors->allowed_surfaces.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("policy pack '", this->id, "': surface '", id,
                     "' is not open to the minors audience"));
  }
  return s;
}

std::vector<const Rule*> PolicyPack::RulesFor(const Surface& surface,
                                              Audience audience) const {
  std::vector<const Rule*> out;
  for (const Rule& r : rules) {
    if (r.AppliesTo(surface.id)) out.push_back(&r);
  }
  if (audience == Audience::kMinors && minors.has_value()) {
    for (const Rule& r : minors->rules) {
      if (r.AppliesTo(surface.id)) out.push_back(&r);
    }
  }
  return out;
}

double PolicyPack::BoostBound(const Surface& surface, Audience audience) const {
  double bound = 1.0;
  for (const Rule* rule : RulesFor(surface, audience)) {
    if (rule->action == RuleAction::kBoost) bound *= std::max(1.0f, rule->factor);
  }
  return bound;
}

}  // namespace feedgov
