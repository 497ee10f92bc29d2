// File: engine/intervention/intervention_snapshot.h
//
// InterventionSnapshot: an immutable set of unrevoked interventions, as
// published by InterventionManager after every committed write. Windows are
// evaluated per request (Active(now, surface)); nothing has to run when an
// intervention starts or ends.
//
// Scope: an intervention whose surface is "" applies to every surface;
// otherwise only to its own surface.
//
// Thread safety: immutable, so thread-safe. Active() costs O(#interventions).
#ifndef FEEDGOV_ENGINE_INTERVENTION_INTERVENTION_SNAPSHOT_H_
#define FEEDGOV_ENGINE_INTERVENTION_INTERVENTION_SNAPSHOT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/common/types.h"
#include "engine/intervention/intervention.h"

namespace feedgov {

struct ActivePin {
  ItemId item_id = 0;
  std::string intervention_id;  // For decision traces / reason codes.
  friend bool operator==(const ActivePin&, const ActivePin&) = default;
};

struct NearDuplicateSeed {
  ItemId item_id = 0;             // Suppress items whose embedding cosine to
  double cosine_threshold = 1.0;  // this item's is >= cosine_threshold.
  std::string intervention_id;
  friend bool operator==(const NearDuplicateSeed&,
                         const NearDuplicateSeed&) = default;
};

// What applies to one request (one surface, one instant). The pipeline is
// expected to apply, in this order: suppressions (items, authors, near
// duplicates of the seeds - the seed itself is NOT suppressed by its own
// near-duplicate intervention), score factors, then pins - and pins must
// still pass the governance key-slot gate (a pin never bypasses it).
struct ActiveSet {
  // 0-based absolute position -> pinned item. At most one pin per position
  // (the store refuses overlaps; if tampered data holds two, the pin for the
  // exact surface wins over an all-surfaces pin, then the smaller id).
  std::map<int, ActivePin> pins;
  absl::flat_hash_set<ItemId> suppressed_items;
  absl::flat_hash_set<std::string> suppressed_authors;
  std::vector<NearDuplicateSeed> near_duplicate_seeds;  // Ordered by id.
  // item -> product of active boost and bury factors (absent = 1).
  absl::flat_hash_map<ItemId, double> score_factors;
  // Ids of every intervention that contributed, ordered.
  std::vector<std::string> intervention_ids;
};

class InterventionSnapshot {
 public:
  InterventionSnapshot() = default;
  // `interventions` may be in any order; revoked ones are dropped.
  explicit InterventionSnapshot(std::vector<Intervention> interventions);

  // The interventions whose window contains `now` and whose scope covers
  // `surface` (`surface` is the request's surface; "" matches only
  // all-surfaces interventions).
  ActiveSet Active(absl::Time now, absl::string_view surface) const;

  // The largest interval [from, until) around `now` over which
  // Active(t, surface) is the same set for every t: no in-scope
  // intervention starts or ends inside it (from <= now < until; from may be
  // absl::InfinitePast(), until absl::InfiniteFuture()). Lets a caller
  // resolve Active() once and reuse it until `until`. O(#interventions).
  struct Window {
    absl::Time from;
    absl::Time until;
  };
  Window StableWindow(absl::Time now, absl::string_view surface) const;

  // Unrevoked interventions, ordered by id.
  const std::vector<Intervention>& interventions() const {
    return interventions_;
  }

 private:
  std::vector<Intervention> interventions_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INTERVENTION_INTERVENTION_SNAPSHOT_H_
