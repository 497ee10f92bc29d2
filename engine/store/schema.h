// File: engine/store/schema.h
//
// Forward-only, numbered schema migrations for <state_dir>/feedgov.db.
//
// The schema version lives in table `schema_version` (one row). At open,
// every migration whose version is above the stored one is applied in order,
// inside ONE write transaction together with the version bump: either the
// database ends at the newest version, or it is left exactly as it was.
//
// Adding a table (e.g. per-user settings): append a Migration{2, "...", sql}
// to kFeedgovMigrations in schema.cc. Never edit or reorder a released
// migration; versions must be 1, 2, 3, ... without gaps.
#ifndef FEEDGOV_ENGINE_STORE_SCHEMA_H_
#define FEEDGOV_ENGINE_STORE_SCHEMA_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/store/sqlite_db.h"

namespace feedgov {

struct Migration {
  int version;            // 1-based, contiguous.
  absl::string_view name; // Short description, e.g. "interventions + audit_log".
  absl::string_view sql;  // One or more ';'-separated statements.
};

// The feedgov schema, oldest first.
absl::Span<const Migration> FeedgovMigrations();

// Stored schema version; 0 for a database without a schema_version table.
// REQUIRES: inside a transaction callback of `db`.
absl::StatusOr<int> ReadSchemaVersion(SqliteDb& db);

// Brings `db` up to the last version in `migrations` (see file comment).
// Idempotent: a database already at the newest version is not modified.
// Errors: FAILED_PRECONDITION when the database's version is newer than this
// binary knows (message names both versions; the file is not touched);
// INTERNAL when `migrations` is not numbered 1..n; the SQLite error (prefixed
// with the migration number and name) when a migration fails.
absl::Status ApplyMigrations(SqliteDb& db,
                             absl::Span<const Migration> migrations);

// Opens (creating the directory and file if needed) <state_dir>/feedgov.db
// and applies FeedgovMigrations(). With `options.read_only` nothing is
// created or migrated: NOT_FOUND when the file is missing,
// FAILED_PRECONDITION when its schema is not the latest (open it once for
// writing to migrate). The returned handle is shared by every
// store built on it (interventions, audit log, user settings, ...).
absl::StatusOr<std::shared_ptr<SqliteDb>> OpenFeedgovDb(
    const std::string& state_dir, const SqliteDbOptions& options = {});

// File name inside the state directory.
inline constexpr absl::string_view kFeedgovDbFileName = "feedgov.db";

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_STORE_SCHEMA_H_
