#include "engine/runtime/state_dir.h"

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/catalog/proto_convert.h"
#include "engine/common/status_macros.h"
#include "engine/intervention/write_gate.h"
#include "engine/store/schema.h"
#include "feedgov/v1/journal.pb.h"

namespace feedgov {
namespace {

void LabelsToProto(const std::vector<ItemLabelsUpdate>& in,
                   v1::CatalogJournalEntry& out) {
  for (const ItemLabelsUpdate& u : in) {
    v1::JournalLabels* p = out.add_labels();
    p->set_item_id(u.item);
    for (const Label& l : u.labels) *p->add_labels() = LabelToProto(l);
  }
}

absl::StatusOr<std::vector<ItemLabelsUpdate>> LabelsFromProto(
    const v1::CatalogJournalEntry& in) {
  std::vector<ItemLabelsUpdate> out;
  for (const v1::JournalLabels& p : in.labels()) {
    ItemLabelsUpdate u;
    u.item = p.item_id();
    for (const v1::ItemLabel& pl : p.labels()) {
      absl::StatusOr<Label> label = LabelFromProto(pl);
      if (!label.ok()) return absl::DataLossError(label.status().message());
      u.labels.push_back(*std::move(label));
    }
    out.push_back(std::move(u));
  }
  return out;
}

// CatalogWrite -> (kind, serialized CatalogJournalEntry).
std::pair<std::string, std::string> Serialize(const CatalogWrite& w) {
  v1::CatalogJournalEntry e;
  std::string kind;
  switch (w.kind) {
    case CatalogWrite::Kind::kUpsertItems: {
      kind = "UPSERT_ITEMS";
      for (size_t i = 0; i < w.items->size(); ++i) {
        v1::JournalItem* p = e.add_upserted();
        ItemToProto((*w.items)[i], p->mutable_item());
        for (Eigen::Index c = 0; c < w.embeddings->cols(); ++c) {
          p->add_embedding((*w.embeddings)(static_cast<Eigen::Index>(i), c));
        }
      }
      LabelsToProto(*w.labels, e);
      break;
    }
    case CatalogWrite::Kind::kDeleteItems:
      kind = "DELETE_ITEMS";
      for (ItemId id : *w.deleted) e.add_deleted(id);
      break;
    case CatalogWrite::Kind::kSetLabels:
      kind = "SET_LABELS";
      LabelsToProto(*w.labels, e);
      break;
  }
  return {kind, e.SerializeAsString()};
}

absl::Status Replay(const JournalEntry& entry, FeedEngine& engine) {
  v1::CatalogJournalEntry e;
  if (!e.ParseFromString(entry.payload)) {
    return absl::DataLossError("undecodable payload");
  }
  FEEDGOV_ASSIGN_OR_RETURN(auto labels, LabelsFromProto(e));
  if (entry.kind == "SET_LABELS") return engine.UpdateLabels(std::move(labels));
  if (entry.kind == "DELETE_ITEMS") {
    return engine.DeleteItems({e.deleted().begin(), e.deleted().end()});
  }
  std::vector<Item> items;
  RowMatrixXf emb(e.upserted_size(), engine.catalog()->dim());
  for (int i = 0; i < e.upserted_size(); ++i) {
    const v1::JournalItem& p = e.upserted(i);
    if (p.embedding_size() != emb.cols()) {
      return absl::DataLossError(absl::StrCat("item ", p.item().id(), " has ",
                                              p.embedding_size(), " floats, want ",
                                              emb.cols()));
    }
    for (int c = 0; c < p.embedding_size(); ++c) emb(i, c) = p.embedding(c);
    items.push_back(ItemFromProto(p.item()));
  }
  return engine.UpsertItems(std::move(items), emb, std::move(labels));
}

}  // namespace

absl::Status StateDir::StartRecorder(absl::Duration period) {
  if (read_only() || recorder_.joinable()) {
    return absl::FailedPreconditionError(
        "StartRecorder: needs a writable state dir and runs once");
  }
  InterventionManager* manager = interventions_.get();
  recorder_ = std::thread([this, manager, period] {
    while (!stop_recorder_.WaitForNotificationWithTimeout(period)) {
      for (absl::Status s : {manager->RecordExpirations().status(),
                             manager->RecordPinStates().status()}) {
        if (!s.ok()) {
          std::cerr << "feedgov: recording interventions' state changes in the "
                       "audit log failed: "
                    << s << std::endl;
        }
      }
    }
  });
  return absl::OkStatus();
}

StateDir::~StateDir() {
  if (recorder_.joinable()) {
    stop_recorder_.Notify();
    recorder_.join();
  }
  if (engine_ != nullptr) {
    engine_->SetCommitHook({});
    engine_->SetAfterWriteHook({});
    engine_->SetInterventionSource({});
    engine_->SetUserSettingsSource(nullptr);
  }
}

absl::StatusOr<std::unique_ptr<StateDir>> StateDir::Open(
    const std::string& state_dir, FeedEngine* engine, const Clock* clock,
    const StateDirOptions& options) {
  std::unique_ptr<StateDir> s(new StateDir);
  absl::StatusOr<std::unique_ptr<StateDirLock>> lock =
      StateDirLock::Acquire(state_dir, options.command);
  if (lock.ok()) {
    s->lock_ = *std::move(lock);
  } else if (options.access == StateDirAccess::kWrite ||
             lock.status().code() != absl::StatusCode::kFailedPrecondition) {
    return lock.status();
  }
  SqliteDbOptions db_options;
  db_options.read_only = s->read_only();
  FEEDGOV_ASSIGN_OR_RETURN(s->db_, OpenFeedgovDb(state_dir, db_options));
  FEEDGOV_ASSIGN_OR_RETURN(s->store_, SqliteInterventionStore::Open(s->db_));
  FEEDGOV_ASSIGN_OR_RETURN(s->user_settings_,
                           SqliteUserSettingsStore::Open(s->db_));
  FEEDGOV_ASSIGN_OR_RETURN(s->settings_cache_,
                           CachedUserSettingsStore::Load(s->user_settings_.get()));
  WriteGate gate = engine != nullptr
                       ? MakeInterventionGate(&engine->policies(),
                                              &engine->catalog_writer())
                       : WriteGate([](const Intervention&,
                                      const InterventionSnapshot&) {
                           return absl::FailedPreconditionError(
                               "creating an intervention needs --snapshot (it "
                               "is checked against the catalog and policy)");
                         });
  if (s->read_only()) {
    gate = [state_dir](const Intervention&, const InterventionSnapshot&) {
      return absl::FailedPreconditionError(absl::StrCat(
          "state dir ", state_dir,
          " is open read-only beside its owner; write through the owner"));
    };
  }
  FEEDGOV_ASSIGN_OR_RETURN(
      s->interventions_,
      InterventionManager::Open(
          *s->store_, *clock, std::move(gate),
          s->read_only() ? InterventionManager::PendingExpiries::kLeave
                         : InterventionManager::PendingExpiries::kRecord));
  FEEDGOV_ASSIGN_OR_RETURN(s->journal_, CatalogJournal::Open(s->db_));
  if (engine != nullptr) {
    FEEDGOV_ASSIGN_OR_RETURN(auto entries, s->journal_->LoadAll());
    for (const JournalEntry& entry : entries) {
      absl::Status applied = Replay(entry, *engine);
      if (!applied.ok()) {
        return absl::DataLossError(absl::StrCat(
            state_dir, ": catalog journal entry ", entry.seq, " (", entry.kind,
            ") cannot be replayed: ", applied.message()));
      }
      ++s->replayed_;
    }
    s->engine_ = engine;
    CatalogJournal* journal = s->journal_.get();
    engine->SetCommitHook([journal, clock](const CatalogWrite& write) {
      auto [kind, payload] = Serialize(write);
      return journal->Append(clock->Now(), "catalog-api", kind, payload).status();
    });
    InterventionManager* manager = s->interventions_.get();
    engine->SetInterventionSource([manager] { return manager->snapshot(); });
    // Pins that stop being placed (a label, a deletion, a suppression, a
    // policy) are recorded once, when it happens, by a writer of the state
    // dir (a reader - rank, list, verify, perhaps with a what-if policy -
    // writes nothing).
    if (options.access == StateDirAccess::kWrite) {
      FEEDGOV_RETURN_IF_ERROR(manager->SetPinCheck(
          MakePinCheck(&engine->policies(), &engine->catalog_writer())));
      engine->SetAfterWriteHook([manager] {
        absl::StatusOr<int> recorded = manager->RecordPinStates();
        if (!recorded.ok()) {
          std::cerr << "feedgov: recording pin states in the audit log failed: "
                    << recorded.status() << std::endl;
        }
      });
    }
    engine->SetUserSettingsSource(s->settings_cache_);
  }
  return s;
}

}  // namespace feedgov
