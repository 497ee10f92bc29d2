// File: engine/catalog/user_table.h
//
// UserTable: the users known to one snapshot, with their embeddings (as
// trained, not normalized) and their interaction histories.
//
// Thread-safety: immutable after creation, all methods thread-safe. Share as
// std::shared_ptr<const UserTable>.
#ifndef FEEDGOV_ENGINE_CATALOG_USER_TABLE_H_
#define FEEDGOV_ENGINE_CATALOG_USER_TABLE_H_

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

// One interaction in a user's history.
struct UserInteraction {
  ItemId item = 0;
  float rating = 0.0f;  // MovieLens: 0.5 to 5.0 stars; finite.
  UnixSeconds time = 0;

  friend bool operator==(const UserInteraction&, const UserInteraction&) = default;
};

class UserTable {
 public:
  // `users`: m distinct ids; user row u is users[u]. `embeddings`: row-major
  // m x d (d >= 1), row u for users[u], finite. `interactions`: any order;
  // each is filed under its user and histories are sorted by time descending
  // (ties: item id ascending, then input order). Item ids are not checked
  // against a catalog.
  //
  // Errors: INVALID_ARGUMENT for embeddings.rows() != m, d < 1, a repeated
  // user id, a NaN/Inf embedding entry (naming the user), an interaction of
  // a user not in `users`, or a non-finite rating.
  static absl::StatusOr<std::shared_ptr<const UserTable>> Create(
      std::vector<UserId> users, RowMatrixXf embeddings,
      const std::vector<Interaction>& interactions);

  // Number of users m.
  int32_t size() const { return static_cast<int32_t>(users_.size()); }
  // Embedding dimension d.
  int32_t dim() const { return static_cast<int32_t>(embeddings_.cols()); }
  // Total number of interactions over all users.
  int64_t num_interactions() const { return static_cast<int64_t>(flat_.size()); }

  // Row of `user`, or nullopt if unknown. O(1).
  std::optional<int32_t> FindUser(UserId user) const;
  // REQUIRES: 0 <= user_row < size() (likewise below).
  UserId user_id(int32_t user_row) const { return users_[user_row]; }
  const std::vector<UserId>& user_ids() const { return users_; }

  // All embeddings, row-major m x d, as given (not normalized).
  const RowMatrixXf& embeddings() const { return embeddings_; }
  // Embedding of one user: d floats, valid while this table lives.
  absl::Span<const float> embedding(int32_t user_row) const {
    return absl::Span<const float>(embeddings_.data() + int64_t{user_row} * dim(), dim());
  }
  // History of one user, newest first. Valid while this table lives.
  absl::Span<const UserInteraction> interactions(int32_t user_row) const {
    return absl::Span<const UserInteraction>(flat_.data() + offsets_[user_row],
                                             offsets_[user_row + 1] - offsets_[user_row]);
  }

 private:
  UserTable() = default;

  std::vector<UserId> users_;
  RowMatrixXf embeddings_;
  absl::flat_hash_map<UserId, int32_t> row_of_;
  // Histories, concatenated by user row: user u owns
  // flat_[offsets_[u], offsets_[u + 1]). offsets_ has m + 1 entries.
  std::vector<int64_t> offsets_;
  std::vector<UserInteraction> flat_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_USER_TABLE_H_
