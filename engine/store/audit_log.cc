#include "engine/store/audit_log.h"

#include "absl/strings/str_cat.h"
#include "engine/common/sha256.h"

namespace feedgov {
namespace {

constexpr struct {
  AuditAction action;
  absl::string_view name;
} kActionNames[] = {
    {AuditAction::kCreate, "CREATE"}, {AuditAction::kReplace, "REPLACE"},
    {AuditAction::kRevoke, "REVOKE"}, {AuditAction::kExpire, "EXPIRE"},
    {AuditAction::kRefused, "REFUSED"}, {AuditAction::kBlocked, "BLOCKED"},
    {AuditAction::kUnblocked, "UNBLOCKED"},
};

// "name=<byte length>:<bytes>\n"; length-prefixing makes the encoding
// injective whatever the field contents (newlines, '=' ...).
void AppendField(std::string& out, absl::string_view name,
                 absl::string_view value) {
  absl::StrAppend(&out, name, "=", value.size(), ":", value, "\n");
}

}  // namespace

absl::string_view AuditActionName(AuditAction action) {
  for (const auto& entry : kActionNames) {
    if (entry.action == action) return entry.name;
  }
  return "UNKNOWN";
}

absl::StatusOr<AuditAction> ParseAuditAction(absl::string_view name) {
  for (const auto& entry : kActionNames) {
    if (entry.name == name) return entry.action;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "audit action '", name,
      "' is not one of CREATE, REPLACE, REVOKE, EXPIRE, REFUSED, BLOCKED, "
      "UNBLOCKED"));
}

absl::Time TruncateToMicros(absl::Time t) {
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

std::string CanonicalAuditFields(int64_t seq, const AuditEvent& event) {
  std::string out = "feedgov.audit.v1\n";
  AppendField(out, "seq", absl::StrCat(seq));
  AppendField(out, "time_unix_micros",
              absl::StrCat(absl::ToUnixMicros(event.time)));
  AppendField(out, "actor", event.actor);
  AppendField(out, "action", AuditActionName(event.action));
  AppendField(out, "intervention_id", event.intervention_id);
  AppendField(out, "before", event.before);
  AppendField(out, "after", event.after);
  AppendField(out, "message", event.message);
  return out;
}

std::string ComputeAuditHash(absl::string_view prev_hash, int64_t seq,
                             const AuditEvent& event) {
  return Sha256Hex(
      absl::StrCat(prev_hash, "\n", CanonicalAuditFields(seq, event)));
}

AuditEntry ChainAuditEntry(const AuditEntry* previous, AuditEvent event) {
  AuditEntry entry;
  entry.seq = previous == nullptr ? 1 : previous->seq + 1;
  entry.prev_hash =
      previous == nullptr ? std::string(kAuditGenesisHash) : previous->hash;
  event.time = TruncateToMicros(event.time);
  entry.event = std::move(event);
  entry.hash = ComputeAuditHash(entry.prev_hash, entry.seq, entry.event);
  return entry;
}

absl::Status VerifyAuditChain(absl::Span<const AuditEntry> entries) {
  std::string expected_prev(kAuditGenesisHash);
  int64_t expected_seq = 1;
  for (const AuditEntry& e : entries) {
    if (e.seq != expected_seq) {
      return absl::DataLossError(absl::StrCat(
          "audit entry ", e.seq, ": seq gap, expected ", expected_seq,
          " (entry ", expected_seq, " deleted or reordered)"));
    }
    if (e.prev_hash != expected_prev) {
      return absl::DataLossError(absl::StrCat(
          "audit entry ", e.seq,
          ": prev_hash mismatch (entries deleted or reordered before it)"));
    }
    if (e.hash != ComputeAuditHash(e.prev_hash, e.seq, e.event)) {
      return absl::DataLossError(absl::StrCat(
          "audit entry ", e.seq, ": hash mismatch (entry edited)"));
    }
    expected_prev = e.hash;
    ++expected_seq;
  }
  return absl::OkStatus();
}

}  // namespace feedgov
