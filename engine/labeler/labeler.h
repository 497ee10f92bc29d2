// File: engine/labeler/labeler.h
//
// TextLabeler: one trained, versioned built-in labeler (a fastText
// supervised model plus its calibration, docs/labelers.md), loaded from
// <models>/<name>/<version>/ (model.bin + labeler.textproto, written by
// TrainLabeler in trainer.h).
//
// What it outputs: for each class of its config, a calibrated probability
// (Platt scaling of logit(fastText probability), fitted on the calibration
// part only); a label (taxonomy name, source MODEL, origin
// "labeler:<name>@<version>", confidence = calibrated probability, score =
// raw fastText probability) for each class that maps to a label and whose
// probability is >= the manifest's emit threshold.
//
// Thread-safety: immutable after Load; every method is const and safe to
// call concurrently (fastText's predict keeps its state on the stack).
#ifndef FEEDGOV_ENGINE_LABELER_LABELER_H_
#define FEEDGOV_ENGINE_LABELER_LABELER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/common/types.h"
#include "engine/labeler/calibration.h"
#include "feedgov/v1/labeler.pb.h"

namespace fasttext {
class FastText;
class DenseMatrix;
}

namespace feedgov {

// Bump when tokenization, training or calibration code changes what a
// model would be: it is part of every model's cache key and version.
inline constexpr char kLabelerCodeVersion[] = "labeler-code-7";

// True when `version` can name a version folder: 1-64 of [A-Za-z0-9_.-],
// not starting with '.' (so never "." or ".."); what CURRENT may hold.
bool IsLabelerVersionName(absl::string_view version);

class TextLabeler {
 public:
  // Loads `dir` (holding model.bin and labeler.textproto).
  // Errors: NOT_FOUND (missing files); INVALID_ARGUMENT naming the file: a
  // manifest that does not parse ("path:line:column: ..."), a model.bin
  // that is not a complete dense softmax fastText classifier with finite
  // weights (checked before fastText reads it: fastText itself loops
  // forever on a truncated file), or a manifest that disagrees with the
  // model or with itself (name, version or language malformed; classes not
  // exactly the model's labels; two classes on one label; Platt parameters
  // or decision weights not finite; emit_threshold outside [0, 1]).
  static absl::StatusOr<std::unique_ptr<const TextLabeler>> Load(const std::string& dir);

  // From an in-memory model (the trainer, before anything is written).
  // Errors: INVALID_ARGUMENT when the manifest does not fit the model (as
  // Load).
  static absl::StatusOr<std::unique_ptr<const TextLabeler>> FromModel(
      std::shared_ptr<const fasttext::FastText> model,
      feedgov::v1::LabelerManifest manifest);

  ~TextLabeler();

  const feedgov::v1::LabelerManifest& manifest() const { return manifest_; }
  const std::string& name() const { return manifest_.name(); }
  const std::string& version() const { return manifest_.version(); }
  const std::string& language() const { return manifest_.language(); }
  // "labeler:<name>@<version>", the origin of every label it emits.
  std::string origin() const;
  // Taxonomy labels this labeler can emit (its "family"), in class order.
  std::vector<std::string> LabelNames() const;

  // Raw fastText probabilities per class (config class order) of
  // already-tokenized text (LabelerTokens). Empty token lists give the
  // uniform distribution. The forward pass of a fastText softmax
  // classifier (Joulin et al. 2017: the mean of the input rows of the
  // tokens, subwords and n-gram buckets fastText's dictionary gives, times
  // the output matrix, softmax) computed here with loops the compiler
  // vectorizes: Debian's libfasttext runs it scalar (about 4x slower).
  std::vector<double> RawProbabilities(const std::string& tokens) const;
  // The same through fastText's own FastText::predict: the reference the
  // tests compare RawProbabilities with.
  std::vector<double> RawProbabilitiesReference(const std::string& tokens) const;
  // Calibrated probabilities per class from raw ones: binary labelers
  // calibrate the first class and give the second its complement;
  // multi-class ones calibrate each class against the rest.
  std::vector<double> Calibrate(const std::vector<double>& raw) const;
  // The predicted class: argmax over classes of decision_weight x prob.
  int Decide(const std::vector<double>& prob) const;

  // Labels for `text` (raw UTF-8, any length: LabelerTokens clips it),
  // stamped with `now`.
  std::vector<Label> LabelsFor(absl::string_view text, UnixSeconds now) const;

 private:
  TextLabeler() = default;
  absl::Status Bind();  // Maps fastText label ids to config classes.

  std::shared_ptr<const fasttext::FastText> model_;
  std::shared_ptr<const fasttext::DenseMatrix> input_;   // (words + buckets) x dim
  std::shared_ptr<const fasttext::DenseMatrix> output_;  // labels x dim
  feedgov::v1::LabelerManifest manifest_;
  std::vector<int> class_of_label_;  // fastText label id -> class index.
  std::vector<PlattScaling> platt_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_LABELER_LABELER_H_
