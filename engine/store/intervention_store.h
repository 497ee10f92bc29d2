// File: engine/store/intervention_store.h
//
// InterventionStore: durable home of editor interventions and of their audit
// log. Every mutating operation writes the intervention row(s) AND its audit
// entry in one transaction: both land or neither does. Implementations:
//   SqliteInterventionStore (sqlite_intervention_store.h), the production one;
//   MemoryInterventionStore (memory_intervention_store.h), tests / dry runs.
// A server database can be added behind the same interface.
//
// The store knows rows, not rules: it does not validate windows, factors or
// pin conflicts (engine/intervention/ does). It enforces identity only:
// unique ids, existing targets, one-way revoked/expiry_recorded flags.
//
// Thread safety: implementations are thread-safe.
#ifndef FEEDGOV_ENGINE_STORE_INTERVENTION_STORE_H_
#define FEEDGOV_ENGINE_STORE_INTERVENTION_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/common/types.h"
#include "engine/store/audit_log.h"

namespace feedgov {

// One stored intervention: the persisted form of feedgov::Intervention
// (engine/intervention/intervention.h), which converts to and from it.
// Times are stored at microsecond precision.
struct InterventionRecord {
  std::string id;               // Unique, non-empty.
  std::string kind;             // Stable name, e.g. "PIN", "BOOST".
  ItemId item_id = 0;
  std::string author;
  std::string surface;          // "" = all surfaces.
  int32_t position = 0;
  double factor = 1.0;
  double cosine_threshold = 0.0;
  std::string editor;
  std::string reason;
  std::string article_ref;
  absl::Time created;
  absl::Time start;
  absl::Time end = absl::InfiniteFuture();  // Stored as NULL when infinite.
  std::string time_zone;  // IANA zone the window was entered in; "" = UTC.
  bool revoked = false;
  bool expiry_recorded = false;  // An EXPIRE audit entry has been written.

  friend bool operator==(const InterventionRecord&,
                         const InterventionRecord&) = default;
};

class InterventionStore {
 public:
  virtual ~InterventionStore() = default;

  // Inserts `record` and appends `audit`. Returns the appended entry.
  // Errors: ALREADY_EXISTS (id taken), INVALID_ARGUMENT (empty id).
  virtual absl::StatusOr<AuditEntry> Create(const InterventionRecord& record,
                                            const AuditEvent& audit) = 0;

  // Marks `old_id` revoked, inserts `replacement` and appends `audit`, all
  // or nothing. Errors: NOT_FOUND (old_id), FAILED_PRECONDITION (old_id
  // already revoked), ALREADY_EXISTS (replacement id taken).
  virtual absl::StatusOr<AuditEntry> Replace(
      absl::string_view old_id, const InterventionRecord& replacement,
      const AuditEvent& audit) = 0;

  // Marks `id` revoked and appends `audit`.
  // Errors: NOT_FOUND, FAILED_PRECONDITION (already revoked).
  virtual absl::StatusOr<AuditEntry> Revoke(absl::string_view id,
                                            const AuditEvent& audit) = 0;

  // For each i, sets expiry_recorded on ids[i] and appends audits[i], in one
  // transaction. Errors: INVALID_ARGUMENT (size mismatch), NOT_FOUND,
  // FAILED_PRECONDITION (already recorded).
  virtual absl::StatusOr<std::vector<AuditEntry>> RecordExpirations(
      absl::Span<const std::string> ids,
      absl::Span<const AuditEvent> audits) = 0;

  // Appends an entry not tied to a row change (e.g. REFUSED attempts).
  virtual absl::StatusOr<AuditEntry> AppendAudit(const AuditEvent& audit) = 0;

  // Every stored intervention (revoked ones too), ordered by id.
  virtual absl::StatusOr<std::vector<InterventionRecord>> LoadAll() const = 0;

  // The audit log in seq order, exactly as stored (tampering included).
  virtual absl::StatusOr<std::vector<AuditEntry>> ListAudit() const = 0;

  // VerifyAuditChain(ListAudit()): OK or DATA_LOSS naming the first bad entry.
  absl::Status VerifyAuditChain() const;

  // Last entry's seq and hash, for anchoring outside the database;
  // nullopt when the log is empty.
  absl::StatusOr<std::optional<AuditHead>> Head() const;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_STORE_INTERVENTION_STORE_H_
