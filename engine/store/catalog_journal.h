// File: engine/store/catalog_journal.h
//
// CatalogJournal: the append-only, durable record of catalog and label
// writes accepted after a snapshot was loaded (API UpsertItems, DeleteItems,
// SetLabels). A write is appended (and committed with synchronous=FULL)
// before it is acknowledged; at start-up the entries are replayed in seq
// order on top of the snapshot, so nothing acknowledged is lost across a
// restart. The payload is an opaque serialized message (the pipeline writes
// feedgov.v1.CatalogJournalEntry). The table rejects UPDATE and DELETE.
//
// Thread-safety: thread-safe (SqliteDb serializes transactions).
#ifndef FEEDGOV_ENGINE_STORE_CATALOG_JOURNAL_H_
#define FEEDGOV_ENGINE_STORE_CATALOG_JOURNAL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/store/sqlite_db.h"

namespace feedgov {

struct JournalEntry {
  int64_t seq = 0;
  absl::Time time;
  std::string actor;
  std::string kind;     // "UPSERT_ITEMS", "DELETE_ITEMS" or "SET_LABELS".
  std::string payload;  // Serialized bytes.
};

class CatalogJournal {
 public:
  // `db` must be migrated to version >= 3 (OpenFeedgovDb does that);
  // FAILED_PRECONDITION otherwise.
  static absl::StatusOr<std::unique_ptr<CatalogJournal>> Open(
      std::shared_ptr<SqliteDb> db);

  // Appends durably; returns the new seq. INVALID_ARGUMENT for an unknown
  // kind or empty actor; the store's error otherwise (nothing written).
  absl::StatusOr<int64_t> Append(absl::Time time, const std::string& actor,
                                 const std::string& kind,
                                 const std::string& payload);

  // Every entry, in seq order.
  absl::StatusOr<std::vector<JournalEntry>> LoadAll() const;

 private:
  explicit CatalogJournal(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}
  std::shared_ptr<SqliteDb> db_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_STORE_CATALOG_JOURNAL_H_
