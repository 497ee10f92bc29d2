// File: engine/rank/feed_engine.h
//
// FeedEngine: answers "give me the next page of surface S for user U". It
// owns the request path's stages and wires them together; the rules live
// in the stages (docs/architecture.md has the code map):
//
//   1. open       RankContext: every snapshot once (catalog state and
//                 labels, policy pack, interventions, the user's settings),
//                 the page-token chain, audience, surface, governance view
//                 (governance/view_cache.h)
//   2. overlay    editors: eligible rows, suppressions, editor factors and
//                 pins (intervention/overlay.h)
//   3. user       the user's choices: query vector, exclusions, user
//                 factors (user/user_stage.h); nothing on the profile-free
//                 path
//   4. plan       what the slate will read: key slots, quota, pins on the
//                 page, the SlateNeed (governance/slate_plan.h)
//   5. retrieve   candidates scored with the one final score
//                 (retrieval/candidate_source.h, scoring/final_score.h),
//                 cut to the head the slate can read
//   6. pools      positive and key-slot-safe pools when the candidates
//                 cannot fill this page's key slots
//   7. slate      governance/slate_builder.h: pins, key slots, quota, then
//                 pins past the end of the feed (intervention/overlay.h)
//   8. respond    items, counters, degradations, settings, next page token
//                 (response/response_builder.h)
//
// Precedence (Manual intervention issue): policy rules > editor suppression
// > pin > positive quota > score.
//
// The user's stored settings apply on every path: Rank for a named user
// reads them from the UserSettingsStore set with SetUserSettingsSource (the
// state directory sets it; with none, every user has the defaults), and
// the request's own switches only make the page stricter. A caller that
// wants other settings says so explicitly (RankRequest::settings_override);
// the response says which applied (RankResponse::settings).
//
// Thread-safety: Rank() is const and may run concurrently with itself and
// with every writer; every input it reads is an immutable snapshot held by
// shared_ptr for the whole request, so a request in flight finishes with
// the versions it started with and never waits for a writer (writers build
// the new snapshot first, then swap a pointer).
#ifndef FEEDGOV_ENGINE_RANK_FEED_ENGINE_H_
#define FEEDGOV_ENGINE_RANK_FEED_ENGINE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/catalog/catalog_writer.h"
#include "engine/catalog/snapshot.h"
#include "engine/common/clock.h"
#include "engine/common/rank_types.h"
#include "engine/governance/policy_loader.h"
#include "engine/governance/slate_plan.h"
#include "engine/governance/view_cache.h"
#include "engine/intervention/intervention_snapshot.h"
#include "engine/intervention/overlay.h"
#include "engine/rank/rank_context.h"
#include "engine/response/response_builder.h"
#include "engine/retrieval/candidate_source.h"
#include "engine/retrieval/retriever.h"
#include "engine/scoring/final_score.h"
#include "engine/scoring/scorer.h"
#include "engine/store/user_settings_store.h"
#include "engine/user/user_controls.h"
#include "engine/user/user_stage.h"

namespace feedgov {

struct EngineOptions {
  ScoringOptions scoring;
  RetrieverOptions retrieval;
  UserStageOptions user;
  // Candidates retrieved per request, before governance. [1, 100000].
  // The engine retrieves max(candidate_count, 3 * page_size).
  int candidate_count = 500;
  // Key for the page-token integrity tag (response/page_token.h). Tokens
  // from an engine with another key are refused as malformed.
  std::string page_token_key = "feedgov-page-token-v1";
  // true: hand the slate builder only the head of the ranked candidates it
  // can read (governance/slate_plan.h: ReadableHead, KeepReadableHead).
  // false: every candidate, the slower reference that
  // tests/pipeline/candidate_head_test.cc compares against.
  bool trim_candidate_head = true;
  // true: the personalized path scores every eligible row
  // (ExhaustiveSource) instead of the threshold algorithm's candidates
  // (O(n) per request): the reference the fast path must equal whenever
  // retrieval is exact. Never for serving.
  bool exhaustive_candidates = false;

  // INVALID_ARGUMENT naming the field when out of range.
  absl::Status Validate() const;
};

class FeedEngine final : public FeedReader {
 public:
  // Source of the current interventions (InterventionManager::snapshot);
  // may return null for "none".
  using InterventionSource =
      std::function<std::shared_ptr<const InterventionSnapshot>()>;

  // Builds an engine over a loaded snapshot. The FAISS index is
  // deserialized from snapshot.index_bytes (rebuilt if empty).
  // `policies` must hold a pack. `clock` must outlive the engine.
  // Errors: INVALID_ARGUMENT for bad options, FAILED_PRECONDITION if the
  // registry has no pack, DATA_LOSS/FAILED_PRECONDITION from the index.
  static absl::StatusOr<std::unique_ptr<FeedEngine>> Create(
      SnapshotContents snapshot, std::shared_ptr<PolicyRegistry> policies,
      EngineOptions options, const Clock* clock);

  // One page. Errors: INVALID_ARGUMENT (page_size outside [1, 500], unknown
  // surface, malformed or foreign page token, an invalid settings override),
  // PERMISSION_DENIED (surface not open to the minors audience),
  // OUT_OF_RANGE (chain longer than kMaxItemsPerChain); the settings
  // store's errors (a page is never served with settings that could not be
  // read). An unknown user is not an error: the non-personalized ranking is
  // served and flagged in `degradations`.
  absl::StatusOr<RankResponse> Rank(const RankRequest& request) const override;

  // Catalog and label writes (catalog/catalog_writer.h): all or nothing,
  // visible to the next Rank. Each successful one then runs the after-write
  // hook.
  absl::Status UpdateLabels(std::vector<ItemLabelsUpdate> updates) {
    return AfterWrite(catalog_.UpdateLabels(std::move(updates)));
  }
  absl::Status UpsertItems(std::vector<Item> items,
                           const RowMatrixXf& embeddings,
                           std::vector<ItemLabelsUpdate> labels) {
    return AfterWrite(catalog_.UpsertItems(std::move(items), embeddings,
                                           std::move(labels)));
  }
  absl::Status DeleteItems(const std::vector<ItemId>& items) {
    return AfterWrite(catalog_.DeleteItems(items));
  }
  // Loads the pack at `path` as the current policy (PolicyRegistry::Reload),
  // then runs the after-write hook.
  absl::Status ReloadPolicy(const std::string& path) {
    return AfterWrite(policies_->Reload(path));
  }
  void SetCommitHook(CatalogWriter::CommitHook hook) {
    catalog_.SetCommitHook(std::move(hook));
  }
  // Runs after every successful catalog or label write and policy reload,
  // outside the writer's lock (the state dir records pins that stopped
  // being placed: intervention_manager.h RecordPinStates). Empty: none.
  // Must not call the engine's write methods.
  using AfterWriteHook = std::function<void()>;
  void SetAfterWriteHook(AfterWriteHook hook) ABSL_LOCKS_EXCLUDED(hook_mu_);

  // Where Rank reads the interventions in force. The source is called once
  // per Rank with the engine's lock held, so that after this setter returns
  // no Rank calls the previous source again (a source may be detached and
  // destroyed then); it must be fast and must not call into the engine.
  void SetInterventionSource(InterventionSource source)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Where Rank reads users' stored settings (thread-safe; shared, so a Rank
  // in flight keeps the one it started with); null: the engine has no
  // store, every user has the defaults (AppliedSettings source DEFAULTS).
  // UserControls writes the store it finds here (user/user_controls.h).
  void SetUserSettingsSource(std::shared_ptr<UserSettingsStore> store)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Current snapshots (for explanations, CLIs and tests).
  std::shared_ptr<const CatalogState> state() const { return catalog_.state(); }
  std::shared_ptr<const Catalog> catalog() const { return state()->catalog; }
  std::shared_ptr<const UserTable> users() const { return state()->users; }
  std::shared_ptr<const LabelTable> labels() const { return catalog_.labels(); }
  std::shared_ptr<const PolicyPack> policy() const override {
    return policies_->current();
  }
  PolicyRegistry& policies() const { return *policies_; }
  const CatalogWriter& catalog_writer() const { return catalog_; }
  const EngineOptions& options() const { return options_; }
  const Clock& clock() const { return *clock_; }

  // FeedReader (engine/user/user_controls.h).
  std::shared_ptr<const CatalogState> catalog_state() const override {
    return state();
  }
  const Taxonomy& taxonomy() const override { return policies_->taxonomy(); }
  const ScoringOptions& scoring_options() const override {
    return options_.scoring;
  }
  const UserStage& user_stage() const override { return *user_stage_; }
  std::shared_ptr<UserSettingsStore> user_settings_source() const override
      ABSL_LOCKS_EXCLUDED(mu_);

  // The governance view for (current pack, surface, audience, labels);
  // cached. INVALID_ARGUMENT for an unknown surface.
  absl::StatusOr<std::shared_ptr<const GovernanceView>> ViewFor(
      const std::string& surface, Audience audience) const;
  using ViewCacheStats = GovernanceViewCache::Stats;
  ViewCacheStats view_cache_stats() const { return views_.stats(); }

 private:
  FeedEngine(std::shared_ptr<const CatalogState> state,
             std::shared_ptr<const LabelTable> labels,
             std::shared_ptr<PolicyRegistry> policies, EngineOptions options,
             std::unique_ptr<UserStage> user_stage, const Clock* clock);

  absl::Status AfterWrite(absl::Status written) ABSL_LOCKS_EXCLUDED(hook_mu_);

  // The stages' wiring (feed_engine.cc).
  absl::StatusOr<RankContext> Open(const RankRequest& request) const;
  // The candidate sources of one request; For() picks the path's: the
  // profile-free PriorSource, else the ThresholdSource (the
  // ExhaustiveSource with EngineOptions::exhaustive_candidates).
  struct Sources {
    Sources(const SourceInputs& in, absl::Span<const float> query)
        : prior(in), threshold(in, query), exhaustive(in, query) {}
    const CandidateSource& For(bool personalized,
                               const EngineOptions& options) const;
    const PriorSource prior;
    const ThresholdSource threshold;
    const ExhaustiveSource exhaustive;
  };
  absl::StatusOr<std::vector<SlateCandidate>> RetrieveRanked(
      const RankContext& ctx, const CandidateSource& source,
      const FinalScorer& scorer, const RowSet& eligible, int eligible_count,
      const SlatePlan& plan) const;
  struct Pools {
    std::vector<SlateCandidate> positive;
    std::vector<SlateCandidate> key_safe;
  };
  absl::StatusOr<Pools> RetrievePools(const RankContext& ctx,
                                      const CandidateSource& source,
                                      const FinalScorer& scorer,
                                      const std::vector<SlateCandidate>& ranked,
                                      const RowSet& eligible,
                                      const SlatePlan& plan) const;
  static PageOutcome Outcome(RankContext& ctx, Overlay& overlay,
                             Personalization& user, int eligible_count);

  // Constant after construction.
  const Scorer blend_;
  const std::shared_ptr<PolicyRegistry> policies_;
  const EngineOptions options_;
  const Clock* const clock_;
  const std::unique_ptr<const UserStage> user_stage_;

  CatalogWriter catalog_;      // The live catalog (its own locks).
  GovernanceViewCache views_;  // Reads catalog_.label_log().
  InterventionOverlay overlay_;

  absl::Mutex hook_mu_;
  AfterWriteHook after_write_ ABSL_GUARDED_BY(hook_mu_);
  mutable absl::Mutex mu_;
  InterventionSource interventions_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<UserSettingsStore> user_settings_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RANK_FEED_ENGINE_H_
