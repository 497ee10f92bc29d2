#include "engine/store/intervention_store.h"

#include "engine/common/status_macros.h"

namespace feedgov {

absl::Status InterventionStore::VerifyAuditChain() const {
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<AuditEntry> entries, ListAudit());
  return ::feedgov::VerifyAuditChain(entries);
}

absl::StatusOr<std::optional<AuditHead>> InterventionStore::Head() const {
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<AuditEntry> entries, ListAudit());
  if (entries.empty()) return std::optional<AuditHead>();
  return std::optional<AuditHead>(
      AuditHead{entries.back().seq, entries.back().hash});
}

}  // namespace feedgov
