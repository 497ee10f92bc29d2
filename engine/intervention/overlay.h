// File: engine/intervention/overlay.h
//
// InterventionOverlay: the editors' stage of a Rank (Manual intervention
// issue; Gov. Art. 12). It turns the interventions in force into what the
// rest of the page reads:
//
//   eligible   the view's servable rows minus deleted items, items already
//              served in the page-token chain and suppressions (items,
//              authors, near duplicates of a seed by cosine), minus the
//              items pinned from this page on;
//   factors    editor boost x bury per row (scoring/final_score.h);
//   pins       the pins at or after this page's first position, each
//              checked against governance (governance/pin_check.h),
//              deletion and suppression; a refused pin is counted
//              (pins_blocked) and named in a degradation, never placed.
//
// Precedence: policy > suppression > pin > quota > score. Suppression
// outranks pins; a pinned item is never also placed organically within the
// chain, and never twice.
//
// Cost: the active set is resolved to catalog rows once per interval in
// which no intervention starts or ends (InterventionSnapshot::
// StableWindow) and shared by every Rank in it; suppressions are taken out
// of the servable rows once per governance view (resolving 1,000
// suppressions per request cost ~170 us at 1M items; an author suppression
// is a catalog scan). Near-duplicate seeds are resolved with an exact
// search (Retriever::SearchAboveThreshold) cached per (catalog, seed,
// threshold).
//
// Thread-safety: thread-safe; Apply() may run concurrently (the caches have
// their own mutexes, held only for a lookup or an insert).
#ifndef FEEDGOV_ENGINE_INTERVENTION_OVERLAY_H_
#define FEEDGOV_ENGINE_INTERVENTION_OVERLAY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/catalog/catalog_state.h"
#include "engine/common/row_set.h"
#include "engine/common/types.h"
#include "engine/governance/policy.h"
#include "engine/governance/slate_builder.h"
#include "engine/governance/verdict.h"
#include "engine/intervention/intervention_snapshot.h"
#include "engine/scoring/final_score.h"

namespace feedgov {

// The interventions in force on one surface, resolved to catalog rows, for
// the interval over which InterventionSnapshot::Active() does not change.
// Immutable but for the memo behind EligibleFor (thread-safe).
struct ResolvedInterventions {
  absl::Time valid_from;     // Inclusive.
  absl::Time valid_until;    // Exclusive.
  RowSet suppressed;         // Items, authors, near duplicates.
  RowFactors editor_factor;  // Boost x bury.
  struct Pin {
    int position = 0;  // 0-based absolute.
    ActivePin pin;
    std::optional<Row> row;  // nullopt: the item is not in the catalog.
  };
  std::vector<Pin> pins;  // Ascending position.
  // Near-duplicate seeds that could not be evaluated (never cached).
  std::vector<std::string> degradations;

  // view->servable() minus `suppressed`, and how many rows that removed,
  // memoized for the newest view asked for.
  struct Eligible {
    std::shared_ptr<const RowSet> rows;
    int32_t removed = 0;
  };
  Eligible EligibleFor(const std::shared_ptr<const GovernanceView>& view) const;

 private:
  mutable absl::Mutex mu_;
  mutable std::weak_ptr<const GovernanceView> view_ ABSL_GUARDED_BY(mu_);
  mutable Eligible eligible_ ABSL_GUARDED_BY(mu_);
};

// What the overlay decided for one page.
struct Overlay {
  RowSet eligible;     // Rows that may be placed organically on this page.
  int suppressed = 0;  // Rows suppression removed from this page's eligible.
  // Editor factors of the rows (empty when none); valid while `resolved`
  // (held here) lives.
  const RowFactors* editor_factor = nullptr;
  std::shared_ptr<const ResolvedInterventions> resolved;
  // Pins that passed every check, at or after this page's first position,
  // ascending position: (position, pinned item).
  std::vector<std::pair<int, PinnedItem>> pins;
  absl::flat_hash_map<ItemId, std::string> pin_ids;  // Item -> intervention.
  int pins_blocked = 0;
  std::vector<std::string> degradations;

  // The pins that fall before `page_end` (for the slate builder).
  std::vector<PinnedItem> PinsBefore(int page_end) const;
  // True when a pin remains at or after `page_end` (the chain goes on).
  bool HasPinAtOrAfter(int page_end) const;
  // A pin whose position lies beyond the end of the available feed is
  // placed last, right after the final item (Manual intervention issue),
  // when it may occupy that position. Called once the slate of the page
  // [start, start + page_size) is built, with the page's eligible row count
  // (the feed ends on this page when the slate placed them all and the page
  // is short). Placed pins are appended to `slots` and removed from `pins`.
  void PlacePinsPastEnd(int eligible_count, const Surface& surface, int start,
                        int page_size, std::vector<SlateSlot>& slots);
};

// One page's position in its chain, for the overlay.
struct OverlayRequest {
  std::shared_ptr<const CatalogState> state;   // Required.
  std::shared_ptr<const GovernanceView> view;  // Required.
  const Surface* surface = nullptr;            // Required.
  absl::Span<const ItemId> served;  // Items served earlier in the chain.
  int start = 0;      // Absolute 0-based position of the page's first slot.
  int page_size = 0;  // [1, kMaxPageSize].
  absl::Time now;
};

class InterventionOverlay {
 public:
  // `snapshot` may be null (no interventions: only deleted and served
  // items leave the eligible rows).
  Overlay Apply(const std::shared_ptr<const InterventionSnapshot>& snapshot,
                const OverlayRequest& request) const;

 private:
  std::shared_ptr<const ResolvedInterventions> Resolve(
      const std::shared_ptr<const InterventionSnapshot>& snapshot,
      const std::shared_ptr<const CatalogState>& state,
      const std::string& surface, absl::Time now) const;
  // Checks the resolved pins at or after request.start and admits the ones
  // that pass into out.pins (taking their rows out of out.eligible).
  void AdmitPins(const ResolvedInterventions& resolved,
                 const OverlayRequest& request, Overlay& out) const;
  // Rows suppressed by a near-duplicate seed (the seed itself excluded).
  absl::StatusOr<std::shared_ptr<const std::vector<Row>>> NearDuplicates(
      const CatalogState& state, ItemId seed, double threshold) const;

  // Resolve() results per (snapshot, catalog state, surface); an entry is
  // used only while `now` is inside its window and both sources are alive.
  struct ResolvedEntry {
    std::weak_ptr<const InterventionSnapshot> snapshot;
    std::weak_ptr<const CatalogState> state;
    std::shared_ptr<const ResolvedInterventions> resolved;
  };
  static constexpr int kMaxResolvedEntries = 64;
  mutable absl::Mutex resolved_mu_;
  mutable std::map<std::tuple<const void*, const void*, std::string>,
                   ResolvedEntry>
      resolved_ ABSL_GUARDED_BY(resolved_mu_);
  // Keyed by (catalog address, seed, threshold); an entry is used only while
  // that catalog is alive (a new catalog may reuse a freed address).
  struct NearDupEntry {
    std::weak_ptr<const Catalog> catalog;
    std::shared_ptr<const std::vector<Row>> rows;
  };
  static constexpr int kMaxNearDupEntries = 4096;
  mutable absl::Mutex near_dup_mu_;
  mutable std::map<std::string, NearDupEntry> near_dups_
      ABSL_GUARDED_BY(near_dup_mu_);
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INTERVENTION_OVERLAY_H_
