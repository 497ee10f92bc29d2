// Fuzz target: the policy-pack parser and validator (ParsePolicyPack,
// engine/governance/policy_loader.h) against the repository's taxonomy, then
// the lint coverage checks (CheckPolicyCoverage, lint.h). Input: the text of
// a pack file.
// Properties of a pack that parses: every documented range holds (id
// charset, version, thresholds, key slots, quota, factors, known labels and
// surfaces); the lookups work on every surface for both audiences; lint
// runs; and the pack printed back to canonical text parses to the same pack.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "engine/common/rank_types.h"
#include "engine/governance/lint.h"
#include "engine/governance/policy_loader.h"
#include "feedgov/v1/policy.pb.h"
#include "fuzz/fuzz_util.h"
#include "google/protobuf/text_format.h"

namespace feedgov::fuzz {
namespace {

bool IdChars(absl::string_view s, bool dash) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          (dash && c == '-'))) {
      return false;
    }
  }
  return true;
}

void CheckRule(const PolicyPack& pack, const Rule& r) {
  FEEDGOV_FUZZ_CHECK(r.threshold >= 0.0f && r.threshold <= 1.0f);
  FEEDGOV_FUZZ_CHECK(!pack.taxonomy->Match(r.label).empty());
  switch (r.action) {
    case RuleAction::kDrop:
    case RuleAction::kKeepOutOfKeySlots:
      FEEDGOV_FUZZ_CHECK(r.factor == 1.0f);
      break;
    case RuleAction::kDownrank:
      FEEDGOV_FUZZ_CHECK(r.factor > 0.0f && r.factor < 1.0f);
      break;
    case RuleAction::kBoost:
      FEEDGOV_FUZZ_CHECK(r.factor > 1.0f && std::isfinite(r.factor));
      break;
  }
  for (const std::string& s : r.surfaces) {
    FEEDGOV_FUZZ_CHECK(pack.FindSurface(s) != nullptr);
  }
  if (r.drop_on_machine_label) FEEDGOV_FUZZ_CHECK(r.action == RuleAction::kDrop);
}

// Each entry: known labels, thresholds in [0, 1] and ordered, and it decides
// some label (no entry wholly behind earlier ones).
void CheckMachineLabel(const PolicyPack& pack, const MachineLabelThresholds& m) {
  FEEDGOV_FUZZ_CHECK(m.key_slot_threshold >= 0.0f &&
                     m.key_slot_threshold <= m.elsewhere_threshold &&
                     m.elsewhere_threshold <= 1.0f);
  bool decides = false;
  for (int idx : pack.taxonomy->Match(m.label)) {
    decides |= pack.MachineLabelFor(pack.taxonomy->entries()[idx].name) == &m;
  }
  FEEDGOV_FUZZ_CHECK(decides);
}

void CheckSurface(const PolicyPack& pack, const Surface& s) {
  FEEDGOV_FUZZ_CHECK(IdChars(s.id, /*dash=*/false));
  FEEDGOV_FUZZ_CHECK(pack.FindSurface(s.id) == &s);
  FEEDGOV_FUZZ_CHECK(s.first_n_key_slots >= 0 &&
                     s.first_n_key_slots <= kMaxPageSize);
  for (size_t i = 0; i < s.listed_key_slots.size(); ++i) {
    FEEDGOV_FUZZ_CHECK(s.listed_key_slots[i] >= 0 &&
                       s.listed_key_slots[i] < kMaxPageSize);
    if (i > 0) {
      FEEDGOV_FUZZ_CHECK(s.listed_key_slots[i - 1] < s.listed_key_slots[i]);
    }
  }
  if (s.kind != SurfaceKind::kFeed) FEEDGOV_FUZZ_CHECK(s.has_key_slots());
  FEEDGOV_FUZZ_CHECK(s.quota.min_positive >= 0 &&
                     s.quota.min_positive <= s.quota.window);
  FEEDGOV_FUZZ_CHECK(s.quota.window <= kMaxPageSize);
  if (s.num_key_slots() >= 0) {
    FEEDGOV_FUZZ_CHECK(s.quota.window <= s.num_key_slots());
  }
  // The slate's key slots for a few pages: sorted, unique, key slots.
  for (int start : {0, 20, 480}) {
    std::vector<int> slots = s.SlateKeySlots(start, 20);
    for (size_t i = 0; i < slots.size(); ++i) {
      FEEDGOV_FUZZ_CHECK(s.IsKeySlot(slots[i]));
      if (i > 0) FEEDGOV_FUZZ_CHECK(slots[i - 1] < slots[i]);
    }
  }
  for (Audience a : {Audience::kGeneral, Audience::kMinors}) {
    for (const Rule* r : pack.RulesFor(s, a))
      FEEDGOV_FUZZ_CHECK(r->AppliesTo(s.id));
    const double bound = pack.BoostBound(s, a);
    FEEDGOV_FUZZ_CHECK(bound >= 1.0);
    (void)pack.SurfaceFor(s.id, a);
  }
}

void CheckPack(const PolicyPack& pack) {
  FEEDGOV_FUZZ_CHECK(IdChars(pack.id, /*dash=*/true));
  FEEDGOV_FUZZ_CHECK(pack.version >= 1);
  FEEDGOV_FUZZ_CHECK(pack.positive_threshold >= 0.0f &&
                     pack.positive_threshold <= 1.0f);
  FEEDGOV_FUZZ_CHECK(!pack.surfaces.empty());
  for (const Surface& s : pack.surfaces) CheckSurface(pack, s);
  for (const Rule& r : pack.rules) CheckRule(pack, r);
  for (const MachineLabelThresholds& m : pack.machine_labels) {
    CheckMachineLabel(pack, m);
  }
  if (pack.minors) {
    for (const Rule& r : pack.minors->rules) CheckRule(pack, r);
    for (const std::string& s : pack.minors->allowed_surfaces) {
      FEEDGOV_FUZZ_CHECK(pack.FindSurface(s) != nullptr);
    }
  }
  absl::StatusOr<const Surface*> unknown =
      pack.SurfaceOrError("no such surface");
  FEEDGOV_FUZZ_CHECK(unknown.status().code() ==
                     absl::StatusCode::kInvalidArgument);
  absl::Status lint = CheckPolicyCoverage(pack);
  FEEDGOV_FUZZ_CHECK(lint.ok() ||
                     lint.code() == absl::StatusCode::kInvalidArgument);
}

// The parts of two packs a reader can observe.
bool SamePack(const PolicyPack& a, const PolicyPack& b) {
  if (a.id != b.id || a.version != b.version ||
      a.description != b.description || a.jurisdiction != b.jurisdiction ||
      a.positive_threshold != b.positive_threshold ||
      a.requires_non_profiling_option != b.requires_non_profiling_option ||
      a.surfaces.size() != b.surfaces.size() ||
      a.rules.size() != b.rules.size() ||
      a.machine_labels.size() != b.machine_labels.size() ||
      a.minors.has_value() != b.minors.has_value()) {
    return false;
  }
  for (size_t i = 0; i < a.machine_labels.size(); ++i) {
    const MachineLabelThresholds& x = a.machine_labels[i];
    const MachineLabelThresholds& y = b.machine_labels[i];
    if (x.label != y.label || x.key_slot_threshold != y.key_slot_threshold ||
        x.elsewhere_threshold != y.elsewhere_threshold) {
      return false;
    }
  }
  for (size_t i = 0; i < a.surfaces.size(); ++i) {
    const Surface& x = a.surfaces[i];
    const Surface& y = b.surfaces[i];
    if (x.id != y.id || x.kind != y.kind ||
        x.listed_key_slots != y.listed_key_slots ||
        x.first_n_key_slots != y.first_n_key_slots ||
        x.all_key_slots != y.all_key_slots ||
        x.quota.min_positive != y.quota.min_positive ||
        x.quota.window != y.quota.window || x.unlabeled != y.unlabeled) {
      return false;
    }
  }
  for (size_t i = 0; i < a.rules.size(); ++i) {
    const Rule& x = a.rules[i];
    const Rule& y = b.rules[i];
    if (x.label != y.label || x.action != y.action ||
        x.threshold != y.threshold || x.factor != y.factor ||
        x.surfaces != y.surfaces ||
        x.drop_on_machine_label != y.drop_on_machine_label) {
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  const Taxonomy& taxonomy = fuzz::RepositoryTaxonomy();
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto pack = ParsePolicyPack("fuzz.textproto", text, taxonomy);
  if (!pack.ok()) {
    FEEDGOV_FUZZ_CHECK(pack.status().code() ==
                       absl::StatusCode::kInvalidArgument);
    FEEDGOV_FUZZ_CHECK(
        absl::StartsWith(pack.status().message(), "fuzz.textproto:"));
    return 0;
  }
  fuzz::CheckPack(**pack);
  v1::PolicyPack proto;
  FEEDGOV_FUZZ_CHECK(
      google::protobuf::TextFormat::ParseFromString(text, &proto));
  std::string printed;
  FEEDGOV_FUZZ_CHECK(
      google::protobuf::TextFormat::PrintToString(proto, &printed));
  auto again = ParsePolicyPack("printed", printed, taxonomy);
  FEEDGOV_FUZZ_CHECK(again.ok());
  FEEDGOV_FUZZ_CHECK(fuzz::SamePack(**pack, **again));
  return 0;
}
