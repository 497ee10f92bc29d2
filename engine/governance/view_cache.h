// File: engine/governance/view_cache.h
//
// GovernanceViewCache: the GovernanceView (verdict.h) of one (policy pack,
// surface, audience, catalog, label version), built once and shared by
// every Rank that asks for it. Building a view evaluates the pack against
// every item's labels (O(n)); a view for a new label version is instead
// derived from the newest older one of the same pack, surface, audience
// and catalog (GovernanceView::WithUpdatedRows), re-evaluating only the
// items the LabelChangeLog names, when the log covers every version in
// between and they are at most a quarter of the catalog.
//
// Cache shape: per (pack, surface, audience, catalog) a shelf of the views
// of the newest kViewsPerShelf label versions; at most kMaxShelves shelves
// (all dropped at once when full: shelves of superseded packs or catalogs;
// requests still using their views hold their own references). Entries are
// keyed by object address and checked against weak pointers, so an address
// reused by a newer pack or catalog never returns a stale view.
//
// Thread-safety: thread-safe. A miss builds outside the lock; two requests
// missing at once may both build (the later insert wins), never block each
// other.
#ifndef FEEDGOV_ENGINE_GOVERNANCE_VIEW_CACHE_H_
#define FEEDGOV_ENGINE_GOVERNANCE_VIEW_CACHE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/label_change_log.h"
#include "engine/catalog/label_table.h"
#include "engine/governance/policy.h"
#include "engine/governance/verdict.h"

namespace feedgov {

class GovernanceViewCache {
 public:
  // How views were obtained since construction: cache hits, views derived
  // from an older label version's view, full builds over the catalog.
  struct Stats {
    int64_t hits = 0;
    int64_t derived = 0;
    int64_t built = 0;
  };

  // `log` (the catalog writer's) must outlive the cache.
  explicit GovernanceViewCache(const LabelChangeLog* log) : log_(log) {}

  // The view of (pack, surface, audience) over `catalog` with `labels`.
  // `surface` must be one of `pack`'s surfaces. Never fails: a failed
  // derivation falls back to a full build.
  std::shared_ptr<const GovernanceView> Get(
      const std::shared_ptr<const PolicyPack>& pack, const Surface& surface,
      Audience audience, const std::shared_ptr<const Catalog>& catalog,
      const std::shared_ptr<const LabelTable>& labels) const
      ABSL_LOCKS_EXCLUDED(mu_);

  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Shelf {
    // Expired: the address in the key may belong to a newer object.
    std::weak_ptr<const PolicyPack> pack;
    std::weak_ptr<const Catalog> catalog;
    std::map<int64_t, std::shared_ptr<const GovernanceView>> by_version;
  };
  static constexpr int kViewsPerShelf = 4;
  static constexpr int kMaxShelves = 64;

  const LabelChangeLog* const log_;
  mutable absl::Mutex mu_;
  mutable std::map<std::string, Shelf> shelves_ ABSL_GUARDED_BY(mu_);
  mutable Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_VIEW_CACHE_H_
