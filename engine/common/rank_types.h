// File: engine/common/rank_types.h
//
// The request and the response of one Rank ("give me the next page of
// surface S for user U"): the vocabulary every stage of the request path
// (engine/rank/ and the stages it calls), the service and the CLI share.
// Plain value types; thread-compatible.
//
// Positions in a response are 1-based and absolute within a page-token
// chain (page 2 of size 20 starts at position 21).
#ifndef FEEDGOV_ENGINE_COMMON_RANK_TYPES_H_
#define FEEDGOV_ENGINE_COMMON_RANK_TYPES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/common/types.h"
#include "engine/common/user_settings.h"

namespace feedgov {

// Largest page (and largest key-slot position + 1 a policy pack may
// declare).
inline constexpr int kMaxPageSize = 500;

// OK for a page size in [1, kMaxPageSize]; else INVALID_ARGUMENT
// "page_size 0 outside [1, 500]". The one page-size check: the engine, the
// API and the CLI all call it.
absl::Status CheckPageSize(int page_size);

struct RankRequest {
  std::string surface = "home";  // A surface the policy pack declares.
  std::optional<UserId> user;    // Unset: anonymous (non-personalized).
  int page_size = 20;            // [1, kMaxPageSize].
  std::string page_token;        // Empty: first page of a new chain.

  // The user's own settings apply to every Rank for a named user: the
  // engine reads them from its UserSettingsSource (FeedEngine::
  // SetUserSettingsSource; the state directory installs it), and a user
  // with nothing stored has the defaults (personalization on). The caller's
  // switches below can only make the page stricter, never undo the user's
  // choice: disable_personalization serves the profile-free page, minors
  // the pack's minors audience.
  bool disable_personalization = false;
  bool minors = false;

  // Explicit override (what-if tools, tests): rank with exactly these
  // settings instead of the stored ones. Only for a named user; its `user`
  // field is ignored. The response says that an override applied
  // (AppliedSettings::source).
  std::optional<UserSettings> settings_override;
};

// Where the user settings a page was ranked with came from.
enum class SettingsSource {
  kNone,      // Anonymous request: no user, no settings.
  kStored,    // The user's stored settings (defaults when nothing stored).
  kDefaults,  // The engine has no settings store (no state directory):
              // every user has the defaults.
  kOverride,  // RankRequest::settings_override.
};
// "NONE", "STORED", "DEFAULTS", "OVERRIDE".
absl::string_view SettingsSourceName(SettingsSource source);

// The user settings a page was ranked with (Structure issue: the response
// says which settings applied).
struct AppliedSettings {
  SettingsSource source = SettingsSource::kNone;
  // The user's own switches as read (stored or override).
  bool user_personalization = true;
  bool user_minors = false;
  // What the page got, after the caller's switches and the chain's
  // stickiness (minors mode never relaxes within a chain). personalization:
  // the page may use the user's profile; RankResponse::personalized says
  // whether it did (not for a user without a profile vector).
  bool personalization = false;
  bool minors = false;
  // How many of the user's other controls were in force: deleted and added
  // interest tags, muted authors, "not interested" and "see less" items.
  // They apply only on the personalized path.
  int deleted_tags = 0;
  int added_tags = 0;
  int muted_authors = 0;
  int not_interested = 0;
  int see_less = 0;
};

struct RankedItem {
  int position = 0;  // 1-based absolute position within the token chain.
  ItemId item_id = 0;
  std::string title;
  // Final score: blend x policy x editor x user factors
  // (engine/scoring/final_score.h). In [0, 4 x 4 x boost) for the
  // configured weights; unitless, comparable within one page.
  double score = 0.0;
  uint32_t reasons = 0;  // Reason bitmask (common/reasons.h).
  bool key_slot = false;
  std::vector<Label> labels;
  std::string pin_id;  // Intervention id when kEditorPin.
};

struct GovernanceCounters {
  // Catalog-wide, for this surface and audience: items the policy drops, by
  // the label that fired (labels that could not be evaluated are included
  // under their own name and also counted in label_errors).
  std::map<std::string, int> dropped_by_label;
  int label_errors = 0;
  int kept_out_of_key_slots = 0;  // On this page (slate_builder.h).
  int quota_required = 0;
  int quota_met = 0;
  int quota_shortfall = 0;
  int unfilled_key_slots = 0;
  int pins_applied = 0;
  int pins_blocked = 0;  // Pins governance refused at serve time.
  int suppressed = 0;    // Rows removed by editor suppressions.
};

struct RankResponse {
  std::vector<RankedItem> items;  // In position order.
  std::string next_page_token;    // Empty when the feed is exhausted.
  bool personalized = false;
  std::string surface;
  bool surface_has_key_slots = false;
  std::string policy_id;
  int policy_version = 0;
  GovernanceCounters counters;
  AppliedSettings settings;
  // Human-readable notes on anything degraded or substituted, e.g.
  // "user 9999 unknown: non-personalized ranking".
  std::vector<std::string> degradations;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_RANK_TYPES_H_
