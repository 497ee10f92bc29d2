// Tampering with the audit log through the sqlite3 command-line tool, as an
// attacker with file access would, and checking verification names the
// right entry. The attacker first drops the append-only triggers.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/store/schema.h"
#include "engine/store/sqlite_intervention_store.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

constexpr char kSqlite3[] = "/usr/bin/sqlite3";
constexpr char kDropTriggers[] =
    "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;\n";

struct CliResult {
  int exit_code = -1;
  std::string output;
};

// Runs `sql` through the sqlite3 CLI on `db_path`; stdout+stderr captured.
CliResult RunSqlite3(const std::string& dir, const std::string& db_path,
                     const std::string& sql) {
  std::string script = dir + "/tamper.sql";
  EXPECT_OK(WriteFileAtomic(script, sql));
  std::string cmd = absl::StrCat(kSqlite3, " -bail '", db_path, "' < '",
                                 script, "' 2>&1");
  CliResult result;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) {
    result.output.append(buf, n);
  }
  result.exit_code = ::pclose(pipe);
  return result;
}

class AuditTamperTest : public ::testing::Test {
 protected:
  // Writes a 10-entry log (creates, a revoke, refusals) and closes the file.
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir_));
    ASSERT_OK_AND_ASSIGN(auto store, SqliteInterventionStore::Open(db));
    for (int i = 1; i <= 10; ++i) {
      AuditEvent e;
      e.time = absl::FromUnixSeconds(1'700'000'000 + i);
      e.actor = "alice";
      e.message = absl::StrCat("reason ", i);
      e.intervention_id = absl::StrCat("iv-", i);
      if (i % 3 == 0) {
        e.action = AuditAction::kRefused;
        ASSERT_OK(store->AppendAudit(e));
        continue;
      }
      e.action = AuditAction::kCreate;
      InterventionRecord r;
      r.id = e.intervention_id;
      r.kind = "PIN";
      r.editor = "alice";
      r.reason = e.message;
      ASSERT_OK(store->Create(r, e));
    }
    ASSERT_OK(store->VerifyAuditChain());
  }

  absl::Status Verify() {
    auto db = OpenFeedgovDb(dir_);
    if (!db.ok()) return db.status();
    auto store = SqliteInterventionStore::Open(*db);
    if (!store.ok()) return store.status();
    return (*store)->VerifyAuditChain();
  }

  void Tamper(const std::string& sql) {
    CliResult r = RunSqlite3(dir_, db_path_, kDropTriggers + sql);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  std::string dir_ = testing::MakeTempDir("audit_tamper_test");
  std::string db_path_ = dir_ + "/feedgov.db";
};

TEST_F(AuditTamperTest, UntouchedLogVerifiesAfterCliRead) {
  CliResult r = RunSqlite3(dir_, db_path_, "SELECT COUNT(*) FROM audit_log;");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "10\n");
  EXPECT_OK(Verify());
}

TEST_F(AuditTamperTest, TriggersBlockCliUpdateAndDelete) {
  CliResult upd = RunSqlite3(dir_, db_path_,
                             "UPDATE audit_log SET message = 'x' WHERE seq = 7;");
  EXPECT_NE(upd.exit_code, 0);
  EXPECT_THAT(upd.output, ::testing::HasSubstr("append-only"));
  CliResult del = RunSqlite3(dir_, db_path_, "DELETE FROM audit_log WHERE seq = 5;");
  EXPECT_NE(del.exit_code, 0);
  EXPECT_THAT(del.output, ::testing::HasSubstr("append-only"));
  EXPECT_OK(Verify());
}

TEST_F(AuditTamperTest, EditedReasonIsReportedAsEntryEdited) {
  Tamper("UPDATE audit_log SET message = 'harmless' WHERE seq = 7;");
  EXPECT_THAT(Verify(), StatusIs(absl::StatusCode::kDataLoss,
                                 "audit entry 7: hash mismatch (entry edited)"));
}

TEST_F(AuditTamperTest, DeletedMiddleRowIsReportedAtTheGap) {
  Tamper("DELETE FROM audit_log WHERE seq = 5;");
  EXPECT_THAT(Verify(), StatusIs(absl::StatusCode::kDataLoss,
                                 "audit entry 6: seq gap, expected 5"));
}

TEST_F(AuditTamperTest, DeletedRowWithRenumberedTailIsReportedAsReordered) {
  // A careful attacker closes the seq gap; the hash links still break.
  Tamper(
      "DELETE FROM audit_log WHERE seq = 5;"
      "UPDATE audit_log SET seq = seq - 1 WHERE seq > 5;");
  EXPECT_THAT(Verify(), StatusIs(absl::StatusCode::kDataLoss,
                                 "audit entry 5: prev_hash mismatch"));
}

TEST_F(AuditTamperTest, SwappedRowContentsAreReportedAsReordered) {
  Tamper(
      "CREATE TEMP TABLE a AS SELECT * FROM audit_log WHERE seq = 3;"
      "CREATE TEMP TABLE b AS SELECT * FROM audit_log WHERE seq = 4;"
      "UPDATE audit_log SET (time_unix_micros, actor, action, intervention_id,"
      " before, after, message, prev_hash, hash) = (SELECT time_unix_micros,"
      " actor, action, intervention_id, before, after, message, prev_hash,"
      " hash FROM b) WHERE seq = 3;"
      "UPDATE audit_log SET (time_unix_micros, actor, action, intervention_id,"
      " before, after, message, prev_hash, hash) = (SELECT time_unix_micros,"
      " actor, action, intervention_id, before, after, message, prev_hash,"
      " hash FROM a) WHERE seq = 4;");
  EXPECT_THAT(Verify(), StatusIs(absl::StatusCode::kDataLoss,
                                 "audit entry 3: prev_hash mismatch"));
}

}  // namespace
}  // namespace feedgov
