// File: engine/labeler/metrics.h
//
// Classification metrics for labeler evaluation (docs/labelers.md):
// accuracy, per-class precision / recall / F1, macro-F1, ROC-AUC, ECE, with
// 95% bootstrap intervals, and the two suggested thresholds per label. Pure
// functions, thread-safe.
#ifndef FEEDGOV_ENGINE_LABELER_METRICS_H_
#define FEEDGOV_ENGINE_LABELER_METRICS_H_

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "feedgov/v1/labeler.pb.h"

namespace feedgov {

// Area under the ROC curve of `score` for separating positive from negative
// examples: the Mann-Whitney U statistic / (N+ N-), ties counted one half.
// 0.5 when a class is absent.
double RocAuc(absl::Span<const double> score, absl::Span<const bool> positive);

// The largest threshold t among the scores such that recall of
// {score >= t} is >= `min_recall` (1 when there are no positives... see
// .cc), and the smallest t with precision >= `min_precision` over at least
// one example (NaN when no threshold reaches it).
double HighRecallThreshold(absl::Span<const double> score,
                           absl::Span<const bool> positive, double min_recall);
double HighPrecisionThreshold(absl::Span<const double> score,
                              absl::Span<const bool> positive,
                              double min_precision);

// Predictions of one labeler on one part of its data.
struct Predictions {
  std::vector<int> truth;                  // Class index per example.
  std::vector<int> predicted;              // Class index per example.
  std::vector<std::vector<double>> prob;   // [example][class], calibrated.
};

// Everything `labeler eval` prints. `classes` gives names and labels in
// class-index order; the binary ROC-AUC is of the first class with a label.
// `thresholds_from` (may be null) holds the suggested thresholds to
// measure recall/precision at (from the calibration part); when null they
// are computed on `p` itself. Bootstrap: 1000 rounds, seeded.
feedgov::v1::EvalResult Evaluate(
    const std::string& part,
    const google::protobuf::RepeatedPtrField<feedgov::v1::LabelerClass>& classes,
    const Predictions& p, const feedgov::v1::EvalResult* thresholds_from);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_LABELER_METRICS_H_
