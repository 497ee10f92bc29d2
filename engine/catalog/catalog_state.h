// File: engine/catalog/catalog_state.h
//
// CatalogState: everything that changes together when the catalog changes
// (items, users, the FAISS index over the items, their priors, the deleted
// ids). Immutable and shared by the requests that use it: a Rank opens one
// CatalogState (with one LabelTable) and finishes with it, whatever writers
// do meanwhile (catalog_writer.h swaps in a new one).
//
// It bundles the per-catalog artefacts of the retrieval and scoring stages,
// so this header sits above engine/retrieval/retriever.h and
// engine/scoring/scorer.h in the library graph (docs/architecture.md).
//
// Thread-safety: immutable after construction; safe to share.
#ifndef FEEDGOV_ENGINE_CATALOG_CATALOG_STATE_H_
#define FEEDGOV_ENGINE_CATALOG_CATALOG_STATE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/catalog/catalog.h"
#include "engine/catalog/user_table.h"
#include "engine/common/matrix.h"
#include "engine/common/types.h"
#include "engine/retrieval/retriever.h"
#include "engine/scoring/scorer.h"

namespace feedgov {

struct CatalogState {
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<const UserTable> users;
  std::shared_ptr<const Retriever> retriever;
  std::shared_ptr<const ItemPriors> priors;
  // Embeddings of the first min(n, kPriorHeadRows) rows of
  // priors->rows_by_prior(), contiguous in that order (row i is rank i),
  // bitwise copies of the catalog's. Every personalized Rank reads the
  // most popular rows' embeddings; from one hot block instead of scattered
  // cache misses. Empty when d * 4 bytes is not a multiple of the SIMD
  // alignment (a copy could then round a dot product differently).
  static constexpr int64_t kPriorHeadRows = 4096;
  std::shared_ptr<const RowMatrixXf> prior_head;
  // Items deleted through CatalogWriter::DeleteItems: never served, rows
  // kept so that row numbers stay stable. Sorted ascending.
  std::vector<ItemId> deleted;

  // Sets `priors` from the catalog's items (ItemPriors::Compute with
  // `scoring`) and `prior_head` from catalog and priors.
  void ComputePriors(const ScoringOptions& scoring);
  // True when `id` was deleted (binary search of `deleted`).
  bool IsDeleted(ItemId id) const;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_CATALOG_STATE_H_
