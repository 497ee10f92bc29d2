#include "engine/store/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return absl::Status(SqliteStatusCode(rc),
                      absl::StrCat("sqlite: ", what, ": ", msg, " (code ", rc,
                                   ")"));
}

}  // namespace

absl::Status Validate(const SqliteDbOptions& options) {
  if (options.busy_timeout < absl::ZeroDuration() ||
      options.busy_timeout > absl::Minutes(10)) {
    return absl::InvalidArgumentError(
        absl::StrCat("SqliteDbOptions.busy_timeout: want [0, 10m], got ",
                     absl::FormatDuration(options.busy_timeout)));
  }
  return absl::OkStatus();
}

absl::StatusCode SqliteStatusCode(int sqlite_code) {
  switch (sqlite_code) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return absl::StatusCode::kAlreadyExists;
    default:
      break;
  }
  switch (sqlite_code & 0xff) {
    case SQLITE_OK:
      return absl::StatusCode::kOk;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_CANTOPEN:
      return absl::StatusCode::kNotFound;
    default:
      return absl::StatusCode::kInternal;
  }
}

// ---------------------------------------------------------------------------
// SqliteStatement

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

absl::Status SqliteStatement::BindResult(int rc, int index) {
  if (rc == SQLITE_OK) return absl::OkStatus();
  return SqliteError(db_, rc, absl::StrCat("bind parameter ", index));
}

absl::Status SqliteStatement::BindInt64(int index, int64_t value) {
  return BindResult(sqlite3_bind_int64(stmt_, index, value), index);
}

absl::Status SqliteStatement::BindDouble(int index, double value) {
  return BindResult(sqlite3_bind_double(stmt_, index, value), index);
}

absl::Status SqliteStatement::BindText(int index, absl::string_view value) {
  return BindResult(sqlite3_bind_text64(stmt_, index, value.data(),
                                        value.size(), SQLITE_TRANSIENT,
                                        SQLITE_UTF8),
                    index);
}

absl::Status SqliteStatement::BindBlob(int index, absl::string_view bytes) {
  return BindResult(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(),
                                        SQLITE_TRANSIENT),
                    index);
}

absl::Status SqliteStatement::BindNull(int index) {
  return BindResult(sqlite3_bind_null(stmt_, index), index);
}

absl::StatusOr<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // sqlite3_step returns the extended code with extended result codes on.
  return SqliteError(db_, rc,
                     absl::StrCat("step '", sqlite3_sql(stmt_), "'"));
}

absl::Status SqliteStatement::Run() {
  FEEDGOV_ASSIGN_OR_RETURN(bool has_row, Step());
  if (has_row) {
    return absl::InternalError(absl::StrCat(
        "sqlite: statement produced a row where none was expected: ",
        sqlite3_sql(stmt_)));
  }
  return absl::OkStatus();
}

int64_t SqliteStatement::ColumnInt64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

double SqliteStatement::ColumnDouble(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string SqliteStatement::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text), n);
}

std::string SqliteStatement::ColumnBlob(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (data == nullptr) return std::string();
  return std::string(static_cast<const char*>(data), n);
}

bool SqliteStatement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

// ---------------------------------------------------------------------------
// SqliteDb

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(
    const std::string& path, const SqliteDbOptions& options) {
  FEEDGOV_RETURN_IF_ERROR(Validate(options));
  int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
      SQLITE_OPEN_NOMUTEX;
  if (options.create_if_missing && !options.read_only)
    flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // The handle is returned even on failure and must be closed.
  std::unique_ptr<SqliteDb> db(new SqliteDb(path, raw));
  if (rc != SQLITE_OK) {
    return Annotate(SqliteError(raw, rc, "open"), path);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(
      raw, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  // journal_mode=WAL answers with a row naming the mode actually in effect;
  // a database on a filesystem without shared memory would silently stay in
  // "delete" mode, so check it.
  auto mode_or = [&]() -> absl::StatusOr<std::string> {
    sqlite3_stmt* stmt = nullptr;
    int prc = sqlite3_prepare_v2(raw, "PRAGMA journal_mode=WAL", -1, &stmt,
                                 nullptr);
    if (prc != SQLITE_OK) return SqliteError(raw, prc, "journal_mode");
    SqliteStatement s(raw, stmt);
    FEEDGOV_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.ColumnText(0) : std::string();
  }();
  if (!mode_or.ok()) return Annotate(mode_or.status(), path);
  if (*mode_or != "wal") {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": could not enable WAL journal mode (got '", *mode_or, "')"));
  }
  FEEDGOV_RETURN_IF_ERROR(Annotate(
      db->ExecRaw("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"), path));
  return db;
}

SqliteDb::~SqliteDb() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

absl::Status SqliteDb::ExecRaw(absl::string_view sql) {
  std::string owned(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return absl::OkStatus();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return absl::Status(SqliteStatusCode(rc),
                      absl::StrCat("sqlite: exec: ", msg, " (code ", rc, ")"));
}

absl::Status SqliteDb::CheckInTransaction() const {
  if (owner_.load() != std::this_thread::get_id()) {
    return absl::FailedPreconditionError(
        "SqliteDb: statements must run inside WriteTransaction() or "
        "ReadTransaction() on the calling thread");
  }
  return absl::OkStatus();
}

absl::Status SqliteDb::Exec(absl::string_view sql) {
  FEEDGOV_RETURN_IF_ERROR(CheckInTransaction());
  return ExecRaw(sql);
}

absl::StatusOr<SqliteStatement> SqliteDb::Prepare(absl::string_view sql) {
  FEEDGOV_RETURN_IF_ERROR(CheckInTransaction());
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()),
                              &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteError(db_, rc, absl::StrCat("prepare '", sql, "'"));
  }
  return SqliteStatement(db_, stmt);
}

absl::Status SqliteDb::RunTransaction(absl::string_view begin_sql,
                                      absl::FunctionRef<absl::Status()> fn) {
  if (owner_.load() == std::this_thread::get_id()) {
    return absl::FailedPreconditionError("SqliteDb: transactions must not nest");
  }
  absl::MutexLock lock(&mu_);
  FEEDGOV_RETURN_IF_ERROR(ExecRaw(begin_sql));
  owner_.store(std::this_thread::get_id());
  absl::Status status = fn();
  owner_.store(std::thread::id());
  if (status.ok()) {
    status = ExecRaw("COMMIT");
    if (status.ok()) return status;
  }
  // ROLLBACK may itself fail when SQLite already rolled back (e.g. after a
  // disk-full error); the original error is the one worth reporting.
  if (!sqlite3_get_autocommit(db_)) ExecRaw("ROLLBACK").IgnoreError();
  return status;
}

absl::Status SqliteDb::WriteTransaction(absl::FunctionRef<absl::Status()> fn) {
  return RunTransaction("BEGIN IMMEDIATE", fn);
}

absl::Status SqliteDb::ReadTransaction(absl::FunctionRef<absl::Status()> fn) {
  return RunTransaction("BEGIN DEFERRED", fn);
}

}  // namespace feedgov
