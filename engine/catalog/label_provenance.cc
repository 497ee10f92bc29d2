#include "engine/catalog/label_provenance.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace feedgov {
namespace {

// 1 for a person's label, 0 for the others.
int Rank(const Label& l) { return l.source == LabelSource::kReviewer ? 1 : 0; }

}  // namespace

std::string LabelerOriginPrefix(absl::string_view labeler_name) {
  return absl::StrCat("labeler:", labeler_name, "@");
}

bool IsFromLabeler(const Label& label, absl::string_view labeler_name) {
  return label.source == LabelSource::kModel &&
         absl::StartsWith(label.origin, LabelerOriginPrefix(labeler_name));
}

bool Outranks(const Label& challenger, const Label& incumbent) {
  if (Rank(challenger) != Rank(incumbent)) {
    return Rank(challenger) > Rank(incumbent);
  }
  return challenger.confidence > incumbent.confidence;
}

std::vector<Label> MergeLabelerOutput(const std::vector<Label>& stored,
                                      absl::string_view labeler_name,
                                      std::vector<Label> fresh) {
  std::vector<Label> out;
  out.reserve(stored.size() + fresh.size());
  for (const Label& l : stored) {
    if (!IsFromLabeler(l, labeler_name)) out.push_back(l);
  }
  for (Label& f : fresh) {
    auto same = out.begin();
    while (same != out.end() && same->name != f.name) ++same;
    if (same != out.end()) {
      if (!Outranks(f, *same)) continue;
      out.erase(same);
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace feedgov
