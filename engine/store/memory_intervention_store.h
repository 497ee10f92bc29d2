// File: engine/store/memory_intervention_store.h
//
// In-memory InterventionStore for tests and CLI dry runs. Same contract as
// the SQLite store (the typed suite in intervention_store_test.cc runs on
// both); nothing survives the object. Every operation checks all of its
// preconditions before mutating, so a failed operation changes nothing.
// Thread-safe.
#ifndef FEEDGOV_ENGINE_STORE_MEMORY_INTERVENTION_STORE_H_
#define FEEDGOV_ENGINE_STORE_MEMORY_INTERVENTION_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "engine/store/intervention_store.h"

namespace feedgov {

class MemoryInterventionStore final : public InterventionStore {
 public:
  MemoryInterventionStore() = default;

  absl::StatusOr<AuditEntry> Create(const InterventionRecord& record,
                                    const AuditEvent& audit) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<AuditEntry> Replace(absl::string_view old_id,
                                     const InterventionRecord& replacement,
                                     const AuditEvent& audit) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<AuditEntry> Revoke(absl::string_view id,
                                    const AuditEvent& audit) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<AuditEntry>> RecordExpirations(
      absl::Span<const std::string> ids,
      absl::Span<const AuditEvent> audits) override ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<AuditEntry> AppendAudit(const AuditEvent& audit) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<InterventionRecord>> LoadAll() const override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<AuditEntry>> ListAudit() const override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Status CheckRevocable(absl::string_view id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  AuditEntry Append(const AuditEvent& audit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, InterventionRecord, std::less<>> records_
      ABSL_GUARDED_BY(mu_);
  std::vector<AuditEntry> audit_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_STORE_MEMORY_INTERVENTION_STORE_H_
