#include "engine/intervention/intervention_manager.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "engine/common/status_macros.h"
#include "engine/common/time_util.h"

namespace feedgov {
namespace {

constexpr absl::string_view kIdPrefix = "iv-";

bool SurfacesOverlap(const Intervention& a, const Intervention& b) {
  return a.surface.empty() || b.surface.empty() || a.surface == b.surface;
}

// Windows overlap from `now` on: [max(start, now), end).
bool WindowsOverlap(const Intervention& a, const Intervention& b,
                    absl::Time now) {
  absl::Time a_start = std::max(a.start, now);
  absl::Time b_start = std::max(b.start, now);
  return a_start < b.end && b_start < a.end && a_start < a.end &&
         b_start < b.end;
}

std::string Describe(const Intervention& iv) {
  return absl::StrCat(
      // Positions are shown 1-based, as editors see them (stored 0-based).
      "surface \"", iv.surface, "\", position ", iv.position + 1, ", item ",
      iv.item_id, ", window [", FormatRfc3339Utc(iv.start), ", ",
      iv.end == absl::InfiniteFuture() ? "no end" : FormatRfc3339Utc(iv.end),
      ")");
}

absl::Status CheckActorAndReason(const std::string& editor,
                                 const std::string& reason) {
  if (editor.empty()) {
    return absl::InvalidArgumentError("revoke.editor: is required");
  }
  if (reason.empty()) {
    return absl::InvalidArgumentError("revoke.reason: is required");
  }
  if (editor.size() > kMaxEditorLength || reason.size() > kMaxReasonLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "revoke.editor/reason: at most ", kMaxEditorLength, "/",
        kMaxReasonLength, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

WriteGate AllowAllGate() {
  return [](const Intervention&, const InterventionSnapshot&) {
    return absl::OkStatus();
  };
}

absl::string_view InterventionStateName(InterventionState state) {
  switch (state) {
    case InterventionState::kActive:
      return "ACTIVE";
    case InterventionState::kScheduled:
      return "SCHEDULED";
    case InterventionState::kBlocked:
      return "BLOCKED";
    case InterventionState::kEnded:
      return "ENDED";
    case InterventionState::kRevoked:
      return "REVOKED";
  }
  return "UNKNOWN";
}

absl::StatusOr<std::unique_ptr<InterventionManager>> InterventionManager::Open(
    InterventionStore& store, const Clock& clock, WriteGate gate,
    PendingExpiries at_open) {
  if (!gate) {
    return absl::InvalidArgumentError(
        "InterventionManager: gate is null (use AllowAllGate() explicitly)");
  }
  std::unique_ptr<InterventionManager> manager(
      new InterventionManager(store, clock, std::move(gate)));
  absl::MutexLock lock(&manager->mu_);
  FEEDGOV_RETURN_IF_ERROR(manager->LoadLocked());
  absl::Time now = clock.Now();
  if (at_open == PendingExpiries::kRecord) {
    FEEDGOV_RETURN_IF_ERROR(manager->RecordExpirationsLocked(now).status());
  }
  manager->PublishLocked(now);
  return manager;
}

absl::Status InterventionManager::LoadLocked() {
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<InterventionRecord> records,
                           store_.LoadAll());
  for (const InterventionRecord& record : records) {
    FEEDGOV_ASSIGN_OR_RETURN(Intervention iv, FromRecord(record));
    absl::string_view digits = iv.id;
    int64_t number = 0;
    if (absl::ConsumePrefix(&digits, kIdPrefix) &&
        absl::SimpleAtoi(digits, &number)) {
      next_number_ = std::max(next_number_, number + 1);
    }
    std::string id = iv.id;  // Not iv.id: the right side is moved first.
    entries_[id] = Entry{std::move(iv), record.expiry_recorded, ""};
  }
  // The last BLOCKED / UNBLOCKED entry of each pin is its recorded state.
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<AuditEntry> audit, store_.ListAudit());
  for (const AuditEntry& a : audit) {
    const AuditEvent& e = a.event;
    if (e.action != AuditAction::kBlocked &&
        e.action != AuditAction::kUnblocked) {
      continue;
    }
    auto it = entries_.find(e.intervention_id);
    if (it == entries_.end()) continue;
    it->second.blocked_why =
        e.action == AuditAction::kBlocked ? e.message : std::string();
  }
  return absl::OkStatus();
}

InterventionSnapshot InterventionManager::CurrentLocked(
    absl::Time now, absl::string_view except_id) const {
  std::vector<Intervention> live;
  for (const auto& [id, entry] : entries_) {
    const Intervention& iv = entry.intervention;
    if (id != except_id && !iv.revoked && iv.end > now) live.push_back(iv);
  }
  return InterventionSnapshot(std::move(live));
}

absl::StatusOr<int> InterventionManager::RecordPinStatesLocked(
    absl::Time now) {
  if (!pin_check_) return 0;
  const InterventionSnapshot current = CurrentLocked(now, "");
  int recorded = 0;
  for (auto& [id, entry] : entries_) {
    const Intervention& iv = entry.intervention;
    if (iv.kind != InterventionKind::kPin || !iv.ActiveAt(now)) continue;
    std::string why = pin_check_(iv, current, now);
    if (why.empty() == entry.blocked_why.empty()) continue;  // No change.
    AuditEvent e;
    e.time = now;
    e.actor = std::string(kSystemActor);
    e.action = why.empty() ? AuditAction::kUnblocked : AuditAction::kBlocked;
    e.intervention_id = id;
    e.before = SerializeIntervention(iv);
    e.message = why.empty() ? "pin is placed again" : why;
    FEEDGOV_RETURN_IF_ERROR(store_.AppendAudit(e).status());
    entry.blocked_why = std::move(why);
    ++recorded;
  }
  return recorded;
}

absl::StatusOr<int> InterventionManager::RecordPinStates() {
  absl::MutexLock lock(&mu_);
  return RecordPinStatesLocked(clock_.Now());
}

absl::Status InterventionManager::SetPinCheck(PinCheck check) {
  absl::MutexLock lock(&mu_);
  pin_check_ = std::move(check);
  return RecordPinStatesLocked(clock_.Now()).status();
}

std::string InterventionManager::NextIdLocked() const {
  return absl::StrFormat("%s%06d", kIdPrefix, next_number_);
}

void InterventionManager::PublishLocked(absl::Time now) {
  std::vector<Intervention> live;
  for (const auto& [id, entry] : entries_) {
    const Intervention& iv = entry.intervention;
    if (!iv.revoked && iv.end > now) live.push_back(iv);
  }
  snapshot_.store(std::make_shared<const InterventionSnapshot>(std::move(live)),
                  std::memory_order_release);
}

absl::StatusOr<int> InterventionManager::RecordExpirationsLocked(
    absl::Time now) {
  std::vector<std::string> ids;
  std::vector<AuditEvent> events;
  for (const auto& [id, entry] : entries_) {
    const Intervention& iv = entry.intervention;
    if (iv.revoked || entry.expiry_recorded || iv.end > now) continue;
    AuditEvent e;
    e.time = now;
    e.actor = std::string(kSystemActor);
    e.action = AuditAction::kExpire;
    e.intervention_id = id;
    e.before = SerializeIntervention(iv);
    e.message = absl::StrCat("window ended at ", FormatRfc3339Utc(iv.end));
    ids.push_back(id);
    events.push_back(std::move(e));
  }
  if (ids.empty()) return 0;
  FEEDGOV_RETURN_IF_ERROR(store_.RecordExpirations(ids, events).status());
  for (const std::string& id : ids) entries_[id].expiry_recorded = true;
  return static_cast<int>(ids.size());
}

absl::StatusOr<int> InterventionManager::RecordExpirations() {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  FEEDGOV_ASSIGN_OR_RETURN(int n, RecordExpirationsLocked(now));
  PublishLocked(now);
  return n;
}

absl::Status InterventionManager::CheckRequest(const Intervention& request,
                                               absl::Time now) const {
  FEEDGOV_RETURN_IF_ERROR(ValidateIntervention(request));
  if (request.end <= now) {
    return absl::InvalidArgumentError(absl::StrCat(
        "intervention.end: the window already ended at ",
        FormatRfc3339Utc(request.end), " (now ", FormatRfc3339Utc(now), ")"));
  }
  return absl::OkStatus();
}

absl::Status InterventionManager::CheckConflicts(
    const Intervention& request, absl::string_view replacing_id,
    absl::Time now) const {
  if (request.kind != InterventionKind::kPin) return absl::OkStatus();
  for (const auto& [id, entry] : entries_) {
    const Intervention& other = entry.intervention;
    if (id == replacing_id || other.revoked ||
        other.kind != InterventionKind::kPin ||
        !SurfacesOverlap(request, other) ||
        !WindowsOverlap(request, other, now)) {
      continue;
    }
    if (other.position == request.position) {
      return absl::FailedPreconditionError(absl::StrCat(
          "pin conflicts with existing pin ", id, " (", Describe(other),
          "); replace ", id, " to supersede it (ReplaceIntervention; --replace ", id, " on the CLI)"));
    }
    if (other.item_id == request.item_id) {
      return absl::FailedPreconditionError(absl::StrCat(
          "item ", request.item_id, " is already pinned by ", id, " (",
          Describe(other), "); replace ", id, " to move it (ReplaceIntervention; --replace ", id, " on the CLI)"));
    }
  }
  return absl::OkStatus();
}

absl::Status InterventionManager::AdmitOrRefuse(const Intervention& request,
                                                absl::string_view replacing_id,
                                                absl::Time now) {
  absl::Status refusal = CheckConflicts(request, replacing_id, now);
  if (refusal.ok()) refusal = gate_(request, CurrentLocked(now, replacing_id));
  if (refusal.ok()) return refusal;
  AuditEvent e;
  e.time = now;
  e.actor = request.editor;
  e.action = AuditAction::kRefused;
  e.intervention_id = std::string(replacing_id);
  e.after = SerializeIntervention(request);
  e.message = std::string(refusal.message());
  absl::Status audited = store_.AppendAudit(e).status();
  if (!audited.ok()) {
    return absl::Status(
        refusal.code(),
        absl::StrCat(refusal.message(),
                     " (recording the refusal in the audit log also failed: ",
                     audited.ToString(), ")"));
  }
  return refusal;
}

absl::StatusOr<Intervention> InterventionManager::Create(Intervention request) {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  FEEDGOV_RETURN_IF_ERROR(RecordExpirationsLocked(now).status());
  request.id.clear();
  request.created = now;
  request.revoked = false;
  request = NormalizeTimes(std::move(request));
  FEEDGOV_RETURN_IF_ERROR(CheckRequest(request, now));
  FEEDGOV_RETURN_IF_ERROR(AdmitOrRefuse(request, "", now));
  request.id = NextIdLocked();
  AuditEvent e;
  e.time = now;
  e.actor = request.editor;
  e.action = AuditAction::kCreate;
  e.intervention_id = request.id;
  e.after = SerializeIntervention(request);
  e.message = request.reason;
  FEEDGOV_RETURN_IF_ERROR(store_.Create(ToRecord(request), e).status());
  ++next_number_;
  entries_[request.id] = Entry{request, false, ""};
  PublishLocked(now);
  FEEDGOV_RETURN_IF_ERROR(RecordPinStatesLocked(now).status());
  return request;
}

absl::StatusOr<Intervention> InterventionManager::Replace(
    const std::string& old_id, Intervention request) {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  FEEDGOV_RETURN_IF_ERROR(RecordExpirationsLocked(now).status());
  auto it = entries_.find(old_id);
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("intervention ", old_id,
                                            " not found; nothing to replace"));
  }
  const Intervention old = it->second.intervention;
  if (old.revoked || old.end <= now) {
    return absl::FailedPreconditionError(absl::StrCat(
        "intervention ", old_id, " is ", old.revoked ? "revoked" : "ended",
        "; create a new intervention instead of replacing it"));
  }
  request.id.clear();
  request.created = now;
  request.revoked = false;
  request = NormalizeTimes(std::move(request));
  FEEDGOV_RETURN_IF_ERROR(CheckRequest(request, now));
  FEEDGOV_RETURN_IF_ERROR(AdmitOrRefuse(request, old_id, now));
  request.id = NextIdLocked();
  AuditEvent e;
  e.time = now;
  e.actor = request.editor;
  e.action = AuditAction::kReplace;
  e.intervention_id = request.id;
  e.before = SerializeIntervention(old);
  e.after = SerializeIntervention(request);
  e.message = request.reason;
  FEEDGOV_RETURN_IF_ERROR(
      store_.Replace(old_id, ToRecord(request), e).status());
  ++next_number_;
  it->second.intervention.revoked = true;
  entries_[request.id] = Entry{request, false, ""};
  PublishLocked(now);
  FEEDGOV_RETURN_IF_ERROR(RecordPinStatesLocked(now).status());
  return request;
}

absl::Status InterventionManager::Revoke(const std::string& id,
                                         const std::string& editor,
                                         const std::string& reason) {
  FEEDGOV_RETURN_IF_ERROR(CheckActorAndReason(editor, reason));
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  FEEDGOV_RETURN_IF_ERROR(RecordExpirationsLocked(now).status());
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("intervention ", id, " not found"));
  }
  Intervention& iv = it->second.intervention;
  if (iv.revoked) {
    return absl::FailedPreconditionError(
        absl::StrCat("intervention ", id, " is already revoked"));
  }
  Intervention after = iv;
  after.revoked = true;
  AuditEvent e;
  e.time = now;
  e.actor = editor;
  e.action = AuditAction::kRevoke;
  e.intervention_id = id;
  e.before = SerializeIntervention(iv);
  e.after = SerializeIntervention(after);
  e.message = reason;
  FEEDGOV_RETURN_IF_ERROR(store_.Revoke(id, e).status());
  iv.revoked = true;
  PublishLocked(now);
  return RecordPinStatesLocked(now).status();
}

std::vector<InterventionWithState> InterventionManager::ListWithState(
    bool include_inactive) const {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  std::vector<InterventionWithState> out;
  for (const auto& [id, entry] : entries_) {
    const Intervention& iv = entry.intervention;
    const bool live = !iv.revoked && iv.end > now;
    if (!include_inactive && !live) continue;
    InterventionWithState w{iv, InterventionState::kActive, ""};
    if (iv.revoked) {
      w.state = InterventionState::kRevoked;
    } else if (iv.end <= now) {
      w.state = InterventionState::kEnded;
    } else if (!entry.blocked_why.empty()) {
      w.state = InterventionState::kBlocked;
      w.why = entry.blocked_why;
    } else if (iv.start > now) {
      w.state = InterventionState::kScheduled;
    }
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<Intervention> InterventionManager::List(
    bool include_inactive) const {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  std::vector<Intervention> out;
  for (const auto& [id, entry] : entries_) {
    const Intervention& iv = entry.intervention;
    if (include_inactive || (!iv.revoked && iv.end > now)) out.push_back(iv);
  }
  return out;
}

absl::Status InterventionManager::VerifyAudit() const {
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<AuditEntry> audit, store_.ListAudit());
  FEEDGOV_RETURN_IF_ERROR(VerifyAuditChain(audit));
  absl::flat_hash_map<std::string, const AuditEntry*> creations;
  for (const AuditEntry& e : audit) {
    if (e.event.action == AuditAction::kCreate ||
        e.event.action == AuditAction::kReplace) {
      creations[e.event.intervention_id] = &e;
    }
  }
  // Ids whose revocation the log records: REVOKE entries, and the old side
  // of a REPLACE (its `before` serialization starts with {"id":"<old id>").
  absl::flat_hash_set<std::string> revoked_in_log;
  for (const AuditEntry& e : audit) {
    if (e.event.action == AuditAction::kRevoke) {
      revoked_in_log.insert(e.event.intervention_id);
    } else if (e.event.action == AuditAction::kReplace) {
      constexpr absl::string_view kPrefix = "{\"id\":\"";
      absl::string_view before = e.event.before;
      if (absl::ConsumePrefix(&before, kPrefix)) {
        revoked_in_log.insert(std::string(before.substr(0, before.find('"'))));
      }
    }
  }
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<InterventionRecord> records,
                           store_.LoadAll());
  absl::flat_hash_set<std::string> stored;
  for (const InterventionRecord& record : records) {
    FEEDGOV_ASSIGN_OR_RETURN(Intervention iv, FromRecord(record));
    stored.insert(iv.id);
    if (iv.revoked != revoked_in_log.contains(iv.id)) {
      return absl::DataLossError(absl::StrCat(
          "intervention ", iv.id, ": stored as ",
          iv.revoked ? "revoked without a REVOKE/REPLACE audit entry"
                     : "in force although the audit log revoked it",
          " (row edited behind the audit log)"));
    }
    iv.revoked = false;
    auto it = creations.find(iv.id);
    if (it == creations.end()) {
      return absl::DataLossError(absl::StrCat(
          "intervention ", iv.id, ": stored without a CREATE/REPLACE audit "
          "entry (inserted behind the audit log)"));
    }
    if (it->second->event.after != SerializeIntervention(iv)) {
      return absl::DataLossError(absl::StrCat(
          "intervention ", iv.id, ": stored row differs from audit entry ",
          it->second->seq, " (row edited after creation)"));
    }
  }
  for (const auto& [id, entry] : creations) {
    if (!stored.contains(id)) {
      return absl::DataLossError(absl::StrCat(
          "intervention ", id, ": created by audit entry ", entry->seq,
          " but missing from the store (row deleted behind the audit log)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace feedgov
