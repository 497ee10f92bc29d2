// File: engine/common/types.h
//
// Vocabulary shared by every pipeline stage. See docs/glossary.md.
#ifndef FEEDGOV_ENGINE_COMMON_TYPES_H_
#define FEEDGOV_ENGINE_COMMON_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace feedgov {

// External item identifier (MovieLens movieId, or the caller's id). Stable.
using ItemId = int64_t;
// External user identifier. Stable.
using UserId = int64_t;
// Dense row index of an item in the current catalog snapshot: [0, n).
// Rows index the embedding matrix and every per-item array. Not stable across
// snapshots; never exposed to callers.
using Row = int32_t;

// Seconds since the Unix epoch, UTC.
using UnixSeconds = int64_t;

// Where a label came from.
enum class LabelSource { kModel = 0, kReviewer = 1, kMapping = 2 };

// One content label on an item, e.g. {"bad.gore_horror", 0.8, kMapping, t}.
// Label names come from policies/labels.textproto (the taxonomy).
//
// Provenance (who said so, docs/labelers.md "Provenance"): `source` is the
// kind of origin and `origin` names it:
//   kModel     "labeler:<name>@<version>"  e.g. "labeler:clickbait_en@3f2a9c01b7de"
//   kReviewer  "moderator:<name>"           (the API token's name, or the CLI's --moderator)
//   kMapping   "label_map:<id>"             e.g. "label_map:movielens"
// or "api:<token name>" for a label an API caller supplied without saying
// more. Empty for labels stored before provenance existed.
// For kModel labels `confidence` is the labeler's calibrated probability
// and `score` its raw (uncalibrated) output; for every other source
// score == confidence.
struct Label {
  std::string name;
  float confidence = 1.0f;  // In [0, 1]; a calibrated probability for kModel.
  LabelSource source = LabelSource::kMapping;
  UnixSeconds time = 0;  // When the label was assigned, UTC seconds.
  std::string origin;    // See above; at most 200 bytes.
  float score = -1.0f;   // Raw model score in [0, 1]; -1 = same as confidence.

  friend bool operator==(const Label&, const Label&) = default;
};

// One catalog item: content metadata plus interaction statistics. Labels are
// held separately (catalog/label_table.h) so they can change without a new
// catalog or index.
struct Item {
  ItemId id = 0;
  std::string title;
  std::vector<std::string> genres;  // As given, e.g. "Horror".
  std::vector<std::string> tags;    // Normalized: lower-case, trimmed, unique.
  std::string author;               // Empty when unknown.
  UnixSeconds first_seen = 0;       // Earliest interaction (or upsert) time.
  UnixSeconds last_interaction = 0; // Latest interaction time; 0 if none.
  int32_t num_ratings = 0;
  float mean_rating = 0.0f;         // 0 when num_ratings == 0.
  // Time-decayed interaction count at the catalog's reference time
  // (sum of 0.5^(age / popularity_half_life) over ratings). >= 0.
  float decayed_popularity = 0.0f;
};

// One user-item interaction (an explicit rating in MovieLens).
struct Interaction {
  UserId user = 0;
  ItemId item = 0;
  float rating = 0.0f;  // MovieLens: 0.5 to 5.0 stars.
  UnixSeconds time = 0;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_TYPES_H_
