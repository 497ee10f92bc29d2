// File: engine/store/sqlite_intervention_store.h
//
// InterventionStore on the feedgov SQLite database (tables `interventions`
// and `audit_log`, schema migration 001). Each operation is one
// WriteTransaction: the row change and its audit entry commit together and
// durably (WAL + synchronous=FULL), or the database is left unchanged.
// Thread-safe (SqliteDb serializes transactions).
#ifndef FEEDGOV_ENGINE_STORE_SQLITE_INTERVENTION_STORE_H_
#define FEEDGOV_ENGINE_STORE_SQLITE_INTERVENTION_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "engine/store/intervention_store.h"
#include "engine/store/sqlite_db.h"

namespace feedgov {

class SqliteInterventionStore final : public InterventionStore {
 public:
  // `db` must already be migrated (OpenFeedgovDb does that);
  // FAILED_PRECONDITION otherwise.
  static absl::StatusOr<std::unique_ptr<SqliteInterventionStore>> Open(
      std::shared_ptr<SqliteDb> db);

  absl::StatusOr<AuditEntry> Create(const InterventionRecord& record,
                                    const AuditEvent& audit) override;
  absl::StatusOr<AuditEntry> Replace(absl::string_view old_id,
                                     const InterventionRecord& replacement,
                                     const AuditEvent& audit) override;
  absl::StatusOr<AuditEntry> Revoke(absl::string_view id,
                                    const AuditEvent& audit) override;
  absl::StatusOr<std::vector<AuditEntry>> RecordExpirations(
      absl::Span<const std::string> ids,
      absl::Span<const AuditEvent> audits) override;
  absl::StatusOr<AuditEntry> AppendAudit(const AuditEvent& audit) override;
  absl::StatusOr<std::vector<InterventionRecord>> LoadAll() const override;
  absl::StatusOr<std::vector<AuditEntry>> ListAudit() const override;

 private:
  explicit SqliteInterventionStore(std::shared_ptr<SqliteDb> db)
      : db_(std::move(db)) {}

  // Constant after construction; shared with other stores on the same file.
  const std::shared_ptr<SqliteDb> db_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_STORE_SQLITE_INTERVENTION_STORE_H_
