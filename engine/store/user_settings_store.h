// File: engine/store/user_settings_store.h
//
// UserSettingsStore: durable per-user controls (User controls issue):
// personalization switch, minors mode, deleted and added interest tags,
// muted authors, "not interested" and "see less like this" items.
// Implementations:
//   SqliteUserSettingsStore  tables user_settings, user_tags,
//                            user_muted_authors, user_item_feedback
//                            (schema migration 002) in <state_dir>/feedgov.db;
//   MemoryUserSettingsStore  tests and dry runs; nothing survives the object.
// The typed suite in user_settings_store_test.cc runs on both.
//
// The store knows rows, not rules: it does not check tags against the label
// map or items against a catalog (engine/user/ does). It enforces shape only
// (UserSettings::Validate).
//
// Writes: Update() reads the user's settings, applies the caller's mutation
// and writes the result in ONE write transaction; OK means the change is
// committed durably (WAL + synchronous=FULL) and every later Get() sees it.
// A failed mutation or validation leaves the stored settings unchanged.
//
// Thread safety: implementations are thread-safe; concurrent Update() calls
// on the same user are serialized (no lost updates).
#ifndef FEEDGOV_ENGINE_STORE_USER_SETTINGS_STORE_H_
#define FEEDGOV_ENGINE_STORE_USER_SETTINGS_STORE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/common/types.h"
#include "engine/common/user_settings.h"
#include "engine/store/sqlite_db.h"

namespace feedgov {

class UserSettingsStore {
 public:
  virtual ~UserSettingsStore() = default;

  // The user's settings; defaults (personalization on, nothing else) for a
  // user who never changed anything.
  virtual absl::StatusOr<UserSettings> Get(UserId user) const = 0;

  // Read-modify-write in one transaction (see file comment). `mutate`
  // receives the current settings (defaults if none) and may change any
  // field but `user`; its error aborts the update and is returned. The
  // result is normalized and validated before it is written. Returns the
  // settings as stored.
  virtual absl::StatusOr<UserSettings> Update(
      UserId user, absl::FunctionRef<absl::Status(UserSettings&)> mutate) = 0;

  // Users with stored settings, ascending.
  virtual absl::StatusOr<std::vector<UserId>> ListUsers() const = 0;
};

class SqliteUserSettingsStore final : public UserSettingsStore {
 public:
  // `db` must already be migrated to version >= 2 (OpenFeedgovDb does that);
  // FAILED_PRECONDITION otherwise.
  static absl::StatusOr<std::unique_ptr<SqliteUserSettingsStore>> Open(
      std::shared_ptr<SqliteDb> db);

  absl::StatusOr<UserSettings> Get(UserId user) const override;
  absl::StatusOr<UserSettings> Update(
      UserId user,
      absl::FunctionRef<absl::Status(UserSettings&)> mutate) override;
  absl::StatusOr<std::vector<UserId>> ListUsers() const override;

 private:
  explicit SqliteUserSettingsStore(std::shared_ptr<SqliteDb> db)
      : db_(std::move(db)) {}

  // Constant after construction; shared with other stores on the same file.
  const std::shared_ptr<SqliteDb> db_;
};

class MemoryUserSettingsStore final : public UserSettingsStore {
 public:
  absl::StatusOr<UserSettings> Get(UserId user) const override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<UserSettings> Update(
      UserId user, absl::FunctionRef<absl::Status(UserSettings&)> mutate)
      override ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<UserId>> ListUsers() const override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::map<UserId, UserSettings> users_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_STORE_USER_SETTINGS_STORE_H_
