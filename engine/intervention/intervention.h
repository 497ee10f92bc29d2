// File: engine/intervention/intervention.h
//
// Editor interventions (Governance Provisions Art. 12 "manual intervention";
// Algorithmic Recommendation Provisions Art. 11): pin an item to a position,
// suppress an item / an author / near-duplicates of an item, or boost / bury
// an item's score, on one surface or on all, inside a time window.
//
// Time window: [start, end), UTC instants (inputs may carry any RFC 3339
// offset, or be local times / dates in an IANA zone; see
// engine/common/time_util.h). end may be absl::InfiniteFuture(). Stored and
// compared at microsecond precision. `time_zone` names the IANA zone the
// window was entered in (empty: UTC / an explicit offset); it only decides
// how the window is shown back, never when it applies.
//
// Which fields matter per kind (others are ignored, kept as given):
//   kPin                    item_id, position in [0, kMaxPinPosition)
//   kSuppressItem           item_id
//   kSuppressAuthor         author (non-empty)
//   kSuppressNearDuplicates item_id (the seed), cosine_threshold in (0, 1]
//   kBoost                  item_id, factor in (1, kMaxBoostFactor]
//   kBury                   item_id, factor in [kMinBuryFactor, 1)
#ifndef FEEDGOV_ENGINE_INTERVENTION_INTERVENTION_H_
#define FEEDGOV_ENGINE_INTERVENTION_INTERVENTION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/common/types.h"
#include "engine/store/intervention_store.h"

namespace feedgov {

enum class InterventionKind {
  kPin,
  kSuppressItem,
  kSuppressAuthor,
  kSuppressNearDuplicates,
  kBoost,
  kBury,
};

// Stable names: "PIN", "SUPPRESS_ITEM", "SUPPRESS_AUTHOR",
// "SUPPRESS_NEAR_DUPLICATES", "BOOST", "BURY" (DB, audit, CLI, JSON).
absl::string_view InterventionKindName(InterventionKind kind);
// Inverse; INVALID_ARGUMENT listing the valid names.
absl::StatusOr<InterventionKind> ParseInterventionKind(absl::string_view name);

// Editor factors are bounded so scores stay finite and comparable.
inline constexpr double kMaxBoostFactor = 100.0;
inline constexpr double kMinBuryFactor = 0.01;

// Pins address absolute 0-based positions below this.
inline constexpr int kMaxPinPosition = 500;
// Length limits on free-text fields, in bytes.
inline constexpr size_t kMaxEditorLength = 128;

// A near-duplicate suppression covers the items whose float cosine to its
// seed (retrieval/brute_force.h RowSimilarity) is >= cosine_threshold -
// kNearDuplicateSlack: float rounding puts an exact duplicate of a unit
// vector just under 1, and a threshold of 1 must still cover it. The
// overlay (serving) and the write gate use this one definition.
inline constexpr double kNearDuplicateSlack = 1e-6;
inline float NearDuplicateFloor(double cosine_threshold) {
  return static_cast<float>(cosine_threshold - kNearDuplicateSlack);
}
inline constexpr size_t kMaxReasonLength = 2000;
inline constexpr size_t kMaxShortFieldLength = 256;  // surface, author, article_ref

struct Intervention {
  std::string id;          // Assigned by InterventionManager ("iv-000001").
  InterventionKind kind = InterventionKind::kPin;
  ItemId item_id = 0;
  std::string author;      // kSuppressAuthor only.
  std::string surface;     // "" = all surfaces.
  int position = 0;        // kPin: 0-based absolute slot.
  double factor = 1.0;     // kBoost > 1, kBury in (0, 1). Multiplies score.
  double cosine_threshold = 0.0;  // kSuppressNearDuplicates: (0, 1].
  std::string editor;      // Who asked; required.
  std::string reason;      // Why; required (shown to compliance staff).
  std::string article_ref; // Optional legal basis, e.g. "Gov. Art. 11".
  absl::Time created;      // Assigned by InterventionManager.
  absl::Time start;        // Window start, inclusive.
  absl::Time end = absl::InfiniteFuture();  // Window end, exclusive.
  std::string time_zone;  // IANA name the window was entered in; "" = UTC.
  bool revoked = false;

  // True when not revoked and start <= now < end.
  bool ActiveAt(absl::Time now) const {
    return !revoked && start <= now && now < end;
  }

  friend bool operator==(const Intervention&, const Intervention&) = default;
};

// Field checks (see the table above, plus: editor and reason non-empty,
// start < end, start finite, text lengths, time_zone empty or a known IANA
// name: "intervention.time_zone: unknown time zone 'Mars/Base' ...").
// INVALID_ARGUMENT whose message
// starts with the field name, e.g. "intervention.factor: boost factor must
// be > 1, got 0.5". Does not check id/created (assigned later) nor whether
// the window has already passed (InterventionManager does, with its clock).
absl::Status ValidateIntervention(const Intervention& intervention);

// Canonical one-line JSON with a fixed key order, times as RFC 3339 UTC with
// microseconds ("end": null when infinite). "time_zone" follows "end" only
// when non-empty, so entries written before zones existed serialize (and
// verify) exactly as they did. Used for the audit log's
// before/after columns; deterministic for equal inputs.
std::string SerializeIntervention(const Intervention& intervention);

// Truncates created/start/end to whole microseconds (stored precision).
Intervention NormalizeTimes(Intervention intervention);

// Conversion to and from the store's row. FromRecord fails with DATA_LOSS
// when the stored kind is unknown.
InterventionRecord ToRecord(const Intervention& intervention);
absl::StatusOr<Intervention> FromRecord(const InterventionRecord& record);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INTERVENTION_INTERVENTION_H_
