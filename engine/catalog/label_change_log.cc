#include "engine/catalog/label_change_log.h"

namespace feedgov {

void LabelChangeLog::Record(int64_t version, std::vector<ItemId> items) {
  absl::MutexLock lock(&mu_);
  ids_ += static_cast<int64_t>(items.size());
  versions_[version] = std::move(items);
  while (!versions_.empty() &&
         (versions_.size() > kMaxVersions || ids_ > kMaxIds)) {
    ids_ -= static_cast<int64_t>(versions_.begin()->second.size());
    versions_.erase(versions_.begin());
  }
}

std::optional<std::vector<ItemId>> LabelChangeLog::ChangesSince(
    int64_t from, int64_t to) const {
  absl::MutexLock lock(&mu_);
  std::vector<ItemId> ids;
  for (int64_t v = from + 1; v <= to; ++v) {
    auto it = versions_.find(v);
    if (it == versions_.end()) return std::nullopt;
    ids.insert(ids.end(), it->second.begin(), it->second.end());
  }
  return ids;
}

}  // namespace feedgov
