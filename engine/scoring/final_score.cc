#include "engine/scoring/final_score.h"

#include <algorithm>

namespace feedgov {

void FinalScorer::AppendFinals(absl::Span<const Row> rows,
                               absl::Span<const double> fresh,
                               std::vector<double>& blended,
                               std::vector<double>& finals) const {
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < std::min(kAhead, rows.size()); ++i) {
    view_.PrefetchScoreFactor(rows[i]);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + kAhead < rows.size()) view_.PrefetchScoreFactor(rows[i + kAhead]);
    blended.push_back(fresh[i]);
    finals.push_back(Score(rows[i], fresh[i]));
  }
}

double FinalScorer::FactorBound() const {
  double editor = 1.0, user = 1.0;
  for (const auto& [row, f] : editor_) editor = std::max(editor, f);
  for (const auto& [row, f] : user_) user = std::max(user, f);
  return policy_boost_bound_ * editor * user;
}

}  // namespace feedgov
