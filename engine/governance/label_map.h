// File: engine/governance/label_map.h
//
// Label maps (policies/labelmaps/*.textproto, schema label_map.proto):
// derive content labels (source MAPPING) from catalog metadata. Immutable
// after loading; thread-safe for concurrent reads.
#ifndef FEEDGOV_ENGINE_GOVERNANCE_LABEL_MAP_H_
#define FEEDGOV_ENGINE_GOVERNANCE_LABEL_MAP_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/common/types.h"
#include "engine/governance/taxonomy.h"

namespace feedgov {

struct LabelMap {
  std::string id;
  // Lower-cased genre -> (label name, confidence).
  absl::flat_hash_map<std::string, std::vector<std::pair<std::string, float>>>
      by_genre;
  // Normalized tag -> (label name, confidence).
  absl::flat_hash_map<std::string, std::vector<std::pair<std::string, float>>>
      by_tag;
  int num_entries = 0;
};

// Loads and validates a label map. INVALID_ARGUMENT "path:line: entry N:
// ..." for: syntax, missing id, an entry with both or neither of genre/tag,
// a tag not in the item tags' normal form (CanonicalTag, common/tags.h:
// lower-case, trimmed, inner whitespace runs one space), a label not in
// `taxonomy`, confidence outside (0, 1], the same (key, label) twice.
// NOT_FOUND if the file is missing.
absl::StatusOr<LabelMap> LoadLabelMap(const std::string& path,
                                      const Taxonomy& taxonomy);
absl::StatusOr<LabelMap> ParseLabelMap(const std::string& path,
                                       const std::string& text,
                                       const Taxonomy& taxonomy);

// Labels implied by an item's genres (any case, e.g. "Horror") and
// normalized tags. One label per name, with the highest confidence of the
// entries that produced it; source kMapping, origin "label_map:<map.id>",
// time `time`; sorted by name.
std::vector<Label> MapLabels(const LabelMap& map,
                             absl::Span<const std::string> genres,
                             absl::Span<const std::string> normalized_tags,
                             UnixSeconds time);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_LABEL_MAP_H_
