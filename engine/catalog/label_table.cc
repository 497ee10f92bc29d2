#include "engine/catalog/label_table.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/catalog/item_limits.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

constexpr size_t kMinDeltaLimit = 64;

const std::vector<Label>& EmptyLabels() {
  static const auto* empty = new std::vector<Label>();
  return *empty;
}

absl::Status ValidateLabels(ItemId item, const std::vector<Label>& labels) {
  return ValidateItemLabels(item, labels);
}

}  // namespace

absl::Status ValidateLabel(const Label& label) {
  if (label.name.empty()) return absl::InvalidArgumentError("label name is empty");
  if (!std::isfinite(label.confidence) || label.confidence < 0.0f ||
      label.confidence > 1.0f) {
    return absl::InvalidArgumentError(absl::StrCat(
        "label '", label.name, "': confidence ", label.confidence,
        " is not a finite value in [0, 1]"));
  }
  if (label.origin.size() > kMaxLabelOriginBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "label '", label.name, "': origin is ", label.origin.size(),
        " bytes; at most ", kMaxLabelOriginBytes));
  }
  if (label.score != -1.0f &&
      !(std::isfinite(label.score) && label.score >= 0.0f && label.score <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "label '", label.name, "': raw score ", label.score,
        " is not a finite value in [0, 1]"));
  }
  switch (label.source) {
    case LabelSource::kModel:
    case LabelSource::kReviewer:
    case LabelSource::kMapping:
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "label '", label.name, "': unknown source ", static_cast<int>(label.source)));
}

LabelTable::LabelTable(std::shared_ptr<const Map> base, std::shared_ptr<const Map> delta,
                       int64_t version)
    : base_(std::move(base)), delta_(std::move(delta)), version_(version) {}

std::shared_ptr<const LabelTable> LabelTable::Empty() {
  return std::shared_ptr<const LabelTable>(
      new LabelTable(std::make_shared<Map>(), std::make_shared<Map>(), 0));
}

absl::StatusOr<std::shared_ptr<const LabelTable>> LabelTable::Create(
    absl::flat_hash_map<ItemId, std::vector<Label>> labels, int64_t version) {
  auto base = std::make_shared<Map>();
  base->reserve(labels.size());
  for (auto& [item, list] : labels) {
    FEEDGOV_RETURN_IF_ERROR(ValidateLabels(item, list));
    if (list.empty()) continue;
    base->emplace(item, std::make_shared<const std::vector<Label>>(std::move(list)));
  }
  return std::shared_ptr<const LabelTable>(
      new LabelTable(std::move(base), std::make_shared<Map>(), version));
}

const std::vector<Label>& LabelTable::LabelsFor(ItemId item) const {
  auto it = delta_->find(item);
  if (it != delta_->end()) return *it->second;
  it = base_->find(item);
  if (it != base_->end()) return *it->second;
  return EmptyLabels();
}

std::vector<ItemId> LabelTable::LabeledItems() const {
  std::vector<ItemId> ids;
  ids.reserve(base_->size() + delta_->size());
  for (const auto& [item, list] : *base_) {
    if (!delta_->contains(item)) ids.push_back(item);
  }
  for (const auto& [item, list] : *delta_) {
    if (!list->empty()) ids.push_back(item);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

int64_t LabelTable::size() const {
  int64_t n = static_cast<int64_t>(base_->size());
  for (const auto& [item, list] : *delta_) {
    n += (base_->contains(item) ? 0 : 1) - (list->empty() ? 1 : 0);
  }
  return n;
}

absl::StatusOr<std::shared_ptr<const LabelTable>> LabelTable::WithLabels(
    ItemId item, std::vector<Label> labels) const {
  std::vector<ItemLabelsUpdate> updates(1);
  updates[0].item = item;
  updates[0].labels = std::move(labels);
  return WithLabels(std::move(updates));
}

absl::StatusOr<std::shared_ptr<const LabelTable>> LabelTable::WithLabels(
    std::vector<ItemLabelsUpdate> updates) const {
  absl::flat_hash_set<ItemId> seen;
  for (size_t i = 0; i < updates.size(); ++i) {
    if (!seen.insert(updates[i].item).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "item ", updates[i].item, " appears twice in the batch (update ", i, ")"));
    }
    FEEDGOV_RETURN_IF_ERROR(Annotate(ValidateLabels(updates[i].item, updates[i].labels),
                                     absl::StrCat("update ", i)));
  }
  auto delta = std::make_shared<Map>(*delta_);
  for (ItemLabelsUpdate& u : updates) {
    (*delta)[u.item] = std::make_shared<const std::vector<Label>>(std::move(u.labels));
  }
  size_t limit = std::max(kMinDeltaLimit,
                          static_cast<size_t>(std::sqrt(static_cast<double>(base_->size()))));
  if (delta->size() <= limit) {
    return std::shared_ptr<const LabelTable>(new LabelTable(base_, std::move(delta), version_ + 1));
  }
  auto base = std::make_shared<Map>(*base_);
  for (auto& [item, list] : *delta) {
    if (list->empty()) {
      base->erase(item);
    } else {
      (*base)[item] = std::move(list);
    }
  }
  return std::shared_ptr<const LabelTable>(
      new LabelTable(std::move(base), std::make_shared<Map>(), version_ + 1));
}

}  // namespace feedgov
