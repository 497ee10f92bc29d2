// File: engine/labeler/labeler_set.h
//
// LabelerSet: the built-in labelers in use (the CURRENT version of each one
// under a models directory), and the routing of a text to the labelers of
// its language (text.h DetectLanguage). Immutable after Load; thread-safe;
// share as std::shared_ptr<const LabelerSet>.
#ifndef FEEDGOV_ENGINE_LABELER_LABELER_SET_H_
#define FEEDGOV_ENGINE_LABELER_LABELER_SET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/common/types.h"
#include "engine/labeler/labeler.h"
#include "engine/labeler/text.h"

namespace feedgov {

struct LabelingResult {
  LanguageGuess language;
  // Labels of every labeler of the language, at most one per name (the
  // highest probability wins), in labeler then class order.
  std::vector<Label> labels;
  // The labelers that read the text (possibly emitting nothing).
  std::vector<const TextLabeler*> labelers;
  // Calibrated probability of every labelled class of those labelers, in
  // the same order: {labeler, label, probability}.
  struct Score {
    const TextLabeler* labeler;
    std::string label;
    double probability;
    double raw;
  };
  std::vector<Score> scores;
};

class LabelerSet {
 public:
  // Loads <models_dir>/<name>/<CURRENT version> for every labeler folder
  // with a CURRENT file; only `names` when non-empty.
  // Errors: NOT_FOUND when the directory holds no trained labeler (message
  // says to run `feedgov labeler train`), a requested name is missing, or
  // CURRENT names a version folder that does not exist; INVALID_ARGUMENT
  // when CURRENT does not hold a version name (IsLabelerVersionName) or
  // the manifest's name and version are not its folder's and CURRENT's;
  // the errors of TextLabeler::Load.
  static absl::StatusOr<std::shared_ptr<const LabelerSet>> Load(
      const std::string& models_dir, const std::vector<std::string>& names = {});

  // A set of already loaded labelers (tests).
  static std::shared_ptr<const LabelerSet> Of(
      std::vector<std::unique_ptr<const TextLabeler>> labelers);

  // Labels `text`. `language` forces the route ("en", "zh"; "" detects);
  // result.language.detected is the detector's answer either way.
  LabelingResult LabelText(absl::string_view text, UnixSeconds now,
                           absl::string_view language = "") const;

  const std::vector<std::unique_ptr<const TextLabeler>>& labelers() const {
    return labelers_;
  }
  const TextLabeler* Find(absl::string_view name) const;

 private:
  std::vector<std::unique_ptr<const TextLabeler>> labelers_;
};

// OK when every label `labelers` can emit is one of `taxonomy_labels`.
// Else INVALID_ARGUMENT naming the labeler, its version folder and the
// label: an item carrying a label the taxonomy does not know is refused by
// the catalog writer (and dropped by the verdict, fail closed), so ingest
// and serve check this before they label anything.
absl::Status CheckLabelerLabels(const LabelerSet& labelers,
                                const std::vector<std::string>& taxonomy_labels);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_LABELER_LABELER_SET_H_
