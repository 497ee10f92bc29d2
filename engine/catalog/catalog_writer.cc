#include "engine/catalog/catalog_writer.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/common/tags.h"

namespace feedgov {

CatalogWriter::CatalogWriter(std::shared_ptr<const CatalogState> state,
                             std::shared_ptr<const LabelTable> labels,
                             const Taxonomy* taxonomy, ScoringOptions scoring)
    : taxonomy_(taxonomy),
      scoring_(std::move(scoring)),
      state_(std::move(state)),
      labels_(std::move(labels)) {}

CatalogSnapshot CatalogWriter::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return CatalogSnapshot{state_, labels_};
}

std::shared_ptr<const CatalogState> CatalogWriter::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

std::shared_ptr<const LabelTable> CatalogWriter::labels() const {
  absl::MutexLock lock(&mu_);
  return labels_;
}

void CatalogWriter::SetCommitHook(CommitHook hook) {
  absl::MutexLock writer(&writer_mu_);
  commit_hook_ = std::move(hook);
}

void CatalogWriter::Publish(std::shared_ptr<const CatalogState> state,
                            std::shared_ptr<const LabelTable> labels) {
  absl::MutexLock lock(&mu_);
  if (state != nullptr) state_ = std::move(state);
  if (labels != nullptr) labels_ = std::move(labels);
}

absl::Status CatalogWriter::ValidateLabels(
    const Catalog& catalog,
    const std::vector<ItemLabelsUpdate>& updates) const {
  for (const ItemLabelsUpdate& u : updates) {
    if (!catalog.FindRow(u.item).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("set labels: unknown item ", u.item));
    }
    for (const Label& l : u.labels) {
      if (taxonomy_->Find(l.name) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "set labels: item ", u.item, ": label '", l.name,
            "' is not in the taxonomy (policies/labels.textproto)"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CatalogWriter::UpdateLabels(
    std::vector<ItemLabelsUpdate> updates) {
  absl::MutexLock writer(&writer_mu_);
  const CatalogSnapshot current = Snapshot();
  FEEDGOV_RETURN_IF_ERROR(ValidateLabels(*current.state->catalog, updates));
  for (const ItemLabelsUpdate& u : updates) {
    if (current.state->IsDeleted(u.item)) {
      return absl::NotFoundError(
          absl::StrCat("set labels: item ", u.item, " was deleted"));
    }
  }
  FEEDGOV_ASSIGN_OR_RETURN(auto next, current.labels->WithLabels(updates));
  if (commit_hook_) {
    CatalogWrite write;
    write.kind = CatalogWrite::Kind::kSetLabels;
    write.labels = &updates;
    FEEDGOV_RETURN_IF_ERROR(commit_hook_(write));
  }
  std::vector<ItemId> ids;
  ids.reserve(updates.size());
  for (const ItemLabelsUpdate& u : updates) ids.push_back(u.item);
  label_log_.Record(next->version(), std::move(ids));  // Before readers see it.
  Publish(nullptr, std::move(next));
  return absl::OkStatus();
}

absl::Status CatalogWriter::UpsertItems(std::vector<Item> items,
                                        const RowMatrixXf& embeddings,
                                        std::vector<ItemLabelsUpdate> labels) {
  absl::MutexLock writer(&writer_mu_);
  // Tags are stored in their normal form, so users can delete or add them.
  for (Item& item : items) {
    absl::StatusOr<std::vector<std::string>> tags = NormalizeTags(item.tags);
    if (!tags.ok())
      return Annotate(tags.status(), absl::StrCat("item ", item.id));
    item.tags = *std::move(tags);
  }
  const CatalogSnapshot old = Snapshot();
  bool changes_existing = false;
  std::vector<ItemId> ids;
  for (const Item& item : items) {
    changes_existing |= old.state->catalog->FindRow(item.id).has_value();
    ids.push_back(item.id);
  }
  FEEDGOV_ASSIGN_OR_RETURN(auto catalog,
                           old.state->catalog->WithUpserts(items, embeddings));
  FEEDGOV_RETURN_IF_ERROR(ValidateLabels(*catalog, labels));
  FEEDGOV_ASSIGN_OR_RETURN(auto next_labels, old.labels->WithLabels(labels));
  std::unique_ptr<Retriever> retriever;
  if (changes_existing) {
    FEEDGOV_ASSIGN_OR_RETURN(retriever,
                             Retriever::Build(catalog->embeddings(),
                                              old.state->retriever->options()));
  } else {
    FEEDGOV_ASSIGN_OR_RETURN(
        retriever, old.state->retriever->WithAddedRows(catalog->embeddings()));
  }
  auto next = std::make_shared<CatalogState>();
  next->catalog = catalog;
  next->users = old.state->users;
  next->retriever = std::move(retriever);
  next->ComputePriors(scoring_);
  for (ItemId id : old.state->deleted) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
      next->deleted.push_back(id);
    }
  }
  if (commit_hook_) {
    CatalogWrite write;
    write.kind = CatalogWrite::Kind::kUpsertItems;
    write.items = &items;
    write.embeddings = &embeddings;
    write.labels = &labels;
    FEEDGOV_RETURN_IF_ERROR(commit_hook_(write));
  }
  Publish(std::move(next), std::move(next_labels));
  return absl::OkStatus();
}

absl::Status CatalogWriter::DeleteItems(const std::vector<ItemId>& items) {
  absl::MutexLock writer(&writer_mu_);
  std::shared_ptr<const CatalogState> old = state();
  absl::flat_hash_set<ItemId> seen;
  for (ItemId id : items) {
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("item ", id, " appears twice in the delete"));
    }
    if (!old->catalog->FindRow(id).has_value() || old->IsDeleted(id)) {
      return absl::NotFoundError(absl::StrCat("delete of unknown item ", id));
    }
  }
  auto next = std::make_shared<CatalogState>(*old);
  next->deleted.insert(next->deleted.end(), items.begin(), items.end());
  std::sort(next->deleted.begin(), next->deleted.end());
  next->deleted.erase(std::unique(next->deleted.begin(), next->deleted.end()),
                      next->deleted.end());
  if (commit_hook_) {
    CatalogWrite write;
    write.kind = CatalogWrite::Kind::kDeleteItems;
    write.deleted = &items;
    FEEDGOV_RETURN_IF_ERROR(commit_hook_(write));
  }
  Publish(std::move(next), nullptr);
  return absl::OkStatus();
}

}  // namespace feedgov
