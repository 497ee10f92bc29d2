// File: engine/common/user_settings.h
//
// UserSettings: one user's own controls over their feed (User controls
// issue; Algorithmic Recommendation Provisions Art. 17, DSA Art. 38). The
// vocabulary shared by the store that keeps them (engine/store/), the user
// stage that applies them to every Rank (engine/user/) and the API.
//
// Thread-safety: a plain value type.
#ifndef FEEDGOV_ENGINE_COMMON_USER_SETTINGS_H_
#define FEEDGOV_ENGINE_COMMON_USER_SETTINGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/common/types.h"

namespace feedgov {

// One user's controls. Lists are sorted ascending and hold no duplicates
// (Normalize() makes them so); tags are normalized interest tags
// (lower-case, trimmed; see engine/user/interest_tags.h).
struct UserSettings {
  UserId user = 0;
  bool personalization = true;  // false: the non-personalized feed.
  bool minors = false;          // Minors mode: the pack's minors audience.
  std::vector<std::string> deleted_tags;   // Never derived again.
  std::vector<std::string> added_tags;     // Declared by the user.
  std::vector<std::string> muted_authors;  // Never served (personalized).
  std::vector<ItemId> not_interested;      // Never served (personalized).
  std::vector<ItemId> see_less;            // Near neighbours downranked.

  // Limits per list (a user control, not a data dump).
  static constexpr int kMaxListSize = 10000;
  static constexpr int kMaxTextLength = 200;

  // Sorts and de-duplicates every list.
  void Normalize();
  // INVALID_ARGUMENT naming the field for: an empty or over-long tag or
  // author (> kMaxTextLength bytes), a tag that is not lower-case/trimmed,
  // a tag both deleted and added, a list longer than kMaxListSize.
  absl::Status Validate() const;

  friend bool operator==(const UserSettings&, const UserSettings&) = default;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_USER_SETTINGS_H_
