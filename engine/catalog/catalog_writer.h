// File: engine/catalog/catalog_writer.h
//
// CatalogWriter: the live catalog. It holds the current CatalogState and
// LabelTable, hands readers a consistent pair of them (Snapshot), and
// applies catalog and label writes (moderation pipelines, the
// CatalogService, journal replay): each write is validated, made durable
// through the commit hook, then published by swapping pointers.
//
// Every write is all or nothing: on any error nothing changes and nothing
// is acknowledged. A write's effect is visible to the next Snapshot() after
// it returns OK.
//
// Thread-safety: thread-safe. Writers are serialized among themselves (one
// writer mutex); readers never wait for a writer beyond a pointer copy
// (writers build the new version first, then swap under a short lock).
#ifndef FEEDGOV_ENGINE_CATALOG_CATALOG_WRITER_H_
#define FEEDGOV_ENGINE_CATALOG_CATALOG_WRITER_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "engine/catalog/catalog_state.h"
#include "engine/catalog/label_change_log.h"
#include "engine/catalog/label_table.h"
#include "engine/common/matrix.h"
#include "engine/common/types.h"
#include "engine/governance/taxonomy.h"
#include "engine/scoring/scorer.h"

namespace feedgov {

// What one request reads of the catalog: a state and the label table of the
// same instant.
struct CatalogSnapshot {
  std::shared_ptr<const CatalogState> state;
  std::shared_ptr<const LabelTable> labels;
};

// A catalog or label write that passed validation and is about to be
// applied (see CatalogWriter::SetCommitHook). Pointers are valid for the
// call.
struct CatalogWrite {
  enum class Kind { kUpsertItems, kDeleteItems, kSetLabels };
  Kind kind = Kind::kSetLabels;
  const std::vector<Item>* items = nullptr;  // kUpsertItems
  const RowMatrixXf* embeddings = nullptr;   // kUpsertItems, k x d
  const std::vector<ItemLabelsUpdate>* labels =
      nullptr;                                   // kUpsertItems, kSetLabels
  const std::vector<ItemId>* deleted = nullptr;  // kDeleteItems
};

class CatalogWriter {
 public:
  // `taxonomy` (label names a write may use) must outlive the writer;
  // `scoring` gives the priors of upserted catalogs. `state` must be
  // complete (catalog, users, retriever, priors).
  CatalogWriter(std::shared_ptr<const CatalogState> state,
                std::shared_ptr<const LabelTable> labels,
                const Taxonomy* taxonomy, ScoringOptions scoring);

  // The current state and labels, read together under one lock.
  CatalogSnapshot Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const CatalogState> state() const ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const LabelTable> labels() const ABSL_LOCKS_EXCLUDED(mu_);
  // Items whose labels UpdateLabels changed, per label version.
  const LabelChangeLog& label_log() const { return label_log_; }

  // Replaces the labels of the given items atomically; applies from the
  // next Snapshot(), no index rebuild. INVALID_ARGUMENT for an unknown
  // item, an invalid confidence, a repeated item or a label not in the
  // taxonomy; NOT_FOUND for a deleted item.
  absl::Status UpdateLabels(std::vector<ItemLabelsUpdate> updates)
      ABSL_LOCKS_EXCLUDED(writer_mu_, mu_);

  // Adds new items and replaces existing ones (metadata and embedding),
  // with their labels. Item tags are stored normalized (common/tags.h:
  // lower case, trimmed, duplicates dropped). `embeddings` is
  // items.size() x d, row-major, any non-zero norm. New items are appended to
  // the index; a changed embedding of an existing item rebuilds it. A deleted
  // item that is upserted again is served again. Errors: INVALID_ARGUMENT (a
  // blank or over-long tag, shape, NaN/Inf/zero norm, duplicate ids, labels as
  // UpdateLabels).
  absl::Status UpsertItems(std::vector<Item> items,
                           const RowMatrixXf& embeddings,
                           std::vector<ItemLabelsUpdate> labels)
      ABSL_LOCKS_EXCLUDED(writer_mu_, mu_);

  // Stops serving the items from the next Snapshot() (on every surface and
  // through pins). INVALID_ARGUMENT for an id given twice; NOT_FOUND naming
  // the first unknown or already deleted id.
  absl::Status DeleteItems(const std::vector<ItemId>& items)
      ABSL_LOCKS_EXCLUDED(writer_mu_, mu_);

  // Called by every write after validation and before the new version is
  // published, under the writer lock. If it fails, the write is not
  // applied and its error is returned: a durable journal
  // (engine/runtime/state_dir.h) uses it so that nothing is acknowledged
  // before it is on disk. Empty: no hook.
  using CommitHook = std::function<absl::Status(const CatalogWrite&)>;
  void SetCommitHook(CommitHook hook) ABSL_LOCKS_EXCLUDED(writer_mu_);

 private:
  // Every label names a taxonomy entry and every item is in `catalog`.
  absl::Status ValidateLabels(
      const Catalog& catalog,
      const std::vector<ItemLabelsUpdate>& updates) const;
  void Publish(std::shared_ptr<const CatalogState> state,
               std::shared_ptr<const LabelTable> labels)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Constant after construction.
  const Taxonomy* const taxonomy_;
  const ScoringOptions scoring_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const CatalogState> state_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const LabelTable> labels_ ABSL_GUARDED_BY(mu_);

  absl::Mutex writer_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  CommitHook commit_hook_ ABSL_GUARDED_BY(writer_mu_);
  LabelChangeLog label_log_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_CATALOG_WRITER_H_
