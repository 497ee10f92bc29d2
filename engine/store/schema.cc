#include "engine/store/schema.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

// 001: editor interventions and the hash-chained audit log.
// Times are microseconds since the Unix epoch, UTC; end_unix_micros NULL
// means "no end". Only `revoked` and `expiry_recorded` of an intervention
// may change after insert, and audit rows never change (triggers below; a
// determined attacker can drop triggers, which the hash chain detects).
constexpr absl::string_view kMigration001 = R"sql(
CREATE TABLE interventions (
  id                  TEXT PRIMARY KEY NOT NULL,
  kind                TEXT NOT NULL,
  item_id             INTEGER NOT NULL,
  author              TEXT NOT NULL,
  surface             TEXT NOT NULL,
  position            INTEGER NOT NULL,
  factor              REAL NOT NULL,
  cosine_threshold    REAL NOT NULL,
  editor              TEXT NOT NULL,
  reason              TEXT NOT NULL,
  article_ref         TEXT NOT NULL,
  created_unix_micros INTEGER NOT NULL,
  start_unix_micros   INTEGER NOT NULL,
  end_unix_micros     INTEGER,
  revoked             INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  expiry_recorded     INTEGER NOT NULL DEFAULT 0 CHECK (expiry_recorded IN (0, 1))
) STRICT;

CREATE TRIGGER interventions_immutable_fields
BEFORE UPDATE OF id, kind, item_id, author, surface, position, factor,
  cosine_threshold, editor, reason, article_ref, created_unix_micros,
  start_unix_micros, end_unix_micros ON interventions
BEGIN
  SELECT RAISE(ABORT, 'interventions: only revoked/expiry_recorded may change');
END;

CREATE TRIGGER interventions_no_delete BEFORE DELETE ON interventions
BEGIN
  SELECT RAISE(ABORT, 'interventions: rows are never deleted (revoke instead)');
END;

CREATE TABLE audit_log (
  seq              INTEGER PRIMARY KEY NOT NULL,
  time_unix_micros INTEGER NOT NULL,
  actor            TEXT NOT NULL,
  action           TEXT NOT NULL
    CHECK (action IN ('CREATE', 'REPLACE', 'REVOKE', 'EXPIRE', 'REFUSED')),
  intervention_id  TEXT NOT NULL,
  before           TEXT NOT NULL,
  after            TEXT NOT NULL,
  message          TEXT NOT NULL,
  prev_hash        TEXT NOT NULL,
  hash             TEXT NOT NULL
) STRICT;

CREATE INDEX audit_log_by_intervention ON audit_log (intervention_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
)sql";

// 002: per-user controls (User controls issue). One row per user in
// `user_settings` (switches); the lists hang off it. A tag is either
// DELETED (never derived again) or ADDED (declared by the user), never both.
// Item feedback kinds: NOT_INTERESTED (never served again on the personalized
// path) and SEE_LESS (near neighbours downranked).
constexpr absl::string_view kMigration002 = R"sql(
CREATE TABLE user_settings (
  user_id          INTEGER PRIMARY KEY NOT NULL,
  personalization  INTEGER NOT NULL CHECK (personalization IN (0, 1)),
  minors           INTEGER NOT NULL CHECK (minors IN (0, 1))
) STRICT;

CREATE TABLE user_tags (
  user_id INTEGER NOT NULL REFERENCES user_settings (user_id),
  tag     TEXT NOT NULL CHECK (length(tag) > 0),
  state   TEXT NOT NULL CHECK (state IN ('DELETED', 'ADDED')),
  PRIMARY KEY (user_id, tag)
) STRICT;

CREATE TABLE user_muted_authors (
  user_id INTEGER NOT NULL REFERENCES user_settings (user_id),
  author  TEXT NOT NULL CHECK (length(author) > 0),
  PRIMARY KEY (user_id, author)
) STRICT;

CREATE TABLE user_item_feedback (
  user_id INTEGER NOT NULL REFERENCES user_settings (user_id),
  item_id INTEGER NOT NULL,
  kind    TEXT NOT NULL CHECK (kind IN ('NOT_INTERESTED', 'SEE_LESS')),
  PRIMARY KEY (user_id, item_id, kind)
) STRICT;
)sql";

// Catalog and label writes made through the API after the snapshot was
// loaded, replayed on top of the snapshot at start-up (nothing acknowledged
// is lost). Append-only.
constexpr absl::string_view kMigration003 = R"sql(
CREATE TABLE catalog_journal (
  seq INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('UPSERT_ITEMS', 'DELETE_ITEMS', 'SET_LABELS')),
  payload BLOB NOT NULL
) STRICT;
CREATE TRIGGER catalog_journal_no_update BEFORE UPDATE ON catalog_journal
BEGIN SELECT RAISE(ABORT, 'catalog_journal is append-only'); END;
CREATE TRIGGER catalog_journal_no_delete BEFORE DELETE ON catalog_journal
BEGIN SELECT RAISE(ABORT, 'catalog_journal is append-only'); END;
)sql";

// 004: the IANA zone an intervention's window was entered in (display only;
// start/end stay UTC). Rows written before it read as "" (UTC). Immutable
// like the other fields.
constexpr absl::string_view kMigration004 = R"sql(
ALTER TABLE interventions ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
CREATE TRIGGER interventions_immutable_time_zone
BEFORE UPDATE OF time_zone ON interventions
BEGIN
  SELECT RAISE(ABORT, 'interventions: only revoked/expiry_recorded may change');
END;
)sql";

// 005: the audit log also records when a pin stops being placed and when
// it is placed again (BLOCKED / UNBLOCKED, Hardening issue). SQLite cannot
// change a CHECK constraint in place: the table is rebuilt with the same
// rows (DROP TABLE's implicit delete fires no trigger), then its index and
// append-only triggers are recreated.
constexpr absl::string_view kMigration005 = R"sql(
CREATE TABLE audit_log_005 (
  seq              INTEGER PRIMARY KEY NOT NULL,
  time_unix_micros INTEGER NOT NULL,
  actor            TEXT NOT NULL,
  action           TEXT NOT NULL
    CHECK (action IN ('CREATE', 'REPLACE', 'REVOKE', 'EXPIRE', 'REFUSED',
                      'BLOCKED', 'UNBLOCKED')),
  intervention_id  TEXT NOT NULL,
  before           TEXT NOT NULL,
  after            TEXT NOT NULL,
  message          TEXT NOT NULL,
  prev_hash        TEXT NOT NULL,
  hash             TEXT NOT NULL
) STRICT;
INSERT INTO audit_log_005 SELECT * FROM audit_log;
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
DROP TABLE audit_log;
ALTER TABLE audit_log_005 RENAME TO audit_log;
CREATE INDEX audit_log_by_intervention ON audit_log (intervention_id, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
)sql";

constexpr Migration kFeedgovMigrations[] = {
    {1, "interventions + audit_log", kMigration001},
    {2, "user settings", kMigration002},
    {3, "catalog journal", kMigration003},
    {4, "intervention time zone", kMigration004},
    {5, "audit actions BLOCKED / UNBLOCKED", kMigration005},
    // {6, "...", kMigration006},  <- next migrations go here.
};

absl::Status CheckNumbering(absl::Span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InternalError(absl::StrCat(
          "schema migrations must be numbered 1..n; entry ", i, " has version ",
          migrations[i].version));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteSchemaVersion(SqliteDb& db, int version) {
  FEEDGOV_RETURN_IF_ERROR(db.Exec("DELETE FROM schema_version"));
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      db.Prepare("INSERT INTO schema_version (version) VALUES (?1)"));
  FEEDGOV_RETURN_IF_ERROR(insert.BindInt64(1, version));
  return insert.Run();
}

}  // namespace

absl::Span<const Migration> FeedgovMigrations() { return kFeedgovMigrations; }

absl::StatusOr<int> ReadSchemaVersion(SqliteDb& db) {
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement has_table,
      db.Prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
                 "name = 'schema_version'"));
  FEEDGOV_ASSIGN_OR_RETURN(bool exists, has_table.Step());
  if (!exists) return 0;
  FEEDGOV_ASSIGN_OR_RETURN(SqliteStatement select,
                           db.Prepare("SELECT MAX(version) FROM schema_version"));
  FEEDGOV_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row || select.ColumnIsNull(0)) return 0;
  return static_cast<int>(select.ColumnInt64(0));
}

absl::Status ApplyMigrations(SqliteDb& db,
                             absl::Span<const Migration> migrations) {
  FEEDGOV_RETURN_IF_ERROR(CheckNumbering(migrations));
  const int latest = static_cast<int>(migrations.size());
  return db.WriteTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(db));
    if (current > latest) {
      return absl::FailedPreconditionError(absl::StrCat(
          db.path(), " has schema version ", current,
          ", but this feedgov binary knows versions up to ", latest,
          "; refusing to open a database written by a newer feedgov "
          "(upgrade the binary)"));
    }
    if (current == latest) return absl::OkStatus();
    FEEDGOV_RETURN_IF_ERROR(db.Exec(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER NOT NULL) STRICT"));
    for (int v = current + 1; v <= latest; ++v) {
      const Migration& m = migrations[v - 1];
      FEEDGOV_RETURN_IF_ERROR(Annotate(
          db.Exec(m.sql), absl::StrCat(db.path(), ": schema migration ",
                                       m.version, " (", m.name, ")")));
    }
    return WriteSchemaVersion(db, latest);
  });
}

absl::StatusOr<std::shared_ptr<SqliteDb>> OpenFeedgovDb(
    const std::string& state_dir, const SqliteDbOptions& options) {
  if (options.read_only) {
    const std::string path = absl::StrCat(state_dir, "/", kFeedgovDbFileName);
    std::error_code exists_ec;
    if (!std::filesystem::exists(path, exists_ec)) {
      return absl::NotFoundError(absl::StrCat("no feedgov state in ", state_dir,
                                              " (", path, " is missing)"));
    }
    FEEDGOV_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                             SqliteDb::Open(path, options));
    int version = 0;
    FEEDGOV_RETURN_IF_ERROR(db->ReadTransaction([&]() -> absl::Status {
      FEEDGOV_ASSIGN_OR_RETURN(version, ReadSchemaVersion(*db));
      return absl::OkStatus();
    }));
    const int latest = static_cast<int>(FeedgovMigrations().size());
    if (version != latest) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " has schema version ", version, ", this feedgov binary ",
          latest,
          "; a read-only open cannot migrate it (its owner, or any "
          "write once the owner has stopped, migrates it)"));
    }
    return std::shared_ptr<SqliteDb>(std::move(db));
  }
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat(
        "cannot create state directory ", state_dir, ": ", ec.message()));
  }
  FEEDGOV_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteDb> db,
      SqliteDb::Open(absl::StrCat(state_dir, "/", kFeedgovDbFileName), options));
  FEEDGOV_RETURN_IF_ERROR(ApplyMigrations(*db, FeedgovMigrations()));
  return std::shared_ptr<SqliteDb>(std::move(db));
}

}  // namespace feedgov
