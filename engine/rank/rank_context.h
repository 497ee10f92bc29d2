// File: engine/rank/rank_context.h
//
// RankContext: everything one Rank reads, opened once at its start (the
// "resolve" step): the catalog state and labels of one instant, the policy
// pack, the interventions snapshot, the user's settings, the page-token
// chain, the audience and surface, the clock reading and the governance
// view. Every later stage reads these and nothing else, so a request in
// flight finishes with the versions it started with and never reads a
// snapshot twice.
//
// Thread-safety: a per-request value, used by one thread.
#ifndef FEEDGOV_ENGINE_RANK_RANK_CONTEXT_H_
#define FEEDGOV_ENGINE_RANK_RANK_CONTEXT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/catalog/catalog_writer.h"
#include "engine/common/clock.h"
#include "engine/common/rank_types.h"
#include "engine/governance/policy.h"
#include "engine/governance/policy_loader.h"
#include "engine/governance/verdict.h"
#include "engine/governance/view_cache.h"
#include "engine/intervention/intervention_snapshot.h"
#include "engine/intervention/overlay.h"
#include "engine/store/user_settings_store.h"
#include "engine/user/user_stage.h"
#include "feedgov/v1/page_token.pb.h"

namespace feedgov {

struct RankContext {
  CatalogSnapshot catalog;  // State and labels of one instant.
  std::shared_ptr<const PolicyPack> pack;
  std::shared_ptr<const InterventionSnapshot> interventions;  // May be null.
  UserSettingsChoice user;   // The settings the page is ranked with.
  v1::PageTokenState chain;  // Decoded, or a new chain.
  Audience audience = Audience::kGeneral;
  const Surface* surface = nullptr;  // One of pack->surfaces.
  std::shared_ptr<const GovernanceView> view;
  absl::Time now;
  int start = 0;  // Absolute 0-based position of the page's first slot.
  int page_size = 0;
  // Degradations in stage order (this step: unevaluable labels).
  std::vector<std::string> degradations;

  const CatalogState& state() const { return *catalog.state; }
  int page_end() const { return start + page_size; }
  // The overlay's view of this page.
  OverlayRequest ForOverlay() const;
};

// Where a RankContext's snapshots come from (the engine's members).
struct ContextSources {
  const CatalogWriter* catalog = nullptr;
  const PolicyRegistry* policies = nullptr;
  const GovernanceViewCache* views = nullptr;
  std::shared_ptr<const InterventionSnapshot> interventions;  // May be null.
  std::shared_ptr<const UserSettingsStore> settings;  // Null: defaults.
  const Clock* clock = nullptr;
  absl::string_view page_token_key;
};

// Opens the context of `request`, in this order: checks the page size;
// reads every snapshot once; decodes the page token (or starts a chain) and
// checks it belongs to this surface and user; checks the surface exists;
// resolves the user's settings (user/user_stage.h); picks the audience
// (minors mode is sticky within a chain: a continuation may only get
// stricter) and the surface for it; checks the chain's state; reads the
// clock and the governance view.
// Errors: as FeedEngine::Rank.
absl::StatusOr<RankContext> OpenRankContext(const RankRequest& request,
                                            const ContextSources& sources);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RANK_RANK_CONTEXT_H_
