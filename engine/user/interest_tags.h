// File: engine/user/interest_tags.h
//
// Interest tags: what the feed believes a user likes, derived from the
// user's ratings (User controls issue, point 3).
//
// Tag vocabulary. An item carries the lower-cased names of its genres
// ("drama", "comedy"; MovieLens' "(no genres listed)" is not a tag) and its
// normalized user tags ("dark comedy"). A genre and a tag with the same
// lower-case spelling are one interest tag.
//
// Weight (documented formula). For user u with rated items R(u) and star
// ratings r_ui (0.5 to 5):
//
//   weight(t) = sum_{i in R(u), i carries t} r_ui  /  sum_{i in R(u)} r_ui
//
// i.e. the share of the user's rating mass on items carrying t, in [0, 1].
// Every rating counts positively, as in the implicit ALS that builds the
// profile (confidence 1 + alpha * r, engine/model/als.h).
//
// Art. 10 filter: a tag that the label map maps (as a genre or as a tag) to
// any illegal.* or bad.* label is never derived, listed, or stored as an
// added interest (ForbiddenTags).
//
// Thread-safety: free functions are pure; ForbiddenTags is immutable.
#ifndef FEEDGOV_ENGINE_USER_INTEREST_TAGS_H_
#define FEEDGOV_ENGINE_USER_INTEREST_TAGS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/user_table.h"
#include "engine/common/tags.h"
#include "engine/common/types.h"
#include "engine/governance/label_map.h"
#include "engine/governance/taxonomy.h"

namespace feedgov {

// Interest tags are normalized with NormalizeTag (common/tags.h), the form
// item tags are stored in.

// The interest tags an item carries (see file comment), sorted, unique.
std::vector<std::string> ItemInterestTags(const Item& item);

// True when `item` carries `tag` (a normalized interest tag).
bool ItemCarriesTag(const Item& item, absl::string_view tag);

// The rows of one catalog by genre, tag and author, so that per-request
// user controls (deleted or added tags, muted authors) read the rows that
// may match instead of scanning the catalog (1M items per Rank otherwise).
// O(total genres + tags + authors) to build; immutable and thread-safe
// after. The catalog must outlive the index only during construction.
class ItemTagIndex {
 public:
  explicit ItemTagIndex(const Catalog& catalog);

  // Appends every row r with ItemCarriesTag(catalog.item(r), tag) (genres
  // compared ASCII-case-insensitively, tags exactly), possibly more; rows
  // within one call ascending. Callers filter with ItemCarriesTag.
  void AppendRowsThatMayCarry(absl::string_view tag, std::vector<Row>& out) const;
  // Appends every row whose item's author equals `author`, ascending.
  void AppendRowsByAuthor(absl::string_view author, std::vector<Row>& out) const;

 private:
  absl::flat_hash_map<std::string, std::vector<Row>> by_genre_;   // Lower case.
  absl::flat_hash_map<std::string, std::vector<Row>> by_tag_;
  absl::flat_hash_map<std::string, std::vector<Row>> by_author_;
};

class ForbiddenTags {
 public:
  ForbiddenTags(LabelMap map, const Taxonomy* taxonomy);

  // The first illegal.* / bad.* label `tag` maps to, or "" when none. Besides
  // the exact tag, variants are caught (Algo Art. 10 fails closed): a
  // forbidden key appearing as a word of the tag ("casual violence",
  // "r:violence"), a word starting with a forbidden key of 4+ letters
  // ("goretastic"), or a multi-word key inside the tag ("heavy drug abuse").
  std::string ForbiddingLabel(absl::string_view tag) const;
  bool IsForbidden(absl::string_view tag) const {
    return !ForbiddingLabel(tag).empty();
  }

 private:
  std::string ExactLabel(absl::string_view tag) const;

  LabelMap map_;
  const Taxonomy* taxonomy_;  // Not owned; outlives this object.
  // Keys of the map (genres and tags) that map to a non-positive label,
  // with that label.
  std::vector<std::pair<std::string, std::string>> forbidden_keys_;
};

struct InterestTag {
  std::string tag;
  double weight = 0.0;  // Formula above; 0 for an added tag not in history.
  int items = 0;        // Rated items carrying the tag.
  bool added = false;   // Declared by the user (add-tag).

  friend bool operator==(const InterestTag&, const InterestTag&) = default;
};

// The user's interest tags: added tags first (tag order), then derived tags
// by weight descending (ties: tag ascending); deleted and forbidden tags
// never appear (an added tag is never forbidden: AddTag refuses it). At most
// `top_n` entries (top_n <= 0: all). Rated items missing from the catalog
// are ignored.
std::vector<InterestTag> DeriveInterestTags(
    absl::Span<const UserInteraction> history, const Catalog& catalog,
    absl::Span<const std::string> deleted, absl::Span<const std::string> added,
    const ForbiddenTags& forbidden, int top_n);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_USER_INTEREST_TAGS_H_
