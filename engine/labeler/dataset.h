// File: engine/labeler/dataset.h
//
// Labeled texts for training and evaluating the built-in labelers, read
// from a folder in one of the formats of feedgov.v1.LabelerDataFormat
// (engine/proto/feedgov/v1/labeler.proto; the ../shared/data/ folders and
// held-out copies in the same format), and their seeded, stratified split
// into train, calibrate and validate parts.
#ifndef FEEDGOV_ENGINE_LABELER_DATASET_H_
#define FEEDGOV_ENGINE_LABELER_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "feedgov/v1/labeler.pb.h"

namespace feedgov {

// Most rows read from one folder; more is INVALID_ARGUMENT.
inline constexpr int64_t kMaxLabeledRows = 5'000'000;

struct LabeledText {
  std::string text;
  int label = 0;       // Index into the config's classes.
  std::string where;   // "file:line", for messages.
};

struct DataParts {
  std::vector<LabeledText> train, calibrate, validate;
};

// The class names a format produces, in the order the data numbers them.
std::vector<std::string> FormatClasses(feedgov::v1::LabelerDataFormat format);

// The data files of `format` (base names) that exist in `dir`, in the
// format's order (COLD: train.csv, dev.csv, test.csv).
std::vector<std::string> FormatFiles(feedgov::v1::LabelerDataFormat format);

// Every labeled row of the format's files in `dir` (files that are absent
// are skipped; none present is NOT_FOUND naming the directory and the
// expected files; files without a single row are INVALID_ARGUMENT). A
// UTF-8 byte order mark at the start of a file is skipped. Class names map
// to indices of `config.class`.
// Errors: INVALID_ARGUMENT "file:line: ..." naming the field and what was
// expected (a class value outside the format's, a missing column, a line
// over 1 MiB, more than kMaxLabeledRows rows); NOT_FOUND as above.
absl::StatusOr<std::vector<LabeledText>> ReadLabeledFile(
    const feedgov::v1::LabelerConfig& config, const std::string& path);
absl::StatusOr<std::vector<LabeledText>> ReadLabeledFolder(
    const feedgov::v1::LabelerConfig& config, const std::string& dir);

// The three disjoint parts of `config`'s data in `dir`. COLD: its own
// train.csv, dev.csv and test.csv. Other formats: every distinct text (exact
// bytes, trimmed) is one unit, so identical texts land on one side; units
// are stratified by class (the class of their first row), shuffled with
// config.seed, and the first train_fraction of each class trains, the next
// calibrate_fraction calibrates, the rest validates.
absl::StatusOr<DataParts> LoadParts(const feedgov::v1::LabelerConfig& config,
                                    const std::string& dir);

// True when `text` is among the `take_fraction` share of texts an
// ExtraTrainRows entry takes (a seeded hash of the trimmed text), so a
// caller can pick the complement to measure on texts never trained on.
bool TakenForExtraTrain(const std::string& text, double take_fraction, uint64_t seed);

// The rows of `extra` (relative to `data_root`) as class `as_class` of
// `config`: distinct trimmed texts, TakenForExtraTrain(config.seed()),
// at most max_rows, in file order.
// Errors: NOT_FOUND (file), INVALID_ARGUMENT "file:line: ..." (a JSON line
// without a string `sentence`, a line over 1 MiB, an unknown as_class, a
// file name that is not .txt/.json/.jsonl or leaves the folder).
absl::StatusOr<std::vector<LabeledText>> ReadExtraTrainRows(
    const feedgov::v1::LabelerConfig& config, const feedgov::v1::ExtraTrainRows& extra,
    const std::string& data_root);

// Splits `rows` as LoadParts does for unsplit formats (exposed for tests).
DataParts SplitRows(std::vector<LabeledText> rows, int num_classes,
                    double train_fraction, double calibrate_fraction,
                    uint64_t seed);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_LABELER_DATASET_H_
