#include "engine/store/user_settings_cache.h"

#include <algorithm>

#include "engine/common/status_macros.h"

namespace feedgov {

absl::StatusOr<std::unique_ptr<CachedUserSettingsStore>>
CachedUserSettingsStore::Load(UserSettingsStore* backing) {
  if (backing == nullptr) {
    return absl::InvalidArgumentError("CachedUserSettingsStore needs a store");
  }
  std::unique_ptr<CachedUserSettingsStore> cache(
      new CachedUserSettingsStore(backing));
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<UserId> users, backing->ListUsers());
  absl::MutexLock lock(&cache->mu_);
  for (UserId user : users) {
    FEEDGOV_ASSIGN_OR_RETURN(UserSettings s, backing->Get(user));
    cache->users_[user] = std::move(s);
  }
  return cache;
}

absl::StatusOr<UserSettings> CachedUserSettingsStore::Get(UserId user) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = users_.find(user);
  if (it != users_.end()) return it->second;
  UserSettings defaults;
  defaults.user = user;
  return defaults;
}

absl::StatusOr<UserSettings> CachedUserSettingsStore::Update(
    UserId user, absl::FunctionRef<absl::Status(UserSettings&)> mutate) {
  // write_mu_ keeps cache insertions in commit order; readers only wait for
  // the in-memory insertion, never for the durable write.
  absl::MutexLock write_lock(&write_mu_);
  FEEDGOV_ASSIGN_OR_RETURN(UserSettings stored, backing_->Update(user, mutate));
  absl::MutexLock lock(&mu_);
  users_[user] = stored;
  return stored;
}

absl::StatusOr<std::vector<UserId>> CachedUserSettingsStore::ListUsers() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<UserId> out;
  out.reserve(users_.size());
  for (const auto& [user, unused] : users_) out.push_back(user);
  std::sort(out.begin(), out.end());
  return out;
}

int CachedUserSettingsStore::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return static_cast<int>(users_.size());
}

}  // namespace feedgov
