// File: engine/pipeline/state_dir.h
//
// The durable state next to a snapshot: <state_dir>/feedgov.db (SQLite, WAL,
// durable commits) holding interventions and their audit log, and the users'
// own controls (user_settings(), schema migration 002). Opening it
// wires the intervention manager into a FeedEngine so that every committed
// intervention is visible to the next Rank() in this process, and installs
// the write gate that refuses what governance forbids:
//
//   * an item that is not in the catalog (NOT_FOUND "pin of unknown item 7");
//   * a surface the policy pack does not declare (INVALID_ARGUMENT);
//   * a pin of an item the policy drops on that surface (illegal anywhere),
//     or of an item kept out of key slots at a key-slot position
//     (FAILED_PRECONDITION, naming the label that fired). A pin never
//     bypasses governance.
//
// It also holds the catalog journal: catalog and label writes made through
// the engine after the snapshot was loaded (UpsertItems, DeleteItems,
// UpdateLabels) are appended durably before they apply, and replayed on top
// of the snapshot when the state directory is opened again.
//
// Thread-safety: the returned object is safe for concurrent use (the manager
// serializes writes; reads are snapshots). It must outlive the engine's use
// of it; destroy it after the engine stops serving.
#ifndef FEEDGOV_ENGINE_PIPELINE_STATE_DIR_H_
#define FEEDGOV_ENGINE_PIPELINE_STATE_DIR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/common/clock.h"
#include "engine/intervention/intervention_manager.h"
#include "engine/pipeline/feed_engine.h"
#include "engine/store/catalog_journal.h"
#include "engine/store/sqlite_db.h"
#include "engine/store/sqlite_intervention_store.h"
#include "engine/store/user_settings_store.h"

namespace feedgov {

class StateDir {
 public:
  // Opens (creating if needed) the state directory and attaches it to
  // `engine` (which must outlive this object): replays the catalog journal
  // into the engine (DATA_LOSS naming the entry if one cannot be applied),
  // installs the journal as the engine's commit hook and the intervention
  // manager as its intervention source. With a null `engine` the
  // state can be listed, verified and revoked from, but every create or
  // replace is refused (FAILED_PRECONDITION): nothing is written that was
  // not checked against governance. Errors from SQLite, the
  // migrations (a newer schema is FAILED_PRECONDITION) or the stored rows.
  static absl::StatusOr<std::unique_ptr<StateDir>> Open(
      const std::string& state_dir, FeedEngine* engine, const Clock* clock);

  // Detaches the commit hook and intervention source from the engine.
  ~StateDir();

  InterventionManager& interventions() { return *interventions_; }
  InterventionStore& intervention_store() { return *store_; }
  // Per-user controls (User controls issue), same database file.
  UserSettingsStore& user_settings() { return *user_settings_; }
  // Number of catalog journal entries replayed at Open.
  int64_t replayed_journal_entries() const { return replayed_; }

 private:
  StateDir() = default;

  FeedEngine* engine_ = nullptr;  // Not owned; may be null.
  std::shared_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteInterventionStore> store_;
  std::unique_ptr<SqliteUserSettingsStore> user_settings_;
  std::unique_ptr<CatalogJournal> journal_;
  std::unique_ptr<InterventionManager> interventions_;
  int64_t replayed_ = 0;
};

// The gate described above, evaluated against the engine's current catalog,
// labels and policy pack (general audience).
WriteGate MakeInterventionGate(const FeedEngine* engine);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_PIPELINE_STATE_DIR_H_
