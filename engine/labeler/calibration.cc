#include "engine/labeler/calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"

namespace feedgov {

double PlattScaling::Apply(double s) const {
  const double f = a * s + b;
  // 1 / (1 + e^f), stable for large |f|.
  if (f >= 0) {
    const double e = std::exp(-f);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + std::exp(f));
}

double Logit(double p) {
  p = std::clamp(p, 1e-7, 1.0 - 1e-7);
  return std::log(p / (1.0 - p));
}

absl::StatusOr<PlattScaling> FitPlatt(absl::Span<const double> scores,
                                      absl::Span<const bool> positive) {
  if (scores.size() != positive.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Platt fit: ", scores.size(), " scores but ", positive.size(), " outcomes"));
  }
  const size_t n = scores.size();
  if (n < 2) return absl::InvalidArgumentError("Platt fit: fewer than 2 examples");
  double prior1 = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(scores[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("Platt fit: score ", i, " is not finite"));
    }
    if (positive[i]) prior1 += 1;
  }
  const double prior0 = static_cast<double>(n) - prior1;
  if (prior1 == 0 || prior0 == 0) {
    return absl::InvalidArgumentError("Platt fit: only one class present");
  }
  // Lin, Lin & Weng (2007), Algorithm 1 (their A, B; p = 1/(1+exp(A f + B))).
  const double hi = (prior1 + 1.0) / (prior1 + 2.0);
  const double lo = 1.0 / (prior0 + 2.0);
  std::vector<double> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = positive[i] ? hi : lo;
  const int kMaxIter = 100;
  const double kMinStep = 1e-10, kSigma = 1e-12, kEps = 1e-5;
  double A = 0.0, B = std::log((prior0 + 1.0) / (prior1 + 1.0));
  auto objective = [&](double a, double b) {
    double fval = 0;
    for (size_t i = 0; i < n; ++i) {
      const double f = scores[i] * a + b;
      if (f >= 0) {
        fval += t[i] * f + std::log1p(std::exp(-f));
      } else {
        fval += (t[i] - 1.0) * f + std::log1p(std::exp(f));
      }
    }
    return fval;
  };
  double fval = objective(A, B);
  for (int it = 0; it < kMaxIter; ++it) {
    double h11 = kSigma, h22 = kSigma, h21 = 0, g1 = 0, g2 = 0;
    for (size_t i = 0; i < n; ++i) {
      const double f = scores[i] * A + B;
      double p, q;
      if (f >= 0) {
        p = std::exp(-f) / (1.0 + std::exp(-f));
        q = 1.0 / (1.0 + std::exp(-f));
      } else {
        p = 1.0 / (1.0 + std::exp(f));
        q = std::exp(f) / (1.0 + std::exp(f));
      }
      const double d2 = p * q;
      h11 += scores[i] * scores[i] * d2;
      h22 += d2;
      h21 += scores[i] * d2;
      const double d1 = t[i] - p;
      g1 += scores[i] * d1;
      g2 += d1;
    }
    if (std::fabs(g1) < kEps && std::fabs(g2) < kEps) break;
    const double det = h11 * h22 - h21 * h21;
    const double dA = -(h22 * g1 - h21 * g2) / det;
    const double dB = -(-h21 * g1 + h11 * g2) / det;
    const double gd = g1 * dA + g2 * dB;
    double step = 1.0;
    bool improved = false;
    while (step >= kMinStep) {
      const double newA = A + step * dA, newB = B + step * dB;
      const double newf = objective(newA, newB);
      if (newf < fval + 0.0001 * step * gd) {
        A = newA;
        B = newB;
        fval = newf;
        improved = true;
        break;
      }
      step /= 2.0;
    }
    if (!improved) break;  // Line search failed: at the numerical optimum.
  }
  return PlattScaling{A, B};
}

double ExpectedCalibrationError(absl::Span<const double> probability,
                                absl::Span<const bool> outcome, int bins) {
  const int64_t n = static_cast<int64_t>(probability.size());
  if (n == 0) return 0.0;
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    return probability[x] < probability[y];
  });
  double ece = 0;
  for (int b = 0; b < bins; ++b) {
    const int64_t begin = n * b / bins, end = n * (b + 1) / bins;
    if (end <= begin) continue;
    double sum_p = 0, sum_y = 0;
    for (int64_t k = begin; k < end; ++k) {
      sum_p += probability[order[k]];
      sum_y += outcome[order[k]] ? 1.0 : 0.0;
    }
    const double m = static_cast<double>(end - begin);
    ece += (m / n) * std::fabs(sum_p / m - sum_y / m);
  }
  return ece;
}

Interval BootstrapInterval(
    int64_t n, const std::function<double(absl::Span<const int64_t>)>& statistic,
    int rounds, uint64_t seed) {
  if (n <= 0 || rounds <= 0) return {};
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  std::vector<double> values(rounds);
  std::vector<int64_t> sample(n);
  for (int r = 0; r < rounds; ++r) {
    for (int64_t i = 0; i < n; ++i) sample[i] = pick(rng);
    values[r] = statistic(sample);
  }
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    const size_t k = std::min<size_t>(values.size() - 1,
                                      static_cast<size_t>(q * (values.size() - 1) + 0.5));
    return values[k];
  };
  return {at(0.025), at(0.975)};
}

}  // namespace feedgov
