// File: engine/governance/policy_loader.h
//
// Loading and validating policy packs (policies/*.textproto, schema
// engine/proto/feedgov/v1/policy.proto), and a registry that hot-swaps the
// current pack.
#ifndef FEEDGOV_ENGINE_GOVERNANCE_POLICY_LOADER_H_
#define FEEDGOV_ENGINE_GOVERNANCE_POLICY_LOADER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/governance/policy.h"
#include "engine/governance/taxonomy.h"

namespace feedgov {

// Loads the pack at `path` and validates it against `taxonomy` (copied into
// the pack). NOT_FOUND when the file is missing. Every other problem is
// INVALID_ARGUMENT "path:line: <where>: <what>", e.g.
//   "policies/x.textproto:23: rule 2: threshold 1.5 outside [0, 1]"
// (rules and surfaces are numbered from 1 in file order). Checked:
//  * syntax and unknown fields (the parser's line:column);
//  * pack: id [a-z0-9_-]+, version >= 1, positive_threshold in [0, 1],
//    at least one surface;
//  * surfaces: id [a-z0-9_]+ and unique; kind set; key slots in
//    [0, kMaxPageSize) and not duplicated (also not repeated by
//    first_n_key_slots); first_n_key_slots in [0, kMaxPageSize]; every kind
//    but FEED (a key link) declares key slots; quota 0 <= N <= K,
//    K <= number of key slots and <= kMaxPageSize;
//  * rules (pack and audience): label is a taxonomy name or "class.*"
//    matching at least one label; action set; threshold present and in
//    [0, 1]; factor absent for DROP / KEEP_OUT_OF_KEY_SLOTS, in (0, 1) for
//    DOWNRANK and > 1 for BOOST; scope surfaces exist;
//  * contradictions: BOOST may only target positive labels and DROP /
//    KEEP_OUT_OF_KEY_SLOTS / DOWNRANK only illegal or bad labels (so no
//    label can be both boosted and restricted); two rules of one list with
//    the same action, overlapping labels and overlapping scopes are
//    ambiguous and rejected;
//  * audiences: kind set and not repeated; allowed surfaces exist.
absl::StatusOr<std::shared_ptr<const PolicyPack>> LoadPolicyPack(
    const std::string& path, const Taxonomy& taxonomy);

// Same, from text; `path` is used in messages and as source_path.
absl::StatusOr<std::shared_ptr<const PolicyPack>> ParsePolicyPack(
    const std::string& path, const std::string& text,
    const Taxonomy& taxonomy);

// Holds the pack in force. Thread-safe: current() and Reload() may be called
// concurrently from any thread. Readers keep the shared_ptr they got for the
// whole request; a reload never changes a pack already handed out.
class PolicyRegistry {
 public:
  explicit PolicyRegistry(Taxonomy taxonomy);

  // The pack in force; null until the first successful Reload or Set.
  std::shared_ptr<const PolicyPack> current() const;

  // Loads `path` and, only if it is valid and passes the lint coverage
  // checks (lint.h), swaps it in atomically. On error the previous pack
  // stays current and the error is returned.
  absl::Status Reload(const std::string& path);

  // Swaps in an already loaded pack (must not be null).
  void Set(std::shared_ptr<const PolicyPack> pack);

  const Taxonomy& taxonomy() const { return taxonomy_; }

 private:
  const Taxonomy taxonomy_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const PolicyPack> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_GOVERNANCE_POLICY_LOADER_H_
