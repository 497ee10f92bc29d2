#include "engine/store/user_settings_store.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/store/schema.h"

namespace feedgov {
namespace {

absl::Status ValidateForWrite(UserSettings& s) {
  s.Normalize();
  return s.Validate();
}

// --- SQLite rows -----------------------------------------------------------

absl::Status ReadRows(SqliteDb& db, UserId user, UserSettings& out) {
  out = UserSettings();
  out.user = user;
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement main,
      db.Prepare("SELECT personalization, minors FROM user_settings "
                 "WHERE user_id = ?1"));
  FEEDGOV_RETURN_IF_ERROR(main.BindInt64(1, user));
  FEEDGOV_ASSIGN_OR_RETURN(bool found, main.Step());
  if (!found) return absl::OkStatus();
  out.personalization = main.ColumnInt64(0) != 0;
  out.minors = main.ColumnInt64(1) != 0;

  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement tags,
      db.Prepare("SELECT tag, state FROM user_tags WHERE user_id = ?1 "
                 "ORDER BY tag"));
  FEEDGOV_RETURN_IF_ERROR(tags.BindInt64(1, user));
  while (true) {
    FEEDGOV_ASSIGN_OR_RETURN(bool row, tags.Step());
    if (!row) break;
    std::string state = tags.ColumnText(1);
    if (state == "DELETED") {
      out.deleted_tags.push_back(tags.ColumnText(0));
    } else if (state == "ADDED") {
      out.added_tags.push_back(tags.ColumnText(0));
    } else {
      return absl::DataLossError(absl::StrCat(
          db.path(), ": user_tags of user ", user, " has state '", state, "'"));
    }
  }
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement authors,
      db.Prepare("SELECT author FROM user_muted_authors WHERE user_id = ?1 "
                 "ORDER BY author"));
  FEEDGOV_RETURN_IF_ERROR(authors.BindInt64(1, user));
  while (true) {
    FEEDGOV_ASSIGN_OR_RETURN(bool row, authors.Step());
    if (!row) break;
    out.muted_authors.push_back(authors.ColumnText(0));
  }
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement items,
      db.Prepare("SELECT item_id, kind FROM user_item_feedback "
                 "WHERE user_id = ?1 ORDER BY item_id"));
  FEEDGOV_RETURN_IF_ERROR(items.BindInt64(1, user));
  while (true) {
    FEEDGOV_ASSIGN_OR_RETURN(bool row, items.Step());
    if (!row) break;
    std::string kind = items.ColumnText(1);
    if (kind == "NOT_INTERESTED") {
      out.not_interested.push_back(items.ColumnInt64(0));
    } else if (kind == "SEE_LESS") {
      out.see_less.push_back(items.ColumnInt64(0));
    } else {
      return absl::DataLossError(
          absl::StrCat(db.path(), ": user_item_feedback of user ", user,
                       " has kind '", kind, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status InsertPair(SqliteDb& db, absl::string_view sql, UserId user,
                        absl::string_view text, absl::string_view kind) {
  FEEDGOV_ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare(sql));
  FEEDGOV_RETURN_IF_ERROR(s.BindInt64(1, user));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(2, text));
  if (!kind.empty()) FEEDGOV_RETURN_IF_ERROR(s.BindText(3, kind));
  return s.Run();
}

absl::Status InsertItem(SqliteDb& db, UserId user, ItemId item,
                        absl::string_view kind) {
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement s,
      db.Prepare("INSERT INTO user_item_feedback (user_id, item_id, kind) "
                 "VALUES (?1, ?2, ?3)"));
  FEEDGOV_RETURN_IF_ERROR(s.BindInt64(1, user));
  FEEDGOV_RETURN_IF_ERROR(s.BindInt64(2, item));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(3, kind));
  return s.Run();
}

// Replaces every row of `s.user` with `s`.
absl::Status WriteRows(SqliteDb& db, const UserSettings& s) {
  for (const char* table :
       {"user_tags", "user_muted_authors", "user_item_feedback"}) {
    FEEDGOV_ASSIGN_OR_RETURN(
        SqliteStatement del,
        db.Prepare(absl::StrCat("DELETE FROM ", table, " WHERE user_id = ?1")));
    FEEDGOV_RETURN_IF_ERROR(del.BindInt64(1, s.user));
    FEEDGOV_RETURN_IF_ERROR(del.Run());
  }
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement main,
      db.Prepare("INSERT INTO user_settings (user_id, personalization, minors) "
                 "VALUES (?1, ?2, ?3) ON CONFLICT (user_id) DO UPDATE SET "
                 "personalization = excluded.personalization, "
                 "minors = excluded.minors"));
  FEEDGOV_RETURN_IF_ERROR(main.BindInt64(1, s.user));
  FEEDGOV_RETURN_IF_ERROR(main.BindInt64(2, s.personalization ? 1 : 0));
  FEEDGOV_RETURN_IF_ERROR(main.BindInt64(3, s.minors ? 1 : 0));
  FEEDGOV_RETURN_IF_ERROR(main.Run());
  constexpr absl::string_view kTagSql =
      "INSERT INTO user_tags (user_id, tag, state) VALUES (?1, ?2, ?3)";
  for (const std::string& t : s.deleted_tags) {
    FEEDGOV_RETURN_IF_ERROR(InsertPair(db, kTagSql, s.user, t, "DELETED"));
  }
  for (const std::string& t : s.added_tags) {
    FEEDGOV_RETURN_IF_ERROR(InsertPair(db, kTagSql, s.user, t, "ADDED"));
  }
  for (const std::string& a : s.muted_authors) {
    FEEDGOV_RETURN_IF_ERROR(InsertPair(
        db, "INSERT INTO user_muted_authors (user_id, author) VALUES (?1, ?2)",
        s.user, a, ""));
  }
  for (ItemId id : s.not_interested) {
    FEEDGOV_RETURN_IF_ERROR(InsertItem(db, s.user, id, "NOT_INTERESTED"));
  }
  for (ItemId id : s.see_less) {
    FEEDGOV_RETURN_IF_ERROR(InsertItem(db, s.user, id, "SEE_LESS"));
  }
  return absl::OkStatus();
}

}  // namespace

// --- SQLite ------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<SqliteUserSettingsStore>>
SqliteUserSettingsStore::Open(std::shared_ptr<SqliteDb> db) {
  if (db == nullptr) {
    return absl::InvalidArgumentError("user settings store: null database");
  }
  int version = 0;
  FEEDGOV_RETURN_IF_ERROR(db->ReadTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(version, ReadSchemaVersion(*db));
    return absl::OkStatus();
  }));
  if (version < 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        db->path(), " has schema version ", version,
        "; user settings need migration 2 (open it with OpenFeedgovDb)"));
  }
  return std::unique_ptr<SqliteUserSettingsStore>(
      new SqliteUserSettingsStore(std::move(db)));
}

absl::StatusOr<UserSettings> SqliteUserSettingsStore::Get(UserId user) const {
  UserSettings out;
  FEEDGOV_RETURN_IF_ERROR(db_->ReadTransaction(
      [&]() -> absl::Status { return ReadRows(*db_, user, out); }));
  return out;
}

absl::StatusOr<UserSettings> SqliteUserSettingsStore::Update(
    UserId user, absl::FunctionRef<absl::Status(UserSettings&)> mutate) {
  UserSettings s;
  FEEDGOV_RETURN_IF_ERROR(db_->WriteTransaction([&]() -> absl::Status {
    FEEDGOV_RETURN_IF_ERROR(ReadRows(*db_, user, s));
    FEEDGOV_RETURN_IF_ERROR(mutate(s));
    s.user = user;
    FEEDGOV_RETURN_IF_ERROR(ValidateForWrite(s));
    return Annotate(WriteRows(*db_, s),
                    absl::StrCat("write settings of user ", user));
  }));
  return s;
}

absl::StatusOr<std::vector<UserId>> SqliteUserSettingsStore::ListUsers() const {
  std::vector<UserId> out;
  FEEDGOV_RETURN_IF_ERROR(db_->ReadTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(
        SqliteStatement s,
        db_->Prepare("SELECT user_id FROM user_settings ORDER BY user_id"));
    while (true) {
      FEEDGOV_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(s.ColumnInt64(0));
    }
    return absl::OkStatus();
  }));
  return out;
}

// --- Memory ------------------------------------------------------------------

absl::StatusOr<UserSettings> MemoryUserSettingsStore::Get(UserId user) const {
  absl::MutexLock lock(&mu_);
  auto it = users_.find(user);
  if (it != users_.end()) return it->second;
  UserSettings s;
  s.user = user;
  return s;
}

absl::StatusOr<UserSettings> MemoryUserSettingsStore::Update(
    UserId user, absl::FunctionRef<absl::Status(UserSettings&)> mutate) {
  absl::MutexLock lock(&mu_);
  UserSettings s;
  s.user = user;
  if (auto it = users_.find(user); it != users_.end()) s = it->second;
  FEEDGOV_RETURN_IF_ERROR(mutate(s));
  s.user = user;
  FEEDGOV_RETURN_IF_ERROR(ValidateForWrite(s));
  users_[user] = s;
  return s;
}

absl::StatusOr<std::vector<UserId>> MemoryUserSettingsStore::ListUsers() const {
  absl::MutexLock lock(&mu_);
  std::vector<UserId> out;
  for (const auto& [id, s] : users_) out.push_back(id);
  return out;
}

}  // namespace feedgov
