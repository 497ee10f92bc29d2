// File: engine/labeler/item_labels.h
//
// Labels wherever text enters (docs/labelers.md): an item's text is routed
// to the labelers of its language and their labels are merged into the
// item's labels with the provenance rules of catalog/label_provenance.h (a
// moderator's label is never undone; a labeler's new version replaces its
// old output). Used by ingest, the catalog service (UpsertItems) and the
// background relabeling of stored items. Thread-safe: pure functions over
// immutable inputs.
#ifndef FEEDGOV_ENGINE_LABELER_ITEM_LABELS_H_
#define FEEDGOV_ENGINE_LABELER_ITEM_LABELS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/common/types.h"
#include "engine/labeler/labeler_set.h"

namespace feedgov {

// The text the labelers read for an item: its title, then its tags joined
// by ", " after ". " ("Toy Story (1995). pixar, fun"); "" when it has
// neither.
std::string ItemLabelText(const Item& item);

// Counts for progress lines and reports.
struct ItemLabelingStats {
  int64_t items = 0;             // Items looked at.
  int64_t with_text = 0;         // ... with a non-empty text.
  std::map<std::string, int64_t> by_language;  // "en", "zh", "" (none).
  int64_t labeled = 0;           // Items that got at least one label.
  int64_t skipped_family = 0;    // Labeler runs skipped: caller's labels.
  std::map<std::string, int64_t> by_label;       // Labeler labels, by name.
  std::map<std::string, int64_t> by_label_half;  // ... with probability >= 0.5.
};

// `labels` (the item's current labels) with the output of every labeler
// of the item's language merged in (MergeLabelerOutput). When
// `respect_caller_labels` is true a labeler is skipped for the item when
// `labels` already holds a label of its family that a caller decided: a
// REVIEWER label, or a MODEL label whose origin is not one of our
// labelers (the caller's own classifier). Label-map labels never stop a
// labeler. `stats` may be null.
std::vector<Label> LabelItem(const LabelerSet& labelers, const Item& item,
                             std::vector<Label> labels, UnixSeconds now,
                             bool respect_caller_labels, ItemLabelingStats* stats);

// "labels: 9742 items, 9742 with text (en 9700, zh 0, none 42); 310
// labelled: bad.clickbait 120, ..." for progress output.
std::string StatsLine(const ItemLabelingStats& stats);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_LABELER_ITEM_LABELS_H_
