#include "engine/intervention/write_gate.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/common/status_macros.h"
#include "engine/governance/pin_check.h"
#include "engine/governance/verdict.h"

namespace feedgov {
namespace {

bool NeedsItem(InterventionKind kind) {
  return kind != InterventionKind::kSuppressAuthor;
}

// Kinds that place, promote or demote one item: the gate's rules apply.
bool TargetsItem(InterventionKind kind) {
  return kind == InterventionKind::kPin || kind == InterventionKind::kBoost ||
         kind == InterventionKind::kBury;
}

std::string KindName(InterventionKind kind) {
  return absl::AsciiStrToLower(InterventionKindName(kind));
}

bool Overlap(const Intervention& a, const Intervention& b) {
  const bool surfaces =
      a.surface.empty() || b.surface.empty() || a.surface == b.surface;
  return surfaces && a.start < b.end && b.start < a.end;
}

double Cosine(const Catalog& catalog, Row a, Row b) {
  const absl::Span<const float> x = catalog.embedding(a);
  const absl::Span<const float> y = catalog.embedding(b);
  double dot = 0;
  for (size_t i = 0; i < x.size(); ++i) dot += double{x[i]} * y[i];
  return dot;
}

// The suppression among `current` that covers `iv`'s item, if any.
absl::Status CheckNotSuppressed(const Intervention& iv,
                                const InterventionSnapshot& current,
                                const Catalog& catalog) {
  const Row row = *catalog.FindRow(iv.item_id);
  const Item& item = catalog.item(row);
  for (const Intervention& s : current.interventions()) {
    if (!Overlap(iv, s)) continue;
    bool covers = false;
    switch (s.kind) {
      case InterventionKind::kSuppressItem:
        covers = s.item_id == iv.item_id;
        break;
      case InterventionKind::kSuppressAuthor:
        covers = !item.author.empty() && s.author == item.author;
        break;
      case InterventionKind::kSuppressNearDuplicates:
        if (s.item_id != iv.item_id) {
          const auto seed = catalog.FindRow(s.item_id);
          covers = seed.has_value() &&
                   Cosine(catalog, *seed, row) >= s.cosine_threshold;
        }
        break;
      default:
        break;
    }
    if (covers) {
      return absl::FailedPreconditionError(absl::StrCat(
          KindName(iv.kind), " refused: item ", iv.item_id,
          " is suppressed by ", s.id, " (", KindName(s.kind),
          s.surface.empty() ? "" : absl::StrCat(" on `", s.surface, "`"),
          "); revoke the suppression first"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckVerdictOn(const PolicyPack& pack, const Surface& surface,
                            const Intervention& iv,
                            const std::vector<Label>& labels) {
  const ItemVerdict v = EvaluateItem(pack, surface, Audience::kGeneral, labels);
  const std::string kind = KindName(iv.kind);
  if (v.dropped) {
    return absl::FailedPreconditionError(absl::StrCat(
        kind, " refused: policy '", pack.id, "' v", pack.version,
        " drops item ", iv.item_id, " on surface `", surface.id, "` (",
        v.dropped_by, "); an intervention never bypasses governance"));
  }
  if (iv.kind == InterventionKind::kPin &&
      CheckPin(v.dropped, v.key_slot_allowed, surface.IsKeySlot(iv.position)) ==
          PinRefusal::kKeptOutOfKeySlot) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pin refused: position ", iv.position + 1, " of surface `", surface.id,
        "` is a key slot and policy '", pack.id, "' keeps item ", iv.item_id,
        " out of key slots (", v.kept_out_by,
        "); pick a position outside the key slots"));
  }
  // A label keeps the item out (bad content), not its review status.
  const bool bad = !v.key_slot_allowed && v.kept_out_by != kKeptOutUnreviewed &&
                   v.kept_out_by != kKeptOutUnlabeled;
  if (iv.kind == InterventionKind::kBoost && bad && surface.has_key_slots()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "boost refused: policy '", pack.id, "' keeps item ", iv.item_id,
        " out of the key slots of surface `", surface.id, "` (", v.kept_out_by,
        "); a boost never promotes what governance keeps out of prominent "
        "positions"));
  }
  return absl::OkStatus();
}

// Every rule of the file comment but the surface check.
absl::Status CheckTarget(const PolicyPack& pack, const CatalogSnapshot& snap,
                         const Intervention& iv,
                         const InterventionSnapshot& current) {
  if (NeedsItem(iv.kind) && !snap.state->catalog->FindRow(iv.item_id)) {
    return absl::NotFoundError(
        absl::StrCat(KindName(iv.kind), " of unknown item ", iv.item_id));
  }
  if (!TargetsItem(iv.kind)) return absl::OkStatus();
  if (snap.state->IsDeleted(iv.item_id)) {
    return absl::NotFoundError(
        absl::StrCat(KindName(iv.kind), " of deleted item ", iv.item_id));
  }
  FEEDGOV_RETURN_IF_ERROR(
      CheckNotSuppressed(iv, current, *snap.state->catalog));
  const std::vector<Label>& labels = snap.labels->LabelsFor(iv.item_id);
  for (const Surface& s : pack.surfaces) {
    if (!iv.surface.empty() && s.id != iv.surface) continue;
    FEEDGOV_RETURN_IF_ERROR(CheckVerdictOn(pack, s, iv, labels));
  }
  return absl::OkStatus();
}

}  // namespace

WriteGate MakeInterventionGate(const PolicyRegistry* policies,
                               const CatalogWriter* catalog) {
  return [policies, catalog](const Intervention& iv,
                             const InterventionSnapshot& current)
             -> absl::Status {
    const std::shared_ptr<const PolicyPack> pack = policies->current();
    if (!iv.surface.empty()) {
      FEEDGOV_RETURN_IF_ERROR(pack->SurfaceOrError(iv.surface).status());
    }
    return CheckTarget(*pack, catalog->Snapshot(), iv, current);
  };
}

PinCheck MakePinCheck(const PolicyRegistry* policies,
                      const CatalogWriter* catalog) {
  return [policies, catalog](const Intervention& pin,
                             const InterventionSnapshot& current) {
    const std::shared_ptr<const PolicyPack> pack = policies->current();
    if (!pin.surface.empty()) {
      absl::Status s = pack->SurfaceOrError(pin.surface).status();
      if (!s.ok()) return std::string(s.message());
    }
    absl::Status s = CheckTarget(*pack, catalog->Snapshot(), pin, current);
    if (s.ok()) return std::string();
    // The gate's refusal, said of a pin already written.
    absl::string_view why = s.message();
    absl::ConsumePrefix(&why, "pin refused: ");
    return absl::StrCat("not placed: ", why);
  };
}

}  // namespace feedgov
