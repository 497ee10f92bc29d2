// File: engine/governance/policy.h
//
// Policy pack domain types (no protobuf): what a loaded, validated pack says.
// Built by LoadPolicyPack (policy_loader.h); immutable afterwards and shared
// as std::shared_ptr<const PolicyPack>, so concurrent reads are safe.
//
// Positions are 0-based absolute positions within a feed's token chain
// (page 2 of size 20 starts at position 20).
#ifndef FEEDGOV_ENGINE_GOVERNANCE_POLICY_H_
#define FEEDGOV_ENGINE_GOVERNANCE_POLICY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/common/rank_types.h"
#include "engine/governance/taxonomy.h"

namespace feedgov {

enum class SurfaceKind {
  kFeed,
  kFirstScreen,
  kHotList,
  kPopup,
  kHotSearch,
  kFeatured,
  kRecommendationArea,
  kMinorsZone,
  kDiscover,
  kDefaultSearch,
  kOtherProminent,
};
// "FEED", "FIRST_SCREEN", ...
absl::string_view SurfaceKindName(SurfaceKind kind);

enum class RuleAction { kDrop, kKeepOutOfKeySlots, kDownrank, kBoost };
// "DROP", "KEEP_OUT_OF_KEY_SLOTS", "DOWNRANK", "BOOST".
absl::string_view RuleActionName(RuleAction action);

enum class UnlabeledInKeySlot { kAllow, kRequireReviewed, kDenyUnlabeled };

// Who the page is for.
enum class Audience { kGeneral, kMinors };

struct Rule {
  std::string label;  // Exact taxonomy name or "class.*" prefix pattern.
  RuleAction action = RuleAction::kDrop;
  // Fires when a matching label's confidence >= it; for a machine label
  // with MachineLabelThresholds, those replace it (below).
  float threshold = 0.5f;
  float factor = 1.0f;     // DOWNRANK: (0, 1); BOOST: > 1; else 1.
  std::vector<std::string> surfaces;  // Empty: every surface.
  std::string note;
  // DROP only (false on every other action): the rule also drops on labels
  // of source kModel. When false a DROP rule ignores machine labels: a
  // machine label alone never drops an item unless the pack says so.
  bool drop_on_machine_label = false;
  int line = 0;  // Line of the rule in its pack file (diagnostics).

  bool AppliesTo(absl::string_view surface_id) const;
  bool Matches(absl::string_view label_name) const {
    return LabelPatternMatches(label, label_name);
  }
};

// The two thresholds of a machine label (a label of source kModel, whose
// confidence is a labeler's calibrated probability). For a kModel label this
// entry matches:
//  * a KEEP_OUT_OF_KEY_SLOTS rule fires at confidence >= key_slot_threshold
//    (high recall: key slots take no chances);
//  * DROP (if drop_on_machine_label), DOWNRANK and BOOST rules and the
//    positive test fire at confidence >= elsewhere_threshold (high
//    precision);
// instead of the rule's threshold and the pack's positive_threshold.
// Invariant (loader): 0 <= key_slot_threshold <= elsewhere_threshold <= 1.
struct MachineLabelThresholds {
  std::string label;  // Exact taxonomy name or "class.*" prefix pattern.
  float key_slot_threshold = 0.5f;
  float elsewhere_threshold = 0.5f;
  std::string note;
  int line = 0;  // Line of the entry in its pack file (diagnostics).

  bool Matches(absl::string_view label_name) const {
    return LabelPatternMatches(label, label_name);
  }
  // key_slot_threshold for KEEP_OUT_OF_KEY_SLOTS, else elsewhere_threshold.
  float ThresholdFor(RuleAction action) const {
    return action == RuleAction::kKeepOutOfKeySlots ? key_slot_threshold
                                                    : elsewhere_threshold;
  }
};

struct PositiveQuota {
  int min_positive = 0;  // N
  int window = 0;        // K: N positives among the first K key slots.
};

struct Surface {
  std::string id;
  SurfaceKind kind = SurfaceKind::kFeed;
  std::vector<int> listed_key_slots;  // Sorted, unique, < kMaxPageSize.
  int first_n_key_slots = 0;          // Positions [0, N) are key slots.
  bool all_key_slots = false;         // Every position is a key slot.
  PositiveQuota quota;
  UnlabeledInKeySlot unlabeled = UnlabeledInKeySlot::kAllow;
  std::string description;

  bool IsKeySlot(int position) const;
  bool has_key_slots() const {
    return all_key_slots || first_n_key_slots > 0 || !listed_key_slots.empty();
  }
  // Number of key slots, or -1 when unbounded (all_key_slots).
  int num_key_slots() const;
  // The key-slot positions a page [start, start + page_size) needs for
  // BuildSlate (slate_builder.h): every key slot < max(start + page_size,
  // end of the quota window), sorted.
  std::vector<int> SlateKeySlots(int start, int page_size) const;
};

struct AudienceRules {
  Audience audience = Audience::kMinors;
  std::vector<Rule> rules;  // Applied on top of the pack's rules.
  std::vector<std::string> allowed_surfaces;  // Empty: every surface.
  std::string description;
};

struct PolicyPack {
  std::string id;
  int version = 0;
  std::string description;
  std::string jurisdiction;
  std::vector<Surface> surfaces;
  std::vector<Rule> rules;              // General-audience rules.
  std::optional<AudienceRules> minors;  // Extra rules for minors.
  float positive_threshold = 0.5f;
  // Thresholds of machine labels, in file order; the first entry matching a
  // label name decides (MachineLabelFor).
  std::vector<MachineLabelThresholds> machine_labels;
  bool requires_non_profiling_option = false;
  std::string source_path;  // File it was loaded from.
  // The taxonomy the pack was validated against; labels outside it cannot
  // be evaluated (fail closed, verdict.h).
  std::shared_ptr<const Taxonomy> taxonomy;

  // Null when no surface has this id.
  const Surface* FindSurface(absl::string_view id) const;
  // The first machine_labels entry matching `label_name`, or null (the
  // rules' own thresholds then apply to machine labels of that name too).
  const MachineLabelThresholds* MachineLabelFor(
      absl::string_view label_name) const;
  // The surface with this id, or INVALID_ARGUMENT "unknown surface `x`;
  // policy 'cn-ecology' has: home, feed, ..." (the one message for an
  // unknown surface: Rank, the API, the intervention write gate). The id is
  // echoed with non-printable bytes escaped.
  absl::StatusOr<const Surface*> SurfaceOrError(absl::string_view id) const;
  // The surface to serve `audience` on: as SurfaceOrError, and
  // PERMISSION_DENIED when the audience is restricted to other surfaces.
  absl::StatusOr<const Surface*> SurfaceFor(absl::string_view id,
                                            Audience audience) const;
  // Rules in force on `surface` for `audience`: pack rules, then audience
  // rules, each filtered by surface scope, in file order.
  std::vector<const Rule*> RulesFor(const Surface& surface,
                                    Audience audience) const;
  // The product of every BOOST factor in force on `surface` for `audience`
  // (each at least 1): the largest policy factor any item can get, since
  // DOWNRANK factors are below 1. 1 when no BOOST rule applies.
  double BoostBound(const Surface& surface, Audience audience) const;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_POLICY_H_
