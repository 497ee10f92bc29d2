#include "engine/store/sqlite_db.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/store/schema.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::feedgov::testing::MakeTempDir;
using ::testing::HasSubstr;

// Runs a one-column query and returns its rows as text.
std::vector<std::string> Query(SqliteDb& db, const std::string& sql) {
  std::vector<std::string> rows;
  absl::Status st = db.ReadTransaction([&]() -> absl::Status {
    auto stmt = db.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      rows.push_back(stmt->ColumnText(0));
    }
    return absl::OkStatus();
  });
  EXPECT_OK(st);
  return rows;
}

std::vector<std::string> Tables(SqliteDb& db) {
  return Query(db,
               "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY "
               "name");
}

int Version(SqliteDb& db) {
  int v = -1;
  EXPECT_OK(db.ReadTransaction([&]() -> absl::Status {
    auto r = ReadSchemaVersion(db);
    if (!r.ok()) return r.status();
    v = *r;
    return absl::OkStatus();
  }));
  return v;
}

class SqliteDbTest : public ::testing::Test {
 protected:
  std::string dir_ = MakeTempDir("sqlite_db_test");
  std::string path_ = dir_ + "/t.db";
};

TEST_F(SqliteDbTest, OpensInWalModeWithFullSynchronousCommits) {
  ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path_));
  EXPECT_THAT(Query(*db, "PRAGMA journal_mode"), ::testing::ElementsAre("wal"));
  // synchronous: 0 OFF, 1 NORMAL, 2 FULL.
  EXPECT_THAT(Query(*db, "PRAGMA synchronous"), ::testing::ElementsAre("2"));
  EXPECT_THAT(Query(*db, "PRAGMA foreign_keys"), ::testing::ElementsAre("1"));
}

TEST_F(SqliteDbTest, MissingFileIsNotFoundWithoutCreateIfMissing) {
  SqliteDbOptions options;
  options.create_if_missing = false;
  EXPECT_THAT(SqliteDb::Open(path_, options),
              StatusIs(absl::StatusCode::kNotFound, path_));
}

TEST_F(SqliteDbTest, RejectsNegativeBusyTimeoutNamingTheField) {
  SqliteDbOptions options;
  options.busy_timeout = absl::Seconds(-1);
  EXPECT_THAT(SqliteDb::Open(path_, options),
              StatusIs(absl::StatusCode::kInvalidArgument, "busy_timeout"));
}

TEST_F(SqliteDbTest, StatementsOutsideATransactionAreRefused) {
  ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path_));
  EXPECT_THAT(db->Exec("CREATE TABLE t (x INTEGER)"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "inside"));
  EXPECT_THAT(db->Prepare("SELECT 1"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "inside"));
}

TEST_F(SqliteDbTest, FailedTransactionLeavesDatabaseUnchanged) {
  ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path_));
  ASSERT_OK(db->WriteTransaction(
      [&] { return db->Exec("CREATE TABLE t (x INTEGER PRIMARY KEY)"); }));
  absl::Status st = db->WriteTransaction([&]() -> absl::Status {
    absl::Status s = db->Exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)");
    if (!s.ok()) return s;
    return db->Exec("INSERT INTO t VALUES (1)");  // Duplicate key.
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kAlreadyExists, "UNIQUE"));
  EXPECT_TRUE(Query(*db, "SELECT x FROM t").empty());
}

TEST_F(SqliteDbTest, CallbackErrorRollsBackAndIsReturnedUnchanged) {
  ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path_));
  absl::Status st = db->WriteTransaction([&]() -> absl::Status {
    absl::Status s = db->Exec("CREATE TABLE t (x INTEGER)");
    if (!s.ok()) return s;
    return absl::InvalidArgumentError("caller says no");
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument, "caller says no"));
  EXPECT_TRUE(Tables(*db).empty());
}

TEST_F(SqliteDbTest, NestedTransactionIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path_));
  absl::Status inner;
  ASSERT_OK(db->WriteTransaction([&] {
    inner = db->ReadTransaction([] { return absl::OkStatus(); });
    return absl::OkStatus();
  }));
  EXPECT_THAT(inner, StatusIs(absl::StatusCode::kFailedPrecondition, "nest"));
}

TEST_F(SqliteDbTest, LockHeldByAnotherConnectionIsUnavailableAfterBusyTimeout) {
  SqliteDbOptions fast;
  fast.busy_timeout = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(auto a, SqliteDb::Open(path_, fast));
  ASSERT_OK_AND_ASSIGN(auto b, SqliteDb::Open(path_, fast));
  absl::Status blocked;
  ASSERT_OK(a->WriteTransaction([&] {
    blocked = b->WriteTransaction([] { return absl::OkStatus(); });
    return absl::OkStatus();
  }));
  EXPECT_THAT(blocked, StatusIs(absl::StatusCode::kUnavailable, "locked"));
}

TEST_F(SqliteDbTest, NotADatabaseIsDataLoss) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string junk(4096, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  EXPECT_THAT(SqliteDb::Open(path_), StatusIs(absl::StatusCode::kDataLoss, ""));
}

// --- Migrations --------------------------------------------------------------

TEST_F(SqliteDbTest, OpenFeedgovDbCreatesStateDirAndLatestSchema) {
  std::string state = dir_ + "/nested/state";
  ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(state));
  EXPECT_TRUE(std::filesystem::exists(state + "/feedgov.db"));
  EXPECT_EQ(Version(*db), static_cast<int>(FeedgovMigrations().size()));
  EXPECT_THAT(Tables(*db), ::testing::IsSupersetOf(
                               {"audit_log", "interventions", "schema_version"}));
}

TEST_F(SqliteDbTest, ReopeningDatabaseAtCurrentVersionIsIdempotent) {
  std::vector<std::string> schema_before;
  {
    ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir_));
    ASSERT_OK(db->WriteTransaction([&] {
      return db->Exec(
          "INSERT INTO audit_log VALUES (1, 0, 'a', 'CREATE', '', '', '', "
          "'m', 'p', 'h')");
    }));
    schema_before = Query(*db, "SELECT sql FROM sqlite_schema ORDER BY name");
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir_));
    EXPECT_EQ(Version(*db), static_cast<int>(FeedgovMigrations().size()));
    EXPECT_EQ(Query(*db, "SELECT sql FROM sqlite_schema ORDER BY name"),
              schema_before);
    EXPECT_THAT(Query(*db, "SELECT actor FROM audit_log"),
                ::testing::ElementsAre("a"));
    EXPECT_THAT(Query(*db, "SELECT COUNT(*) FROM schema_version"),
                ::testing::ElementsAre("1"));
  }
}

TEST_F(SqliteDbTest, DatabaseFromAFutureSchemaVersionIsRefusedUntouched) {
  {
    ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir_));
    ASSERT_OK(db->WriteTransaction(
        [&] { return db->Exec("UPDATE schema_version SET version = 7"); }));
  }
  EXPECT_THAT(OpenFeedgovDb(dir_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("has schema version 7, but this feedgov "
                                    "binary knows versions up to ",
                                    FeedgovMigrations().size())));
  ASSERT_OK_AND_ASSIGN(auto raw, SqliteDb::Open(dir_ + "/feedgov.db"));
  EXPECT_EQ(Version(*raw), 7);
}

TEST_F(SqliteDbTest, FailingMigrationLeavesDatabaseAtPreviousVersion) {
  ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path_));
  const Migration v1[] = {{1, "one", "CREATE TABLE one (x INTEGER)"}};
  ASSERT_OK(ApplyMigrations(*db, v1));
  const Migration v3[] = {
      {1, "one", "CREATE TABLE one (x INTEGER)"},
      {2, "two", "CREATE TABLE two (x INTEGER)"},
      {3, "broken", "CREATE TABLE three (x INTEGER); INSERT INTO nope VALUES (1)"},
  };
  EXPECT_THAT(ApplyMigrations(*db, v3),
              StatusIs(absl::StatusCode::kInternal,
                       "schema migration 3 (broken): sqlite: exec: no such "
                       "table: nope"));
  EXPECT_EQ(Version(*db), 1);
  EXPECT_THAT(Tables(*db), ::testing::ElementsAre("one", "schema_version"));
}

TEST_F(SqliteDbTest, MigrationListWithGapIsInternalError) {
  ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path_));
  const Migration gap[] = {{1, "one", "SELECT 1"}, {3, "three", "SELECT 1"}};
  EXPECT_THAT(ApplyMigrations(*db, gap),
              StatusIs(absl::StatusCode::kInternal, "numbered 1..n"));
  EXPECT_TRUE(Tables(*db).empty());
}

TEST_F(SqliteDbTest, MigrationsApplyInOrderFromAnOlderVersion) {
  ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path_));
  const Migration v1[] = {{1, "one", "CREATE TABLE one (x INTEGER)"}};
  ASSERT_OK(ApplyMigrations(*db, v1));
  const Migration v2[] = {
      {1, "one", "CREATE TABLE one (x INTEGER)"},
      {2, "two", "ALTER TABLE one ADD COLUMN y TEXT"},
  };
  ASSERT_OK(ApplyMigrations(*db, v2));
  EXPECT_EQ(Version(*db), 2);
  EXPECT_THAT(Query(*db, "SELECT name FROM pragma_table_info('one')"),
              ::testing::ElementsAre("x", "y"));
}

TEST_F(SqliteDbTest, AuditLogTriggersRejectUpdateAndDelete) {
  ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir_));
  ASSERT_OK(db->WriteTransaction([&] {
    return db->Exec(
        "INSERT INTO audit_log VALUES (1, 0, 'a', 'CREATE', '', '', '', 'm', "
        "'p', 'h')");
  }));
  EXPECT_THAT(db->WriteTransaction([&] {
    return db->Exec("UPDATE audit_log SET message = 'x'");
  }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "audit_log is append-only"));
  EXPECT_THAT(db->WriteTransaction(
                  [&] { return db->Exec("DELETE FROM audit_log"); }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "audit_log is append-only"));
  EXPECT_THAT(Query(*db, "SELECT message FROM audit_log"),
              ::testing::ElementsAre("m"));
}

}  // namespace
}  // namespace feedgov
