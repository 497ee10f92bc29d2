// File: engine/labeler/calibration.h
//
// Turning classifier scores into calibrated probabilities, and measuring
// how calibrated probabilities are. Pure functions, thread-safe.
//
// Platt scaling (J. Platt, "Probabilistic outputs for support vector
// machines", 1999) fitted with the Newton method and backtracking line
// search of H.-T. Lin, C.-J. Lin and R. C. Weng, "A note on Platt's
// probabilistic outputs for support vector machines", Machine Learning 68
// (2007), including Platt's smoothed targets (N+ + 1)/(N+ + 2) and
// 1/(N- + 2).
//
// Expected calibration error (Naeini et al., AAAI 2015; Guo et al., ICML
// 2017): sum over bins of (bin size / n) * |mean probability - observed
// frequency|, with equal-mass bins (each holds floor or ceil of n / bins
// examples, in ascending probability order).
#ifndef FEEDGOV_ENGINE_LABELER_CALIBRATION_H_
#define FEEDGOV_ENGINE_LABELER_CALIBRATION_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace feedgov {

// p(s) = 1 / (1 + exp(a * s + b)). A good fit has a < 0 (higher scores,
// higher probability).
struct PlattScaling {
  double a = -1.0;
  double b = 0.0;
  // Probability for score `s`, in [0, 1]; computed without overflow.
  double Apply(double s) const;
};

// Fits Platt scaling to `scores` (any finite reals; here logit of the raw
// model probability) and `positive` (the true class of each example).
// Errors: INVALID_ARGUMENT when the sizes differ, a score is not finite,
// there are fewer than 2 examples, or only one class is present.
absl::StatusOr<PlattScaling> FitPlatt(absl::Span<const double> scores,
                                      absl::Span<const bool> positive);

// logit(p) = log(p / (1 - p)) with p clamped to [1e-7, 1 - 1e-7].
double Logit(double p);

// Expected calibration error of `probability` (each in [0, 1]) against
// `outcome`, `bins` equal-mass bins. 0 for empty input.
// REQUIRES: probability.size() == outcome.size(), bins >= 1.
double ExpectedCalibrationError(absl::Span<const double> probability,
                                absl::Span<const bool> outcome, int bins = 10);

// 95% percentile bootstrap interval of statistic(indices) over `n`
// examples: `rounds` resamples of n indices drawn with replacement (seeded,
// deterministic); returns {2.5th, 97.5th} percentile. {0, 0} when n == 0.
struct Interval {
  double low = 0;
  double high = 0;
};
Interval BootstrapInterval(
    int64_t n, const std::function<double(absl::Span<const int64_t>)>& statistic,
    int rounds = 1000, uint64_t seed = 1);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_LABELER_CALIBRATION_H_
