#include "engine/store/sqlite_intervention_store.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/store/schema.h"

namespace feedgov {
namespace {

constexpr char kRecordColumns[] =
    "id, kind, item_id, author, surface, position, factor, cosine_threshold, "
    "editor, reason, article_ref, created_unix_micros, start_unix_micros, "
    "end_unix_micros, revoked, expiry_recorded, time_zone";

constexpr char kAuditColumns[] =
    "seq, time_unix_micros, actor, action, intervention_id, before, after, "
    "message, prev_hash, hash";

absl::Status InsertRecord(SqliteDb& db, const InterventionRecord& r) {
  if (r.id.empty()) {
    return absl::InvalidArgumentError("intervention record id is empty");
  }
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement s,
      db.Prepare(absl::StrCat("INSERT INTO interventions (", kRecordColumns,
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                              "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)")));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(1, r.id));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(2, r.kind));
  FEEDGOV_RETURN_IF_ERROR(s.BindInt64(3, r.item_id));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(4, r.author));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(5, r.surface));
  FEEDGOV_RETURN_IF_ERROR(s.BindInt64(6, r.position));
  FEEDGOV_RETURN_IF_ERROR(s.BindDouble(7, r.factor));
  FEEDGOV_RETURN_IF_ERROR(s.BindDouble(8, r.cosine_threshold));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(9, r.editor));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(10, r.reason));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(11, r.article_ref));
  FEEDGOV_RETURN_IF_ERROR(s.BindInt64(12, absl::ToUnixMicros(r.created)));
  FEEDGOV_RETURN_IF_ERROR(s.BindInt64(13, absl::ToUnixMicros(r.start)));
  FEEDGOV_RETURN_IF_ERROR(r.end == absl::InfiniteFuture()
                              ? s.BindNull(14)
                              : s.BindInt64(14, absl::ToUnixMicros(r.end)));
  FEEDGOV_RETURN_IF_ERROR(s.BindInt64(15, r.revoked ? 1 : 0));
  FEEDGOV_RETURN_IF_ERROR(s.BindInt64(16, r.expiry_recorded ? 1 : 0));
  FEEDGOV_RETURN_IF_ERROR(s.BindText(17, r.time_zone));
  return Annotate(s.Run(), absl::StrCat("insert intervention ", r.id));
}

InterventionRecord ReadRecord(const SqliteStatement& s) {
  InterventionRecord r;
  r.id = s.ColumnText(0);
  r.kind = s.ColumnText(1);
  r.item_id = s.ColumnInt64(2);
  r.author = s.ColumnText(3);
  r.surface = s.ColumnText(4);
  r.position = static_cast<int32_t>(s.ColumnInt64(5));
  r.factor = s.ColumnDouble(6);
  r.cosine_threshold = s.ColumnDouble(7);
  r.editor = s.ColumnText(8);
  r.reason = s.ColumnText(9);
  r.article_ref = s.ColumnText(10);
  r.created = absl::FromUnixMicros(s.ColumnInt64(11));
  r.start = absl::FromUnixMicros(s.ColumnInt64(12));
  r.end = s.ColumnIsNull(13) ? absl::InfiniteFuture()
                             : absl::FromUnixMicros(s.ColumnInt64(13));
  r.revoked = s.ColumnInt64(14) != 0;
  r.expiry_recorded = s.ColumnInt64(15) != 0;
  r.time_zone = s.ColumnText(16);
  return r;
}

absl::StatusOr<AuditEntry> ReadAuditEntry(const SqliteStatement& s) {
  AuditEntry e;
  e.seq = s.ColumnInt64(0);
  e.event.time = absl::FromUnixMicros(s.ColumnInt64(1));
  e.event.actor = s.ColumnText(2);
  absl::StatusOr<AuditAction> action = ParseAuditAction(s.ColumnText(3));
  if (!action.ok()) {
    return absl::DataLossError(absl::StrCat("audit entry ", e.seq, ": ",
                                            action.status().message()));
  }
  e.event.action = *action;
  e.event.intervention_id = s.ColumnText(4);
  e.event.before = s.ColumnText(5);
  e.event.after = s.ColumnText(6);
  e.event.message = s.ColumnText(7);
  e.prev_hash = s.ColumnText(8);
  e.hash = s.ColumnText(9);
  return e;
}

// Appends `event` after the current last entry. REQUIRES: in a write txn.
absl::StatusOr<AuditEntry> AppendInTxn(SqliteDb& db, const AuditEvent& event) {
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement last,
      db.Prepare(absl::StrCat("SELECT ", kAuditColumns,
                              " FROM audit_log ORDER BY seq DESC LIMIT 1")));
  FEEDGOV_ASSIGN_OR_RETURN(bool has_last, last.Step());
  std::optional<AuditEntry> previous;
  if (has_last) {
    FEEDGOV_ASSIGN_OR_RETURN(previous, ReadAuditEntry(last));
  }
  AuditEntry entry =
      ChainAuditEntry(previous ? &*previous : nullptr, event);
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement ins,
      db.Prepare(absl::StrCat("INSERT INTO audit_log (", kAuditColumns,
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                              "?10)")));
  FEEDGOV_RETURN_IF_ERROR(ins.BindInt64(1, entry.seq));
  FEEDGOV_RETURN_IF_ERROR(
      ins.BindInt64(2, absl::ToUnixMicros(entry.event.time)));
  FEEDGOV_RETURN_IF_ERROR(ins.BindText(3, entry.event.actor));
  FEEDGOV_RETURN_IF_ERROR(ins.BindText(4, AuditActionName(entry.event.action)));
  FEEDGOV_RETURN_IF_ERROR(ins.BindText(5, entry.event.intervention_id));
  FEEDGOV_RETURN_IF_ERROR(ins.BindText(6, entry.event.before));
  FEEDGOV_RETURN_IF_ERROR(ins.BindText(7, entry.event.after));
  FEEDGOV_RETURN_IF_ERROR(ins.BindText(8, entry.event.message));
  FEEDGOV_RETURN_IF_ERROR(ins.BindText(9, entry.prev_hash));
  FEEDGOV_RETURN_IF_ERROR(ins.BindText(10, entry.hash));
  FEEDGOV_RETURN_IF_ERROR(Annotate(ins.Run(), "append audit entry"));
  return entry;
}

// Sets `column` = 1 on row `id` where it is 0, distinguishing "no such row"
// from "already set". REQUIRES: in a write transaction.
absl::Status SetFlag(SqliteDb& db, absl::string_view id,
                     absl::string_view column, absl::string_view already) {
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement sel,
      db.Prepare(absl::StrCat("SELECT ", column,
                              " FROM interventions WHERE id = ?1")));
  FEEDGOV_RETURN_IF_ERROR(sel.BindText(1, id));
  FEEDGOV_ASSIGN_OR_RETURN(bool found, sel.Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("intervention ", id, " not found"));
  }
  if (sel.ColumnInt64(0) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("intervention ", id, " ", already));
  }
  FEEDGOV_ASSIGN_OR_RETURN(
      SqliteStatement upd,
      db.Prepare(absl::StrCat("UPDATE interventions SET ", column,
                              " = 1 WHERE id = ?1")));
  FEEDGOV_RETURN_IF_ERROR(upd.BindText(1, id));
  return upd.Run();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteInterventionStore>>
SqliteInterventionStore::Open(std::shared_ptr<SqliteDb> db) {
  if (db == nullptr) {
    return absl::InvalidArgumentError("SqliteInterventionStore: null db");
  }
  int version = 0;
  FEEDGOV_RETURN_IF_ERROR(db->ReadTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(version, ReadSchemaVersion(*db));
    return absl::OkStatus();
  }));
  if (version < 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        db->path(), " has no intervention tables (schema version ", version,
        "); open it with OpenFeedgovDb()"));
  }
  return std::unique_ptr<SqliteInterventionStore>(
      new SqliteInterventionStore(std::move(db)));
}

absl::StatusOr<AuditEntry> SqliteInterventionStore::Create(
    const InterventionRecord& record, const AuditEvent& audit) {
  AuditEntry out;
  FEEDGOV_RETURN_IF_ERROR(db_->WriteTransaction([&]() -> absl::Status {
    FEEDGOV_RETURN_IF_ERROR(InsertRecord(*db_, record));
    FEEDGOV_ASSIGN_OR_RETURN(out, AppendInTxn(*db_, audit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<AuditEntry> SqliteInterventionStore::Replace(
    absl::string_view old_id, const InterventionRecord& replacement,
    const AuditEvent& audit) {
  AuditEntry out;
  FEEDGOV_RETURN_IF_ERROR(db_->WriteTransaction([&]() -> absl::Status {
    FEEDGOV_RETURN_IF_ERROR(SetFlag(*db_, old_id, "revoked", "is already revoked"));
    FEEDGOV_RETURN_IF_ERROR(InsertRecord(*db_, replacement));
    FEEDGOV_ASSIGN_OR_RETURN(out, AppendInTxn(*db_, audit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<AuditEntry> SqliteInterventionStore::Revoke(
    absl::string_view id, const AuditEvent& audit) {
  AuditEntry out;
  FEEDGOV_RETURN_IF_ERROR(db_->WriteTransaction([&]() -> absl::Status {
    FEEDGOV_RETURN_IF_ERROR(SetFlag(*db_, id, "revoked", "is already revoked"));
    FEEDGOV_ASSIGN_OR_RETURN(out, AppendInTxn(*db_, audit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<AuditEntry>>
SqliteInterventionStore::RecordExpirations(absl::Span<const std::string> ids,
                                           absl::Span<const AuditEvent> audits) {
  if (ids.size() != audits.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RecordExpirations: ", ids.size(), " ids but ", audits.size(),
        " audit events"));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (ids[j] == ids[i]) {
        return absl::InvalidArgumentError(
            absl::StrCat("RecordExpirations: duplicate id ", ids[i]));
      }
    }
  }
  std::vector<AuditEntry> out;
  FEEDGOV_RETURN_IF_ERROR(db_->WriteTransaction([&]() -> absl::Status {
    out.clear();
    for (size_t i = 0; i < ids.size(); ++i) {
      FEEDGOV_RETURN_IF_ERROR(SetFlag(*db_, ids[i], "expiry_recorded",
                                      "already has its expiry recorded"));
      FEEDGOV_ASSIGN_OR_RETURN(AuditEntry e, AppendInTxn(*db_, audits[i]));
      out.push_back(std::move(e));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<AuditEntry> SqliteInterventionStore::AppendAudit(
    const AuditEvent& audit) {
  AuditEntry out;
  FEEDGOV_RETURN_IF_ERROR(db_->WriteTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(out, AppendInTxn(*db_, audit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<InterventionRecord>>
SqliteInterventionStore::LoadAll() const {
  std::vector<InterventionRecord> out;
  FEEDGOV_RETURN_IF_ERROR(db_->ReadTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(
        SqliteStatement s,
        db_->Prepare(absl::StrCat("SELECT ", kRecordColumns,
                                  " FROM interventions ORDER BY id")));
    while (true) {
      FEEDGOV_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadRecord(s));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<AuditEntry>> SqliteInterventionStore::ListAudit()
    const {
  std::vector<AuditEntry> out;
  FEEDGOV_RETURN_IF_ERROR(db_->ReadTransaction([&]() -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(
        SqliteStatement s,
        db_->Prepare(absl::StrCat("SELECT ", kAuditColumns,
                                  " FROM audit_log ORDER BY seq")));
    while (true) {
      FEEDGOV_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      FEEDGOV_ASSIGN_OR_RETURN(AuditEntry e, ReadAuditEntry(s));
      out.push_back(std::move(e));
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace feedgov
