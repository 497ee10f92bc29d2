#include "engine/intervention/overlay.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/common/reasons.h"
#include "engine/common/status_macros.h"
#include "engine/governance/pin_check.h"

namespace feedgov {
namespace {

const RowFactors kNoFactors;

}  // namespace

std::shared_ptr<const ResolvedInterventions> InterventionOverlay::Resolve(
    const std::shared_ptr<const InterventionSnapshot>& snapshot,
    const std::shared_ptr<const CatalogState>& state,
    const std::string& surface, absl::Time now) const {
  const auto key =
      std::make_tuple(static_cast<const void*>(snapshot.get()),
                      static_cast<const void*>(state.get()), surface);
  {
    absl::MutexLock lock(&resolved_mu_);
    auto it = resolved_.find(key);
    if (it != resolved_.end() && it->second.snapshot.lock() == snapshot &&
        it->second.state.lock() == state &&
        it->second.resolved->valid_from <= now &&
        now < it->second.resolved->valid_until) {
      return it->second.resolved;
    }
  }
  const Catalog& catalog = *state->catalog;
  const InterventionSnapshot::Window window =
      snapshot->StableWindow(now, surface);
  const ActiveSet active = snapshot->Active(now, surface);
  auto out = std::make_shared<ResolvedInterventions>();
  out->valid_from = window.from;
  out->valid_until = window.until;
  out->suppressed = RowSet(catalog.size());
  auto suppress = [&](Row r) { out->suppressed.insert(r); };
  for (ItemId id : active.suppressed_items) {
    if (auto row = catalog.FindRow(id)) suppress(*row);
  }
  if (!active.suppressed_authors.empty()) {
    for (Row r = 0; r < catalog.size(); ++r) {
      const std::string& author = catalog.item(r).author;
      if (!author.empty() && active.suppressed_authors.contains(author)) {
        suppress(r);
      }
    }
  }
  for (const NearDuplicateSeed& seed : active.near_duplicate_seeds) {
    auto rows = NearDuplicates(*state, seed.item_id, seed.cosine_threshold);
    if (!rows.ok()) {
      out->degradations.push_back(
          absl::StrCat("near-duplicate suppression ", seed.intervention_id,
                       " could not be evaluated: ", rows.status().message()));
      continue;
    }
    for (Row r : **rows) suppress(r);
  }
  for (const auto& [item, factor] : active.score_factors) {
    if (auto row = catalog.FindRow(item)) out->editor_factor[*row] = factor;
  }
  for (const auto& [position, pin] : active.pins) {
    out->pins.push_back({position, pin, catalog.FindRow(pin.item_id)});
  }
  if (!out->degradations.empty()) return out;  // Retried by the next Rank.
  absl::MutexLock lock(&resolved_mu_);
  if (resolved_.size() >= kMaxResolvedEntries && resolved_.count(key) == 0) {
    resolved_.clear();  // Entries of superseded snapshots or catalogs.
  }
  resolved_[key] = ResolvedEntry{snapshot, state, out};
  return out;
}

ResolvedInterventions::Eligible ResolvedInterventions::EligibleFor(
    const std::shared_ptr<const GovernanceView>& view) const {
  {
    absl::MutexLock lock(&mu_);
    if (view_.lock() == view && eligible_.rows != nullptr) return eligible_;
  }
  Eligible e;
  auto rows = std::make_shared<RowSet>(view->servable());
  suppressed.ForEach([&](Row r) {
    if (rows->contains(r)) {
      rows->erase(r);
      ++e.removed;
    }
  });
  e.rows = std::move(rows);
  absl::MutexLock lock(&mu_);
  view_ = view;
  eligible_ = e;
  return e;
}

absl::StatusOr<std::shared_ptr<const std::vector<Row>>>
InterventionOverlay::NearDuplicates(const CatalogState& state, ItemId seed,
                                    double threshold) const {
  std::string key =
      absl::StrCat(reinterpret_cast<uintptr_t>(state.catalog.get()), "|", seed,
                   "|", threshold);
  {
    absl::MutexLock lock(&near_dup_mu_);
    auto it = near_dups_.find(key);
    if (it != near_dups_.end() && it->second.catalog.lock() == state.catalog) {
      return it->second.rows;
    }
  }
  auto rows = std::make_shared<std::vector<Row>>();
  if (auto seed_row = state.catalog->FindRow(seed)) {
    FEEDGOV_ASSIGN_OR_RETURN(auto hits, state.retriever->SearchAboveThreshold(
                                            state.catalog->embedding(*seed_row),
                                            NearDuplicateFloor(threshold),
                                            Retriever::kMaxK, nullptr));
    for (const Hit& h : hits) {
      if (h.row != *seed_row) rows->push_back(h.row);  // Not the seed itself.
    }
  }
  absl::MutexLock lock(&near_dup_mu_);
  if (near_dups_.size() >= kMaxNearDupEntries) near_dups_.clear();
  near_dups_[key] = NearDupEntry{state.catalog, rows};
  return std::shared_ptr<const std::vector<Row>>(rows);
}

Overlay InterventionOverlay::Apply(
    const std::shared_ptr<const InterventionSnapshot>& snapshot,
    const OverlayRequest& request) const {
  const Catalog& catalog = *request.state->catalog;
  const GovernanceView& view = *request.view;
  Overlay out;
  out.editor_factor = &kNoFactors;
  if (snapshot == nullptr) {
    out.eligible = view.servable();
    for (ItemId id : request.state->deleted) {
      if (auto row = catalog.FindRow(id)) out.eligible.erase(*row);
    }
    for (ItemId id : request.served) {
      if (auto row = catalog.FindRow(id)) out.eligible.erase(*row);
    }
    return out;
  }
  out.resolved =
      Resolve(snapshot, request.state, request.surface->id, request.now);
  const ResolvedInterventions& resolved = *out.resolved;
  out.degradations = resolved.degradations;

  // Suppression (outranks pins): items, authors, near duplicates, taken
  // out of the servable rows once per view (memoized). `suppressed` counts
  // the rows suppression removed from this request's eligible rows, so a
  // deleted or already served row it also covers is not counted.
  const ResolvedInterventions::Eligible base =
      resolved.EligibleFor(request.view);
  out.eligible = *base.rows;
  int32_t removed = base.removed;
  absl::flat_hash_set<Row> uncounted;  // Suppressed rows out anyway.
  auto drop = [&](ItemId id) {
    const std::optional<Row> row = catalog.FindRow(id);
    if (!row) return;
    if (out.eligible.contains(*row)) {
      out.eligible.erase(*row);
    } else if (resolved.suppressed.contains(*row) &&
               view.servable().contains(*row) &&
               uncounted.insert(*row).second) {
      --removed;
    }
  };
  for (ItemId id : request.state->deleted) drop(id);
  for (ItemId id : request.served) drop(id);
  out.suppressed = removed;
  out.editor_factor = &resolved.editor_factor;
  AdmitPins(resolved, request, out);
  return out;
}

// Pins: deletion, suppression and governance first; a pinned item is never
// also placed organically within the chain.
void InterventionOverlay::AdmitPins(const ResolvedInterventions& resolved,
                                    const OverlayRequest& request,
                                    Overlay& out) const {
  const GovernanceView& view = *request.view;
  const int page_end = request.start + request.page_size;
  absl::flat_hash_set<ItemId> served(request.served.begin(),
                                     request.served.end());
  for (const ResolvedInterventions::Pin& resolved_pin : resolved.pins) {
    const int position = resolved_pin.position;
    const ActivePin& pin = resolved_pin.pin;
    if (position < request.start) continue;
    if (served.contains(pin.item_id)) {
      // Never twice in a chain; said only on the page the pin falls on.
      if (position < page_end) {
        out.degradations.push_back(absl::StrCat(
            "pin ", pin.intervention_id, " of item ", pin.item_id,
            " at position ", position + 1,
            " not applied: item was already served earlier in this chain"));
      }
      continue;
    }
    const std::optional<Row> row = resolved_pin.row;
    if (!row) {
      ++out.pins_blocked;
      out.degradations.push_back(absl::StrCat("pin ", pin.intervention_id,
                                              ": item ", pin.item_id,
                                              " is not in the catalog"));
      continue;
    }
    // The view's bitsets answer the common case; the full verdict (with the
    // names of the labels that fired) is built only for a refusal message.
    const bool key_allowed = view.key_slot_allowed().contains(*row);
    std::string blocked;
    if (request.state->IsDeleted(pin.item_id)) {
      blocked = "item was deleted from the catalog";
    } else if (resolved.suppressed.contains(*row)) {
      blocked = "item is suppressed";
    } else {
      switch (CheckPin(!view.servable().contains(*row), key_allowed,
                       request.surface->IsKeySlot(position))) {
        case PinRefusal::kDropped:
          blocked = absl::StrCat("policy drops it (",
                                 view.verdict(*row).dropped_by, ")");
          break;
        case PinRefusal::kKeptOutOfKeySlot:
          blocked = absl::StrCat("policy keeps it out of key slots (",
                                 view.verdict(*row).kept_out_by, ")");
          break;
        case PinRefusal::kNone:
          break;
      }
    }
    if (!blocked.empty()) {
      ++out.pins_blocked;
      out.degradations.push_back(absl::StrCat(
          "pin ", pin.intervention_id, " of item ", pin.item_id,
          " at position ", position + 1, " not applied: ", blocked));
      continue;
    }
    out.eligible.erase(*row);
    out.pin_ids[pin.item_id] = pin.intervention_id;
    PinnedItem p;
    p.item.row = *row;
    p.item.id = pin.item_id;
    p.item.key_slot_allowed = key_allowed;
    p.item.positive = view.positive().contains(*row);
    p.item.reasons = kEditorPin;
    p.position = position;
    out.pins.emplace_back(position, p);
  }
}

std::vector<PinnedItem> Overlay::PinsBefore(int page_end) const {
  std::vector<PinnedItem> out;
  for (const auto& [position, pin] : pins) {
    if (position < page_end) out.push_back(pin);
  }
  return out;
}

bool Overlay::HasPinAtOrAfter(int page_end) const {
  for (const auto& [position, pin] : pins) {
    if (position >= page_end) return true;
  }
  return false;
}

void Overlay::PlacePinsPastEnd(int eligible_count, const Surface& surface,
                               int start, int page_size,
                               std::vector<SlateSlot>& slots) {
  const int page_end = start + page_size;
  int organic = 0;
  for (const SlateSlot& s : slots) organic += !(s.item.reasons & kEditorPin);
  const bool feed_ends_here = eligible_count - organic <= 0 &&
                              static_cast<int>(slots.size()) < page_size;
  if (!feed_ends_here) return;
  int next = slots.empty() ? start : slots.back().position + 1;
  auto it = std::remove_if(pins.begin(), pins.end(), [&](auto& entry) {
    auto& [position, pin] = entry;
    if (position < page_end || next >= page_end) return false;
    const bool key = surface.IsKeySlot(next);
    // The pin was admitted for its own position; the position it gets here
    // is checked again (a pin never bypasses governance).
    if (CheckPin(false, pin.item.key_slot_allowed, key) != PinRefusal::kNone) {
      return false;
    }
    SlateSlot slot;
    slot.item = pin.item;
    slot.position = next++;
    slot.key_slot = key;
    slots.push_back(slot);
    return true;
  });
  pins.erase(it, pins.end());
}

}  // namespace feedgov
