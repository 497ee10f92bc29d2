#include "engine/labeler/labeler_set.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace fs = std::filesystem;

absl::StatusOr<std::shared_ptr<const LabelerSet>> LabelerSet::Load(
    const std::string& models_dir, const std::vector<std::string>& names) {
  std::error_code ec;
  std::vector<std::string> found;
  if (fs::is_directory(models_dir, ec)) {
    for (const auto& e : fs::directory_iterator(models_dir, ec)) {
      if (e.is_directory() && fs::exists(e.path() / "CURRENT")) {
        found.push_back(e.path().filename().string());
      }
    }
  }
  std::sort(found.begin(), found.end());
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat(
        models_dir, ": no trained labeler (run `feedgov labeler train --models ", models_dir, "`)"));
  }
  for (const auto& n : names) {
    if (std::find(found.begin(), found.end(), n) == found.end()) {
      return absl::NotFoundError(absl::StrCat(models_dir, ": no trained labeler '", n, "'"));
    }
  }
  auto set = std::shared_ptr<LabelerSet>(new LabelerSet());
  for (const auto& n : found) {
    if (!names.empty() && std::find(names.begin(), names.end(), n) == names.end()) continue;
    const fs::path current = fs::path(models_dir) / n / "CURRENT";
    std::ifstream cur(current);
    std::string version;
    std::getline(cur, version);
    version = std::string(absl::StripAsciiWhitespace(version));
    if (!IsLabelerVersionName(version)) {
      return absl::InvalidArgumentError(absl::StrCat(
          current.string(), ": '", absl::CHexEscape(version),
          "' is not a version folder name (1-64 of [A-Za-z0-9_.-], not starting with '.')"));
    }
    const fs::path dir = fs::path(models_dir) / n / version;
    if (!fs::is_directory(dir, ec)) {
      return absl::NotFoundError(absl::StrCat(current.string(), " names version ", version,
                                              ", but ", dir.string(), " is not a directory"));
    }
    FEEDGOV_ASSIGN_OR_RETURN(std::unique_ptr<const TextLabeler> l,
                             TextLabeler::Load(dir.string()));
    // The origin of every label is the manifest's name and version: they
    // must be the folder's and CURRENT's, or labels would name a labeler
    // that is not the one loaded (and two folders could hold one name).
    if (l->name() != n || l->version() != version) {
      return absl::InvalidArgumentError(absl::StrCat(
          (dir / "labeler.textproto").string(), ": manifest is labeler ", l->name(),
          " version ", l->version(), ", but it sits in folder ", n, " and ",
          current.string(), " says ", version));
    }
    set->labelers_.push_back(std::move(l));
  }
  return std::shared_ptr<const LabelerSet>(std::move(set));
}

std::shared_ptr<const LabelerSet> LabelerSet::Of(
    std::vector<std::unique_ptr<const TextLabeler>> labelers) {
  auto set = std::shared_ptr<LabelerSet>(new LabelerSet());
  set->labelers_ = std::move(labelers);
  return set;
}

const TextLabeler* LabelerSet::Find(absl::string_view name) const {
  for (const auto& l : labelers_) {
    if (l->name() == name) return l.get();
  }
  return nullptr;
}

LabelingResult LabelerSet::LabelText(absl::string_view text, UnixSeconds now,
                                     absl::string_view language) const {
  LabelingResult r;
  r.language = DetectLanguage(text);  // `detected` always says what was found.
  if (!language.empty()) r.language.code = std::string(language);
  if (r.language.code.empty()) return r;
  for (const auto& l : labelers_) {
    if (l->language() != r.language.code) continue;
    r.labelers.push_back(l.get());
    const std::vector<double> raw = l->RawProbabilities(LabelerTokens(text, l->language()));
    const std::vector<double> q = l->Calibrate(raw);
    for (int c = 0; c < l->manifest().class__size(); ++c) {
      const std::string& name = l->manifest().class_(c).label();
      if (name.empty()) continue;
      r.scores.push_back({l.get(), name, q[c], raw[c]});
      if (q[c] < l->manifest().emit_threshold()) continue;
      Label label;
      label.name = name;
      label.confidence = static_cast<float>(q[c]);
      label.source = LabelSource::kModel;
      label.time = now;
      label.origin = l->origin();
      label.score = static_cast<float>(std::clamp(raw[c], 0.0, 1.0));
      auto same = std::find_if(r.labels.begin(), r.labels.end(),
                               [&](const Label& x) { return x.name == name; });
      if (same == r.labels.end()) {
        r.labels.push_back(std::move(label));
      } else if (label.confidence > same->confidence) {
        *same = std::move(label);
      }
    }
  }
  return r;
}

absl::Status CheckLabelerLabels(const LabelerSet& labelers,
                                const std::vector<std::string>& taxonomy_labels) {
  for (const auto& l : labelers.labelers()) {
    for (const std::string& label : l->LabelNames()) {
      if (std::find(taxonomy_labels.begin(), taxonomy_labels.end(), label) ==
          taxonomy_labels.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "labeler ", l->name(), " emits '", label, "', which is not in the taxonomy (",
            l->origin(), "; retrain it with `feedgov labeler train` or fix its config)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace feedgov
