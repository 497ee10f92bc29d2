#include "engine/labeler/item_labels.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/catalog/label_provenance.h"

namespace feedgov {

std::string ItemLabelText(const Item& item) {
  if (item.tags.empty()) return item.title;
  if (item.title.empty()) return absl::StrJoin(item.tags, ", ");
  return absl::StrCat(item.title, ". ", absl::StrJoin(item.tags, ", "));
}

std::vector<Label> LabelItem(const LabelerSet& labelers, const Item& item,
                             std::vector<Label> labels, UnixSeconds now,
                             bool respect_caller_labels, ItemLabelingStats* stats) {
  ItemLabelingStats local;
  ItemLabelingStats& s = stats != nullptr ? *stats : local;
  ++s.items;
  const std::string text = ItemLabelText(item);
  if (text.empty()) return labels;
  ++s.with_text;
  LabelingResult r = labelers.LabelText(text, now);
  ++s.by_language[r.language.code];
  bool any = false;
  for (const TextLabeler* l : r.labelers) {
    const std::vector<std::string> family = l->LabelNames();
    if (respect_caller_labels) {
      // A caller's label: a person's, or an API caller's own classifier's
      // (MODEL, origin not "labeler:"); a label map's is metadata, not a
      // decision, and does not stop a labeler.
      const bool caller_said = std::any_of(labels.begin(), labels.end(), [&](const Label& x) {
        const bool decided = x.source == LabelSource::kReviewer ||
                             (x.source == LabelSource::kModel &&
                              x.origin.rfind("labeler:", 0) != 0);
        return decided && std::find(family.begin(), family.end(), x.name) != family.end();
      });
      if (caller_said) {
        ++s.skipped_family;
        continue;
      }
    }
    std::vector<Label> fresh;
    for (const Label& x : r.labels) {
      if (x.origin == l->origin()) fresh.push_back(x);
    }
    labels = MergeLabelerOutput(labels, l->name(), std::move(fresh));
  }
  for (const Label& x : labels) {
    if (x.source != LabelSource::kModel) continue;
    for (const TextLabeler* l : r.labelers) {
      if (x.origin == l->origin()) {
        ++s.by_label[x.name];
        if (x.confidence >= 0.5f) ++s.by_label_half[x.name];
        any = true;
      }
    }
  }
  if (any) ++s.labeled;
  return labels;
}

std::string StatsLine(const ItemLabelingStats& s) {
  std::vector<std::string> langs, labels;
  for (const auto& [k, v] : s.by_language) langs.push_back(absl::StrCat(k.empty() ? "none" : k, " ", v));
  for (const auto& [k, v] : s.by_label) {
    auto half = s.by_label_half.find(k);
    labels.push_back(absl::StrCat(k, " ", v, " (", half == s.by_label_half.end() ? 0 : half->second,
                                  " at >= 0.5)"));
  }
  return absl::StrCat("labelers: ", s.items, " items, ", s.with_text, " with text (",
                      absl::StrJoin(langs, ", "), "); ", s.labeled,
                      " carry a labeler label (stored from probability 0.05; the pack's "
                      "thresholds act)", labels.empty() ? "" : ": ", absl::StrJoin(labels, ", "));
}

}  // namespace feedgov
