// Fuzz target: the label-map parser (ParseLabelMap,
// engine/governance/label_map.h) against the repository's taxonomy, then
// MapLabels. Input: the text of a label-map file.
// Properties of a map that parses: every mapped label is in the taxonomy
// with a confidence in (0, 1], tags are normalized, genres are lower-cased;
// MapLabels returns one label per name, sorted, of source MAPPING, each
// with the highest confidence of its entries; the map printed back to
// canonical text parses to the same map.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "engine/common/tags.h"
#include "engine/governance/label_map.h"
#include "feedgov/v1/label_map.pb.h"
#include "fuzz/fuzz_util.h"
#include "google/protobuf/text_format.h"

namespace feedgov::fuzz {
namespace {

using Targets = std::vector<std::pair<std::string, float>>;

void CheckTargets(const Taxonomy& taxonomy, const Targets& targets) {
  FEEDGOV_FUZZ_CHECK(!targets.empty());
  for (const auto& [label, confidence] : targets) {
    FEEDGOV_FUZZ_CHECK(taxonomy.Find(label) != nullptr);
    FEEDGOV_FUZZ_CHECK(confidence > 0.0f && confidence <= 1.0f);
  }
}

void CheckMap(const Taxonomy& taxonomy, const LabelMap& map) {
  FEEDGOV_FUZZ_CHECK(!map.id.empty());
  int entries = 0;
  std::vector<std::string> genres;
  std::vector<std::string> tags;
  for (const auto& [genre, targets] : map.by_genre) {
    FEEDGOV_FUZZ_CHECK(genre == absl::AsciiStrToLower(genre));
    CheckTargets(taxonomy, targets);
    entries += static_cast<int>(targets.size());
    genres.push_back(absl::AsciiStrToUpper(genre));  // Matched in any case.
  }
  for (const auto& [tag, targets] : map.by_tag) {
    FEEDGOV_FUZZ_CHECK(CanonicalTag(tag) == tag);
    CheckTargets(taxonomy, targets);
    entries += static_cast<int>(targets.size());
    tags.push_back(tag);
  }
  FEEDGOV_FUZZ_CHECK(entries == map.num_entries);
  // Every key at once: the highest confidence per label over all entries.
  std::vector<Label> labels = MapLabels(map, genres, tags, /*time=*/7);
  for (size_t i = 0; i < labels.size(); ++i) {
    FEEDGOV_FUZZ_CHECK(labels[i].source == LabelSource::kMapping);
    FEEDGOV_FUZZ_CHECK(labels[i].time == 7);
    if (i > 0) FEEDGOV_FUZZ_CHECK(labels[i - 1].name < labels[i].name);
    float best = 0.0f;
    for (const auto* by : {&map.by_genre, &map.by_tag}) {
      for (const auto& [key, targets] : *by) {
        for (const auto& [label, confidence] : targets) {
          if (label == labels[i].name) best = std::max(best, confidence);
        }
      }
    }
    FEEDGOV_FUZZ_CHECK(labels[i].confidence == best);
  }
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  const Taxonomy& taxonomy = fuzz::RepositoryTaxonomy();
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<LabelMap> map =
      ParseLabelMap("fuzz.textproto", text, taxonomy);
  if (!map.ok()) {
    FEEDGOV_FUZZ_CHECK(map.status().code() ==
                       absl::StatusCode::kInvalidArgument);
    FEEDGOV_FUZZ_CHECK(
        absl::StartsWith(map.status().message(), "fuzz.textproto:"));
    return 0;
  }
  fuzz::CheckMap(taxonomy, *map);
  v1::LabelMap proto;
  FEEDGOV_FUZZ_CHECK(
      google::protobuf::TextFormat::ParseFromString(text, &proto));
  std::string printed;
  FEEDGOV_FUZZ_CHECK(
      google::protobuf::TextFormat::PrintToString(proto, &printed));
  absl::StatusOr<LabelMap> again = ParseLabelMap("printed", printed, taxonomy);
  FEEDGOV_FUZZ_CHECK(again.ok());
  FEEDGOV_FUZZ_CHECK(
      again->id == map->id && again->num_entries == map->num_entries &&
      again->by_genre == map->by_genre && again->by_tag == map->by_tag);
  return 0;
}
