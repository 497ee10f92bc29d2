#include "engine/pipeline/state_dir.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/status_macros.h"
#include "engine/governance/verdict.h"
#include "engine/store/schema.h"

namespace feedgov {
namespace {

bool NeedsItem(InterventionKind kind) {
  return kind != InterventionKind::kSuppressAuthor;
}

absl::Status CheckPin(const FeedEngine& engine, const PolicyPack& pack,
                      const Surface& surface, const Intervention& iv,
                      const std::vector<Label>& labels) {
  ItemVerdict v = EvaluateItem(pack, surface, Audience::kGeneral, labels);
  if (v.dropped) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pin refused: policy '", pack.id, "' v", pack.version, " drops item ",
        iv.item_id, " on surface `", surface.id, "` (", v.dropped_by,
        "); a pin never bypasses governance"));
  }
  if (surface.IsKeySlot(iv.position) && !v.key_slot_allowed) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pin refused: position ", iv.position + 1, " of surface `", surface.id,
        "` is a key slot and policy '", pack.id, "' keeps item ", iv.item_id,
        " out of key slots (", v.kept_out_by,
        "); pick a position outside the key slots"));
  }
  return absl::OkStatus();
}

}  // namespace

WriteGate MakeInterventionGate(const FeedEngine* engine) {
  return [engine](const Intervention& iv) -> absl::Status {
    auto pack = engine->policy();
    auto catalog = engine->catalog();
    if (!iv.surface.empty() && pack->FindSurface(iv.surface) == nullptr) {
      std::vector<std::string> ids;
      for (const Surface& s : pack->surfaces) ids.push_back(s.id);
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown surface `", iv.surface, "`; policy '", pack->id,
          "' has: ", absl::StrJoin(ids, ", ")));
    }
    if (NeedsItem(iv.kind) && !catalog->FindRow(iv.item_id).has_value()) {
      return absl::NotFoundError(absl::StrCat(
          absl::AsciiStrToLower(InterventionKindName(iv.kind)),
          " of unknown item ", iv.item_id));
    }
    if (iv.kind != InterventionKind::kPin) return absl::OkStatus();
    const std::vector<Label>& labels = engine->labels()->LabelsFor(iv.item_id);
    for (const Surface& s : pack->surfaces) {
      if (!iv.surface.empty() && s.id != iv.surface) continue;
      FEEDGOV_RETURN_IF_ERROR(CheckPin(*engine, *pack, s, iv, labels));
    }
    return absl::OkStatus();
  };
}

absl::StatusOr<std::unique_ptr<StateDir>> StateDir::Open(
    const std::string& state_dir, FeedEngine* engine, const Clock* clock) {
  std::unique_ptr<StateDir> s(new StateDir);
  FEEDGOV_ASSIGN_OR_RETURN(s->db_, OpenFeedgovDb(state_dir));
  FEEDGOV_ASSIGN_OR_RETURN(s->store_, SqliteInterventionStore::Open(s->db_));
  FEEDGOV_ASSIGN_OR_RETURN(s->user_settings_,
                           SqliteUserSettingsStore::Open(s->db_));
  WriteGate gate = engine != nullptr
                       ? MakeInterventionGate(engine)
                       : WriteGate([](const Intervention&) {
                           return absl::FailedPreconditionError(
                               "creating an intervention needs --snapshot (it "
                               "is checked against the catalog and policy)");
                         });
  FEEDGOV_ASSIGN_OR_RETURN(
      s->interventions_,
      InterventionManager::Open(*s->store_, *clock, std::move(gate)));
  if (engine != nullptr) {
    InterventionManager* manager = s->interventions_.get();
    engine->SetInterventionSource([manager] { return manager->snapshot(); });
  }
  return s;
}

}  // namespace feedgov
