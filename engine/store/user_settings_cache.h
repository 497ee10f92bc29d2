// File: engine/store/user_settings_cache.h
//
// CachedUserSettingsStore: an in-memory view of the users' stored controls,
// so that a Rank never touches SQLite (and so never waits behind a writer's
// fsync; gRPC service issue, point 5). The state directory
// (engine/runtime/state_dir.h) puts one in front of its SQLite store and
// hands it to the engine as its user settings source.
//
//   * Load(): reads every user with stored settings once (server start).
//   * Get(): from memory; a user absent from the cache has the defaults
//     (personalization on, nothing else) -- exactly what the backing store
//     returns for a user without rows.
//   * Update(): delegated to the backing store (one durable transaction);
//     on OK the cache entry is replaced by the stored result before
//     returning, so the very next Get() sees the change. A failed update
//     changes neither store nor cache.
//
// Writers to the same state directory from OTHER processes (e.g. `feedgov
// user set` on a served state dir) are not seen until the server restarts;
// docs/operations.md says so.
//
// Thread-safety: thread-safe. Get() takes a reader lock held only for a
// map lookup; Update() calls are serialized among themselves and take the
// writer lock only to insert the committed result, so a Get() never waits
// for a durable write. The backing store must outlive this object.
#ifndef FEEDGOV_ENGINE_STORE_USER_SETTINGS_CACHE_H_
#define FEEDGOV_ENGINE_STORE_USER_SETTINGS_CACHE_H_

#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/store/user_settings_store.h"

namespace feedgov {

class CachedUserSettingsStore final : public UserSettingsStore {
 public:
  // Reads every stored user from `backing`. Errors of the backing store.
  static absl::StatusOr<std::unique_ptr<CachedUserSettingsStore>> Load(
      UserSettingsStore* backing);

  absl::StatusOr<UserSettings> Get(UserId user) const override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<UserSettings> Update(
      UserId user, absl::FunctionRef<absl::Status(UserSettings&)> mutate)
      override ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<UserId>> ListUsers() const override
      ABSL_LOCKS_EXCLUDED(mu_);

  // Users held in memory (those with stored settings).
  int size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit CachedUserSettingsStore(UserSettingsStore* backing)
      : backing_(backing) {}

  UserSettingsStore* const backing_;
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // Serializes Update().
  mutable absl::Mutex mu_;
  absl::flat_hash_map<UserId, UserSettings> users_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_STORE_USER_SETTINGS_CACHE_H_
