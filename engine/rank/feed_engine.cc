#include "engine/rank/feed_engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/governance/slate_builder.h"
#include "engine/response/response_builder.h"

namespace feedgov {

absl::Status EngineOptions::Validate() const {
  FEEDGOV_RETURN_IF_ERROR(scoring.Validate());
  FEEDGOV_RETURN_IF_ERROR(retrieval.Validate());
  FEEDGOV_RETURN_IF_ERROR(user.Validate());
  if (candidate_count < 1 || candidate_count > Retriever::kMaxK) {
    return absl::InvalidArgumentError(
        absl::StrCat("candidate_count ", candidate_count, " outside [1, ",
                     Retriever::kMaxK, "]"));
  }
  if (page_token_key.empty()) {
    return absl::InvalidArgumentError("page_token_key must not be empty");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FeedEngine>> FeedEngine::Create(
    SnapshotContents snapshot, std::shared_ptr<PolicyRegistry> policies,
    EngineOptions options, const Clock* clock) {
  FEEDGOV_RETURN_IF_ERROR(options.Validate());
  if (snapshot.catalog == nullptr || snapshot.users == nullptr ||
      snapshot.labels == nullptr) {
    return absl::InvalidArgumentError("snapshot is missing a table");
  }
  if (policies == nullptr || policies->current() == nullptr) {
    return absl::FailedPreconditionError("no policy pack loaded");
  }
  std::unique_ptr<Retriever> retriever;
  if (snapshot.index_bytes.empty()) {
    FEEDGOV_ASSIGN_OR_RETURN(
        retriever,
        Retriever::Build(snapshot.catalog->embeddings(), options.retrieval));
  } else {
    FEEDGOV_ASSIGN_OR_RETURN(
        retriever, Retriever::Deserialize(snapshot.index_bytes,
                                          snapshot.catalog->embeddings(),
                                          options.retrieval));
  }
  FEEDGOV_ASSIGN_OR_RETURN(std::unique_ptr<UserStage> user_stage,
                           UserStage::Create(options.user));
  auto state = std::make_shared<CatalogState>();
  state->catalog = snapshot.catalog;
  state->users = snapshot.users;
  state->retriever = std::move(retriever);
  state->ComputePriors(options.scoring);
  return std::unique_ptr<FeedEngine>(
      new FeedEngine(std::move(state), snapshot.labels, std::move(policies),
                     std::move(options), std::move(user_stage), clock));
}

FeedEngine::FeedEngine(std::shared_ptr<const CatalogState> state,
                       std::shared_ptr<const LabelTable> labels,
                       std::shared_ptr<PolicyRegistry> policies,
                       EngineOptions options,
                       std::unique_ptr<UserStage> user_stage,
                       const Clock* clock)
    : blend_(options.scoring),
      policies_(std::move(policies)),
      options_(std::move(options)),
      clock_(clock),
      user_stage_(std::move(user_stage)),
      catalog_(std::move(state), std::move(labels), &policies_->taxonomy(),
               options_.scoring),
      views_(&catalog_.label_log()) {}

void FeedEngine::SetAfterWriteHook(AfterWriteHook hook) {
  absl::MutexLock lock(&hook_mu_);
  after_write_ = std::move(hook);
}

absl::Status FeedEngine::AfterWrite(absl::Status written) {
  if (!written.ok()) return written;
  absl::MutexLock lock(&hook_mu_);
  if (after_write_) after_write_();
  return written;
}

void FeedEngine::SetInterventionSource(InterventionSource source) {
  absl::MutexLock lock(&mu_);
  interventions_ = std::move(source);
}

void FeedEngine::SetUserSettingsSource(
    std::shared_ptr<UserSettingsStore> store) {
  absl::MutexLock lock(&mu_);
  user_settings_ = std::move(store);
}

std::shared_ptr<UserSettingsStore> FeedEngine::user_settings_source() const {
  absl::MutexLock lock(&mu_);
  return user_settings_;
}

absl::StatusOr<std::shared_ptr<const GovernanceView>> FeedEngine::ViewFor(
    const std::string& surface_id, Audience audience) const {
  const std::shared_ptr<const PolicyPack> pack = policies_->current();
  FEEDGOV_ASSIGN_OR_RETURN(const Surface* surface,
                           pack->SurfaceOrError(surface_id));
  const CatalogSnapshot snapshot = catalog_.Snapshot();
  return views_.Get(pack, *surface, audience, snapshot.state->catalog,
                    snapshot.labels);
}

absl::StatusOr<RankContext> FeedEngine::Open(const RankRequest& request) const {
  ContextSources sources;
  sources.catalog = &catalog_;
  sources.policies = policies_.get();
  sources.views = &views_;
  sources.clock = clock_;
  sources.page_token_key = options_.page_token_key;
  {
    absl::MutexLock lock(&mu_);
    if (interventions_) sources.interventions = interventions_();
    sources.settings = user_settings_;
  }
  return OpenRankContext(request, sources);
}

absl::StatusOr<RankResponse> FeedEngine::Rank(
    const RankRequest& request) const {
  // 1 open: every snapshot once, the chain, audience, surface, view.
  FEEDGOV_ASSIGN_OR_RETURN(RankContext ctx, Open(request));
  // 2 editors: eligible rows, suppressions, editor factors, pins.
  Overlay overlay = overlay_.Apply(ctx.interventions, ctx.ForOverlay());
  // 3 the user: query, exclusions, user factors (none when switched off).
  FEEDGOV_ASSIGN_OR_RETURN(
      Personalization user,
      user_stage_->Apply(ctx.user, ctx.state(), overlay.eligible));
  const int eligible_count = overlay.eligible.count();  // Final from here.
  // 4 plan: what the slate will read (the SlateNeed retrieval must meet).
  const SlatePlan plan(*ctx.surface, ctx.start, ctx.page_size,
                       ctx.chain.positives_in_quota_window(),
                       overlay.PinsBefore(ctx.page_end()));
  // 5 retrieve and score, cut to the readable head; 6 pools if needed.
  const FinalScorer scorer(
      *ctx.state().catalog, *ctx.view, *overlay.editor_factor, user.user_factor,
      user.personalized, ctx.pack->BoostBound(*ctx.surface, ctx.audience));
  const Sources sources(SourceInputs{&ctx.state(), &blend_, &scorer,
                                     ctx.view.get(), ctx.page_size},
                        user.query);
  const CandidateSource& source = sources.For(user.personalized, options_);
  FEEDGOV_ASSIGN_OR_RETURN(std::vector<SlateCandidate> ranked,
                           RetrieveRanked(ctx, source, scorer, overlay.eligible,
                                          eligible_count, plan));
  FEEDGOV_ASSIGN_OR_RETURN(
      Pools pools,
      RetrievePools(ctx, source, scorer, ranked, overlay.eligible, plan));
  // 7 slate: pins, key slots, quota; then pins past the end of the feed.
  const SlateResult slate = BuildSlate(
      plan.Input(std::move(ranked), std::move(pools.positive),
                 std::move(pools.key_safe), options_.trim_candidate_head));
  std::vector<SlateSlot> slots = slate.slots;
  overlay.PlacePinsPastEnd(eligible_count, *ctx.surface, ctx.start,
                           ctx.page_size, slots);
  // 8 respond: items, counters, degradations, settings, next token.
  return BuildResponse(Outcome(ctx, overlay, user, eligible_count), slate,
                       slots, std::move(ctx.chain), options_.page_token_key);
}

// Everything the response reports of the stages before it. Degradations in
// stage order: the context's, the overlay's, the user stage's.
PageOutcome FeedEngine::Outcome(RankContext& ctx, Overlay& overlay,
                                Personalization& user, int eligible_count) {
  PageOutcome outcome;
  outcome.catalog = ctx.state().catalog.get();
  outcome.labels = ctx.catalog.labels.get();
  outcome.pack = ctx.pack.get();
  outcome.surface = ctx.surface;
  outcome.view_counters = &ctx.view->counters();
  outcome.personalized = user.personalized;
  outcome.settings = ctx.user.applied;
  outcome.suppressed = overlay.suppressed;
  outcome.pins_blocked = overlay.pins_blocked;
  outcome.pin_ids = &overlay.pin_ids;
  outcome.degradations = std::move(ctx.degradations);
  for (auto* more : {&overlay.degradations, &user.degradations}) {
    for (std::string& d : *more) outcome.degradations.push_back(std::move(d));
  }
  outcome.eligible_count = eligible_count;
  outcome.later_pins = overlay.HasPinAtOrAfter(ctx.page_end());
  outcome.start = ctx.start;
  outcome.page_size = ctx.page_size;
  return outcome;
}

const CandidateSource& FeedEngine::Sources::For(
    bool personalized, const EngineOptions& options) const {
  if (!personalized) return prior;
  if (options.exhaustive_candidates) return exhaustive;
  return threshold;
}

// The ranked candidates: the source's rows for the page's need, cut to the
// head the slate can read.
absl::StatusOr<std::vector<SlateCandidate>> FeedEngine::RetrieveRanked(
    const RankContext& ctx, const CandidateSource& source,
    const FinalScorer& scorer, const RowSet& eligible, int eligible_count,
    const SlatePlan& plan) const {
  const int k = std::max(options_.candidate_count, 3 * ctx.page_size);
  FEEDGOV_ASSIGN_OR_RETURN(
      ScoredRows scored,
      source.Retrieve(eligible, eligible_count, k, plan.need()));
  const std::vector<size_t> head = ReadableHead(
      scored.rows, scored.finals,
      options_.trim_candidate_head ? plan.need() : SlateNeed{}, *ctx.view);
  return scored.Candidates(scorer, head);
}

// The pools the plan asks for, each the source's best rows of its set.
absl::StatusOr<FeedEngine::Pools> FeedEngine::RetrievePools(
    const RankContext& ctx, const CandidateSource& source,
    const FinalScorer& scorer, const std::vector<SlateCandidate>& ranked,
    const RowSet& eligible, const SlatePlan& plan) const {
  Pools pools;
  for (const PoolRequest& pool : plan.Pools(ranked, eligible, *ctx.view)) {
    FEEDGOV_ASSIGN_OR_RETURN(
        ScoredRows scored,
        source.Retrieve(pool.allowed, -1, pool.k, SlateNeed{}));
    const std::vector<size_t> all =
        ReadableHead(scored.rows, scored.finals, SlateNeed{}, *ctx.view);
    (pool.kind == PoolRequest::Kind::kPositive ? pools.positive
                                               : pools.key_safe) =
        scored.Candidates(scorer, all);
  }
  return pools;
}

}  // namespace feedgov
