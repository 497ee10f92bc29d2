// File: engine/labeler/fixture.h
//
// A small labeled-text fixture in each labeler data format, generated
// deterministically from a seed (templates + vocabulary, a share of labels
// flipped so calibration has something to do). Used by the labeler tests
// and the end-to-end tests. Not real data: accuracy on it says the
// pipeline works, not that a labeler is good.
#ifndef FEEDGOV_ENGINE_LABELER_FIXTURE_H_
#define FEEDGOV_ENGINE_LABELER_FIXTURE_H_

#include <cstdint>
#include <string>

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/labeler/trainer.h"
#include "feedgov/v1/labeler.pb.h"

namespace feedgov {

struct FixtureOptions {
  int rows_per_class = 300;
  double label_noise = 0.05;  // Share of rows whose class is flipped.
  uint64_t seed = 2024;
};

// Writes `format`'s files into `dir` (created if missing).
// Errors: INTERNAL on I/O failure.
absl::Status WriteLabelerFixture(feedgov::v1::LabelerDataFormat format,
                                 const std::string& dir, const FixtureOptions& options);

// A LabelerConfigs text proto for the four built-in formats, reading
// folders "clickbait", "davidson", "cold", "weibo" under a data root (as
// WriteLabelerFixtures lays them out), with small fastText settings.
std::string FixtureLabelerConfigs();

// All four formats under `root`/{clickbait,davidson,cold,weibo}.
absl::Status WriteLabelerFixtures(const std::string& root, const FixtureOptions& options);

// Writes the fixtures under `data_root` (WriteLabelerFixtures) and trains
// the FixtureLabelerConfigs labelers named in `names` (every one when
// empty) into `models_dir`, in config order. About 0.2 s per labeler.
// Errors: those of WriteLabelerFixtures and TrainLabeler; NOT_FOUND for a
// name no fixture config has.
absl::StatusOr<std::vector<TrainResult>> TrainFixtureLabelers(
    const std::string& data_root, const std::string& models_dir,
    const std::vector<std::string>& names = {}, const FixtureOptions& options = {});

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_LABELER_FIXTURE_H_
