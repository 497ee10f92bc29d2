#include "engine/store/catalog_journal.h"

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/store/schema.h"

namespace feedgov {

absl::StatusOr<std::unique_ptr<CatalogJournal>> CatalogJournal::Open(
    std::shared_ptr<SqliteDb> db) {
  int version = 0;
  FEEDGOV_RETURN_IF_ERROR(db->ReadTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(version, ReadSchemaVersion(*db));
    return absl::OkStatus();
  }));
  if (version < 3) {
    return absl::FailedPreconditionError(absl::StrCat(
        db->path(), ": schema version ", version,
        " has no catalog journal (need >= 3; open with OpenFeedgovDb)"));
  }
  return std::unique_ptr<CatalogJournal>(new CatalogJournal(std::move(db)));
}

absl::StatusOr<int64_t> CatalogJournal::Append(absl::Time time,
                                               const std::string& actor,
                                               const std::string& kind,
                                               const std::string& payload) {
  if (kind != "UPSERT_ITEMS" && kind != "DELETE_ITEMS" && kind != "SET_LABELS") {
    return absl::InvalidArgumentError(
        absl::StrCat("catalog journal: unknown kind '", kind, "'"));
  }
  if (actor.empty()) {
    return absl::InvalidArgumentError("catalog journal: empty actor");
  }
  int64_t seq = 0;
  FEEDGOV_RETURN_IF_ERROR(db_->WriteTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(
        SqliteStatement st,
        db_->Prepare("INSERT INTO catalog_journal (time_us, actor, kind, "
                     "payload) VALUES (?, ?, ?, ?)"));
    FEEDGOV_RETURN_IF_ERROR(st.BindInt64(1, absl::ToUnixMicros(time)));
    FEEDGOV_RETURN_IF_ERROR(st.BindText(2, actor));
    FEEDGOV_RETURN_IF_ERROR(st.BindText(3, kind));
    FEEDGOV_RETURN_IF_ERROR(st.BindBlob(4, payload));
    FEEDGOV_RETURN_IF_ERROR(st.Run());
    FEEDGOV_ASSIGN_OR_RETURN(SqliteStatement last,
                             db_->Prepare("SELECT max(seq) FROM catalog_journal"));
    FEEDGOV_ASSIGN_OR_RETURN(bool row, last.Step());
    if (row) seq = last.ColumnInt64(0);
    return absl::OkStatus();
  }));
  return seq;
}

absl::StatusOr<std::vector<JournalEntry>> CatalogJournal::LoadAll() const {
  std::vector<JournalEntry> out;
  FEEDGOV_RETURN_IF_ERROR(db_->ReadTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(
        SqliteStatement st,
        db_->Prepare("SELECT seq, time_us, actor, kind, payload FROM "
                     "catalog_journal ORDER BY seq"));
    while (true) {
      FEEDGOV_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      JournalEntry e;
      e.seq = st.ColumnInt64(0);
      e.time = absl::FromUnixMicros(st.ColumnInt64(1));
      e.actor = st.ColumnText(2);
      e.kind = st.ColumnText(3);
      e.payload = st.ColumnBlob(4);
      out.push_back(std::move(e));
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace feedgov
