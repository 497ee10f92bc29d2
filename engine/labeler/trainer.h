// File: engine/labeler/trainer.h
//
// Training the built-in labelers (docs/labelers.md): read the labeler's
// folder, split it (dataset.h), train fastText on the train part, fit Platt
// scaling and the decision weights on the calibrate part only, evaluate on
// the validate part, and write a versioned model directory:
//
//   <models>/<name>/<version>/model.bin          fastText model
//   <models>/<name>/<version>/labeler.textproto  LabelerManifest (config,
//                                                calibration, validation)
//   <models>/<name>/<version>/eval.json          the validation results
//   <models>/<name>/CURRENT                      the version in use
//
// <version> is the first 12 hex digits of the cache key: SHA-256 over
// kLabelerCodeVersion, the config (serialized) and the name and SHA-256 of
// every data file. A model directory that already exists for the key is
// reused (the cache); a different key trains a new version beside it.
// Everything is written to a temporary directory first (fsync'ed) and
// renamed, so a crash leaves no half-written model; when the version
// directory already exists (--force, or another trainer of the same
// version finished first) the two are exchanged atomically, so a reader
// following CURRENT never finds the version missing. Temporary directories
// of trainers that died are removed by the next training.
//
// Training is single-threaded and seeded: the same data, config and code
// give the same model bytes.
#ifndef FEEDGOV_ENGINE_LABELER_TRAINER_H_
#define FEEDGOV_ENGINE_LABELER_TRAINER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "feedgov/v1/labeler.pb.h"

namespace feedgov {

// Reads and validates a LabelerConfigs file (models/labelers.textproto).
// Errors: NOT_FOUND; INVALID_ARGUMENT "path:line: ..." for a syntax error,
// a duplicate or malformed name, a language other than en/zh, a missing
// data_dir or format (data_dir is a folder name: no '/', no ".."), classes
// that are not exactly the format's, two classes mapping to one label, a label
// name outside the taxonomy (when `taxonomy_labels` is non-empty), or a
// parameter outside the range documented in labeler.proto.
absl::StatusOr<feedgov::v1::LabelerConfigs> LoadLabelerConfigs(
    const std::string& path, const std::vector<std::string>& taxonomy_labels);

struct TrainOptions {
  std::string data_root;   // Folder holding config.data_dir.
  std::string models_dir;  // Where versions are written.
  bool force = false;      // Retrain even when the version exists.
  // Progress lines ("clickbait_en: training 17919 rows, epoch 3/10"...).
  std::function<void(const std::string&)> progress;
};

struct TrainResult {
  std::string dir;      // <models>/<name>/<version>
  bool cached = false;  // Reused, not trained.
  feedgov::v1::LabelerManifest manifest;
};

// Trains (or reuses) one labeler and makes it CURRENT.
// Errors: NOT_FOUND (data folder), INVALID_ARGUMENT (bad rows, with
// file:line; a part without every class), INTERNAL (fastText or I/O).
absl::StatusOr<TrainResult> TrainLabeler(const feedgov::v1::LabelerConfig& config,
                                         const TrainOptions& options);

// The cache key (64 hex digits) of `config` over the data in `data_dir`.
absl::StatusOr<std::string> LabelerCacheKey(const feedgov::v1::LabelerConfig& config,
                                            const std::string& data_dir);

// JSON of an evaluation: one object with accuracy, accuracy_interval,
// macro_f1, roc_auc, ece, ece_interval, n and classes (name, label,
// support, precision, recall, f1, f1_interval, roc_auc, ece, the two
// suggested thresholds and recall / precision at them).
std::string EvalResultJson(const feedgov::v1::EvalResult& r);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_LABELER_TRAINER_H_
