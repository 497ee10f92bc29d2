// File: engine/catalog/item_limits.h
//
// What a catalog item and its labels may hold, checked where items enter
// (the catalog writer for every API upsert and journal replay, the file
// ingests for every row, snapshot loading). Every size has a limit, so a
// ranked page stays far below gRPC's default 4 MiB client limit
// (docs/reliability.md has the arithmetic; feed_engine's page-size test
// checks it) and no numeric field can carry NaN, Inf or an impossible
// value into a score.
//
//   field               limit
//   id                  >= 0 (negative ids refused)
//   title               valid UTF-8, <= kMaxTitleBytes
//   genres              <= kMaxGenres, each non-empty valid UTF-8 <= kMaxGenreBytes
//   tags                <= kMaxTags, each valid UTF-8 <= kMaxTagBytes (common/tags.h)
//   author              valid UTF-8, <= kMaxAuthorBytes
//   first_seen          Unix seconds in [0, kMaxUnixSeconds]
//   last_interaction    0 (none) or in [first_seen, kMaxUnixSeconds]
//   num_ratings         >= 0
//   mean_rating         finite, in [0, kMaxMeanRating]
//   decayed_popularity  finite, in [0, kMaxPopularity]
//   labels              <= kMaxLabelsPerItem, names 1..kMaxLabelNameBytes,
//                       each name once (a repeated name, with the same or a
//                       conflicting confidence, is refused), confidence
//                       finite in [0, 1], time in [0, kMaxUnixSeconds]
//   embedding           1..kMaxEmbeddingDim finite floats, non-zero norm
//                       (catalog.h)
//
// Thread-safety: pure functions.
#ifndef FEEDGOV_ENGINE_CATALOG_ITEM_LIMITS_H_
#define FEEDGOV_ENGINE_CATALOG_ITEM_LIMITS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/common/tags.h"
#include "engine/common/types.h"

namespace feedgov {

inline constexpr size_t kMaxTitleBytes = 1000;
inline constexpr int kMaxGenres = 32;
inline constexpr size_t kMaxGenreBytes = 64;
inline constexpr int kMaxTags = 4096;
inline constexpr size_t kMaxAuthorBytes = 200;
inline constexpr int kMaxLabelsPerItem = 64;
inline constexpr size_t kMaxLabelNameBytes = 64;
// 2100-01-01T00:00:00Z: later times are typing errors, not schedules.
inline constexpr UnixSeconds kMaxUnixSeconds = 4102444800;
inline constexpr double kMaxMeanRating = 10.0;
inline constexpr double kMaxPopularity = 1e12;
inline constexpr int kMaxEmbeddingDim = 4096;

// OK when every field of `item` is within the table above. Else
// INVALID_ARGUMENT naming the item, the field, the value (Echo()ed) and the
// expected range, e.g. "item 7: field 'title': 10485760 bytes, at most 1000".
absl::Status ValidateItem(const Item& item);

// OK when `labels` of `item` are within the table above (count, names,
// repeats, confidence, time, source). Else INVALID_ARGUMENT naming the item
// and the label, e.g. "item 7: label 'bad.gore' appears twice with
// conflicting confidences 0.3 and 0.9".
absl::Status ValidateItemLabels(ItemId item, const std::vector<Label>& labels);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_ITEM_LIMITS_H_
