#include "engine/intervention/write_gate.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/common/status_macros.h"
#include "engine/governance/pin_check.h"
#include "engine/governance/verdict.h"
#include "engine/retrieval/brute_force.h"

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

// The cosine the overlay's near-duplicate search computes (float,
// retrieval/brute_force.h), so the gate and serving agree.
float Cosine(const Catalog& catalog, Row seed, Row row) {
  return RowSimilarity(catalog.embeddings(), row,
                       NormalizeQuery(catalog.embedding(seed)));
}

// Which suppressions count: at write time those whose window overlaps the
// request's (it would collide with them); for a pin already written, those
// in force now (what serving applies).
struct SuppressionScope {
  bool in_force_now = false;
  absl::Time now;
  bool Counts(const Intervention& request, const Intervention& s) const {
    return in_force_now ? s.ActiveAt(now) : Overlap(request, s);
  }
};

// The suppression among `current` that covers `iv`'s item, if any.
absl::Status CheckNotSuppressed(const Intervention& iv,
                                const InterventionSnapshot& current,
                                const Catalog& catalog,
                                const SuppressionScope& scope) {
  const Row row = *catalog.FindRow(iv.item_id);
  const Item& item = catalog.item(row);
  for (const Intervention& s : current.interventions()) {
    if (!scope.Counts(iv, s)) continue;
    if (!iv.surface.empty() && !s.surface.empty() && s.surface != iv.surface)
      continue;
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
          covers = seed.has_value() && Cosine(catalog, *seed, row) >=
                                           NearDuplicateFloor(s.cosine_threshold);
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
                            Audience audience, const Intervention& iv,
                            const std::vector<Label>& labels) {
  const ItemVerdict v = EvaluateItem(pack, surface, audience, labels);
  const std::string kind =
      audience == Audience::kMinors ? absl::StrCat(KindName(iv.kind), " (minors)")
                                    : KindName(iv.kind);
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
        kind, " refused: position ", iv.position + 1, " of surface `", surface.id,
        "` is a key slot and policy '", pack.id, "' keeps item ", iv.item_id,
        " out of key slots (", v.kept_out_by,
        "); pick a position outside the key slots"));
  }
  // A label keeps the item out (bad content), not its review status.
  const bool bad = !v.key_slot_allowed && v.kept_out_by != kKeptOutUnreviewed &&
                   v.kept_out_by != kKeptOutUnlabeled;
  if (iv.kind == InterventionKind::kBoost && bad && surface.has_key_slots()) {
    return absl::FailedPreconditionError(absl::StrCat(
        kind, " refused: policy '", pack.id, "' keeps item ", iv.item_id,
        " out of the key slots of surface `", surface.id, "` (", v.kept_out_by,
        "); a boost never promotes what governance keeps out of prominent "
        "positions"));
  }
  return absl::OkStatus();
}

// Every rule of the file comment but the surface check.
absl::Status CheckTarget(const PolicyPack& pack, const CatalogSnapshot& snap,
                         const Intervention& iv,
                         const InterventionSnapshot& current,
                         const SuppressionScope& scope) {
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
      CheckNotSuppressed(iv, current, *snap.state->catalog, scope));
  const std::vector<Label>& labels = snap.labels->LabelsFor(iv.item_id);
  for (const Surface& s : pack.surfaces) {
    if (!iv.surface.empty() && s.id != iv.surface) continue;
    FEEDGOV_RETURN_IF_ERROR(
        CheckVerdictOn(pack, s, Audience::kGeneral, iv, labels));
    // A minors zone is for minors: their rules decide there too.
    if (s.kind == SurfaceKind::kMinorsZone && pack.minors.has_value()) {
      FEEDGOV_RETURN_IF_ERROR(
          CheckVerdictOn(pack, s, Audience::kMinors, iv, labels));
    }
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
    return CheckTarget(*pack, catalog->Snapshot(), iv, current,
                       SuppressionScope{});
  };
}

PinCheck MakePinCheck(const PolicyRegistry* policies,
                      const CatalogWriter* catalog) {
  return [policies, catalog](const Intervention& pin,
                             const InterventionSnapshot& current,
                             absl::Time now) {
    const std::shared_ptr<const PolicyPack> pack = policies->current();
    const CatalogSnapshot snap = catalog->Snapshot();
    const SuppressionScope scope{true, now};
    // A pin is blocked when it is placed on none of the surfaces it
    // covers (an all-surfaces pin one surface refuses is still placed).
    std::string first_refusal;
    for (const Surface& s : pack->surfaces) {
      if (!pin.surface.empty() && s.id != pin.surface) continue;
      Intervention on = pin;
      on.surface = s.id;
      absl::Status placed = CheckTarget(*pack, snap, on, current, scope);
      if (placed.ok()) return std::string();
      if (first_refusal.empty()) first_refusal = std::string(placed.message());
    }
    if (first_refusal.empty()) {  // No surface: the pack dropped it.
      absl::Status s = pack->SurfaceOrError(pin.surface).status();
      first_refusal = s.ok() ? "no surface of the policy" : std::string(s.message());
    }
    absl::string_view why = first_refusal;
    absl::ConsumePrefix(&why, "pin refused: ");
    return absl::StrCat("not placed: ", why);
  };
}

}  // namespace feedgov
