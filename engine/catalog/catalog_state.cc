#include "engine/catalog/catalog_state.h"

#include <algorithm>

namespace feedgov {

void CatalogState::ComputePriors(const ScoringOptions& scoring) {
  priors = std::make_shared<const ItemPriors>(ItemPriors::Compute(
      catalog->items(), catalog->reference_time(), scoring));
  prior_head = nullptr;
  const RowMatrixXf& all = catalog->embeddings();
  if ((all.cols() * int64_t{sizeof(float)}) % EIGEN_MAX_ALIGN_BYTES != 0)
    return;
  const std::vector<Row>& order = priors->rows_by_prior();
  const int64_t rows =
      std::min<int64_t>(static_cast<int64_t>(order.size()), kPriorHeadRows);
  auto head = std::make_shared<RowMatrixXf>(rows, all.cols());
  for (int64_t i = 0; i < rows; ++i) head->row(i) = all.row(order[i]);
  prior_head = std::move(head);
}

bool CatalogState::IsDeleted(ItemId id) const {
  return std::binary_search(deleted.begin(), deleted.end(), id);
}

}  // namespace feedgov
