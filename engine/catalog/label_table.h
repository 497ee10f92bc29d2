// File: engine/catalog/label_table.h
//
// LabelTable: the content labels of every item (ItemId -> labels), kept apart
// from the Catalog so labels can change without rebuilding the catalog or the
// index. Tables are immutable; an update returns a new table (copy-on-write)
// and every table handed out earlier stays unchanged.
//
// Representation: a shared immutable base map plus a small delta map of
// changed items. An update copies only the delta (pointers to label vectors,
// not the labels); when the delta exceeds max(64, sqrt(base size)) entries
// it is folded into a new base. Amortized update cost is O(sqrt(n) + k) for
// k changed items, e.g. about 2,000 pointer copies at n = 1M.
//
// Item ids are not checked against any catalog: labels of unknown items are
// kept and simply never looked up.
//
// Thread-safety: immutable, all methods thread-safe. Share as
// std::shared_ptr<const LabelTable>.
#ifndef FEEDGOV_ENGINE_CATALOG_LABEL_TABLE_H_
#define FEEDGOV_ENGINE_CATALOG_LABEL_TABLE_H_

#include <cstdint>
#include <cstddef>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/common/types.h"

namespace feedgov {

// One item's complete new label list, for LabelTable::WithLabels (batch).
struct ItemLabelsUpdate {
  ItemId item = 0;
  std::vector<Label> labels;  // Replaces all labels of `item`; empty clears.
};

// Longest Label::origin accepted.
inline constexpr size_t kMaxLabelOriginBytes = 200;

// OK if `label` has a non-empty name, a finite confidence in [0, 1], a known
// LabelSource, an origin of at most kMaxLabelOriginBytes and a score that is
// -1 (unset) or in [0, 1]; else INVALID_ARGUMENT naming the label and the
// problem.
absl::Status ValidateLabel(const Label& label);

class LabelTable {
 public:
  // An empty table with version 0.
  static std::shared_ptr<const LabelTable> Empty();

  // A table holding `labels` (items with an empty list are dropped) with the
  // given version (used when loading a snapshot).
  // Errors: INVALID_ARGUMENT for an invalid label (message names the item).
  static absl::StatusOr<std::shared_ptr<const LabelTable>> Create(
      absl::flat_hash_map<ItemId, std::vector<Label>> labels, int64_t version);

  // Labels of `item` in the order they were given; an empty vector when the
  // item has none. The reference stays valid as long as this table lives.
  const std::vector<Label>& LabelsFor(ItemId item) const;

  // Incremented by one for every successful update (a batch counts once).
  int64_t version() const { return version_; }

  // Number of items with at least one label.
  int64_t size() const;

  // Ids of all items with at least one label, ascending.
  std::vector<ItemId> LabeledItems() const;

  // A new table in which `item` has exactly `labels` (empty: no labels);
  // version() + 1. This table is unchanged.
  // Errors: INVALID_ARGUMENT for an invalid label (see ValidateLabel).
  absl::StatusOr<std::shared_ptr<const LabelTable>> WithLabels(
      ItemId item, std::vector<Label> labels) const;

  // All-or-nothing batch: either every update is applied (one new table,
  // version() + 1) or none is and an error is returned.
  // Errors: INVALID_ARGUMENT for an invalid label or an item repeated in
  // `updates` (message names the item and its index in `updates`).
  absl::StatusOr<std::shared_ptr<const LabelTable>> WithLabels(
      std::vector<ItemLabelsUpdate> updates) const;

 private:
  using LabelsPtr = std::shared_ptr<const std::vector<Label>>;
  using Map = absl::flat_hash_map<ItemId, LabelsPtr>;

  LabelTable(std::shared_ptr<const Map> base, std::shared_ptr<const Map> delta,
             int64_t version);

  // Delta entries with an empty vector mark items whose labels were cleared.
  std::shared_ptr<const Map> base_;
  std::shared_ptr<const Map> delta_;
  int64_t version_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_LABEL_TABLE_H_
