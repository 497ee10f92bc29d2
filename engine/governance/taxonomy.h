// File: engine/governance/taxonomy.h
//
// The label taxonomy (policies/labels.textproto, schema taxonomy.proto): one
// label per enumerated item of Gov. Art. 5 (positive), 6 (illegal) and
// 7 (bad). Immutable after loading; thread-safe for concurrent reads.
#ifndef FEEDGOV_ENGINE_GOVERNANCE_TAXONOMY_H_
#define FEEDGOV_ENGINE_GOVERNANCE_TAXONOMY_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace feedgov {

enum class LabelClass { kPositive, kIllegal, kBad };

// "positive", "illegal", "bad".
absl::string_view LabelClassName(LabelClass c);

struct TaxonomyEntry {
  std::string name;  // e.g. "bad.gore_horror"
  LabelClass label_class = LabelClass::kBad;
  int article = 0;   // 5, 6 or 7
  int item = 0;      // 1-based item within the article
  std::string description;
};

class Taxonomy {
 public:
  // Loads and validates a taxonomy file. Errors (INVALID_ARGUMENT, message
  // "path:line: ..."): syntax, empty or malformed names, duplicate names or
  // (article, item) pairs, missing class, class disagreeing with the name
  // prefix ("bad." <-> BAD) or with the article (5/6/7), item < 1, missing
  // description, version < 1. NOT_FOUND if the file is missing.
  static absl::StatusOr<Taxonomy> Load(const std::string& path);
  // Same, from text; `path` is only used in messages.
  static absl::StatusOr<Taxonomy> Parse(const std::string& path,
                                        const std::string& text);

  int version() const { return version_; }
  // Entries in file order.
  absl::Span<const TaxonomyEntry> entries() const { return entries_; }
  // Index into entries() or -1 when `name` is not in the taxonomy.
  int IndexOf(absl::string_view name) const;
  // Null when unknown.
  const TaxonomyEntry* Find(absl::string_view name) const;
  // Indices of the entries a rule pattern matches: an exact name, or a
  // prefix ending in ".*" ("bad.*" matches every "bad." name). Empty when
  // nothing matches (or the pattern is malformed).
  std::vector<int> Match(absl::string_view pattern) const;

 private:
  int version_ = 0;
  std::vector<TaxonomyEntry> entries_;
  absl::flat_hash_map<std::string, int> index_;
};

// True when `name` matches the rule pattern (exact, or "prefix.*").
bool LabelPatternMatches(absl::string_view pattern, absl::string_view name);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_TAXONOMY_H_
