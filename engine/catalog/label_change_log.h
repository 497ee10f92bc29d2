// File: engine/catalog/label_change_log.h
//
// LabelChangeLog: which items' labels changed from one label version to the
// next (CatalogWriter::UpdateLabels records every batch before readers can
// see it). The governance view cache (engine/governance/view_cache.h) uses
// it to derive the view of a new label version from an older one,
// re-evaluating only the changed items.
//
// Bounded: at most kMaxVersions versions and about kMaxIds item ids; the
// oldest versions are forgotten first, and a range that reaches a
// forgotten version is answered with nullopt (the caller rebuilds).
//
// Thread-safety: thread-safe (one mutex, held for a map operation).
#ifndef FEEDGOV_ENGINE_CATALOG_LABEL_CHANGE_LOG_H_
#define FEEDGOV_ENGINE_CATALOG_LABEL_CHANGE_LOG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "engine/common/types.h"

namespace feedgov {

class LabelChangeLog {
 public:
  static constexpr int kMaxVersions = 256;
  static constexpr int64_t kMaxIds = 1 << 20;

  // Items whose labels changed from label version `version` - 1 to
  // `version`.
  void Record(int64_t version, std::vector<ItemId> items)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Items changed from version `from` to `to` (every version in
  // (from, to], concatenated; may repeat ids), or nullopt when the log no
  // longer holds (or never held) one of those versions.
  std::optional<std::vector<ItemId>> ChangesSince(int64_t from,
                                                  int64_t to) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::map<int64_t, std::vector<ItemId>> versions_ ABSL_GUARDED_BY(mu_);
  int64_t ids_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_LABEL_CHANGE_LOG_H_
