#include "engine/governance/view_cache.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace feedgov {

std::shared_ptr<const GovernanceView> GovernanceViewCache::Get(
    const std::shared_ptr<const PolicyPack>& pack, const Surface& surface,
    Audience audience, const std::shared_ptr<const Catalog>& catalog,
    const std::shared_ptr<const LabelTable>& labels) const {
  const std::string key =
      absl::StrCat(reinterpret_cast<uintptr_t>(pack.get()), "|", surface.id,
                   "|", static_cast<int>(audience), "|",
                   reinterpret_cast<uintptr_t>(catalog.get()));
  const int64_t version = labels->version();
  std::shared_ptr<const GovernanceView> base;
  std::optional<std::vector<ItemId>> changed;
  {
    absl::MutexLock lock(&mu_);
    auto it = shelves_.find(key);
    if (it != shelves_.end() && (it->second.pack.lock() != pack ||
                                 it->second.catalog.lock() != catalog)) {
      shelves_.erase(it);  // A dead object's address was reused.
      it = shelves_.end();
    }
    if (it != shelves_.end()) {
      const auto& by_version = it->second.by_version;
      auto hit = by_version.find(version);
      if (hit != by_version.end()) {
        ++stats_.hits;
        return hit->second;
      }
      auto older = by_version.lower_bound(version);
      if (older != by_version.begin()) {
        --older;
        changed = log_->ChangesSince(older->first, version);
        // Past a quarter of the catalog a full build is as cheap.
        if (changed &&
            static_cast<int64_t>(changed->size()) <= catalog->size() / 4) {
          base = older->second;
        }
      }
    }
  }
  auto labels_of = [&](Row row) {
    return absl::Span<const Label>(labels->LabelsFor(catalog->item(row).id));
  };
  std::shared_ptr<const GovernanceView> view;
  if (base != nullptr) {
    std::vector<Row> rows;
    rows.reserve(changed->size());
    for (ItemId id : *changed) {
      if (auto row = catalog->FindRow(id)) rows.push_back(*row);
    }
    auto derived = GovernanceView::WithUpdatedRows(*base, *pack, surface,
                                                   audience, rows, labels_of);
    if (derived.ok()) view = *std::move(derived);  // Else: full build below.
  }
  if (view == nullptr) {
    base = nullptr;  // Counted as a full build.
    view = GovernanceView::Build(*pack, surface, audience, catalog->size(),
                                 labels_of);
  }
  absl::MutexLock lock(&mu_);
  ++(base != nullptr ? stats_.derived : stats_.built);
  if (shelves_.size() >= kMaxShelves && shelves_.count(key) == 0) {
    shelves_.clear();
  }
  Shelf& shelf = shelves_[key];
  shelf.pack = pack;
  shelf.catalog = catalog;
  shelf.by_version.emplace(version, view);
  while (shelf.by_version.size() > kViewsPerShelf) {
    shelf.by_version.erase(shelf.by_version.begin());
  }
  return view;
}

GovernanceViewCache::Stats GovernanceViewCache::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace feedgov
