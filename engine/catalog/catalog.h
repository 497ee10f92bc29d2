// File: engine/catalog/catalog.h
//
// Catalog: the immutable set of items served by one snapshot, with their
// L2-normalized embeddings. Row r (in [0, size())) is item(r) and row r of
// embeddings(); rows are dense indices private to one catalog and are not
// stable across catalogs, except that WithUpserts() keeps existing rows.
//
// Thread-safety: immutable after creation, so all methods are thread-safe.
// Share it as std::shared_ptr<const Catalog>.
#ifndef FEEDGOV_ENGINE_CATALOG_CATALOG_H_
#define FEEDGOV_ENGINE_CATALOG_CATALOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/common/matrix.h"
#include "engine/common/types.h"

namespace feedgov {

class Catalog {
 public:
  // Builds a catalog of `items` with `embeddings` (row-major, n x d, row i is
  // the embedding of items[i], any non-zero norm). Rows keep the order of
  // `items`. Embeddings are stored divided by their L2 norm (computed in
  // double), so inner product equals cosine similarity.
  //
  // Errors: INVALID_ARGUMENT when embeddings.rows() != items.size(),
  // embeddings.cols() outside [1, kMaxEmbeddingDim], an item outside the
  // limits of item_limits.h (ValidateItem), reference_time outside [0,
  // kMaxUnixSeconds], an item id repeats ("duplicate item id 7 at rows 2
  // and 5"), or an embedding has a NaN / Inf entry or zero norm (message names
  // the item id, e.g. "item 42 (row 3): embedding[5] is NaN").
  static absl::StatusOr<std::shared_ptr<const Catalog>> Create(
      std::vector<Item> items, RowMatrixXf embeddings, UnixSeconds reference_time);

  // As Create(), but `normalized` must already be L2-normalized (each row's
  // norm within 1e-3 of 1) and is stored bit-for-bit unchanged. Used when
  // loading a snapshot, so a round trip is byte-exact.
  // Errors: as Create(), plus INVALID_ARGUMENT for a row whose norm is off.
  static absl::StatusOr<std::shared_ptr<const Catalog>> CreateNormalized(
      std::vector<Item> items, RowMatrixXf normalized, UnixSeconds reference_time);

  // A new catalog equal to this one except: each item of `items` whose id is
  // already present replaces that item and its embedding in place (same row);
  // the others are appended in the order given. `embeddings` is k x dim()
  // (row i for items[i]), normalized like Create(). reference_time is kept.
  // This catalog is unchanged. Cost: O((n + k) * d) copy.
  // Errors: INVALID_ARGUMENT for a wrong shape, an id repeated within
  // `items`, or an invalid embedding (as Create()).
  absl::StatusOr<std::shared_ptr<const Catalog>> WithUpserts(
      std::vector<Item> items, const RowMatrixXf& embeddings) const;

  // Number of items n.
  int32_t size() const { return static_cast<int32_t>(items_.size()); }
  // Embedding dimension d >= 1.
  int32_t dim() const { return static_cast<int32_t>(embeddings_.cols()); }
  // REQUIRES: 0 <= row < size().
  const Item& item(Row row) const { return items_[row]; }
  // item(row).id from a dense column (8 bytes per row instead of a whole
  // Item): the ranking hot path reads ids of scattered rows.
  // REQUIRES: 0 <= row < size().
  ItemId id(Row row) const { return ids_[row]; }
  const std::vector<Item>& items() const { return items_; }
  // Row of `id`, or nullopt if the id is not in this catalog. O(1).
  std::optional<Row> FindRow(ItemId id) const;
  // L2-normalized embeddings, row-major n x d (FAISS layout).
  const RowMatrixXf& embeddings() const { return embeddings_; }
  // Row `row` of embeddings(): d floats. REQUIRES: 0 <= row < size().
  absl::Span<const float> embedding(Row row) const {
    return absl::Span<const float>(embeddings_.data() + int64_t{row} * dim(), dim());
  }
  // Time at which time-dependent item statistics (decayed popularity,
  // freshness) are evaluated, Unix seconds UTC.
  UnixSeconds reference_time() const { return reference_time_; }

 private:
  Catalog(std::vector<Item> items, RowMatrixXf embeddings,
          absl::flat_hash_map<ItemId, Row> row_of, UnixSeconds reference_time);

  std::vector<Item> items_;
  std::vector<ItemId> ids_;  // ids_[r] == items_[r].id.
  RowMatrixXf embeddings_;
  absl::flat_hash_map<ItemId, Row> row_of_;
  UnixSeconds reference_time_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_CATALOG_H_
