// File: engine/store/audit_log.h
//
// The intervention audit log: an append-only, SHA-256 hash-chained list of
// who did what to which intervention, when and why (Governance Provisions
// Art. 12; Algorithmic Recommendation Provisions Art. 11 and 14).
//
// Chain: entry k (seq k, 1-based, contiguous) stores
//   prev_hash = hash of entry k-1 (kAuditGenesisHash for entry 1)
//   hash      = Sha256Hex(prev_hash + "\n" + CanonicalAuditFields(entry))
// CanonicalAuditFields() length-prefixes every field, so no two different
// entries serialize to the same bytes. Editing an entry breaks its hash;
// deleting or reordering entries breaks seq contiguity or prev_hash.
// Limitation: truncating the tail, or rewriting the whole chain after an
// edit, is only detectable against an externally kept head (AuditHead).
#ifndef FEEDGOV_ENGINE_STORE_AUDIT_LOG_H_
#define FEEDGOV_ENGINE_STORE_AUDIT_LOG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace feedgov {

// kBlocked / kUnblocked (actor "system"): a pin stopped being placed (a
// label changed, the item was suppressed or deleted, the policy changed;
// message = why) or was placed again; recorded once per change (schema
// migration 004).
enum class AuditAction {
  kCreate,
  kReplace,
  kRevoke,
  kExpire,
  kRefused,
  kBlocked,
  kUnblocked
};

// "CREATE", "REPLACE", "REVOKE", "EXPIRE", "REFUSED", "BLOCKED",
// "UNBLOCKED" (stored in the DB).
absl::string_view AuditActionName(AuditAction action);
// Inverse of AuditActionName; INVALID_ARGUMENT for other text.
absl::StatusOr<AuditAction> ParseAuditAction(absl::string_view name);

// What a caller supplies; the store assigns seq and the hashes.
struct AuditEvent {
  absl::Time time;              // UTC instant; stored at microsecond precision.
  std::string actor;            // Editor account, or "system" for EXPIRE.
  AuditAction action = AuditAction::kCreate;
  std::string intervention_id;  // Empty for a refused create.
  std::string before;           // Serialized intervention before; may be empty.
  std::string after;            // Serialized intervention after; may be empty.
  std::string message;          // Editor's reason, or the refusal message.
};

struct AuditEntry {
  int64_t seq = 0;              // 1-based, contiguous.
  AuditEvent event;
  std::string prev_hash;        // 64 lower-case hex chars.
  std::string hash;             // 64 lower-case hex chars.

  friend bool operator==(const AuditEntry& a, const AuditEntry& b) {
    return a.seq == b.seq && a.event.time == b.event.time &&
           a.event.actor == b.event.actor && a.event.action == b.event.action &&
           a.event.intervention_id == b.event.intervention_id &&
           a.event.before == b.event.before && a.event.after == b.event.after &&
           a.event.message == b.event.message && a.prev_hash == b.prev_hash &&
           a.hash == b.hash;
  }
};

// prev_hash of the first entry: 64 '0' characters.
inline constexpr absl::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Truncates to whole microseconds, the precision stored and hashed.
absl::Time TruncateToMicros(absl::Time t);

// Canonical bytes of seq + event (not the hashes), as hashed.
std::string CanonicalAuditFields(int64_t seq, const AuditEvent& event);

// hash of an entry with the given fields.
std::string ComputeAuditHash(absl::string_view prev_hash, int64_t seq,
                             const AuditEvent& event);

// Builds the entry that follows `previous` (nullptr: the first entry).
// `event.time` is truncated to microseconds.
AuditEntry ChainAuditEntry(const AuditEntry* previous, AuditEvent event);

// Checks `entries` (in stored order) form an intact chain from seq 1.
// OK, or DATA_LOSS naming the first bad entry, e.g.
//   "audit entry 7: hash mismatch (entry edited)"
//   "audit entry 6: seq gap, expected 5 (entry 5 deleted or reordered)"
//   "audit entry 4: prev_hash mismatch (entries deleted or reordered before it)"
absl::Status VerifyAuditChain(absl::Span<const AuditEntry> entries);

// Head of the chain for external anchoring; nullopt when empty.
struct AuditHead {
  int64_t seq = 0;
  std::string hash;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_STORE_AUDIT_LOG_H_
