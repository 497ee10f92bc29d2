#include "engine/catalog/user_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

absl::Status CheckEmbeddings(const std::vector<UserId>& users, const RowMatrixXf& m) {
  if (static_cast<size_t>(m.rows()) != users.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "user embeddings have ", m.rows(), " rows for ", users.size(), " users"));
  }
  if (m.cols() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("user embedding dimension is ", m.cols(), "; want >= 1"));
  }
  if (users.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(absl::StrCat("too many users: ", users.size()));
  }
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) {
      if (!std::isfinite(m(r, c))) {
        return absl::InvalidArgumentError(
            absl::StrCat("user ", users[r], " (row ", r, "): embedding[", c, "] is ",
                         std::isnan(m(r, c)) ? "NaN" : "Inf"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const UserTable>> UserTable::Create(
    std::vector<UserId> users, RowMatrixXf embeddings,
    const std::vector<Interaction>& interactions) {
  FEEDGOV_RETURN_IF_ERROR(CheckEmbeddings(users, embeddings));
  std::shared_ptr<UserTable> table(new UserTable());
  table->row_of_.reserve(users.size());
  for (size_t r = 0; r < users.size(); ++r) {
    auto [it, inserted] = table->row_of_.emplace(users[r], static_cast<int32_t>(r));
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          "duplicate user id ", users[r], " at rows ", it->second, " and ", r));
    }
  }
  // Counting sort by user row, then sort each history.
  std::vector<int32_t> row_of_interaction(interactions.size());
  table->offsets_.assign(users.size() + 1, 0);
  for (size_t i = 0; i < interactions.size(); ++i) {
    const Interaction& x = interactions[i];
    auto it = table->row_of_.find(x.user);
    if (it == table->row_of_.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "interaction ", i, " (item ", x.item, ") has unknown user ", x.user));
    }
    if (!std::isfinite(x.rating)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "interaction ", i, " (user ", x.user, ", item ", x.item,
          ") has non-finite rating"));
    }
    row_of_interaction[i] = it->second;
    ++table->offsets_[it->second + 1];
  }
  for (size_t u = 0; u < users.size(); ++u) table->offsets_[u + 1] += table->offsets_[u];
  table->flat_.resize(interactions.size());
  std::vector<int64_t> next(table->offsets_.begin(), table->offsets_.end() - 1);
  for (size_t i = 0; i < interactions.size(); ++i) {
    const Interaction& x = interactions[i];
    table->flat_[next[row_of_interaction[i]]++] = {x.item, x.rating, x.time};
  }
  for (size_t u = 0; u < users.size(); ++u) {
    std::stable_sort(table->flat_.begin() + table->offsets_[u],
              table->flat_.begin() + table->offsets_[u + 1],
              [](const UserInteraction& a, const UserInteraction& b) {
                if (a.time != b.time) return a.time > b.time;
                return a.item < b.item;
              });
  }
  table->users_ = std::move(users);
  table->embeddings_ = std::move(embeddings);
  return std::shared_ptr<const UserTable>(std::move(table));
}

std::optional<int32_t> UserTable::FindUser(UserId user) const {
  auto it = row_of_.find(user);
  if (it == row_of_.end()) return std::nullopt;
  return it->second;
}

}  // namespace feedgov
