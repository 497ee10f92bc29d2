// File: engine/runtime/state_dir.h
//
// The durable state next to a snapshot: <state_dir>/feedgov.db (SQLite, WAL,
// durable commits) holding interventions and their audit log, and the users'
// own controls (user_settings(), schema migration 002). Opening it
// attaches both to a FeedEngine:
//
//   * the intervention manager becomes the engine's intervention source, so
//     every committed intervention is visible to the next Rank() in this
//     process, behind the write gate that refuses what governance forbids
//     (engine/intervention/write_gate.h);
//   * the users' stored settings, behind an in-memory cache
//     (engine/store/user_settings_cache.h), become the engine's user
//     settings source, so every Rank for a named user applies them, and
//     user_settings() writes through the same cache.
//
// It also holds the catalog journal: catalog and label writes made through
// the engine after the snapshot was loaded (UpsertItems, DeleteItems,
// UpdateLabels) are appended durably before they apply, and replayed on top
// of the snapshot when the state directory is opened again.
//
// One owner per state directory (engine/runtime/state_dir_lock.h): opening
// for writing takes <state_dir>/LOCK exclusively for the object's lifetime,
// so a second writer (a second server, an offline `feedgov boost` beside a
// running server) is refused naming the owner instead of writing rows the
// owner does not know about. Opening for reading beside a live owner opens
// SQLite read-only: a consistent view of everything committed, nothing
// written.
//
// Thread-safety: the returned object is safe for concurrent use (the manager
// serializes writes; reads are snapshots). It must outlive the engine's use
// of it; destroy it after the engine stops serving.
#ifndef FEEDGOV_ENGINE_RUNTIME_STATE_DIR_H_
#define FEEDGOV_ENGINE_RUNTIME_STATE_DIR_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "engine/common/clock.h"
#include "engine/intervention/intervention_manager.h"
#include "engine/rank/feed_engine.h"
#include "engine/runtime/state_dir_lock.h"
#include "engine/store/catalog_journal.h"
#include "engine/store/sqlite_db.h"
#include "engine/store/sqlite_intervention_store.h"
#include "engine/store/user_settings_cache.h"
#include "engine/store/user_settings_store.h"

namespace feedgov {

enum class StateDirAccess {
  // The owner: takes the state directory's lock (FAILED_PRECONDITION
  // "state dir D is owned by a running server (pid ..., listening on ...,
  // since ...)" while another process or StateDir holds it), migrates the
  // schema, records pending expirations, writes.
  kWrite,
  // A reader (rank --state-dir, audit verify/list, interventions list, user
  // show/tags/why/about). When nobody owns the directory it is opened as by
  // kWrite (and holds the lock while open, so no server starts underneath).
  // When a live owner holds the lock, SQLite is opened read-only instead:
  // the reader sees everything the owner has committed and writes nothing
  // (pending EXPIRE entries are left to the owner; creates are refused,
  // FAILED_PRECONDITION). NOT_FOUND if the owner has not created the
  // database yet.
  kRead,
};

struct StateDirOptions {
  StateDirAccess access = StateDirAccess::kWrite;
  // Who opens it, recorded in the LOCK file and named to refused writers:
  // "serve", "boost", "user set", ...
  std::string command = "library";
};

class StateDir {
 public:
  // Opens (creating if needed) the state directory and attaches it to
  // `engine` (which must outlive this object): replays the catalog journal
  // into the engine (DATA_LOSS naming the entry if one cannot be applied),
  // installs the journal as the engine's commit hook, the intervention
  // manager as its intervention source and the cached user settings as its
  // user settings source. With a null `engine` the
  // state can be listed, verified and revoked from, but every create or
  // replace is refused (FAILED_PRECONDITION): nothing is written that was
  // not checked against governance. Errors from SQLite, the
  // migrations (a newer schema is FAILED_PRECONDITION) or the stored rows.
  static absl::StatusOr<std::unique_ptr<StateDir>> Open(
      const std::string& state_dir, FeedEngine* engine, const Clock* clock,
      const StateDirOptions& options = {});

  // Detaches the commit hook and the intervention and settings sources
  // from the engine.
  ~StateDir();

  InterventionManager& interventions() { return *interventions_; }
  InterventionStore& intervention_store() { return *store_; }
  // Per-user controls (User controls issue), same database file, through
  // the cache the engine reads: a write is durable and visible to the next
  // Rank when it returns.
  UserSettingsStore& user_settings() { return *settings_cache_; }
  // The lock held while open; null for a reader beside a live owner.
  StateDirLock* lock() { return lock_.get(); }
  // True for a reader beside a live owner (SQLite opened read-only).
  bool read_only() const { return lock_ == nullptr; }
  // Number of catalog journal entries replayed at Open.
  int64_t replayed_journal_entries() const { return replayed_; }

  // Starts a thread that, every `period`, records what changes with time
  // alone: EXPIRE entries for windows that ended and BLOCKED / UNBLOCKED
  // entries for pins whose suppressions started or ended
  // (InterventionManager::RecordExpirations, RecordPinStates); errors are
  // logged to stderr. For a long-running owner (`feedgov serve`). Stopped
  // by the destructor. Call at most once; FAILED_PRECONDITION for a
  // read-only state dir.
  absl::Status StartRecorder(absl::Duration period);

 private:
  StateDir() = default;

  std::unique_ptr<StateDirLock> lock_;  // Released last (declared first).
  FeedEngine* engine_ = nullptr;  // Not owned; may be null.
  std::shared_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteInterventionStore> store_;
  std::unique_ptr<SqliteUserSettingsStore> user_settings_;
  std::shared_ptr<CachedUserSettingsStore> settings_cache_;  // Shared with the engine.
  std::unique_ptr<CatalogJournal> journal_;
  std::unique_ptr<InterventionManager> interventions_;
  int64_t replayed_ = 0;
  absl::Notification stop_recorder_;
  std::thread recorder_;  // Joined by the destructor.
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RUNTIME_STATE_DIR_H_
