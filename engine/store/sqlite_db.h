// File: engine/store/sqlite_db.h
//
// SqliteDb: RAII handle on one SQLite database file, the only code in feedgov
// that talks to the SQLite C API. Every call returns absl::Status carrying the
// SQLite error message; statements use bound parameters (never string-pasted
// values).
//
// Durability: the database is opened in WAL mode with synchronous=FULL, so a
// transaction whose WriteTransaction() returned OK survives a process crash
// or power loss. Foreign keys are enforced. Lock waits use `busy_timeout`.
//
// Thread safety: thread-safe. All statements run inside WriteTransaction() or
// ReadTransaction(), which serialize on an internal mutex; Prepare()/Exec()
// may only be called from inside the callback of one of them (checked).
// Transactions must not nest.
//
// Error codes (SqliteStatusCode()):
//   SQLITE_BUSY / SQLITE_LOCKED        -> UNAVAILABLE
//   SQLITE_CONSTRAINT_{PRIMARYKEY,UNIQUE} -> ALREADY_EXISTS
//   other SQLITE_CONSTRAINT (CHECK, trigger RAISE) -> FAILED_PRECONDITION
//   SQLITE_CORRUPT / SQLITE_NOTADB     -> DATA_LOSS
//   SQLITE_CANTOPEN                    -> NOT_FOUND
//   everything else                    -> INTERNAL
#ifndef FEEDGOV_ENGINE_STORE_SQLITE_DB_H_
#define FEEDGOV_ENGINE_STORE_SQLITE_DB_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace feedgov {

struct SqliteDbOptions {
  // How long a statement waits for another connection's lock before failing
  // with UNAVAILABLE. Range: [0, 10 min]. Default 5 s.
  absl::Duration busy_timeout = absl::Seconds(5);
  // Create the file when it does not exist. When false, a missing file is
  // NOT_FOUND.
  bool create_if_missing = true;
  // Open with SQLITE_OPEN_READONLY: reads see what other connections have
  // committed; every write fails (SQLite READONLY). Never creates the file.
  bool read_only = false;
};
// INVALID_ARGUMENT naming the field when out of range.
absl::Status Validate(const SqliteDbOptions& options);

// Maps an SQLite (extended) result code to the absl code documented above.
absl::StatusCode SqliteStatusCode(int sqlite_code);

// One prepared statement. Move-only; finalized on destruction. Column and
// bind indexes follow SQLite: binds are 1-based, columns 0-based.
// Thread-compatible; only used inside a SqliteDb transaction callback.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  absl::Status BindInt64(int index, int64_t value);
  absl::Status BindDouble(int index, double value);
  absl::Status BindText(int index, absl::string_view value);
  absl::Status BindBlob(int index, absl::string_view bytes);
  absl::Status BindNull(int index);

  // Advances: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Step() that must finish without producing a row (INSERT/UPDATE/DELETE).
  absl::Status Run();

  int64_t ColumnInt64(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;
  std::string ColumnBlob(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  friend class SqliteDb;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  absl::Status BindResult(int rc, int index);

  sqlite3* db_ = nullptr;     // Not owned.
  sqlite3_stmt* stmt_ = nullptr;  // Owned.
};

class SqliteDb {
 public:
  // Opens (or creates) the database at `path` and applies the connection
  // settings above. Does NOT apply schema migrations (see schema.h).
  // Errors: INVALID_ARGUMENT (options), NOT_FOUND (missing file with
  // create_if_missing=false or missing directory), DATA_LOSS (not a
  // database), INTERNAL.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(
      const std::string& path, const SqliteDbOptions& options = {});

  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  // Runs `fn` inside BEGIN IMMEDIATE ... COMMIT. If `fn` returns an error or
  // COMMIT fails, the transaction is rolled back (the database is unchanged)
  // and that error is returned. OK means the commit is durable.
  absl::Status WriteTransaction(absl::FunctionRef<absl::Status()> fn)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Runs `fn` inside a read transaction (consistent snapshot).
  absl::Status ReadTransaction(absl::FunctionRef<absl::Status()> fn)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Runs one or more ';'-separated statements without parameters.
  // REQUIRES: inside a transaction callback (FAILED_PRECONDITION otherwise).
  absl::Status Exec(absl::string_view sql);
  // Prepares one statement. REQUIRES: inside a transaction callback.
  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql);

  const std::string& path() const { return path_; }

 private:
  SqliteDb(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  absl::Status RunTransaction(absl::string_view begin_sql,
                              absl::FunctionRef<absl::Status()> fn);
  absl::Status ExecRaw(absl::string_view sql);
  absl::Status CheckInTransaction() const;

  // Constant after construction.
  const std::string path_;
  sqlite3* const db_;  // Owned; closed in the destructor.

  // Held for the whole of a transaction; owner_ is the thread holding it
  // (default id when none), so Exec()/Prepare() can check their caller.
  absl::Mutex mu_;
  std::atomic<std::thread::id> owner_{};
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_STORE_SQLITE_DB_H_
