// File: engine/pipeline/feed_engine.h
//
// FeedEngine: answers "give me the next page of surface S for user U". It
// wires the stages together (no business rules live here):
//
//   1. resolve    policy pack, surface, audience, page token, active
//                 interventions, governance view (cached per label version)
//   2. eligible   servable rows minus served, suppressed, pinned, not wanted
//   3. retrieve   personalized: FAISS top-K by cosine to the user's vector
//                 non-personalized: top-K by prior (popularity + freshness),
//                 a separate function that is never handed user data
//   4. score      Eigen blend (scoring/) x policy factor x editor factor
//   5. pools      positive pool and key-slot-safe pool for this page's key
//                 slots, drawn from the whole eligible catalog
//   6. slate      governance/slate_builder.h: pins, key slots, quota
//   7. respond    items with reasons, key-slot flags, labels, counters,
//                 degradations and the next page token
//
// Precedence (Manual intervention issue): policy rules > editor suppression
// > pin > positive quota > score.
//
// Thread-safety: Rank() is const and may run concurrently with itself and
// with UpdateLabels()/SetInterventionSource(); every input it reads is an
// immutable snapshot held by shared_ptr for the whole request, so a request
// in flight finishes with the versions it started with and never waits for
// a writer (writers build the new snapshot first, then swap a pointer).
#ifndef FEEDGOV_ENGINE_PIPELINE_FEED_ENGINE_H_
#define FEEDGOV_ENGINE_PIPELINE_FEED_ENGINE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/label_table.h"
#include "engine/catalog/snapshot.h"
#include "engine/catalog/user_table.h"
#include "engine/common/clock.h"
#include "engine/common/row_set.h"
#include "engine/common/types.h"
#include "engine/governance/policy_loader.h"
#include "engine/governance/slate_builder.h"
#include "engine/governance/verdict.h"
#include "engine/intervention/intervention_snapshot.h"
#include "engine/retrieval/retriever.h"
#include "engine/scoring/scorer.h"

namespace feedgov {

struct EngineOptions {
  ScoringOptions scoring;
  RetrieverOptions retrieval;
  // Candidates retrieved per request, before governance. [1, 100000].
  // The engine retrieves max(candidate_count, 3 * page_size).
  int candidate_count = 500;
  // Key for the page-token integrity tag (page_token.h). Tokens from an
  // engine with another key are refused as malformed.
  std::string page_token_key = "feedgov-page-token-v1";
  // true: hand the slate builder only the head of the ranked candidates it
  // can read (proved equal in feed_engine.cc: ReadableNeed,
  // KeepSlateReadableHead). false: every candidate, the slower reference
  // that tests/pipeline/candidate_head_test.cc compares against.
  bool trim_candidate_head = true;
  // true: the personalized path scores every eligible row instead of the
  // threshold algorithm's candidates (O(n) per request): the reference the
  // fast path must equal whenever retrieval is exact
  // (tests/pipeline/candidate_head_test.cc). Never for serving.
  bool exhaustive_candidates = false;

  absl::Status Validate() const;
};

// Per-user controls the caller resolved for this request (user settings
// live in the user-controls store). Only used on the personalized path.
struct PersonalizationInputs {
  // Items the user marked "not interested" (and items by authors the user
  // muted): never served to this user on the personalized path.
  std::vector<ItemId> not_interested;
  // Query vector override (e.g. after interest-tag deletion), d floats;
  // empty = the user's ALS vector from the snapshot.
  std::vector<float> query_override;
  // Per-item score factors from the user's own controls (computed in
  // engine/user/): a factor in (0, 1) lowers the item and adds reason
  // SEE_LESS ("see less like this" neighbours, items carrying a deleted
  // interest tag); a factor > 1 raises it (an added interest tag). They
  // multiply the blended score like editor factors; repeated items multiply.
  // Each factor finite, in (0, kMaxUserFactor] (INVALID_ARGUMENT otherwise);
  // unknown item ids are ignored.
  static constexpr double kMaxUserFactor = 4.0;
  std::vector<std::pair<ItemId, double>> item_factors;
};

struct RankRequest {
  std::string surface = "home";
  std::optional<UserId> user;  // Unset: anonymous (non-personalized).
  int page_size = 20;          // [1, 500].
  std::string page_token;      // Empty: first page of a new chain.
  // The user's personalization switch. false: the profile-free path, which
  // never sees the user's vector, history or other settings.
  bool personalization = true;
  bool minors = false;  // Minors mode: the pack's minors audience.
  PersonalizationInputs personal;
};

struct RankedItem {
  int position = 0;  // 1-based absolute position within the token chain.
  ItemId item_id = 0;
  std::string title;
  double score = 0.0;     // Final score (blend x policy x editor factors).
  uint32_t reasons = 0;   // Reason bitmask (common/reasons.h).
  bool key_slot = false;
  std::vector<Label> labels;
  std::string pin_id;     // Intervention id when kEditorPin.
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
  // Human-readable notes on anything degraded or substituted, e.g.
  // "user 9999 unknown: non-personalized ranking".
  std::vector<std::string> degradations;
};

// Everything that changes together when the catalog changes: immutable,
// shared by the requests that use it.
struct CatalogState {
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<const UserTable> users;
  std::shared_ptr<const Retriever> retriever;
  std::shared_ptr<const ItemPriors> priors;
  // Embeddings of the first min(n, kPriorHeadRows) rows of
  // priors->rows_by_prior(), contiguous in that order (row i is rank i),
  // bitwise copies of the catalog's. Every personalized Rank reads the
  // most popular rows' embeddings; from one hot block instead of scattered
  // cache misses. Empty when d * 4 bytes is not a multiple of the SIMD
  // alignment (a copy could then round a dot product differently).
  static constexpr int64_t kPriorHeadRows = 4096;
  std::shared_ptr<const RowMatrixXf> prior_head;
  // Items deleted through DeleteItems: never served, rows kept so that row
  // numbers stay stable. Sorted.
  std::vector<ItemId> deleted;

  // Sets prior_head from catalog and priors.
  void BuildPriorHead();
};

// A catalog or label write that passed validation and is about to be
// applied (see FeedEngine::SetCommitHook). Pointers are valid for the call.
struct CatalogWrite {
  enum class Kind { kUpsertItems, kDeleteItems, kSetLabels };
  Kind kind = Kind::kSetLabels;
  const std::vector<Item>* items = nullptr;           // kUpsertItems
  const RowMatrixXf* embeddings = nullptr;            // kUpsertItems, k x d
  const std::vector<ItemLabelsUpdate>* labels = nullptr;  // kUpsertItems, kSetLabels
  const std::vector<ItemId>* deleted = nullptr;       // kDeleteItems
};

class FeedEngine {
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
  // surface, malformed or foreign page token, bad query override),
  // PERMISSION_DENIED (surface not open to the minors audience),
  // OUT_OF_RANGE (chain longer than kMaxItemsPerChain).
  // An unknown user is not an error: the non-personalized ranking is served
  // and flagged in `degradations`.
  absl::StatusOr<RankResponse> Rank(const RankRequest& request) const;

  // Replaces the labels of the given items atomically (all or nothing);
  // applies from the next request, no index rebuild. INVALID_ARGUMENT for an
  // unknown item, an invalid confidence or a label not in the taxonomy.
  absl::Status UpdateLabels(std::vector<ItemLabelsUpdate> updates);

  // Adds new items and replaces existing ones (metadata and embedding),
  // with their labels, all or nothing; the items are rankable on the next
  // request. `embeddings` is items.size() x d, row-major, any non-zero norm.
  // New items are appended to the index; a changed embedding of an existing
  // item rebuilds it. A previously deleted item that is upserted again is
  // served again. Errors: INVALID_ARGUMENT (shape, NaN/Inf/zero norm,
  // duplicate ids, labels as UpdateLabels).
  absl::Status UpsertItems(std::vector<Item> items,
                           const RowMatrixXf& embeddings,
                           std::vector<ItemLabelsUpdate> labels);

  // Stops serving the items from the next request (on every surface and
  // through pins). NOT_FOUND naming the first unknown id; nothing changes
  // then.
  absl::Status DeleteItems(const std::vector<ItemId>& items);

  void SetInterventionSource(InterventionSource source);

  // Called by UpdateLabels/UpsertItems/DeleteItems after validation and
  // before the new state is swapped in, under the writer lock. If it fails,
  // the write is not applied and its error is returned: a durable journal
  // (pipeline/state_dir.h) uses this so that nothing is acknowledged before
  // it is on disk. Empty: no hook.
  using CommitHook = std::function<absl::Status(const CatalogWrite&)>;
  void SetCommitHook(CommitHook hook);

  // Current snapshots (for explanations, CLIs and tests).
  std::shared_ptr<const CatalogState> state() const;
  std::shared_ptr<const Catalog> catalog() const { return state()->catalog; }
  std::shared_ptr<const UserTable> users() const { return state()->users; }
  std::shared_ptr<const LabelTable> labels() const;
  std::shared_ptr<const PolicyPack> policy() const { return policies_->current(); }
  PolicyRegistry& policies() const { return *policies_; }
  const EngineOptions& options() const { return options_; }
  const Clock& clock() const { return *clock_; }

  // The governance view for (current pack, surface, audience, labels);
  // cached. INVALID_ARGUMENT for an unknown surface.
  absl::StatusOr<std::shared_ptr<const GovernanceView>> ViewFor(
      const std::string& surface, Audience audience) const;

  // How the governance views were obtained since construction: cache hits,
  // views derived from the previous label version's view (only the items
  // changed by UpdateLabels re-evaluated), full builds over the catalog.
  struct ViewCacheStats {
    int64_t hits = 0;
    int64_t derived = 0;
    int64_t built = 0;
  };
  ViewCacheStats view_cache_stats() const;

 private:
  struct RequestContext;

  FeedEngine(std::shared_ptr<const CatalogState> state,
             std::shared_ptr<const LabelTable> labels,
             std::shared_ptr<PolicyRegistry> policies, EngineOptions options,
             const Clock* clock);

  absl::Status ResolveContext(const RankRequest& request,
                              RequestContext& ctx) const;
  std::shared_ptr<const GovernanceView> GetView(
      const CatalogState& state, const std::shared_ptr<const PolicyPack>& pack,
      const Surface& surface, Audience audience,
      const std::shared_ptr<const LabelTable>& labels) const;
  // The interventions in force on one surface, resolved to catalog rows,
  // for the interval over which InterventionSnapshot::Active() does not
  // change (StableWindow). Built once and shared by every Rank in that
  // interval: resolving 1,000 suppressions per request cost ~170 us at 1M
  // items (bench/rank_benchmark), an author suppression a catalog scan.
  struct ResolvedInterventions {
    absl::Time valid_from;   // Inclusive.
    absl::Time valid_until;  // Exclusive.
    RowSet suppressed;  // Items, authors, near duplicates.
    absl::flat_hash_map<Row, double> editor_factor;  // Boost x bury.
    struct Pin {
      int position = 0;  // 0-based absolute.
      ActivePin pin;
      std::optional<Row> row;  // nullopt: the item is not in the catalog.
    };
    std::vector<Pin> pins;  // Ascending position.
    // Near-duplicate seeds that could not be evaluated (never cached).
    std::vector<std::string> degradations;

    // view->servable() minus `suppressed`, and how many rows that removed,
    // memoized for the newest view asked for (thread-safe).
    struct Eligible {
      std::shared_ptr<const RowSet> rows;
      int32_t removed = 0;
    };
    Eligible EligibleFor(const std::shared_ptr<const GovernanceView>& view) const;

   private:
    mutable absl::Mutex mu_;
    mutable std::weak_ptr<const GovernanceView> view_ ABSL_GUARDED_BY(mu_);
    mutable Eligible eligible_ ABSL_GUARDED_BY(mu_);
  };
  std::shared_ptr<const ResolvedInterventions> Resolve(
      const std::shared_ptr<const InterventionSnapshot>& snapshot,
      const std::shared_ptr<const CatalogState>& state,
      const std::string& surface, absl::Time now) const;
  void ApplyInterventions(RequestContext& ctx) const;
  absl::Status ChooseQuery(const RankRequest& request,
                           RequestContext& ctx) const;
  SlateCandidate MakeCandidate(const RequestContext& ctx, Row row,
                               double blended) const;
  double FactorBound(const RequestContext& ctx) const;
  // MakeCandidate(ctx, row, blended).score without building the candidate.
  double FinalScore(const RequestContext& ctx, Row row, double blended) const;
  // Appends `fresh` (blended scores of `rows`) to `blended` and their
  // FinalScore to `finals`, prefetching score factors a few rows ahead
  // (each is a cache miss in a catalog-sized array).
  void AppendFinals(const RequestContext& ctx, absl::Span<const Row> rows,
                    const std::vector<double>& fresh,
                    std::vector<double>& blended,
                    std::vector<double>& finals) const;
  // How much of the ranked list Rank's later steps read: the shortest
  // prefix (by final score) holding this many candidates, key-slot-allowed
  // candidates and eligible positives. candidates == 0: the whole list.
  struct HeadNeed {
    int64_t candidates = 0;
    int64_t key_slot_allowed = 0;
    int64_t positives = 0;
  };
  // Key-slot flags of the rows PersonalizedRows scored so far, and the
  // number of eligible key-slot-allowed rows (-1: not counted yet).
  struct HeadKinds {
    std::vector<bool> allowed;
    int64_t total_allowed = -1;
  };
  // The final score down to which PersonalizedRows must be exact: the min
  // of the target-th best final score and, when need.candidates > 0, the
  // need.key_slot_allowed-th best among key-slot-allowed rows (-inf while
  // too few are scored; ignored once all of them are). Positives are
  // best effort below that (see the .cc).
  double HeadThreshold(const RequestContext& ctx, const RowSet& allowed,
                       const std::vector<Row>& rows,
                       const std::vector<double>& finals, int target,
                       const HeadNeed& need, HeadKinds& kinds) const;
  // Personalized candidate rows of `allowed` (with their cosines, blended
  // and final scores): every allowed row whose final score reaches
  // HeadThreshold, so the top min(k, 2 * page size) and the key-slot rows
  // the slate builder reads are exact; see the .cc.
  absl::Status PersonalizedRows(const RequestContext& ctx,
                                const RowSet& allowed, int k,
                                std::vector<Row>& rows,
                                std::vector<float>& sims,
                                std::vector<double>& blended,
                                std::vector<double>& finals,
                                const HeadNeed& need) const;
  static HeadNeed ReadableNeed(const SlateInput& in);
  // Indices of the rows of `rows` that `need` reads (see the .cc).
  // `finals` (may be null) holds FinalScore of each row when known.
  std::vector<size_t> ReadableRows(const RequestContext& ctx,
                                   const std::vector<Row>& rows,
                                   const std::vector<double>& scores,
                                   const std::vector<double>* finals,
                                   const HeadNeed& need) const;
  // Top-k of `allowed` for the request's path, scored, appended to `out`.
  // The personalized rows are exact down to the head `need` describes; with
  // `trim`, only the rows that head reads are appended.
  absl::Status Candidates(const RequestContext& ctx, const RowSet& allowed,
                          int k, std::vector<SlateCandidate>& out,
                          const HeadNeed& need, bool trim) const;
  SlateInput PrepareSlate(const RankRequest& request,
                          RequestContext& ctx) const;
  absl::Status BuildPools(RequestContext& ctx, SlateInput& in) const;
  void AppendPinsBeyondEnd(RequestContext& ctx, const SlateInput& in,
                           std::vector<SlateSlot>& slots) const;
  absl::Status ValidateLabels(const Catalog& catalog,
                              const std::vector<ItemLabelsUpdate>& updates) const;
  RankResponse Respond(const RankRequest& request, RequestContext& ctx,
                       const SlateInput& in, const SlateResult& slate) const;

  // Constant after construction.
  const Scorer scorer_;
  const std::shared_ptr<PolicyRegistry> policies_;
  const EngineOptions options_;
  const Clock* const clock_;

  // Swapped atomically by writers; readers copy the pointer under the lock.
  mutable absl::Mutex mu_;
  std::shared_ptr<const CatalogState> state_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const LabelTable> labels_ ABSL_GUARDED_BY(mu_);
  InterventionSource interventions_ ABSL_GUARDED_BY(mu_);
  absl::Mutex writer_mu_;  // Serializes writers (labels, items).
  CommitHook commit_hook_ ABSL_GUARDED_BY(writer_mu_);

  // Rows suppressed by a near-duplicate seed, keyed by (catalog, seed item,
  // threshold): an exact scan of the catalog is too costly per request.
  absl::StatusOr<std::shared_ptr<const std::vector<Row>>> NearDuplicates(
      const CatalogState& state, ItemId seed, double threshold) const;
  // Resolve() results per (snapshot, catalog state, surface); an entry is
  // used only while `now` is inside its window and both sources are alive.
  struct ResolvedEntry {
    std::weak_ptr<const InterventionSnapshot> snapshot;
    std::weak_ptr<const CatalogState> state;
    std::shared_ptr<const ResolvedInterventions> resolved;
  };
  static constexpr int kMaxResolvedEntries = 64;
  mutable absl::Mutex resolved_mu_;
  mutable std::map<std::tuple<const void*, const void*, std::string>,
                   ResolvedEntry>
      resolved_ ABSL_GUARDED_BY(resolved_mu_);
  mutable absl::Mutex near_dup_mu_;
  // Keyed by the catalog's address; an entry is used only while that
  // catalog is alive (a new catalog may reuse a freed address).
  struct NearDupEntry {
    std::weak_ptr<const Catalog> catalog;
    std::shared_ptr<const std::vector<Row>> rows;
  };
  mutable std::map<std::string, NearDupEntry> near_dups_
      ABSL_GUARDED_BY(near_dup_mu_);

  // Governance views, per (pack, surface, audience, catalog) a shelf of the
  // views of the newest few label versions. A view for a new label version
  // is derived from the newest older one on its shelf
  // (GovernanceView::WithUpdatedRows) when label_log_ holds every item
  // changed in between; otherwise it is built over the whole catalog.
  struct ViewShelf {
    // Expired: the address in the key may belong to a newer object.
    std::weak_ptr<const PolicyPack> pack;
    std::weak_ptr<const Catalog> catalog;
    std::map<int64_t, std::shared_ptr<const GovernanceView>> by_version;
  };
  static constexpr int kViewsPerShelf = 4;
  static constexpr int kMaxShelves = 64;
  static constexpr int kMaxLabelLogVersions = 256;
  static constexpr int64_t kMaxLabelLogIds = 1 << 20;
  // Items whose labels changed from label version v-1 to v (UpdateLabels).
  void RecordLabelChange(int64_t version,
                         const std::vector<ItemLabelsUpdate>& updates);
  // Items changed from label version `from` to `to`, or nullopt when the
  // log does not cover every version in (from, to].
  std::optional<std::vector<ItemId>> LabelChangesSince(int64_t from,
                                                       int64_t to) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(view_mu_);
  mutable absl::Mutex view_mu_;
  mutable std::map<std::string, ViewShelf> views_ ABSL_GUARDED_BY(view_mu_);
  std::map<int64_t, std::vector<ItemId>> label_log_ ABSL_GUARDED_BY(view_mu_);
  int64_t label_log_ids_ ABSL_GUARDED_BY(view_mu_) = 0;
  mutable ViewCacheStats view_stats_ ABSL_GUARDED_BY(view_mu_);
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_PIPELINE_FEED_ENGINE_H_
