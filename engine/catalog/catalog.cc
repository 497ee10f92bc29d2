#include "engine/catalog/catalog.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/catalog/item_limits.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

constexpr double kNormTolerance = 1e-3;

absl::Status CheckShape(size_t num_items, const RowMatrixXf& embeddings) {
  if (static_cast<size_t>(embeddings.rows()) != num_items) {
    return absl::InvalidArgumentError(
        absl::StrCat("embeddings have ", embeddings.rows(), " rows for ",
                     num_items, " items"));
  }
  if (embeddings.cols() < 1 || embeddings.cols() > kMaxEmbeddingDim) {
    return absl::InvalidArgumentError(
        absl::StrCat("embedding dimension is ", embeddings.cols(),
                     "; want 1 to ", kMaxEmbeddingDim));
  }
  if (num_items > static_cast<size_t>(std::numeric_limits<Row>::max())) {
    return absl::InvalidArgumentError(absl::StrCat("too many items: ", num_items));
  }
  return absl::OkStatus();
}

// Checks row `r` of `m` is finite with non-zero norm; returns the norm.
absl::StatusOr<double> RowNorm(const RowMatrixXf& m, Eigen::Index r, ItemId id) {
  double sum = 0.0;
  for (Eigen::Index c = 0; c < m.cols(); ++c) {
    float v = m(r, c);
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("item ", id, " (row ", r, "): embedding[", c, "] is ",
                       std::isnan(v) ? "NaN" : "Inf"));
    }
    sum += static_cast<double>(v) * v;
  }
  if (sum == 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("item ", id, " (row ", r, "): embedding has zero norm"));
  }
  return std::sqrt(sum);
}

// Normalizes every row of `m` in place (rows describe `items`).
absl::Status NormalizeRows(const std::vector<Item>& items, RowMatrixXf* m) {
  for (Eigen::Index r = 0; r < m->rows(); ++r) {
    FEEDGOV_ASSIGN_OR_RETURN(double norm, RowNorm(*m, r, items[r].id));
    for (Eigen::Index c = 0; c < m->cols(); ++c) {
      (*m)(r, c) = static_cast<float>((*m)(r, c) / norm);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNormalized(const std::vector<Item>& items, const RowMatrixXf& m) {
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    FEEDGOV_ASSIGN_OR_RETURN(double norm, RowNorm(m, r, items[r].id));
    if (std::abs(norm - 1.0) > kNormTolerance) {
      return absl::InvalidArgumentError(
          absl::StrCat("item ", items[r].id, " (row ", r,
                       "): embedding norm is ", norm, "; want 1"));
    }
  }
  return absl::OkStatus();
}

// Every item's fields within item_limits.h.
absl::Status CheckItems(const std::vector<Item>& items) {
  for (const Item& item : items) FEEDGOV_RETURN_IF_ERROR(ValidateItem(item));
  return absl::OkStatus();
}

absl::Status CheckReferenceTime(UnixSeconds t) {
  if (t < 0 || t > kMaxUnixSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("catalog reference time ", t, " outside [0, ",
                     kMaxUnixSeconds, "] Unix seconds"));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::flat_hash_map<ItemId, Row>> IndexIds(
    const std::vector<Item>& items) {
  absl::flat_hash_map<ItemId, Row> row_of;
  row_of.reserve(items.size());
  for (size_t r = 0; r < items.size(); ++r) {
    auto [it, inserted] = row_of.emplace(items[r].id, static_cast<Row>(r));
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          "duplicate item id ", items[r].id, " at rows ", it->second, " and ", r));
    }
  }
  return row_of;
}

}  // namespace

Catalog::Catalog(std::vector<Item> items, RowMatrixXf embeddings,
                 absl::flat_hash_map<ItemId, Row> row_of, UnixSeconds reference_time)
    : items_(std::move(items)),
      embeddings_(std::move(embeddings)),
      row_of_(std::move(row_of)),
      reference_time_(reference_time) {
  ids_.reserve(items_.size());
  for (const Item& item : items_) ids_.push_back(item.id);
}

absl::StatusOr<std::shared_ptr<const Catalog>> Catalog::Create(
    std::vector<Item> items, RowMatrixXf embeddings, UnixSeconds reference_time) {
  FEEDGOV_RETURN_IF_ERROR(CheckShape(items.size(), embeddings));
  FEEDGOV_RETURN_IF_ERROR(CheckReferenceTime(reference_time));
  FEEDGOV_RETURN_IF_ERROR(CheckItems(items));
  FEEDGOV_ASSIGN_OR_RETURN(auto row_of, IndexIds(items));
  FEEDGOV_RETURN_IF_ERROR(NormalizeRows(items, &embeddings));
  return std::shared_ptr<const Catalog>(new Catalog(
      std::move(items), std::move(embeddings), std::move(row_of), reference_time));
}

absl::StatusOr<std::shared_ptr<const Catalog>> Catalog::CreateNormalized(
    std::vector<Item> items, RowMatrixXf normalized, UnixSeconds reference_time) {
  FEEDGOV_RETURN_IF_ERROR(CheckShape(items.size(), normalized));
  FEEDGOV_RETURN_IF_ERROR(CheckReferenceTime(reference_time));
  FEEDGOV_RETURN_IF_ERROR(CheckItems(items));
  FEEDGOV_ASSIGN_OR_RETURN(auto row_of, IndexIds(items));
  FEEDGOV_RETURN_IF_ERROR(CheckNormalized(items, normalized));
  return std::shared_ptr<const Catalog>(new Catalog(
      std::move(items), std::move(normalized), std::move(row_of), reference_time));
}

std::optional<Row> Catalog::FindRow(ItemId id) const {
  auto it = row_of_.find(id);
  if (it == row_of_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::shared_ptr<const Catalog>> Catalog::WithUpserts(
    std::vector<Item> items, const RowMatrixXf& embeddings) const {
  FEEDGOV_RETURN_IF_ERROR(CheckShape(items.size(), embeddings));
  if (embeddings.cols() != dim()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upsert embeddings have dimension ", embeddings.cols(), "; catalog has ", dim()));
  }
  FEEDGOV_RETURN_IF_ERROR(IndexIds(items).status());
  FEEDGOV_RETURN_IF_ERROR(CheckItems(items));
  RowMatrixXf fresh = embeddings;
  FEEDGOV_RETURN_IF_ERROR(NormalizeRows(items, &fresh));
  std::vector<Item> all = items_;
  std::vector<std::pair<Row, Eigen::Index>> placed;  // (row in all, row in fresh)
  placed.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    std::optional<Row> row = FindRow(items[i].id);
    Row target = row.has_value() ? *row : static_cast<Row>(all.size());
    if (row.has_value()) {
      all[target] = std::move(items[i]);
    } else {
      all.push_back(std::move(items[i]));
    }
    placed.emplace_back(target, static_cast<Eigen::Index>(i));
  }
  RowMatrixXf merged(static_cast<Eigen::Index>(all.size()), dim());
  merged.topRows(size()) = embeddings_;
  for (const auto& [target, source] : placed) merged.row(target) = fresh.row(source);
  FEEDGOV_RETURN_IF_ERROR(CheckShape(all.size(), merged));
  FEEDGOV_ASSIGN_OR_RETURN(auto row_of, IndexIds(all));
  return std::shared_ptr<const Catalog>(
      new Catalog(std::move(all), std::move(merged), std::move(row_of), reference_time_));
}

}  // namespace feedgov
