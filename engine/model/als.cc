#include "engine/model/als.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

// Observed entries grouped by row (user or item), duplicates merged, columns
// ascending within a row.
struct Csr {
  std::vector<int64_t> offsets;  // rows + 1.
  std::vector<int32_t> cols;
  std::vector<double> ratings;
  int32_t rows() const { return static_cast<int32_t>(offsets.size()) - 1; }
};

Csr BuildCsr(const std::vector<AlsEntry>& entries, int32_t rows,
             bool by_user) {
  std::vector<std::pair<int32_t, int32_t>> keys;  // (row, col) per entry.
  std::vector<int64_t> order(entries.size());
  keys.reserve(entries.size());
  for (const AlsEntry& e : entries) {
    keys.emplace_back(by_user ? e.user_index : e.item_index,
                      by_user ? e.item_index : e.user_index);
  }
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return keys[a] < keys[b]; });
  Csr csr;
  csr.offsets.assign(rows + 1, 0);
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& key = keys[order[k]];
    double rating = entries[order[k]].rating;
    if (k > 0 && keys[order[k - 1]] == key) {
      csr.ratings.back() += rating;  // Duplicate pair: ratings add up.
      continue;
    }
    csr.cols.push_back(key.second);
    csr.ratings.push_back(rating);
    ++csr.offsets[key.first + 1];
  }
  for (int32_t r = 0; r < rows; ++r) csr.offsets[r + 1] += csr.offsets[r];
  return csr;
}

absl::Status ValidateRating(double rating, absl::string_view where) {
  if (std::isfinite(rating) && rating >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      where, ": rating ", rating, " must be finite and >= 0"));
}

absl::Status ValidateInput(const AlsInput& input) {
  if (input.num_users < 0 || input.num_items < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("AlsInput: num_users = ", input.num_users,
                     ", num_items = ", input.num_items, ", expected >= 0"));
  }
  for (size_t k = 0; k < input.entries.size(); ++k) {
    const AlsEntry& e = input.entries[k];
    if (e.user_index < 0 || e.user_index >= input.num_users ||
        e.item_index < 0 || e.item_index >= input.num_items) {
      return absl::InvalidArgumentError(absl::StrCat(
          "AlsInput.entries[", k, "]: (user_index ", e.user_index,
          ", item_index ", e.item_index, ") out of range [0, ",
          input.num_users, ") x [0, ", input.num_items, ")"));
    }
    FEEDGOV_RETURN_IF_ERROR(
        ValidateRating(e.rating, absl::StrCat("AlsInput.entries[", k, "]")));
  }
  return absl::OkStatus();
}

Eigen::MatrixXd Gramian(const RowMatrixXf& factors) {
  Eigen::MatrixXd f = factors.cast<double>();
  return f.transpose() * f;
}

// The matrix shared by every row of a half-sweep, B = YtY + lambda I, with
// its inverse for the low-count path below.
struct SharedSystem {
  Eigen::MatrixXd b;      // dim x dim.
  Eigen::MatrixXd b_inv;  // dim x dim; B^-1.
};

SharedSystem MakeSharedSystem(const Eigen::MatrixXd& gramian, double lambda) {
  SharedSystem s;
  s.b = gramian;
  s.b.diagonal().array() += lambda;
  s.b_inv = s.b.llt().solve(Eigen::MatrixXd::Identity(s.b.rows(), s.b.cols()));
  return s;
}

// Rows with fewer observations than this fraction of dim use Woodbury.
constexpr int kWoodburyDivisor = 2;

// Minimises sum_j c_j (1 - x . y_j)^2 + sum_{others} (x . y)^2 + lambda |x|^2
// over x, i.e. solves (B + Ut U) x = Yt C p with B = YtY + lambda I and
// U = diag(sqrt(c_j - 1)) Y_obs, for the n observed columns `cols` (ratings
// `ratings`) of `fixed`. Writes dim floats to `out`.
//   n >= dim / 2: forms B + Ut U and solves by Cholesky, O(n d^2 + d^3).
//   n <  dim / 2: Woodbury identity
//     x = B^-1 b - V^T (I + V U^T)^-1 V b,  V = U B^-1,  O(n d^2 + n^2 d).
// Both are exact; the test oracle checks both against a dense solve.
void SolveRow(const RowMatrixXf& fixed, const SharedSystem& shared,
              double alpha, const int32_t* cols, const double* ratings,
              int64_t n, float* out) {
  const int d = static_cast<int>(fixed.cols());
  Eigen::Map<Eigen::RowVectorXf> x(out, d);
  if (n == 0) {  // Right-hand side is 0 and B is positive definite: x = 0.
    x.setZero();
    return;
  }
  Eigen::MatrixXd u(n, d);  // Row j: y_j, then sqrt(c_j - 1) y_j.
  Eigen::VectorXd conf(n);  // c_j.
  for (int64_t j = 0; j < n; ++j) {
    u.row(j) = fixed.row(cols[j]).cast<double>();
    conf(j) = 1.0 + alpha * ratings[j];
  }
  Eigen::VectorXd rhs = u.transpose() * conf;  // Yt C p.
  u = (conf.array() - 1.0).sqrt().matrix().asDiagonal() * u;
  Eigen::VectorXd solution;
  if (n * kWoodburyDivisor < d) {
    Eigen::MatrixXd v = u * shared.b_inv;  // n x d.
    Eigen::MatrixXd s = Eigen::MatrixXd::Identity(n, n);
    s.noalias() += v * u.transpose();
    Eigen::VectorXd t = s.llt().solve(v * rhs);
    solution = shared.b_inv * rhs - v.transpose() * t;
  } else {
    Eigen::MatrixXd a = shared.b;
    a.selfadjointView<Eigen::Lower>().rankUpdate(u.transpose());
    Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> llt(a);
    if (llt.info() == Eigen::Success) {
      solution = llt.solve(rhs);
    } else {  // Numerically semi-definite; LDLT copes.
      a.triangularView<Eigen::StrictlyUpper>() =
          a.triangularView<Eigen::StrictlyLower>().transpose();
      solution = a.ldlt().solve(rhs);
    }
  }
  x = solution.transpose().cast<float>();
}

int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Calls fn(row) for every row in [0, rows) on `threads` workers.
template <typename Fn>
void ParallelFor(int32_t rows, int threads, Fn fn) {
  constexpr int32_t kChunk = 16;
  std::atomic<int32_t> next{0};
  auto work = [&] {
    for (;;) {
      int32_t begin = next.fetch_add(kChunk);
      if (begin >= rows) return;
      int32_t end = std::min(rows, begin + kChunk);
      for (int32_t r = begin; r < end; ++r) fn(r);
    }
  };
  threads = std::min<int>(threads, std::max(1, rows / kChunk));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

// Solves every row of `out` against `fixed`.
void SolveSide(const Csr& csr, const RowMatrixXf& fixed,
               const AlsOptions& options, int threads, RowMatrixXf* out) {
  SharedSystem shared = MakeSharedSystem(Gramian(fixed), options.lambda);
  ParallelFor(csr.rows(), threads, [&](int32_t r) {
    int64_t begin = csr.offsets[r];
    SolveRow(fixed, shared, options.alpha,
             csr.cols.data() + begin, csr.ratings.data() + begin,
             csr.offsets[r + 1] - begin, out->row(r).data());
  });
}

double Loss(const Csr& by_user, const AlsOptions& options,
            const RowMatrixXf& users, const RowMatrixXf& items) {
  Eigen::MatrixXd xtx = Gramian(users);
  Eigen::MatrixXd yty = Gramian(items);
  double loss = xtx.cwiseProduct(yty).sum();  // sum_{u,i} (x_u . y_i)^2.
  for (int32_t u = 0; u < by_user.rows(); ++u) {
    Eigen::RowVectorXd x = users.row(u).cast<double>();
    for (int64_t k = by_user.offsets[u]; k < by_user.offsets[u + 1]; ++k) {
      double s = x.dot(items.row(by_user.cols[k]).cast<double>());
      double c = 1.0 + options.alpha * by_user.ratings[k];
      loss += c * (1.0 - s) * (1.0 - s) - s * s;
    }
  }
  return loss + options.lambda * (xtx.trace() + yty.trace());
}

RowMatrixXf GaussianMatrix(int32_t rows, int dim, double stddev,
                           std::mt19937_64* gen) {
  std::normal_distribution<double> normal(0.0, stddev);
  RowMatrixXf m(rows, dim);
  for (int32_t r = 0; r < rows; ++r) {
    for (int c = 0; c < dim; ++c) m(r, c) = static_cast<float>(normal(*gen));
  }
  return m;
}

}  // namespace

absl::Status AlsOptions::Validate() const {
  auto bad = [](absl::string_view field, double value,
                absl::string_view expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AlsOptions.", field, " = ", value, ", expected ", expected));
  };
  if (dim < 1 || dim > 1024) return bad("dim", dim, "[1, 1024]");
  if (!std::isfinite(alpha) || alpha < 0) {
    return bad("alpha", alpha, "finite and >= 0");
  }
  if (!std::isfinite(lambda) || lambda <= 0) {
    return bad("lambda", lambda, "finite and > 0");
  }
  if (iterations < 1 || iterations > 200) {
    return bad("iterations", iterations, "[1, 200]");
  }
  if (!std::isfinite(init_stddev) || init_stddev <= 0) {
    return bad("init_stddev", init_stddev, "finite and > 0");
  }
  if (num_threads < 0 || num_threads > 256) {
    return bad("num_threads", num_threads, "[0, 256]");
  }
  return absl::OkStatus();
}

AlsOptions AlsOptions::FromConfig(const feedgov::v1::AlsConfig& config) {
  AlsOptions o;
  if (config.dim() != 0) o.dim = config.dim();
  if (config.alpha() != 0) o.alpha = config.alpha();
  if (config.lambda() != 0) o.lambda = config.lambda();
  if (config.iterations() != 0) o.iterations = config.iterations();
  if (config.seed() != 0) o.seed = config.seed();
  if (config.init_stddev() != 0) o.init_stddev = config.init_stddev();
  return o;
}

absl::StatusOr<AlsModel> TrainAls(
    const AlsInput& input, const AlsOptions& options,
    std::function<void(const AlsProgress&)> on_iteration) {
  FEEDGOV_RETURN_IF_ERROR(options.Validate());
  FEEDGOV_RETURN_IF_ERROR(ValidateInput(input));
  const auto start = std::chrono::steady_clock::now();
  const int threads = ResolveThreads(options.num_threads);
  Csr by_user = BuildCsr(input.entries, input.num_users, /*by_user=*/true);
  Csr by_item = BuildCsr(input.entries, input.num_items, /*by_user=*/false);

  std::mt19937_64 gen(options.seed);
  AlsModel model;
  model.user_factors =
      GaussianMatrix(input.num_users, options.dim, options.init_stddev, &gen);
  model.item_factors =
      GaussianMatrix(input.num_items, options.dim, options.init_stddev, &gen);
  for (int it = 1; it <= options.iterations; ++it) {
    SolveSide(by_user, model.item_factors, options, threads,
              &model.user_factors);
    SolveSide(by_item, model.user_factors, options, threads,
              &model.item_factors);
    double loss =
        Loss(by_user, options, model.user_factors, model.item_factors);
    model.loss_history.push_back(loss);
    if (on_iteration) {
      std::chrono::duration<double> elapsed =
          std::chrono::steady_clock::now() - start;
      on_iteration(AlsProgress{it, loss, elapsed.count()});
    }
  }
  return model;
}

absl::StatusOr<double> AlsLoss(const AlsInput& input,
                               const AlsOptions& options,
                               const RowMatrixXf& user_factors,
                               const RowMatrixXf& item_factors) {
  FEEDGOV_RETURN_IF_ERROR(options.Validate());
  FEEDGOV_RETURN_IF_ERROR(ValidateInput(input));
  if (user_factors.rows() != input.num_users ||
      item_factors.rows() != input.num_items ||
      user_factors.cols() != item_factors.cols()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AlsLoss: factors are ", user_factors.rows(), "x", user_factors.cols(),
        " and ", item_factors.rows(), "x", item_factors.cols(), ", expected ",
        input.num_users, "xd and ", input.num_items, "xd"));
  }
  Csr by_user = BuildCsr(input.entries, input.num_users, /*by_user=*/true);
  return Loss(by_user, options, user_factors, item_factors);
}

absl::StatusOr<AlsFoldIn> AlsFoldIn::Create(const RowMatrixXf& item_factors,
                                            const AlsOptions& options) {
  FEEDGOV_RETURN_IF_ERROR(options.Validate());
  if (item_factors.cols() != options.dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("AlsFoldIn: item_factors have ", item_factors.cols(),
                     " columns, options.dim = ", options.dim));
  }
  SharedSystem shared = MakeSharedSystem(Gramian(item_factors), options.lambda);
  return AlsFoldIn(item_factors, std::move(shared.b), std::move(shared.b_inv),
                   options.alpha);
}

absl::StatusOr<RowMatrixXf> AlsFoldIn::Solve(
    absl::Span<const AlsRatedItem> rated) const {
  std::vector<std::pair<int32_t, double>> merged;
  merged.reserve(rated.size());
  for (size_t k = 0; k < rated.size(); ++k) {
    const AlsRatedItem& r = rated[k];
    if (r.item_index < 0 || r.item_index >= item_factors_.rows()) {
      return absl::InvalidArgumentError(
          absl::StrCat("AlsFoldIn: rated[", k, "].item_index ", r.item_index,
                       " out of range [0, ", item_factors_.rows(), ")"));
    }
    FEEDGOV_RETURN_IF_ERROR(
        ValidateRating(r.rating, absl::StrCat("AlsFoldIn: rated[", k, "]")));
    merged.emplace_back(r.item_index, r.rating);
  }
  std::stable_sort(merged.begin(), merged.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<int32_t> cols;
  std::vector<double> ratings;
  for (const auto& [col, rating] : merged) {
    if (!cols.empty() && cols.back() == col) {
      ratings.back() += rating;
      continue;
    }
    cols.push_back(col);
    ratings.push_back(rating);
  }
  RowMatrixXf x(1, dim());
  SolveRow(item_factors_, SharedSystem{system_, system_inverse_}, alpha_,
           cols.data(),
           ratings.data(), static_cast<int64_t>(cols.size()), x.data());
  return x;
}

IndexedInteractions IndexInteractions(
    const std::vector<Interaction>& interactions) {
  IndexedInteractions out;
  for (const Interaction& r : interactions) {
    out.user_ids.push_back(r.user);
    out.item_ids.push_back(r.item);
  }
  for (auto* ids : {&out.user_ids, &out.item_ids}) {
    std::sort(ids->begin(), ids->end());
    ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  }
  absl::flat_hash_map<int64_t, int32_t> user_index, item_index;
  for (size_t i = 0; i < out.user_ids.size(); ++i) {
    user_index[out.user_ids[i]] = static_cast<int32_t>(i);
  }
  for (size_t i = 0; i < out.item_ids.size(); ++i) {
    item_index[out.item_ids[i]] = static_cast<int32_t>(i);
  }
  out.input.num_users = static_cast<int32_t>(out.user_ids.size());
  out.input.num_items = static_cast<int32_t>(out.item_ids.size());
  out.input.entries.reserve(interactions.size());
  for (const Interaction& r : interactions) {
    out.input.entries.push_back(
        AlsEntry{user_index[r.user], item_index[r.item], r.rating});
  }
  return out;
}

}  // namespace feedgov
