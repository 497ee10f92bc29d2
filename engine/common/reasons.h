// File: engine/common/reasons.h
//
// Reason codes attached to every served item: why it is on the page and what
// changed its position. A bitmask, since several apply at once (an item can be
// PERSONALIZED and POSITIVE_BOOST). Names are stable API (JSON, gRPC, docs).
#ifndef FEEDGOV_ENGINE_COMMON_REASONS_H_
#define FEEDGOV_ENGINE_COMMON_REASONS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace feedgov {

enum Reason : uint32_t {
  kReasonNone = 0,
  kPersonalized = 1u << 0,      // Ranked by similarity to the user's profile.
  kPopular = 1u << 1,           // Ranked by time-decayed popularity.
  kFresh = 1u << 2,             // Freshness contributed to the score.
  kNonPersonalized = 1u << 3,   // Served by the profile-free path.
  kPositiveQuota = 1u << 4,     // Placed in a key slot to meet the positive quota.
  kPositiveBoost = 1u << 5,     // Score raised by a policy boost rule.
  kDownranked = 1u << 6,        // Score lowered by a policy downrank rule.
  kEditorPin = 1u << 7,         // Pinned to this position by an editor.
  kEditorBoost = 1u << 8,       // Score raised by an editor boost.
  kEditorBury = 1u << 9,        // Score lowered by an editor bury.
  kKeySlotBackfill = 1u << 10,  // Drawn from the key-slot-safe pool to fill a key slot.
  kSimilarToHistory = 1u << 11, // Explained by a specific item in the user's history.
  kSeeLess = 1u << 12,          // Lowered by the user's "see less like this".
};

// Stable upper-snake names, in bit order, e.g. {"PERSONALIZED", "POPULAR"}.
inline std::vector<std::string> ReasonNames(uint32_t mask) {
  static constexpr const char* kNames[] = {
      "PERSONALIZED",   "POPULAR",          "FRESH",
      "NON_PERSONALIZED", "POSITIVE_QUOTA", "POSITIVE_BOOST",
      "DOWNRANKED",     "EDITOR_PIN",       "EDITOR_BOOST",
      "EDITOR_BURY",    "KEY_SLOT_BACKFILL", "SIMILAR_TO_HISTORY",
      "SEE_LESS"};
  std::vector<std::string> out;
  for (uint32_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); ++i) {
    if (mask & (1u << i)) out.emplace_back(kNames[i]);
  }
  return out;
}

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_REASONS_H_
