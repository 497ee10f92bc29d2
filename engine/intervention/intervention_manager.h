// File: engine/intervention/intervention_manager.h
//
// InterventionManager: the write path for editor interventions and the
// source of the immutable InterventionSnapshot that ranking reads.
//
// Every write (Create, Replace, Revoke) is, before the method returns:
//   1. checked: fields (ValidateIntervention), window not already over,
//      pin conflicts, then the injected WriteGate;
//   2. committed durably to the InterventionStore together with its audit
//      entry (CREATE / REPLACE / REVOKE, actor = editor, message = reason);
//   3. published as a new snapshot, so the next snapshot() call in this
//      process sees it.
// Refusals by the conflict rule or by the gate are returned to the caller
// AND appended to the audit log as REFUSED (message = refusal message,
// after = the refused request). Malformed requests (INVALID_ARGUMENT) and
// requests naming unknown / revoked interventions write nothing.
//
// Pin conflict rule: a pin is refused (FAILED_PRECONDITION naming the
// existing pin id and telling the editor to use replace) when an unrevoked
// pin exists with
//   - the same position, or the same item at another position,
//   - an overlapping surface (equal, or either one is "" = all surfaces),
//   - an overlapping window, counted from now on ([max(start, now), end)).
// Replace(old_id, ...) ignores old_id when checking, and supersedes it.
//
// Expiry: windows are evaluated at request time (InterventionSnapshot); no
// background job. An EXPIRE audit entry (actor "system") is additionally
// recorded, once, for every unrevoked intervention whose end has passed:
// lazily at Open(), at the start of every write, and by RecordExpirations().
//
// Single writer process per database: the conflict check runs against this
// process's state under its mutex. (Two processes writing one file are
// serialized by SQLite but could each admit one of two conflicting pins.)
//
// Thread safety: thread-safe. Writes are serialized by a mutex; snapshot()
// is lock-free (atomic shared_ptr) and may be called from any thread.
#ifndef FEEDGOV_ENGINE_INTERVENTION_INTERVENTION_MANAGER_H_
#define FEEDGOV_ENGINE_INTERVENTION_INTERVENTION_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "engine/common/clock.h"
#include "engine/intervention/intervention.h"
#include "engine/intervention/intervention_snapshot.h"
#include "engine/store/intervention_store.h"

namespace feedgov {

// Decides whether a well-formed, conflict-free intervention may be written
// (e.g. the pipeline refuses pins of unknown items, to unknown surfaces, or
// of items governance forbids in that slot). Return OK to allow; any error
// is returned to the caller unchanged (choose the code: NOT_FOUND for
// unknown items/surfaces, FAILED_PRECONDITION / PERMISSION_DENIED for policy)
// and its message is audited as REFUSED. `request` has `created` set and
// `id` empty; `current` holds every unrevoked, unended intervention except
// the one a Replace supersedes (so the gate can see suppressions). Called
// with the manager's write mutex held: it must not call back into the
// manager. Must be thread-compatible with itself.
using WriteGate = std::function<absl::Status(
    const Intervention& request, const InterventionSnapshot& current)>;

// Why a pin in force at `now` is not placed (on any surface it covers) at
// `now`, or "" when it is (engine/intervention/write_gate.h builds the
// production one from the gate's rules, with the suppressions in force at
// `now`). Same calling rules as WriteGate.
using PinCheck = std::function<std::string(
    const Intervention& pin, const InterventionSnapshot& current, absl::Time now)>;

// Where an intervention stands now (ListWithState).
enum class InterventionState {
  kActive,     // In force.
  kScheduled,  // Its window has not started.
  kBlocked,    // A pin in its window that governance no longer places.
  kEnded,      // Its window is over.
  kRevoked,    // Revoked or replaced.
};
// "ACTIVE", "SCHEDULED", "BLOCKED", "ENDED", "REVOKED".
absl::string_view InterventionStateName(InterventionState state);

struct InterventionWithState {
  Intervention intervention;
  InterventionState state = InterventionState::kActive;
  std::string why;  // kBlocked: the reason recorded in the audit log.
};

// A gate that allows everything (tests, dry runs).
WriteGate AllowAllGate();

// Actor recorded on EXPIRE entries.
inline constexpr absl::string_view kSystemActor = "system";

class InterventionManager {
 public:
  // Loads every stored intervention (restart recovers everything), records
  // pending expirations, and publishes the first snapshot. `store` and
  // `clock` must outlive the manager. Errors: INVALID_ARGUMENT (null gate),
  // DATA_LOSS (unreadable stored rows), or the store's error.
  // With PendingExpiries::kLeave nothing is written at Open (a reader beside
  // the state directory's owner leaves the EXPIRE entries to the owner).
  enum class PendingExpiries { kRecord, kLeave };
  static absl::StatusOr<std::unique_ptr<InterventionManager>> Open(
      InterventionStore& store, const Clock& clock, WriteGate gate,
      PendingExpiries at_open = PendingExpiries::kRecord);

  // Creates `request` (its id, created and revoked are overwritten: the id
  // is assigned as "iv-NNNNNN", created = clock now). Returns the stored
  // intervention. Errors: INVALID_ARGUMENT (field, or window already over),
  // FAILED_PRECONDITION (pin conflict; audited), the gate's error (audited),
  // the store's error.
  absl::StatusOr<Intervention> Create(Intervention request)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Atomically revokes `old_id` and creates `request` in its place; audited
  // as REPLACE with before = old, after = new. `request.editor` is the
  // actor. Errors as Create, plus NOT_FOUND (old_id unknown) and
  // FAILED_PRECONDITION (old_id revoked or already ended).
  absl::StatusOr<Intervention> Replace(const std::string& old_id,
                                       Intervention request)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Revokes `id` (it stops applying immediately). Errors: INVALID_ARGUMENT
  // (empty editor/reason), NOT_FOUND, FAILED_PRECONDITION (already revoked).
  absl::Status Revoke(const std::string& id, const std::string& editor,
                      const std::string& reason) ABSL_LOCKS_EXCLUDED(mu_);

  // Records EXPIRE entries for interventions whose end <= now and that have
  // none yet. Returns how many were recorded.
  absl::StatusOr<int> RecordExpirations() ABSL_LOCKS_EXCLUDED(mu_);

  // Ordered by id. include_inactive = false: unrevoked interventions whose
  // window has not ended (in force now, or scheduled). true: everything ever
  // stored, revoked and ended ones included.
  std::vector<Intervention> List(bool include_inactive) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // As List, with each one's state now and, for a blocked pin, why.
  std::vector<InterventionWithState> ListWithState(bool include_inactive) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Installs the check that decides whether a pin is still placed, and
  // records the pins' states now (RecordPinStates). Without one, pins are
  // never BLOCKED.
  absl::Status SetPinCheck(PinCheck check) ABSL_LOCKS_EXCLUDED(mu_);

  // Re-evaluates every pin in force now with the pin check and appends,
  // once per change of state, BLOCKED (message = why) when a pin stopped
  // being placed and UNBLOCKED when it is placed again (actor "system"); a
  // new reason while blocked is not a change. Runs after every write of
  // this manager; callers run it after whatever else can change a pin's
  // fate (label and catalog writes, a policy reload) and periodically, for
  // suppression windows that start or end (the server: every few seconds).
  // Returns how many entries were recorded; the store's error.
  absl::StatusOr<int> RecordPinStates() ABSL_LOCKS_EXCLUDED(mu_);

  // Current immutable snapshot; never null. Lock-free.
  std::shared_ptr<const InterventionSnapshot> snapshot() const {
    return snapshot_.load(std::memory_order_acquire);
  }

  // Compliance check: the audit hash chain is intact (VerifyAuditChain) AND
  // every stored intervention has a CREATE or REPLACE entry whose `after`
  // equals the stored row (catches rows inserted behind the manager's
  // back). OK or DATA_LOSS naming the first problem.
  absl::Status VerifyAudit() const;

 private:
  struct Entry {
    Intervention intervention;
    bool expiry_recorded = false;
    // Why the pin is blocked, as last recorded in the audit log; "" when
    // it is placed (or never was blocked).
    std::string blocked_why;
  };

  InterventionManager(InterventionStore& store, const Clock& clock,
                      WriteGate gate)
      : store_(store), clock_(clock), gate_(std::move(gate)) {}

  absl::Status LoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int> RecordPinStatesLocked(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unrevoked, unended interventions but `except_id`.
  InterventionSnapshot CurrentLocked(absl::Time now,
                                     absl::string_view except_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int> RecordExpirationsLocked(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckRequest(const Intervention& request, absl::Time now) const;
  absl::Status CheckConflicts(const Intervention& request,
                              absl::string_view replacing_id,
                              absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Conflict check then gate; a refusal is audited and returned.
  absl::Status AdmitOrRefuse(const Intervention& request,
                             absl::string_view replacing_id, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NextIdLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  InterventionStore& store_;
  const Clock& clock_;
  const WriteGate gate_;

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  PinCheck pin_check_ ABSL_GUARDED_BY(mu_);
  int64_t next_number_ ABSL_GUARDED_BY(mu_) = 1;

  // Written under mu_, read lock-free.
  std::atomic<std::shared_ptr<const InterventionSnapshot>> snapshot_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INTERVENTION_INTERVENTION_MANAGER_H_
