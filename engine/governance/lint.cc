#include "engine/governance/lint.h"

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/governance/policy_loader.h"

namespace feedgov {
namespace {

// True when some rule in `rules` with one of `actions` matches `label`.
bool Covered(const std::vector<const Rule*>& rules, const std::string& label,
             std::initializer_list<RuleAction> actions) {
  for (const Rule* r : rules) {
    for (RuleAction a : actions) {
      if (r->action == a && r->Matches(label)) return true;
    }
  }
  return false;
}

// True when a label of source MODEL named `label` is kept out of key slots
// by some rule in `rules`: KEEP_OUT_OF_KEY_SLOTS, or DROP with
// drop_on_machine_label (a DROP rule without it ignores machine labels).
bool MachineLabelKeptOut(const std::vector<const Rule*>& rules,
                         const std::string& label) {
  for (const Rule* r : rules) {
    if (!r->Matches(label)) continue;
    if (r->action == RuleAction::kKeepOutOfKeySlots) return true;
    if (r->action == RuleAction::kDrop && r->drop_on_machine_label) return true;
  }
  return false;
}

absl::Status CheckSurface(const PolicyPack& pack, const Surface& s) {
  const std::vector<const Rule*> rules = pack.RulesFor(s, Audience::kGeneral);
  for (const TaxonomyEntry& e : pack.taxonomy->entries()) {
    auto gap = [&](absl::string_view what) {
      return absl::InvalidArgumentError(
          absl::StrCat(pack.source_path, ": surface '", s.id, "': ", what,
                       " label '", e.name, "'"));
    };
    if (e.label_class == LabelClass::kIllegal &&
        !Covered(rules, e.name, {RuleAction::kDrop})) {
      return gap("no DROP rule covers the illegal");
    }
    if (e.label_class == LabelClass::kBad && pack.jurisdiction == "CN" &&
        s.kind != SurfaceKind::kFeed &&
        !Covered(rules, e.name,
                 {RuleAction::kDrop, RuleAction::kKeepOutOfKeySlots})) {
      return gap("key link: no DROP or KEEP_OUT_OF_KEY_SLOTS rule covers the bad");
    }
    if (e.label_class != LabelClass::kPositive && pack.jurisdiction == "CN" &&
        s.kind != SurfaceKind::kFeed && !MachineLabelKeptOut(rules, e.name)) {
      return gap(absl::StrCat(
          "key link: machine labels: no KEEP_OUT_OF_KEY_SLOTS rule, nor DROP "
          "with drop_on_machine_label, covers the ",
          LabelClassName(e.label_class)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LintPolicyFile(const std::string& path,
                            const std::string& taxonomy_path) {
  FEEDGOV_ASSIGN_OR_RETURN(Taxonomy taxonomy, Taxonomy::Load(taxonomy_path));
  FEEDGOV_ASSIGN_OR_RETURN(std::shared_ptr<const PolicyPack> pack,
                           LoadPolicyPack(path, taxonomy));
  return CheckPolicyCoverage(*pack);
}

absl::Status CheckPolicyCoverage(const PolicyPack& pack) {
  for (const Surface& s : pack.surfaces) {
    FEEDGOV_RETURN_IF_ERROR(CheckSurface(pack, s));
  }
  return absl::OkStatus();
}

}  // namespace feedgov
