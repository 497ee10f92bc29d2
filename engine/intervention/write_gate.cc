#include "engine/intervention/write_gate.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/governance/pin_check.h"
#include "engine/governance/verdict.h"

namespace feedgov {
namespace {

bool NeedsItem(InterventionKind kind) {
  return kind != InterventionKind::kSuppressAuthor;
}

absl::Status CheckPinOn(const PolicyPack& pack, const Surface& surface,
                        const Intervention& iv,
                        const std::vector<Label>& labels) {
  const ItemVerdict v = EvaluateItem(pack, surface, Audience::kGeneral, labels);
  switch (
      CheckPin(v.dropped, v.key_slot_allowed, surface.IsKeySlot(iv.position))) {
    case PinRefusal::kDropped:
      return absl::FailedPreconditionError(absl::StrCat(
          "pin refused: policy '", pack.id, "' v", pack.version, " drops item ",
          iv.item_id, " on surface `", surface.id, "` (", v.dropped_by,
          "); a pin never bypasses governance"));
    case PinRefusal::kKeptOutOfKeySlot:
      return absl::FailedPreconditionError(absl::StrCat(
          "pin refused: position ", iv.position + 1, " of surface `",
          surface.id, "` is a key slot and policy '", pack.id, "' keeps item ",
          iv.item_id, " out of key slots (", v.kept_out_by,
          "); pick a position outside the key slots"));
    case PinRefusal::kNone:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

WriteGate MakeInterventionGate(const PolicyRegistry* policies,
                               const CatalogWriter* catalog) {
  return [policies, catalog](const Intervention& iv) -> absl::Status {
    const std::shared_ptr<const PolicyPack> pack = policies->current();
    const CatalogSnapshot snapshot = catalog->Snapshot();
    if (!iv.surface.empty()) {
      FEEDGOV_RETURN_IF_ERROR(pack->SurfaceOrError(iv.surface).status());
    }
    if (NeedsItem(iv.kind) && !snapshot.state->catalog->FindRow(iv.item_id)) {
      return absl::NotFoundError(
          absl::StrCat(absl::AsciiStrToLower(InterventionKindName(iv.kind)),
                       " of unknown item ", iv.item_id));
    }
    if (iv.kind != InterventionKind::kPin) return absl::OkStatus();
    const std::vector<Label>& labels = snapshot.labels->LabelsFor(iv.item_id);
    for (const Surface& s : pack->surfaces) {
      if (!iv.surface.empty() && s.id != iv.surface) continue;
      FEEDGOV_RETURN_IF_ERROR(CheckPinOn(*pack, s, iv, labels));
    }
    return absl::OkStatus();
  };
}

}  // namespace feedgov
