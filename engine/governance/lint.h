// File: engine/governance/lint.h
//
// `feedgov policy lint FILE`: checks a policy pack against the taxonomy.
#ifndef FEEDGOV_ENGINE_GOVERNANCE_LINT_H_
#define FEEDGOV_ENGINE_GOVERNANCE_LINT_H_

#include <string>

#include "absl/status/status.h"
#include "engine/governance/policy.h"

namespace feedgov {

// The coverage checks below on an already loaded pack. PolicyRegistry::Reload
// applies them too, so a pack that fails lint is never put in force.
absl::Status CheckPolicyCoverage(const PolicyPack& pack);

// Loads the taxonomy at `taxonomy_path` and the pack at `path`
// (LoadPolicyPack: every structural error with its file:line), then checks
// coverage, INVALID_ARGUMENT "path: surface 'x': ..." on the first gap:
//  * every illegal.* label is dropped by some rule on every surface
//    (Gov. Art. 10: illegal content is never served);
//  * for packs with jurisdiction "CN": on every key-link surface (kind other
//    than FEED) every bad.* label is dropped or kept out of key slots
//    (Gov. Art. 11 closing sentence);
//  * for packs with jurisdiction "CN": on every key-link surface every
//    illegal.* and bad.* label of source MODEL (a machine label, which a
//    DROP rule ignores unless it sets drop_on_machine_label) is kept out of
//    key slots by a KEEP_OUT_OF_KEY_SLOTS rule or a DROP rule with
//    drop_on_machine_label (Gov. Art. 10 and 11: an unreviewed candidate
//    never sits in a key link).
// NOT_FOUND when a file is missing. OK when clean.
absl::Status LintPolicyFile(const std::string& path,
                            const std::string& taxonomy_path);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_LINT_H_
