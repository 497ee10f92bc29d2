#include "engine/retrieval/synthetic.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>

#include "engine/common/split_mix64.h"

namespace feedgov {
namespace {

// SplitMix64 (common/split_mix64.h) with the distributions the fixtures use.
class Rng {
 public:
  explicit Rng(uint64_t seed) : mix_(seed) {}
  uint64_t Next() { return mix_.Next(); }
  // Uniform in (0, 1).
  double Uniform() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1p-53; }
  // Standard normal (Box-Muller, one value per call).
  double Normal() {
    const double u1 = Uniform();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  uint64_t Below(uint64_t bound) { return Next() % bound; }

 private:
  SplitMix64 mix_;
};

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "engine/retrieval/synthetic.cc: %s\n", what);
    std::abort();
  }
}

// Adds Gaussian noise of expected norm `noise_norm` to `v`, then normalizes.
Eigen::VectorXd NoisyUnit(const Eigen::VectorXd& base, double noise_norm,
                          Rng& rng) {
  const double sigma = noise_norm / std::sqrt(static_cast<double>(base.size()));
  Eigen::VectorXd v = base;
  for (Eigen::Index j = 0; j < v.size(); ++j) v[j] += sigma * rng.Normal();
  return v / v.norm();
}

}  // namespace

RowMatrixXf MakeClusteredEmbeddings(int n, int d, int num_clusters,
                                    uint64_t seed) {
  Require(n >= 0, "MakeClusteredEmbeddings: n must be >= 0");
  Require(d >= 1, "MakeClusteredEmbeddings: d must be >= 1");
  Require(num_clusters >= 1, "MakeClusteredEmbeddings: num_clusters must be >= 1");
  Rng rng(seed);
  std::vector<Eigen::VectorXd> centres;
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(d);
  for (int c = 0; c < num_clusters; ++c) {
    centres.push_back(NoisyUnit(zero, 1.0, rng));
  }
  RowMatrixXf out(n, d);
  for (int i = 0; i < n; ++i) {
    const auto& centre = centres[rng.Below(num_clusters)];
    out.row(i) = NoisyUnit(centre, 0.6, rng).cast<float>().transpose();
  }
  return out;
}

RowMatrixXf MakeQueriesNear(const RowMatrixXf& normalized, int count,
                            uint64_t seed) {
  Require(normalized.rows() >= 1, "MakeQueriesNear: need at least one row");
  Require(count >= 0, "MakeQueriesNear: count must be >= 0");
  Rng rng(seed);
  RowMatrixXf out(count, normalized.cols());
  for (int i = 0; i < count; ++i) {
    const Eigen::VectorXd base =
        normalized.row(rng.Below(normalized.rows())).cast<double>().transpose();
    const double scale = 0.5 + 1.5 * rng.Uniform();
    out.row(i) = (scale * NoisyUnit(base, 0.3, rng)).cast<float>().transpose();
  }
  return out;
}

}  // namespace feedgov
