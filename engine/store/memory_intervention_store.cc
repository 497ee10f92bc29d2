#include "engine/store/memory_intervention_store.h"

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

// The SQLite store keeps microseconds; keep the same precision so both
// implementations return identical records.
InterventionRecord Normalize(InterventionRecord r) {
  r.created = TruncateToMicros(r.created);
  r.start = TruncateToMicros(r.start);
  if (r.end != absl::InfiniteFuture()) r.end = TruncateToMicros(r.end);
  return r;
}

}  // namespace

AuditEntry MemoryInterventionStore::Append(const AuditEvent& audit) {
  audit_.push_back(
      ChainAuditEntry(audit_.empty() ? nullptr : &audit_.back(), audit));
  return audit_.back();
}

absl::Status MemoryInterventionStore::CheckRevocable(
    absl::string_view id) const {
  auto it = records_.find(id);
  if (it == records_.end()) {
    return absl::NotFoundError(absl::StrCat("intervention ", id, " not found"));
  }
  if (it->second.revoked) {
    return absl::FailedPreconditionError(
        absl::StrCat("intervention ", id, " is already revoked"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AuditEntry> MemoryInterventionStore::Create(
    const InterventionRecord& record, const AuditEvent& audit) {
  if (record.id.empty()) {
    return absl::InvalidArgumentError("intervention record id is empty");
  }
  absl::MutexLock lock(&mu_);
  if (records_.count(record.id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("intervention ", record.id, " already exists"));
  }
  records_.emplace(record.id, Normalize(record));
  return Append(audit);
}

absl::StatusOr<AuditEntry> MemoryInterventionStore::Replace(
    absl::string_view old_id, const InterventionRecord& replacement,
    const AuditEvent& audit) {
  if (replacement.id.empty()) {
    return absl::InvalidArgumentError("intervention record id is empty");
  }
  absl::MutexLock lock(&mu_);
  FEEDGOV_RETURN_IF_ERROR(CheckRevocable(old_id));
  if (records_.count(replacement.id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("intervention ", replacement.id, " already exists"));
  }
  records_.find(old_id)->second.revoked = true;
  records_.emplace(replacement.id, Normalize(replacement));
  return Append(audit);
}

absl::StatusOr<AuditEntry> MemoryInterventionStore::Revoke(
    absl::string_view id, const AuditEvent& audit) {
  absl::MutexLock lock(&mu_);
  FEEDGOV_RETURN_IF_ERROR(CheckRevocable(id));
  records_.find(id)->second.revoked = true;
  return Append(audit);
}

absl::StatusOr<std::vector<AuditEntry>>
MemoryInterventionStore::RecordExpirations(absl::Span<const std::string> ids,
                                           absl::Span<const AuditEvent> audits) {
  if (ids.size() != audits.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RecordExpirations: ", ids.size(), " ids but ", audits.size(),
        " audit events"));
  }
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = records_.find(ids[i]);
    if (it == records_.end()) {
      return absl::NotFoundError(
          absl::StrCat("intervention ", ids[i], " not found"));
    }
    if (it->second.expiry_recorded) {
      return absl::FailedPreconditionError(absl::StrCat(
          "intervention ", ids[i], " already has its expiry recorded"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (ids[j] == ids[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("RecordExpirations: duplicate id ", ids[i]));
      }
    }
  }
  std::vector<AuditEntry> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    records_.find(ids[i])->second.expiry_recorded = true;
    out.push_back(Append(audits[i]));
  }
  return out;
}

absl::StatusOr<AuditEntry> MemoryInterventionStore::AppendAudit(
    const AuditEvent& audit) {
  absl::MutexLock lock(&mu_);
  return Append(audit);
}

absl::StatusOr<std::vector<InterventionRecord>>
MemoryInterventionStore::LoadAll() const {
  absl::MutexLock lock(&mu_);
  std::vector<InterventionRecord> out;
  out.reserve(records_.size());
  for (const auto& [id, record] : records_) out.push_back(record);
  return out;
}

absl::StatusOr<std::vector<AuditEntry>> MemoryInterventionStore::ListAudit()
    const {
  absl::MutexLock lock(&mu_);
  return audit_;
}

}  // namespace feedgov
