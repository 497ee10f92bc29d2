#include "engine/governance/label_map.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "engine/common/tags.h"
#include "engine/governance/text_proto.h"
#include "feedgov/v1/label_map.pb.h"

namespace feedgov {
namespace {

using governance_internal::ErrorAt;
using governance_internal::FieldLine;
using governance_internal::NestedTree;
using governance_internal::ParseInfoTree;

// The normal form item tags are stored in (common/tags.h): a tag in any
// other form could never match an item (found by fuzz/label_map_fuzzer.cc:
// "b  t" passed a lower-case-and-trimmed check).
bool Normalized(const std::string& tag) {
  return !tag.empty() && CanonicalTag(tag) == tag;
}

}  // namespace

absl::StatusOr<LabelMap> ParseLabelMap(const std::string& path,
                                       const std::string& text,
                                       const Taxonomy& taxonomy) {
  feedgov::v1::LabelMap proto;
  ParseInfoTree tree;
  FEEDGOV_RETURN_IF_ERROR(
      governance_internal::ParseTextProto(path, text, &proto, &tree));
  if (proto.id().empty()) return ErrorAt(path, 1, "label map id missing");
  LabelMap map;
  map.id = proto.id();
  std::set<std::string> seen;
  for (int i = 0; i < proto.entry_size(); ++i) {
    const feedgov::v1::LabelMapEntry& e = proto.entry(i);
    const ParseInfoTree* t = NestedTree(&tree, proto, "entry", i);
    const int line = FieldLine(&tree, proto, "entry", i, 1);
    auto err = [&](absl::string_view field, absl::string_view what) {
      return ErrorAt(path, FieldLine(t, e, field, -1, line),
                     absl::StrCat("entry ", i + 1, ": ", what));
    };
    if (e.genre().empty() == e.tag().empty()) {
      return err("genre", "exactly one of genre and tag must be set");
    }
    if (!e.tag().empty() && !Normalized(e.tag())) {
      return err("tag",
                 absl::StrCat("tag '", e.tag(),
                              "' is not normalized (lower-case, trimmed, "
                              "inner whitespace one space: '",
                              CanonicalTag(e.tag()), "')"));
    }
    if (taxonomy.IndexOf(e.label()) < 0) {
      return err("label", absl::StrCat("label '", e.label(),
                                       "' is not in the taxonomy"));
    }
    if (!(e.confidence() > 0.0f && e.confidence() <= 1.0f)) {
      return err("confidence", absl::StrCat("confidence ", e.confidence(),
                                            " outside (0, 1]"));
    }
    const bool is_genre = !e.genre().empty();
    const std::string key =
        is_genre ? absl::AsciiStrToLower(e.genre()) : e.tag();
    if (!seen.insert(absl::StrCat(is_genre ? "g:" : "t:", key, "\n", e.label()))
             .second) {
      return err("label", absl::StrCat(is_genre ? "genre '" : "tag '", key,
                                       "' -> '", e.label(),
                                       "' is listed twice"));
    }
    auto& bucket = is_genre ? map.by_genre[key] : map.by_tag[key];
    bucket.emplace_back(e.label(), e.confidence());
    ++map.num_entries;
  }
  return map;
}

absl::StatusOr<LabelMap> LoadLabelMap(const std::string& path,
                                      const Taxonomy& taxonomy) {
  FEEDGOV_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseLabelMap(path, text, taxonomy);
}

std::vector<Label> MapLabels(const LabelMap& map,
                             absl::Span<const std::string> genres,
                             absl::Span<const std::string> normalized_tags,
                             UnixSeconds time) {
  std::map<std::string, float> best;
  auto add = [&](const std::vector<std::pair<std::string, float>>& hits) {
    for (const auto& [name, conf] : hits) {
      auto [it, inserted] = best.emplace(name, conf);
      if (!inserted) it->second = std::max(it->second, conf);
    }
  };
  for (const std::string& g : genres) {
    auto it = map.by_genre.find(absl::AsciiStrToLower(g));
    if (it != map.by_genre.end()) add(it->second);
  }
  for (const std::string& t : normalized_tags) {
    auto it = map.by_tag.find(t);
    if (it != map.by_tag.end()) add(it->second);
  }
  std::vector<Label> out;
  out.reserve(best.size());
  const std::string origin = absl::StrCat("label_map:", map.id);
  for (const auto& [name, conf] : best) {
    Label l;
    l.name = name;
    l.confidence = conf;
    l.source = LabelSource::kMapping;
    l.time = time;
    l.origin = origin;
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace feedgov
