// File: engine/common/tags.h
//
// Item tags and users' interest tags share one normal form: ASCII
// lower-cased, surrounding whitespace trimmed, inner whitespace runs
// collapsed to one space ("  Highly   Quotable " -> "highly quotable").
// MovieLens ingest and the catalog writer store item tags in it (so a user
// can delete or add them) and the user controls normalize interest tags
// with it.
//
// Thread-safety: pure functions.
#ifndef FEEDGOV_ENGINE_COMMON_TAGS_H_
#define FEEDGOV_ENGINE_COMMON_TAGS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace feedgov {

inline constexpr size_t kMaxTagBytes = 200;

// The normal form of `tag`, any length ("" for a blank tag).
std::string CanonicalTag(absl::string_view tag);

// CanonicalTag(tag); INVALID_ARGUMENT "tag '...' must have 1 to 200 bytes
// after trimming" for an empty or over-long result.
absl::StatusOr<std::string> NormalizeTag(absl::string_view tag);

// `tags` in normal form, duplicates dropped, first occurrence order kept.
// The first invalid tag's error.
absl::StatusOr<std::vector<std::string>> NormalizeTags(
    const std::vector<std::string>& tags);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_TAGS_H_
