// File: engine/model/als.h
//
// Implicit-feedback alternating least squares (Hu, Koren & Volinsky 2008,
// "Collaborative Filtering for Implicit Feedback Datasets").
//
// For every user u and item i (ALL pairs, observed or not):
//   preference p_ui = 1 if (u, i) is observed, else 0
//   confidence c_ui = 1 + alpha * r_ui   (r_ui = 0 for unobserved pairs)
//   loss = sum_{u,i} c_ui (p_ui - x_u . y_i)^2
//          + lambda (sum_u ||x_u||^2 + sum_i ||y_i||^2)
// Each sweep solves every user exactly given the items, then every item given
// the users, with the paper's speed-up
//   (YtY + Yt (C_u - I) Y + lambda I) x_u = Yt C_u p(u)
// where only the user's observed items enter the second term. Each half-step
// is an exact block minimisation, so the loss never increases.
//
// Shapes: factor matrices are row-major `n x dim` float32
// (engine/common/matrix.h). Internally the normal equations are built and
// solved in double precision.
//
// Determinism: for a fixed seed and input the result is bit-identical for any
// num_threads (every row is solved by one thread from the same inputs).
#ifndef FEEDGOV_ENGINE_MODEL_ALS_H_
#define FEEDGOV_ENGINE_MODEL_ALS_H_

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/common/matrix.h"
#include "engine/common/types.h"
#include "feedgov/v1/model_config.pb.h"

namespace feedgov {

struct AlsOptions {
  // Embedding dimension d. Range [1, 1024].
  int dim = 64;
  // Confidence slope: c = 1 + alpha * rating. Finite, >= 0.
  double alpha = 10.0;
  // L2 regularisation weight. Finite, > 0.
  double lambda = 0.1;
  // Alternating sweeps (users then items). Range [1, 200].
  int iterations = 15;
  // Seed of the Gaussian initialisation.
  uint64_t seed = 42;
  // Std-dev of the Gaussian initial factors. Finite, > 0.
  double init_stddev = 0.01;
  // Worker threads; 0 = std::thread::hardware_concurrency(). Range [0, 256].
  // Does not change the result.
  int num_threads = 0;

  // INVALID_ARGUMENT naming the field and its expected range.
  absl::Status Validate() const;
  // Copies the als section; zero fields take the defaults above (the same
  // defaults as model_config.proto documents). num_threads stays 0.
  static AlsOptions FromConfig(const feedgov::v1::AlsConfig& config);
};

// One observed (user, item) pair. Indices are dense: [0, num_users) and
// [0, num_items). Duplicate pairs are merged by summing their ratings.
struct AlsEntry {
  int32_t user_index = 0;
  int32_t item_index = 0;
  float rating = 0.0f;  // Finite, >= 0 (MovieLens stars).
};

struct AlsInput {
  int32_t num_users = 0;
  int32_t num_items = 0;
  std::vector<AlsEntry> entries;
};

// An observed item of one user, for fold-in.
struct AlsRatedItem {
  int32_t item_index = 0;
  float rating = 0.0f;  // Finite, >= 0.
};

struct AlsModel {
  RowMatrixXf user_factors;  // num_users x dim.
  RowMatrixXf item_factors;  // num_items x dim.
  // Full objective after each sweep; size == iterations.
  std::vector<double> loss_history;
};

struct AlsProgress {
  int iteration = 0;            // 1-based sweep just completed.
  double loss = 0.0;            // Full objective (see file comment).
  double elapsed_seconds = 0.0; // Wall time since TrainAls started.
};

// Trains the model. `on_iteration` (may be empty) is called on the calling
// thread after every sweep.
// Users or items without entries get the zero factor (never NaN).
// Errors: INVALID_ARGUMENT for bad options, negative sizes, an index out of
// range or a rating that is not finite or is negative (naming the entry).
absl::StatusOr<AlsModel> TrainAls(
    const AlsInput& input, const AlsOptions& options,
    std::function<void(const AlsProgress&)> on_iteration = {});

// The full objective for given factors, computed exactly in
// O(nnz * dim + (num_users + num_items) * dim^2): the all-pairs term
// sum_{u,i} (x_u . y_i)^2 = trace(XtX YtY) plus, for observed pairs,
// c (1 - s)^2 - s^2 with s = x_u . y_i, plus the L2 term.
// Errors: INVALID_ARGUMENT as TrainAls, or shape mismatch.
absl::StatusOr<double> AlsLoss(const AlsInput& input, const AlsOptions& options,
                               const RowMatrixXf& user_factors,
                               const RowMatrixXf& item_factors);

// Solves one user's factor against fixed item factors ("fold-in"): the same
// normal equations TrainAls solves per user. Used when a user's interactions
// change without retraining. Construct once per item-factor matrix (computes
// YtY and its regularised inverse, O(num_items * dim^2 + dim^3)); Solve is
// O(n_rated * dim^2 + dim^3), or O(n_rated * dim^2 + n_rated^2 * dim) when
// n_rated < dim / 2 (Woodbury identity).
//
// Thread-safety: Solve is const and may be called concurrently.
class AlsFoldIn {
 public:
  // `item_factors` is copied. `alpha` and `lambda` come from `options`.
  // Errors: INVALID_ARGUMENT for bad options or a dim mismatch.
  static absl::StatusOr<AlsFoldIn> Create(const RowMatrixXf& item_factors,
                                          const AlsOptions& options);

  // Returns the 1 x dim factor minimising the user's part of the loss. An
  // empty list gives the zero vector.
  // Errors: INVALID_ARGUMENT for an out-of-range index or a bad rating.
  absl::StatusOr<RowMatrixXf> Solve(
      absl::Span<const AlsRatedItem> rated) const;

  int dim() const { return static_cast<int>(item_factors_.cols()); }

 private:
  AlsFoldIn(RowMatrixXf item_factors, Eigen::MatrixXd system,
            Eigen::MatrixXd system_inverse, double alpha)
      : item_factors_(std::move(item_factors)),
        system_(std::move(system)),
        system_inverse_(std::move(system_inverse)),
        alpha_(alpha) {}

  RowMatrixXf item_factors_;
  Eigen::MatrixXd system_;          // YtY + lambda I, dim x dim.
  Eigen::MatrixXd system_inverse_;  // Its inverse.
  double alpha_;
};

// Dense re-indexing of interactions for ALS: users and items are numbered in
// ascending id order. user_ids[user_index] / item_ids[item_index] map back.
struct IndexedInteractions {
  AlsInput input;
  std::vector<UserId> user_ids;
  std::vector<ItemId> item_ids;
};
IndexedInteractions IndexInteractions(
    const std::vector<Interaction>& interactions);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_MODEL_ALS_H_
