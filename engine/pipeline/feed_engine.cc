#include "engine/pipeline/feed_engine.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/reasons.h"
#include "engine/common/row_set.h"
#include "engine/common/status_macros.h"
#include "engine/governance/slate_builder.h"
#include "engine/pipeline/page_token.h"
#include "engine/retrieval/brute_force.h"

namespace feedgov {


// Everything one request needs, gathered in step 1 and filled by the later
// steps. Holds shared_ptrs, so the versions it saw stay alive until the end.
namespace {
const absl::flat_hash_map<Row, double> kNoFactors;
}  // namespace

struct FeedEngine::RequestContext {
  std::shared_ptr<const CatalogState> state;
  std::shared_ptr<const LabelTable> labels;
  std::shared_ptr<const PolicyPack> pack;
  const Surface* surface = nullptr;
  Audience audience = Audience::kGeneral;
  std::shared_ptr<const GovernanceView> view;
  v1::PageTokenState chain;
  absl::Time now;
  int start = 0;  // Absolute 0-based position of the page's first slot.
  int page_size = 0;

  RowSet eligible;  // Rows that may be placed organically on this page.
  // eligible.count() once eligible is final (after ChooseQuery); -1 before.
  // Counting is O(n / 64) per call, so Rank counts once.
  int32_t eligible_count = -1;
  // Resolved once per intervention window (FeedEngine::Resolve); empty
  // when no intervention source is set.
  std::shared_ptr<const ResolvedInterventions> interventions;
  const absl::flat_hash_map<Row, double>* editor_factor = &kNoFactors;
  absl::flat_hash_map<Row, double> user_factor;  // Personalized path only.
  std::vector<PinnedItem> pins_on_page;
  std::vector<std::pair<int, PinnedItem>> pins_later;  // Beyond this page.
  absl::flat_hash_map<ItemId, std::string> pin_ids;

  bool personalized = false;
  std::vector<float> query;  // Personalized path only.
  std::vector<SlateCandidate> ranked, positive_pool, key_safe_pool;

  GovernanceCounters counters;
  std::vector<std::string> degradations;
};

namespace {


// A prefix of the prior order restricted to `allowed` (and `also`, if not
// null), grown on demand: after ExtendTo(k), rows() is exactly
// the first k rows of the walk plus any tied with the k-th on the prior,
// and a later ExtendTo(k' >= k) continues the same walk instead of starting
// over.
class PriorWalk {
 public:
  PriorWalk(const ItemPriors& priors, const RowSet& allowed, const RowSet* also)
      : priors_(priors), allowed_(allowed), also_(also) {}
  void ExtendTo(int k) {
    const std::vector<Row>& order = priors_.rows_by_prior();
    const std::vector<float>& score = priors_.prior_scores_by_rank();
    const int64_t want = k;
    while (cursor_ < order.size()) {
      if (static_cast<int64_t>(rows_.size()) >= want &&
          (rows_.empty() || score[cursor_] != last_)) {
        // Rows tied with the k-th on the (float) prior are all taken: the
        // final order uses the double blend, which may order tied rows
        // differently than id, and a tie split by the cut made pages of
        // different sizes disagree.
        break;
      }
      const Row r = order[cursor_];
      if (allowed_.contains(r) && (also_ == nullptr || also_->contains(r))) {
        rows_.push_back(r);
        ranks_.push_back(static_cast<int64_t>(cursor_));
        last_ = score[cursor_];
      }
      ++cursor_;
    }
  }
  const std::vector<Row>& rows() const { return rows_; }
  // ranks()[i]: position of rows()[i] in priors.rows_by_prior().
  const std::vector<int64_t>& ranks() const { return ranks_; }

 private:
  const ItemPriors& priors_;
  const RowSet& allowed_;
  const RowSet* also_;
  size_t cursor_ = 0;
  float last_ = 0;  // Prior of rows_.back().
  std::vector<Row> rows_;
  std::vector<int64_t> ranks_;
};

// Top `k` rows of `eligible` by prior score (the non-personalized order).
// This function is the profile-free path's candidate generator: by
// construction it receives no user data.
// `also` (may be null) restricts the rows further.
std::vector<Row> TopByPrior(const ItemPriors& priors, const RowSet& eligible,
                            int k, const RowSet* also = nullptr) {
  PriorWalk walk(priors, eligible, also);
  walk.ExtendTo(k);
  return walk.rows();
}

// How many rows of `eligible` (and of `also`, if not null) have a prior
// score >= `floor`, counting at most `cap`.
int CountWithPriorAtLeast(const ItemPriors& priors, const RowSet& eligible,
                          const RowSet* also, double floor, int cap) {
  int count = 0;
  const std::vector<Row>& order = priors.rows_by_prior();
  const std::vector<float>& score = priors.prior_scores_by_rank();
  for (size_t i = 0; i < order.size(); ++i) {
    if (count >= cap || score[i] < floor) break;
    const Row r = order[i];
    count += eligible.contains(r) && (also == nullptr || also->contains(r));
  }
  return count;
}

// BuildSlate's candidate order (slate_builder.h): score descending (NaN
// last), then id, then row.
bool SlateBefore(const SlateCandidate& a, const SlateCandidate& b) {
  auto key = [](double s) {
    return std::isnan(s) ? -std::numeric_limits<double>::infinity() : s;
  };
  const double sa = key(a.score), sb = key(b.score);
  if (sa != sb) return sa > sb;
  if (a.id != b.id) return a.id < b.id;
  return a.row < b.row;
}

// Cuts in.ranked to the head BuildSlate can read, without changing its
// result. Let P = page_size + pins. The head is the shortest prefix of
// ranked (in SlateBefore order, a total order: rows are unique in ranked)
// holding >= P candidates, >= P key-slot-allowed ones and >= P +
// quota_min_positive eligible positives (positive && key_slot_allowed); the
// cut is made only when the whole list holds that many of each.
// Why the result is the same (spec in slate_builder.h):
//  * every pin and every position uses at most one candidate, so before any
//    choice at most P - 1 are used: for each kind X above, an unused X of
//    ranked exists in the head and beats every X beyond it. Each choice is
//    "the best unused X" (from ranked, or of any source, where the pools are
//    unchanged), so it never lands beyond the head, and the rows it
//    compares against are the same;
//  * a row beyond the head that is also in a pool keeps its row in the
//    union (now as a pool copy) but is never chosen (above);
//  * reservation: at least P + quota_min_positive - (P - 1) >
//    quota_min_positive >= R unused eligible positives remain in the head,
//    so "at most R remain" is false with and without the cut;
//  * kept_out_of_key_slots counts unused non-allowed ranked rows before the
//    chosen item; an unused key-slot-allowed ranked row is always in the
//    head, so the chosen item (or, for an empty slot, the end of the list)
//    never lies beyond it: the counted rows are all in the head.
// Complexity: O(C log L) for C ranked candidates and a head of L.
void KeepSlateReadableHead(SlateInput& in) {
  std::vector<SlateCandidate>& ranked = in.ranked;
  const int64_t p = in.page_size + static_cast<int64_t>(in.pins.size());
  const int64_t need_pos = p + std::max(0, in.quota_min_positive);
  int64_t allowed = 0, positives = 0;
  for (const SlateCandidate& c : ranked) {
    allowed += c.key_slot_allowed;
    positives += c.key_slot_allowed && c.positive;
  }
  const int64_t size = static_cast<int64_t>(ranked.size());
  if (size <= p || allowed < p || positives < need_pos) return;
  for (int64_t len = std::min<int64_t>(size, 8 * need_pos);;
       len = std::min<int64_t>(size, 2 * len)) {
    std::partial_sort(ranked.begin(), ranked.begin() + len, ranked.end(),
                      SlateBefore);
    int64_t n_allowed = 0, n_pos = 0;
    for (int64_t i = 0; i < len; ++i) {
      n_allowed += ranked[i].key_slot_allowed;
      n_pos += ranked[i].key_slot_allowed && ranked[i].positive;
      if (i + 1 >= p && n_allowed >= p && n_pos >= need_pos) {
        ranked.resize(i + 1);
        return;
      }
    }
    if (len == size) return;  // Unreachable: the counts above hold.
  }
}

RowSet Intersect(const RowSet& a, const RowSet& b) {
  RowSet out = a;
  out.IntersectWith(b);
  return out;
}

std::string KnownSurfaces(const PolicyPack& pack) {
  std::vector<std::string> ids;
  for (const Surface& s : pack.surfaces) ids.push_back(s.id);
  return absl::StrJoin(ids, ", ");
}

bool IsFinite(absl::Span<const float> v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

double Norm(absl::Span<const float> v) {
  double s = 0;
  for (float x : v) s += double{x} * x;
  return std::sqrt(s);
}

}  // namespace

absl::Status EngineOptions::Validate() const {
  FEEDGOV_RETURN_IF_ERROR(scoring.Validate());
  FEEDGOV_RETURN_IF_ERROR(retrieval.Validate());
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

void CatalogState::BuildPriorHead() {
  prior_head = nullptr;
  const RowMatrixXf& all = catalog->embeddings();
  if ((all.cols() * int64_t{sizeof(float)}) % EIGEN_MAX_ALIGN_BYTES != 0) return;
  const std::vector<Row>& order = priors->rows_by_prior();
  const int64_t rows =
      std::min<int64_t>(static_cast<int64_t>(order.size()), kPriorHeadRows);
  auto head = std::make_shared<RowMatrixXf>(rows, all.cols());
  for (int64_t i = 0; i < rows; ++i) head->row(i) = all.row(order[i]);
  prior_head = std::move(head);
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
        retriever,
        Retriever::Deserialize(snapshot.index_bytes,
                               snapshot.catalog->embeddings(),
                               options.retrieval));
  }
  auto state = std::make_shared<CatalogState>();
  state->catalog = snapshot.catalog;
  state->users = snapshot.users;
  state->retriever = std::move(retriever);
  state->priors = std::make_shared<const ItemPriors>(ItemPriors::Compute(
      snapshot.catalog->items(), snapshot.catalog->reference_time(),
      options.scoring));
  state->BuildPriorHead();
  return std::unique_ptr<FeedEngine>(
      new FeedEngine(std::move(state), snapshot.labels, std::move(policies),
                     std::move(options), clock));
}

FeedEngine::FeedEngine(std::shared_ptr<const CatalogState> state,
                       std::shared_ptr<const LabelTable> labels,
                       std::shared_ptr<PolicyRegistry> policies,
                       EngineOptions options, const Clock* clock)
    : scorer_(options.scoring),
      policies_(std::move(policies)),
      options_(std::move(options)),
      clock_(clock),
      state_(std::move(state)),
      labels_(std::move(labels)) {}

std::shared_ptr<const CatalogState> FeedEngine::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

std::shared_ptr<const LabelTable> FeedEngine::labels() const {
  absl::MutexLock lock(&mu_);
  return labels_;
}

void FeedEngine::SetInterventionSource(InterventionSource source) {
  absl::MutexLock lock(&mu_);
  interventions_ = std::move(source);
}

absl::Status FeedEngine::ValidateLabels(
    const Catalog& catalog, const std::vector<ItemLabelsUpdate>& updates) const {
  const Taxonomy& taxonomy = policies_->taxonomy();
  for (const ItemLabelsUpdate& u : updates) {
    if (!catalog.FindRow(u.item).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("set labels: unknown item ", u.item));
    }
    for (const Label& l : u.labels) {
      if (taxonomy.Find(l.name) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "set labels: item ", u.item, ": label '", l.name,
            "' is not in the taxonomy (policies/labels.textproto)"));
      }
    }
  }
  return absl::OkStatus();
}

void FeedEngine::SetCommitHook(CommitHook hook) {
  absl::MutexLock writer(&writer_mu_);
  commit_hook_ = std::move(hook);
}

absl::Status FeedEngine::UpdateLabels(std::vector<ItemLabelsUpdate> updates) {
  absl::MutexLock writer(&writer_mu_);
  std::shared_ptr<const CatalogState> current = state();
  FEEDGOV_RETURN_IF_ERROR(ValidateLabels(*current->catalog, updates));
  for (const ItemLabelsUpdate& u : updates) {
    if (std::binary_search(current->deleted.begin(), current->deleted.end(),
                           u.item)) {
      return absl::NotFoundError(
          absl::StrCat("set labels: item ", u.item, " was deleted"));
    }
  }
  CatalogWrite write;
  write.kind = CatalogWrite::Kind::kSetLabels;
  write.labels = &updates;
  FEEDGOV_ASSIGN_OR_RETURN(auto next, labels()->WithLabels(updates));
  if (commit_hook_) FEEDGOV_RETURN_IF_ERROR(commit_hook_(write));
  RecordLabelChange(next->version(), updates);  // Before readers see it.
  absl::MutexLock lock(&mu_);
  labels_ = std::move(next);
  return absl::OkStatus();
}

absl::Status FeedEngine::UpsertItems(std::vector<Item> items,
                                     const RowMatrixXf& embeddings,
                                     std::vector<ItemLabelsUpdate> labels) {
  absl::MutexLock writer(&writer_mu_);
  std::shared_ptr<const CatalogState> old = state();
  bool changes_existing = false;
  for (const Item& item : items) {
    changes_existing |= old->catalog->FindRow(item.id).has_value();
  }
  std::vector<ItemId> ids;
  for (const Item& item : items) ids.push_back(item.id);
  FEEDGOV_ASSIGN_OR_RETURN(auto catalog,
                           old->catalog->WithUpserts(items, embeddings));
  FEEDGOV_RETURN_IF_ERROR(ValidateLabels(*catalog, labels));
  FEEDGOV_ASSIGN_OR_RETURN(auto next_labels, this->labels()->WithLabels(labels));
  std::unique_ptr<Retriever> retriever;
  if (changes_existing) {
    FEEDGOV_ASSIGN_OR_RETURN(
        retriever, Retriever::Build(catalog->embeddings(),
                                    old->retriever->options()));
  } else {
    FEEDGOV_ASSIGN_OR_RETURN(retriever,
                             old->retriever->WithAddedRows(catalog->embeddings()));
  }
  auto next = std::make_shared<CatalogState>();
  next->catalog = catalog;
  next->users = old->users;
  next->retriever = std::move(retriever);
  next->priors = std::make_shared<const ItemPriors>(ItemPriors::Compute(
      catalog->items(), catalog->reference_time(), options_.scoring));
  next->BuildPriorHead();
  for (ItemId id : old->deleted) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
      next->deleted.push_back(id);
    }
  }
  if (commit_hook_) {
    CatalogWrite write;
    write.kind = CatalogWrite::Kind::kUpsertItems;
    write.items = &items;
    write.embeddings = &embeddings;
    write.labels = &labels;
    FEEDGOV_RETURN_IF_ERROR(commit_hook_(write));
  }
  absl::MutexLock lock(&mu_);
  state_ = std::move(next);
  labels_ = std::move(next_labels);
  return absl::OkStatus();
}

absl::Status FeedEngine::DeleteItems(const std::vector<ItemId>& items) {
  absl::MutexLock writer(&writer_mu_);
  std::shared_ptr<const CatalogState> old = state();
  absl::flat_hash_set<ItemId> seen;
  for (ItemId id : items) {
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("item ", id, " appears twice in the delete"));
    }
    if (!old->catalog->FindRow(id).has_value() ||
        std::binary_search(old->deleted.begin(), old->deleted.end(), id)) {
      return absl::NotFoundError(absl::StrCat("delete of unknown item ", id));
    }
  }
  auto next = std::make_shared<CatalogState>(*old);
  next->deleted.insert(next->deleted.end(), items.begin(), items.end());
  std::sort(next->deleted.begin(), next->deleted.end());
  next->deleted.erase(std::unique(next->deleted.begin(), next->deleted.end()),
                      next->deleted.end());
  if (commit_hook_) {
    CatalogWrite write;
    write.kind = CatalogWrite::Kind::kDeleteItems;
    write.deleted = &items;
    FEEDGOV_RETURN_IF_ERROR(commit_hook_(write));
  }
  absl::MutexLock lock(&mu_);
  state_ = std::move(next);
  return absl::OkStatus();
}

void FeedEngine::RecordLabelChange(
    int64_t version, const std::vector<ItemLabelsUpdate>& updates) {
  std::vector<ItemId> ids;
  ids.reserve(updates.size());
  for (const ItemLabelsUpdate& u : updates) ids.push_back(u.item);
  absl::MutexLock lock(&view_mu_);
  label_log_ids_ += static_cast<int64_t>(ids.size());
  label_log_[version] = std::move(ids);
  while (!label_log_.empty() &&
         (label_log_.size() > kMaxLabelLogVersions ||
          label_log_ids_ > kMaxLabelLogIds)) {
    label_log_ids_ -= static_cast<int64_t>(label_log_.begin()->second.size());
    label_log_.erase(label_log_.begin());
  }
}

FeedEngine::ViewCacheStats FeedEngine::view_cache_stats() const {
  absl::MutexLock lock(&view_mu_);
  return view_stats_;
}

std::optional<std::vector<ItemId>> FeedEngine::LabelChangesSince(
    int64_t from, int64_t to) const {
  std::vector<ItemId> ids;
  for (int64_t v = from + 1; v <= to; ++v) {
    auto it = label_log_.find(v);
    if (it == label_log_.end()) return std::nullopt;
    ids.insert(ids.end(), it->second.begin(), it->second.end());
  }
  return ids;
}

std::shared_ptr<const GovernanceView> FeedEngine::GetView(
    const CatalogState& state, const std::shared_ptr<const PolicyPack>& pack,
    const Surface& surface, Audience audience,
    const std::shared_ptr<const LabelTable>& labels) const {
  const std::string key = absl::StrCat(
      reinterpret_cast<uintptr_t>(pack.get()), "|", surface.id, "|",
      static_cast<int>(audience), "|",
      reinterpret_cast<uintptr_t>(state.catalog.get()));
  const int64_t version = labels->version();
  const Catalog& catalog = *state.catalog;
  std::shared_ptr<const GovernanceView> base;
  std::optional<std::vector<ItemId>> changed;
  {
    absl::MutexLock lock(&view_mu_);
    auto it = views_.find(key);
    if (it != views_.end() && (it->second.pack.lock() != pack ||
                               it->second.catalog.lock() != state.catalog)) {
      views_.erase(it);  // A dead object's address was reused.
      it = views_.end();
    }
    if (it != views_.end()) {
      const auto& by_version = it->second.by_version;
      auto hit = by_version.find(version);
      if (hit != by_version.end()) {
        ++view_stats_.hits;
        return hit->second;
      }
      auto older = by_version.lower_bound(version);
      if (older != by_version.begin()) {
        --older;
        changed = LabelChangesSince(older->first, version);
        // Past a quarter of the catalog a full build is as cheap.
        if (changed &&
            static_cast<int64_t>(changed->size()) <= catalog.size() / 4) {
          base = older->second;
        }
      }
    }
  }
  auto labels_of = [&](Row row) {
    return absl::Span<const Label>(labels->LabelsFor(catalog.item(row).id));
  };
  std::shared_ptr<const GovernanceView> view;
  if (base != nullptr) {
    std::vector<Row> rows;
    rows.reserve(changed->size());
    for (ItemId id : *changed) {
      if (auto row = catalog.FindRow(id)) rows.push_back(*row);
    }
    auto derived = GovernanceView::WithUpdatedRows(*base, *pack, surface,
                                                   audience, rows, labels_of);
    if (derived.ok()) view = *std::move(derived);  // Else: full build below.
  }
  if (view == nullptr) {
    base = nullptr;  // Counted as a full build.
    view = GovernanceView::Build(*pack, surface, audience, catalog.size(),
                                 labels_of);
  }
  absl::MutexLock lock(&view_mu_);
  ++(base != nullptr ? view_stats_.derived : view_stats_.built);
  // Shelves of superseded packs or catalogs are dropped wholesale; the
  // requests still using their views hold their own references.
  if (views_.size() >= kMaxShelves && views_.count(key) == 0) views_.clear();
  ViewShelf& shelf = views_[key];
  shelf.pack = pack;
  shelf.catalog = state.catalog;
  shelf.by_version.emplace(version, view);
  while (shelf.by_version.size() > kViewsPerShelf) {
    shelf.by_version.erase(shelf.by_version.begin());
  }
  return view;
}

absl::StatusOr<std::shared_ptr<const std::vector<Row>>>
FeedEngine::NearDuplicates(const CatalogState& state, ItemId seed,
                           double threshold) const {
  std::string key =
      absl::StrCat(reinterpret_cast<uintptr_t>(state.catalog.get()), "|", seed,
                   "|", threshold);
  {
    absl::MutexLock lock(&near_dup_mu_);
    auto it = near_dups_.find(key);
    if (it != near_dups_.end() && it->second.catalog.lock() == state.catalog) {
      return it->second.rows;
    }
  }
  auto rows = std::make_shared<std::vector<Row>>();
  if (auto seed_row = state.catalog->FindRow(seed)) {
    FEEDGOV_ASSIGN_OR_RETURN(
        auto hits, state.retriever->SearchAboveThreshold(
                       state.catalog->embedding(*seed_row),
                       static_cast<float>(threshold), Retriever::kMaxK, nullptr));
    for (const Hit& h : hits) {
      if (h.row != *seed_row) rows->push_back(h.row);  // Not the seed itself.
    }
  }
  absl::MutexLock lock(&near_dup_mu_);
  if (near_dups_.size() >= 4096) near_dups_.clear();
  near_dups_[key] = NearDupEntry{state.catalog, rows};
  return std::shared_ptr<const std::vector<Row>>(rows);
}

absl::StatusOr<std::shared_ptr<const GovernanceView>> FeedEngine::ViewFor(
    const std::string& surface_id, Audience audience) const {
  auto pack = policies_->current();
  const Surface* surface = pack->FindSurface(surface_id);
  if (surface == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown surface `", surface_id, "`; policy '", pack->id,
                     "' has: ", KnownSurfaces(*pack)));
  }
  auto st = state();
  return GetView(*st, pack, *surface, audience, labels());
}

// Step 1: versions, surface, audience, chain state, governance view.
absl::Status FeedEngine::ResolveContext(const RankRequest& request,
                                        RequestContext& ctx) const {
  if (request.page_size < 1 || request.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size ", request.page_size, " outside [1, ", kMaxPageSize, "]"));
  }
  {
    absl::MutexLock lock(&mu_);
    ctx.state = state_;
    ctx.labels = labels_;
  }
  ctx.pack = policies_->current();
  if (request.page_token.empty()) {
    ctx.chain.set_format_version(1);
    ctx.chain.set_surface(request.surface);
    ctx.chain.set_has_user(request.user.has_value());
    ctx.chain.set_user_id(request.user.value_or(0));
    ctx.chain.set_issued_unix_s(absl::ToUnixSeconds(clock_->Now()));
  } else {
    FEEDGOV_ASSIGN_OR_RETURN(
        ctx.chain, DecodePageToken(request.page_token, options_.page_token_key));
    if (ctx.chain.surface() != request.surface) {
      return absl::InvalidArgumentError(
          absl::StrCat("page token belongs to surface `", ctx.chain.surface(),
                       "`, not `", request.surface, "`"));
    }
    if (ctx.chain.has_user() != request.user.has_value() ||
        ctx.chain.user_id() != request.user.value_or(0)) {
      return absl::InvalidArgumentError(
          "page token belongs to another user; start a new chain with an "
          "empty page token");
    }
  }
  // Minors mode is sticky within a chain: a continuation without the flag
  // keeps the minors audience of the pages before it (it may only get
  // stricter), so a chain never mixes adult pages into a minors feed.
  const bool minors = request.minors || ctx.chain.minors();
  ctx.chain.set_minors(minors);
  ctx.audience = minors ? Audience::kMinors : Audience::kGeneral;
  auto surface = ctx.pack->SurfaceFor(request.surface, ctx.audience);
  if (!surface.ok()) {
    if (absl::IsNotFound(surface.status())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown surface `", request.surface, "`; policy '", ctx.pack->id,
          "' has: ", KnownSurfaces(*ctx.pack)));
    }
    return surface.status();
  }
  ctx.surface = *surface;

  // A token is only ever produced by Respond(); anything else is refused
  // (the tag already rejects tokens not signed with this engine's key).
  const int64_t next = ctx.chain.next_position();
  if (next < 0 || next > kMaxItemsPerChain ||
      ctx.chain.served_item_ids_size() > next ||
      ctx.chain.positives_in_quota_window() < 0 ||
      ctx.chain.positives_in_quota_window() > next) {
    return absl::InvalidArgumentError(
        "malformed page token: inconsistent chain state; start a new chain "
        "with an empty page token");
  }
  if (next + request.page_size > kMaxItemsPerChain ||
      ctx.chain.served_item_ids_size() + request.page_size > kMaxItemsPerChain) {
    return absl::OutOfRangeError(absl::StrCat(
        "a token chain serves at most ", kMaxItemsPerChain,
        " items; start a new chain"));
  }
  ctx.start = ctx.chain.next_position();
  ctx.page_size = request.page_size;
  ctx.now = clock_->Now();
  ctx.view = GetView(*ctx.state, ctx.pack, *ctx.surface, ctx.audience,
                     ctx.labels);
  const auto& vc = ctx.view->counters();
  for (const auto& [label, n] : vc.dropped_by_label) {
    ctx.counters.dropped_by_label[label] = n;
  }
  ctx.counters.label_errors = vc.label_errors;
  if (vc.label_errors > 0) {
    ctx.degradations.push_back(absl::StrCat(
        vc.label_errors,
        " item(s) carry labels that cannot be evaluated; they are not served "
        "(fail closed)"));
  }
  return absl::OkStatus();
}

std::shared_ptr<const FeedEngine::ResolvedInterventions> FeedEngine::Resolve(
    const std::shared_ptr<const InterventionSnapshot>& snapshot,
    const std::shared_ptr<const CatalogState>& state,
    const std::string& surface, absl::Time now) const {
  const auto key = std::make_tuple(static_cast<const void*>(snapshot.get()),
                                   static_cast<const void*>(state.get()),
                                   surface);
  {
    absl::MutexLock lock(&resolved_mu_);
    auto it = resolved_.find(key);
    if (it != resolved_.end() && it->second.snapshot.lock() == snapshot &&
        it->second.state.lock() == state &&
        it->second.resolved->valid_from <= now &&
        now < it->second.resolved->valid_until) {
      return it->second.resolved;
    }
  }
  const Catalog& catalog = *state->catalog;
  const InterventionSnapshot::Window window =
      snapshot->StableWindow(now, surface);
  const ActiveSet active = snapshot->Active(now, surface);
  auto out = std::make_shared<ResolvedInterventions>();
  out->valid_from = window.from;
  out->valid_until = window.until;
  out->suppressed = RowSet(catalog.size());
  auto suppress = [&](Row r) { out->suppressed.insert(r); };
  for (ItemId id : active.suppressed_items) {
    if (auto row = catalog.FindRow(id)) suppress(*row);
  }
  if (!active.suppressed_authors.empty()) {
    for (Row r = 0; r < catalog.size(); ++r) {
      const std::string& author = catalog.item(r).author;
      if (!author.empty() && active.suppressed_authors.contains(author)) {
        suppress(r);
      }
    }
  }
  for (const NearDuplicateSeed& seed : active.near_duplicate_seeds) {
    auto rows = NearDuplicates(*state, seed.item_id, seed.cosine_threshold);
    if (!rows.ok()) {
      out->degradations.push_back(absl::StrCat(
          "near-duplicate suppression ", seed.intervention_id,
          " could not be evaluated: ", rows.status().message()));
      continue;
    }
    for (Row r : **rows) suppress(r);
  }
  for (const auto& [item, factor] : active.score_factors) {
    if (auto row = catalog.FindRow(item)) out->editor_factor[*row] = factor;
  }
  for (const auto& [position, pin] : active.pins) {
    out->pins.push_back({position, pin, catalog.FindRow(pin.item_id)});
  }
  if (!out->degradations.empty()) return out;  // Retried by the next Rank.
  absl::MutexLock lock(&resolved_mu_);
  if (resolved_.size() >= kMaxResolvedEntries && resolved_.count(key) == 0) {
    resolved_.clear();  // Entries of superseded snapshots or catalogs.
  }
  resolved_[key] = ResolvedEntry{snapshot, state, out};
  return out;
}

FeedEngine::ResolvedInterventions::Eligible
FeedEngine::ResolvedInterventions::EligibleFor(
    const std::shared_ptr<const GovernanceView>& view) const {
  {
    absl::MutexLock lock(&mu_);
    if (view_.lock() == view && eligible_.rows != nullptr) return eligible_;
  }
  Eligible e;
  auto rows = std::make_shared<RowSet>(view->servable());
  suppressed.ForEach([&](Row r) {
    if (rows->contains(r)) {
      rows->erase(r);
      ++e.removed;
    }
  });
  e.rows = std::move(rows);
  absl::MutexLock lock(&mu_);
  view_ = view;
  eligible_ = e;
  return e;
}

// Step 2: served items, editor suppressions, pins and factors.
void FeedEngine::ApplyInterventions(RequestContext& ctx) const {
  const Catalog& catalog = *ctx.state->catalog;
  InterventionSource source;
  {
    absl::MutexLock lock(&mu_);
    source = interventions_;
  }
  std::shared_ptr<const InterventionSnapshot> snapshot =
      source ? source() : nullptr;
  if (snapshot == nullptr) {
    ctx.eligible = ctx.view->servable();
    for (ItemId id : ctx.state->deleted) {
      if (auto row = catalog.FindRow(id)) ctx.eligible.erase(*row);
    }
    for (ItemId id : ctx.chain.served_item_ids()) {
      if (auto row = catalog.FindRow(id)) ctx.eligible.erase(*row);
    }
    return;
  }
  ctx.interventions = Resolve(snapshot, ctx.state, ctx.surface->id, ctx.now);
  const ResolvedInterventions& resolved = *ctx.interventions;
  for (const std::string& d : resolved.degradations) {
    ctx.degradations.push_back(d);
  }

  // Suppression (outranks pins): items, authors, near duplicates, taken
  // out of the servable rows once per view (memoized). `suppressed` counts
  // the rows suppression removed from this request's eligible rows, so a
  // deleted or already served row it also covers is not counted.
  const ResolvedInterventions::Eligible base = resolved.EligibleFor(ctx.view);
  ctx.eligible = *base.rows;
  int32_t removed = base.removed;
  absl::flat_hash_set<Row> uncounted;  // Suppressed rows out anyway.
  auto drop = [&](ItemId id) {
    const std::optional<Row> row = catalog.FindRow(id);
    if (!row) return;
    if (ctx.eligible.contains(*row)) {
      ctx.eligible.erase(*row);
    } else if (resolved.suppressed.contains(*row) &&
               ctx.view->servable().contains(*row) &&
               uncounted.insert(*row).second) {
      --removed;
    }
  };
  for (ItemId id : ctx.state->deleted) drop(id);
  for (ItemId id : ctx.chain.served_item_ids()) drop(id);
  ctx.counters.suppressed = removed;
  ctx.editor_factor = &resolved.editor_factor;

  // Pins: governance and suppression first; a pinned item is never also
  // placed organically within the chain.
  absl::flat_hash_set<ItemId> served(ctx.chain.served_item_ids().begin(),
                                     ctx.chain.served_item_ids().end());
  for (const ResolvedInterventions::Pin& resolved_pin : resolved.pins) {
    const int position = resolved_pin.position;
    const ActivePin& pin = resolved_pin.pin;
    if (position < ctx.start) continue;
    if (served.contains(pin.item_id)) {
      // Never twice in a chain; said only on the page the pin falls on.
      if (position < ctx.start + ctx.page_size) {
        ctx.degradations.push_back(absl::StrCat(
            "pin ", pin.intervention_id, " of item ", pin.item_id,
            " at position ", position + 1,
            " not applied: item was already served earlier in this chain"));
      }
      continue;
    }
    const std::optional<Row> row = resolved_pin.row;
    if (!row) {
      ++ctx.counters.pins_blocked;
      ctx.degradations.push_back(absl::StrCat(
          "pin ", pin.intervention_id, ": item ", pin.item_id,
          " is not in the catalog"));
      continue;
    }
    // The view's bitsets answer the common case; the full verdict (with the
    // names of the labels that fired) is built only for a refusal message.
    const bool dropped = !ctx.view->servable().contains(*row);
    const bool key_allowed = ctx.view->key_slot_allowed().contains(*row);
    const bool key = ctx.surface->IsKeySlot(position);
    std::string blocked;
    if (std::binary_search(ctx.state->deleted.begin(), ctx.state->deleted.end(),
                           pin.item_id)) {
      blocked = "item was deleted from the catalog";
    } else if (resolved.suppressed.contains(*row)) {
      blocked = "item is suppressed";
    } else if (dropped) {
      blocked = absl::StrCat("policy drops it (",
                             ctx.view->verdict(*row).dropped_by, ")");
    } else if (key && !key_allowed) {
      blocked = absl::StrCat("policy keeps it out of key slots (",
                             ctx.view->verdict(*row).kept_out_by, ")");
    }
    if (!blocked.empty()) {
      ++ctx.counters.pins_blocked;
      ctx.degradations.push_back(absl::StrCat(
          "pin ", pin.intervention_id, " of item ", pin.item_id,
          " at position ", position + 1, " not applied: ", blocked));
      continue;
    }
    ctx.eligible.erase(*row);
    ctx.pin_ids[pin.item_id] = pin.intervention_id;
    PinnedItem p;
    p.item.row = *row;
    p.item.id = pin.item_id;
    p.item.key_slot_allowed = key_allowed;
    p.item.positive = ctx.view->positive().contains(*row);
    p.item.reasons = kEditorPin;
    p.position = position;
    ctx.pins_later.emplace_back(position, p);
  }
}

// Step 3a: personalized or profile-free. Only here is user data read.
absl::Status FeedEngine::ChooseQuery(const RankRequest& request,
                                     RequestContext& ctx) const {
  if (!request.personalization || !request.user.has_value()) {
    return absl::OkStatus();
  }
  const CatalogState& st = *ctx.state;
  auto user_row = st.users->FindUser(*request.user);
  if (!request.personal.query_override.empty()) {
    const auto& q = request.personal.query_override;
    if (static_cast<int>(q.size()) != st.catalog->dim() || !IsFinite(q)) {
      return absl::InvalidArgumentError(
          absl::StrCat("query override has ", q.size(), " floats, want ",
                       st.catalog->dim(), " finite values"));
    }
    ctx.query = q;
  } else if (user_row) {
    auto e = st.users->embedding(*user_row);
    ctx.query.assign(e.begin(), e.end());
  }
  if (ctx.query.empty()) {
    ctx.degradations.push_back(absl::StrCat(
        "user ", *request.user, " unknown: non-personalized ranking"));
    return absl::OkStatus();
  }
  if (Norm(ctx.query) == 0) {
    ctx.degradations.push_back(
        absl::StrCat("user ", *request.user,
                     " has no usable profile vector: non-personalized ranking"));
    ctx.query.clear();
    return absl::OkStatus();
  }
  ctx.personalized = true;
  // Items the user already rated, or marked "not interested", are not
  // recommended again.
  if (user_row) {
    for (const UserInteraction& seen : st.users->interactions(*user_row)) {
      if (auto row = st.catalog->FindRow(seen.item)) ctx.eligible.erase(*row);
    }
  }
  for (ItemId id : request.personal.not_interested) {
    if (auto row = st.catalog->FindRow(id)) ctx.eligible.erase(*row);
  }
  for (const auto& [id, factor] : request.personal.item_factors) {
    if (!std::isfinite(factor) || factor <= 0 ||
        factor > PersonalizationInputs::kMaxUserFactor) {
      return absl::InvalidArgumentError(absl::StrCat(
          "user item factor ", factor, " of item ", id, " outside (0, ",
          PersonalizationInputs::kMaxUserFactor, "]"));
    }
    auto row = st.catalog->FindRow(id);
    if (!row) continue;
    auto [it, inserted] = ctx.user_factor.emplace(*row, factor);
    if (!inserted) it->second *= factor;
  }
  return absl::OkStatus();
}

// An upper bound on the product of the factors MakeCandidate applies to any
// row: every policy BOOST rule in force firing at once, times the largest
// editor and user factors (downranks and buries are <= 1). O(#rules +
// #interventions + #user factors), so the threshold loops in Candidates()
// never scan the catalog.
double FeedEngine::FactorBound(const RequestContext& ctx) const {
  double bound = 1.0;
  for (const Rule* rule : ctx.pack->RulesFor(*ctx.surface, ctx.audience)) {
    if (rule->action == RuleAction::kBoost) bound *= std::max(1.0f, rule->factor);
  }
  double editor = 1.0, user = 1.0;
  for (const auto& [row, f] : *ctx.editor_factor) editor = std::max(editor, f);
  for (const auto& [row, f] : ctx.user_factor) user = std::max(user, f);
  return bound * editor * user;
}

SlateCandidate FeedEngine::MakeCandidate(const RequestContext& ctx, Row row,
                                         double blended) const {
  SlateCandidate c;
  c.row = row;
  c.id = ctx.state->catalog->id(row);
  c.score = blended * ctx.view->score_factor(row);
  c.reasons = (ctx.personalized ? kPersonalized : (kNonPersonalized | kPopular)) |
              ctx.view->reasons(row);
  // The factor maps are usually empty: skip hashing the row then.
  if (!ctx.editor_factor->empty()) {
    if (auto it = ctx.editor_factor->find(row); it != ctx.editor_factor->end()) {
      c.score *= it->second;
      c.reasons |= it->second >= 1.0 ? kEditorBoost : kEditorBury;
    }
  }
  if (!ctx.user_factor.empty()) {
    if (auto it = ctx.user_factor.find(row); it != ctx.user_factor.end()) {
      c.score *= it->second;
      if (it->second < 1.0) c.reasons |= kSeeLess;
    }
  }
  c.key_slot_allowed = ctx.view->key_slot_allowed().contains(row);
  c.positive = ctx.view->positive_key_slot_allowed().contains(row);
  return c;
}

double FeedEngine::FinalScore(const RequestContext& ctx, Row row,
                              double blended) const {
  double score = blended * ctx.view->score_factor(row);
  if (!ctx.editor_factor->empty()) {
    if (auto it = ctx.editor_factor->find(row); it != ctx.editor_factor->end()) {
      score *= it->second;
    }
  }
  if (!ctx.user_factor.empty()) {
    if (auto it = ctx.user_factor.find(row); it != ctx.user_factor.end()) {
      score *= it->second;
    }
  }
  return score;
}

void FeedEngine::AppendFinals(const RequestContext& ctx,
                              absl::Span<const Row> rows,
                              const std::vector<double>& fresh,
                              std::vector<double>& blended,
                              std::vector<double>& finals) const {
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < std::min(kAhead, rows.size()); ++i) {
    ctx.view->PrefetchScoreFactor(rows[i]);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + kAhead < rows.size()) ctx.view->PrefetchScoreFactor(rows[i + kAhead]);
    blended.push_back(fresh[i]);
    finals.push_back(FinalScore(ctx, rows[i], fresh[i]));
  }
}

namespace {

// Hints the cache to load embedding row `r` (d floats) of `m`.
inline void PrefetchRow(const RowMatrixXf& m, Row r) {
  const char* p = reinterpret_cast<const char*>(m.data() + int64_t{r} * m.cols());
  for (int64_t off = 0; off < m.cols() * int64_t{sizeof(float)}; off += 64) {
    __builtin_prefetch(p + off);
  }
}

}  // namespace

double FeedEngine::HeadThreshold(const RequestContext& ctx,
                                 const RowSet& allowed,
                                 const std::vector<Row>& rows,
                                 const std::vector<double>& finals, int target,
                                 const HeadNeed& need, HeadKinds& kinds) const {
  std::vector<std::pair<double, uint32_t>> order(finals.size());
  for (size_t i = 0; i < finals.size(); ++i) {
    order[i] = {finals[i], static_cast<uint32_t>(i)};
  }
  const int t = std::min<int>(target, order.size());
  std::nth_element(order.begin(), order.begin() + (t - 1), order.end(),
                   std::greater<std::pair<double, uint32_t>>());
  const double threshold = order[t - 1].first;
  if (need.candidates <= 0) return threshold;
  // Usually the top t already hold enough key-slot-allowed rows: then the
  // need-th best allowed row is among them and the threshold stands.
  const RowSet& key_ok = ctx.view->key_slot_allowed();
  int64_t top_allowed = 0;
  for (int i = 0; i < t; ++i) top_allowed += key_ok.contains(rows[order[i].second]);
  if (top_allowed >= need.key_slot_allowed) return threshold;
  for (size_t i = kinds.allowed.size(); i < rows.size(); ++i) {
    kinds.allowed.push_back(key_ok.contains(rows[i]));
  }
  // The need-th best final among the scored allowed rows; -inf when fewer
  // are scored, unless every eligible allowed row is (nothing unseen can
  // matter then).
  std::vector<double> scores;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (kinds.allowed[i]) scores.push_back(finals[i]);
  }
  const int64_t have = static_cast<int64_t>(scores.size());
  const int64_t want = need.key_slot_allowed;
  if (have < want) {
    if (kinds.total_allowed < 0) {
      kinds.total_allowed = allowed.CountIntersection(key_ok);
    }
    return have >= kinds.total_allowed
               ? threshold
               : -std::numeric_limits<double>::infinity();
  }
  std::nth_element(scores.begin(), scores.begin() + (want - 1), scores.end(),
                   std::greater<double>());
  // Positives are not held to need.positives: with positives 10% of the
  // catalog and boosted, the exact 32nd-best positive needs a second
  // search in about half of the Ranks at 1M items (measured: Rank / raw
  // FAISS 1.2x -> 1.9x). Below the exact top, the quota takes the best
  // positives among the candidates (the positive pool when they lack
  // them); tests/pipeline/candidate_head_test.cc checks exactness where
  // no quota applies.
  return std::min(threshold, scores[want - 1]);
}

// Exact top by final score, a threshold algorithm over three sorted lists:
// the cosine top-kc of `allowed` (one Retriever search), its prior top-kp,
// and the prior top-kb of its BOOSTed rows (B: policy factor > 1). Rows
// with an editor or user factor > 1 are few and always taken. Then a row in
// no list scores at most
//   not in B: w_sim * (1 + cos_kc) / 2 + prior_kp          (factor <= 1)
//   in B:     (w_sim * (1 + cos_kc) / 2 + min(prior_kp, prior_kb)) * max_B,
// and the lists grow until both bounds fall below the target-th best final
// score. The prior lists are cheap (a walk of the prior order, one dot
// product per row), so they grow first while the cosine term alone is below
// that score; the cosine list (a search) grows only when it must. Without
// this a popular item just below the cosine cut-off was missing from a big
// page but appeared on a later small page (pages of 10 != one page of 50).
//
// The prior lists start at one row: the first round's threshold (from the
// cosine list alone) already tells how deep they must reach, and the jump
// below goes there directly. Rows are added once and scored once; a round
// only scores its new rows.
absl::Status FeedEngine::PersonalizedRows(const RequestContext& ctx,
                                          const RowSet& allowed, int k,
                                          std::vector<Row>& rows,
                                          std::vector<float>& sims,
                                          std::vector<double>& blended,
                                          std::vector<double>& finals,
                                          const HeadNeed& need) const {
  const CatalogState& st = *ctx.state;
  const int n = &allowed == &ctx.eligible && ctx.eligible_count >= 0
                    ? ctx.eligible_count
                    : allowed.count();
  if (n == 0) return absl::OkStatus();
  const int target = std::min(k, 2 * ctx.page_size);
  const Eigen::VectorXf q = NormalizeQuery(ctx.query);
  const RowMatrixXf& embeddings = st.catalog->embeddings();
  // Rows a policy BOOST lifted, and the largest lift (1 when none).
  const RowSet& boosted_rows = ctx.view->boosted();
  const double max_boost = ctx.view->max_boost_factor();
  const bool use_b = max_boost > 1.0;
  const double w_sim = scorer_.options().similarity_weight;
  const int cap = std::min(n, Retriever::kMaxK);
  int kc = std::min(k, cap), kp = 1, kb = 1;
  int searched = 0;
  std::vector<Hit> hits;
  PriorWalk by_prior(*st.priors, allowed, nullptr);
  PriorWalk by_prior_b(*st.priors, allowed, &boosted_rows);
  size_t p_added = 0, b_added = 0;
  RowSet seen(st.catalog->size());
  HeadKinds kinds;  // Key-slot flags of the scored rows (HeadThreshold).
  for (auto* v : {&blended, &finals}) v->reserve(2 * kc);
  rows.reserve(2 * kc);
  sims.reserve(2 * kc);
  auto add = [&](Row r, float sim) {
    if (seen.contains(r)) return;
    seen.insert(r);
    rows.push_back(r);
    sims.push_back(sim);
  };
  // New rows of a prior list, with their cosines (a cache-missing embedding
  // row each: prefetched a few rows ahead).
  // Rows among the most popular are read from the contiguous prior head.
  const RowMatrixXf* head = st.prior_head.get();
  const int64_t head_rows = head != nullptr ? head->rows() : 0;
  auto add_list = [&](const PriorWalk& walk, size_t& added) {
    const std::vector<Row>& list = walk.rows();
    const std::vector<int64_t>& ranks = walk.ranks();
    constexpr size_t kAhead = 8;
    auto prefetch = [&](size_t i) {
      if (ranks[i] >= head_rows) PrefetchRow(embeddings, list[i]);
    };
    for (size_t i = added; i < list.size() && i < added + kAhead; ++i) {
      prefetch(i);
    }
    for (size_t i = added; i < list.size(); ++i) {
      if (i + kAhead < list.size()) prefetch(i + kAhead);
      const Row r = list[i];
      if (seen.contains(r)) continue;
      add(r, ranks[i] < head_rows ? RowSimilarity(*head, ranks[i], q)
                                  : RowSimilarity(embeddings, r, q));
    }
    added = list.size();
  };
  // Blended and final scores of the rows not scored yet.
  auto score_new = [&]() -> absl::Status {
    const size_t scored = blended.size();
    if (scored == rows.size()) return absl::OkStatus();
    FEEDGOV_ASSIGN_OR_RETURN(
        std::vector<double> fresh,
        scorer_.Score(absl::MakeConstSpan(rows).subspan(scored),
                      absl::MakeConstSpan(sims).subspan(scored), *st.priors));
    AppendFinals(ctx, absl::MakeConstSpan(rows).subspan(scored), fresh,
                 blended, finals);
    return absl::OkStatus();
  };
  for (const auto* factors : {ctx.editor_factor, &ctx.user_factor}) {
    for (const auto& [row, f] : *factors) {
      if (f > 1.0 && allowed.contains(row)) {
        add(row, RowSimilarity(embeddings, row, q));
      }
    }
  }
  for (;;) {
    if (searched != kc) {
      // The threshold bound below needs only that no unseen allowed row is
      // more similar than the last hit, not exactly kc hits: FAISS is asked
      // for kc results (not kc / p plus a margin) and an answer holding 95%
      // of kc eligible rows is accepted. Every allowed row is wanted when
      // kc covers them all (Search then ignores min_hits).
      SearchOptions search;
      search.eligible_count = n;
      search.min_hits = kc - kc / 20;
      FEEDGOV_ASSIGN_OR_RETURN(
          hits, st.retriever->Search(ctx.query, kc, &allowed, nullptr, search));
      searched = kc;
      for (const Hit& h : hits) add(h.row, h.similarity);
    }
    by_prior.ExtendTo(kp);
    add_list(by_prior, p_added);
    if (kc >= cap || hits.empty() ||
        static_cast<int>(by_prior.rows().size()) >= n) {
      break;  // Every allowed row was seen (or kMaxK reached).
    }
    if (use_b) {
      by_prior_b.ExtendTo(kb);
      add_list(by_prior_b, b_added);
    }
    FEEDGOV_RETURN_IF_ERROR(score_new());  // The rows added this round.
    const double threshold = HeadThreshold(ctx, allowed, rows, finals,
                                           target, need, kinds);
    const bool finite = threshold > -std::numeric_limits<double>::infinity();
    const double cos_term = w_sim * (1.0 + hits.back().similarity) / 2;
    const double prior_kp = st.priors->prior_score(by_prior.rows().back());
    const bool n_open = cos_term + prior_kp >= threshold;
    // B exhausted (fewer than kb boosted rows allowed): every B row was seen.
    const std::vector<Row>& b_list = by_prior_b.rows();
    const bool b_done =
        !use_b || kb >= n || static_cast<int>(b_list.size()) < kb;
    const double prior_kb =
        b_list.empty() ? prior_kp
                       : std::min<double>(prior_kp,
                                          st.priors->prior_score(b_list.back()));
    const bool b_open =
        !b_done && (cos_term + prior_kb) * max_boost >= threshold;
    if (!n_open && !b_open) break;
    // Grow a prior list while the cosine term alone leaves room under the
    // threshold and the list is at most 8x the cosine list; else the cosine
    // list.
    // The threshold only grows as rows are added, so a prior list reaching
    // below threshold - cos_term (threshold / max_B - cos_term for B) closes
    // its bound in the next round: jump there instead of doubling.
    const int list_cap = std::min(8 * kc, n);
    bool grow_cos = false;
    // Too few key-slot-allowed rows or positives seen yet (threshold -inf):
    // the lists double instead of jumping to their cap.
    if (n_open) {
      if (cos_term < threshold && kp < list_cap) {
        kp = std::max(std::min(2 * kp, list_cap),
                      1 + CountWithPriorAtLeast(*st.priors, allowed, nullptr,
                                                threshold - cos_term, list_cap));
        kp = std::min(kp, list_cap);
      } else if (!finite && kp < list_cap) {
        kp = std::min(2 * kp, list_cap);
      } else {
        grow_cos = true;
      }
    }
    if (b_open) {
      if (cos_term * max_boost < threshold && kb < list_cap) {
        kb = std::max(
            std::min(2 * kb, list_cap),
            1 + CountWithPriorAtLeast(*st.priors, allowed, &boosted_rows,
                                      threshold / max_boost - cos_term,
                                      list_cap));
        kb = std::min(kb, list_cap);
      } else if (!finite && kb < list_cap) {
        kb = std::min(2 * kb, list_cap);
      } else {
        grow_cos = true;
      }
    }
    if (grow_cos) kc = std::min(2 * kc, cap);
  }
  return score_new();  // Rows added after the last scoring (early exit).
}

// What the steps after candidate generation can read of the ranked list
// (FeedEngine::HeadNeed). With P = page_size + pins, R = quota_min_positive
// and E = key slots on the page + positives the quota still needs:
// KeepSlateReadableHead reads at most the prefix holding P candidates, P
// key-slot-allowed ones and P + R eligible positives, and BuildPools
// builds a pool only when the list holds fewer than E allowed or E
// positives. A prefix holding P, P + E and P + R + E of them therefore
// leaves both with the same answer as the whole list (and when the whole
// list holds fewer, ReadableRows keeps it all).
FeedEngine::HeadNeed FeedEngine::ReadableNeed(const SlateInput& in) {
  const int page_end = in.start_position + in.page_size;
  int64_t key_on_page = 0;
  for (int p : in.key_slots) key_on_page += p >= in.start_position && p < page_end;
  const int64_t quota_need =
      std::max(0, in.quota_min_positive - in.positives_in_window_so_far);
  const int64_t p = in.page_size + static_cast<int64_t>(in.pins.size());
  const int64_t e = key_on_page + quota_need;
  HeadNeed need;
  need.candidates = p;
  need.key_slot_allowed = p + e;
  need.positives = p + std::max(0, in.quota_min_positive) + e;
  return need;
}

// The rows of `rows` (with blended `scores`) whose final score is >= the
// smallest value v such that those rows hold need.candidates rows,
// need.key_slot_allowed key-slot-allowed ones and need.positives eligible
// positives; every row when none is that small. Rows at v are all kept, so
// the result is a prefix of the list in BuildSlate's order (score first).
std::vector<size_t> FeedEngine::ReadableRows(
    const RequestContext& ctx, const std::vector<Row>& rows,
    const std::vector<double>& scores, const std::vector<double>* finals,
    const HeadNeed& need) const {
  const size_t m = rows.size();
  auto all = [m] {
    std::vector<size_t> every(m);
    for (size_t i = 0; i < m; ++i) every[i] = i;
    return every;
  };
  if (need.candidates <= 0 || static_cast<int64_t>(m) <= need.candidates) {
    return all();
  }
  // Rows by final score (NaN as -inf, as SlateBefore), sorted only as deep
  // as needed; the key-slot flags (two scattered bitset reads per row) are
  // read only for the rows walked.
  struct Keyed {
    double key;
    uint32_t index;
  };
  std::vector<Keyed> order(m);
  for (size_t i = 0; i < m; ++i) {
    const double f =
        finals != nullptr ? (*finals)[i] : FinalScore(ctx, rows[i], scores[i]);
    order[i] = {std::isnan(f) ? -std::numeric_limits<double>::infinity() : f,
                static_cast<uint32_t>(i)};
  }
  auto before = [](const Keyed& a, const Keyed& b) { return a.key > b.key; };
  const RowSet& allowed = ctx.view->key_slot_allowed();
  const RowSet& positive = ctx.view->positive_key_slot_allowed();
  std::optional<double> v;  // nullopt: the whole list never satisfies need.
  for (size_t len = std::min<size_t>(m, 8 * need.positives);;
       len = std::min(m, 2 * len)) {
    // The best `len` first, sorted: a selection then a sort of the head
    // (O(m + len log len)) costs less than a heap-based partial sort.
    if (len < m) std::nth_element(order.begin(), order.begin() + len, order.end(), before);
    std::sort(order.begin(), order.begin() + len, before);
    int64_t n_allowed = 0, n_pos = 0;
    for (size_t i = 0; i < len && !v; ++i) {
      const Row r = rows[order[i].index];
      const bool a = allowed.contains(r);
      n_allowed += a;
      n_pos += a && positive.contains(r);
      if (static_cast<int64_t>(i) + 1 >= need.candidates &&
          n_allowed >= need.key_slot_allowed && n_pos >= need.positives) {
        v = order[i].key;  // Rows tied with it are kept too (below).
      }
    }
    if (v || len == m) break;
  }
  if (!v) return all();
  std::vector<size_t> kept;
  for (const Keyed& k : order) {
    if (k.key >= *v) kept.push_back(k.index);
  }
  return kept;
}

absl::Status FeedEngine::Candidates(const RequestContext& ctx,
                                    const RowSet& allowed, int k,
                                    std::vector<SlateCandidate>& out,
                                    const HeadNeed& need, bool trim) const {
  const CatalogState& st = *ctx.state;
  std::vector<Row> rows;
  std::vector<float> sims;
  std::vector<double> scores;  // Blended, before any factor.
  std::vector<double> finals;  // MakeCandidate(...).score; empty: not known.
  if (ctx.personalized && options_.exhaustive_candidates) {
    // Reference: every allowed row, scored exactly.
    const Eigen::VectorXf q = NormalizeQuery(ctx.query);
    allowed.ForEach([&](Row r) {
      rows.push_back(r);
      sims.push_back(RowSimilarity(st.catalog->embeddings(), r, q));
    });
    FEEDGOV_ASSIGN_OR_RETURN(scores, scorer_.Score(rows, sims, *st.priors));
  } else if (ctx.personalized) {
    FEEDGOV_RETURN_IF_ERROR(
        PersonalizedRows(ctx, allowed, k, rows, sims, scores, finals, need));
  } else {
    // Final score = prior x factors (policy BOOST/DOWNRANK, editor), so a
    // boosted row below the prior cut can still win: grow the cut until the
    // target-th best final score beats prior_k x the largest factor.
    const int n = allowed.count();
    const int target = std::min(k, 2 * ctx.page_size);
    double max_factor = -1;  // Computed on first use.
    for (int kk = std::min(k, n);; kk = std::min(2 * kk, n)) {
      rows = TopByPrior(*st.priors, allowed, kk);
      if (static_cast<int>(rows.size()) >= n || rows.empty()) break;
      FEEDGOV_ASSIGN_OR_RETURN(std::vector<double> blended,
                               scorer_.Score(rows, sims, *st.priors));
      std::vector<double> final_scores;
      for (size_t i = 0; i < rows.size(); ++i) {
        final_scores.push_back(MakeCandidate(ctx, rows[i], blended[i]).score);
      }
      const int t = std::min<int>(target, final_scores.size());
      std::nth_element(final_scores.begin(), final_scores.begin() + (t - 1),
                       final_scores.end(), std::greater<double>());
      if (max_factor < 0) max_factor = FactorBound(ctx);
      if (st.priors->prior_score(rows.back()) * max_factor < final_scores[t - 1]) {
        break;
      }
    }
    FEEDGOV_ASSIGN_OR_RETURN(scores, scorer_.Score(rows, sims, *st.priors));
  }
  const std::vector<size_t> readable = ReadableRows(
      ctx, rows, scores, finals.empty() ? nullptr : &finals,
      trim ? need : HeadNeed{});
  out.reserve(out.size() + readable.size());
  for (size_t i : readable) out.push_back(MakeCandidate(ctx, rows[i], scores[i]));
  return absl::OkStatus();
}

// Step 6 setup: key slots, quota progress and the pins on this page.
SlateInput FeedEngine::PrepareSlate(const RankRequest& request,
                                    RequestContext& ctx) const {
  const Surface& surface = *ctx.surface;
  SlateInput in;
  in.start_position = ctx.start;
  in.page_size = request.page_size;
  in.key_slots = surface.SlateKeySlots(ctx.start, request.page_size);
  in.quota_min_positive = surface.quota.min_positive;
  in.quota_window = surface.quota.window;
  in.positives_in_window_so_far = ctx.chain.positives_in_quota_window();
  for (const auto& [position, pin] : ctx.pins_later) {
    if (position < ctx.start + request.page_size) in.pins.push_back(pin);
  }
  return in;
}

// Step 5: pools for this page's key slots, drawn from the whole eligible
// catalog, only when the ranked candidates cannot fill them.
absl::Status FeedEngine::BuildPools(RequestContext& ctx, SlateInput& in) const {
  const int page_end = in.start_position + in.page_size;
  int key_on_page = 0;
  for (int p : in.key_slots) {
    if (p >= in.start_position && p < page_end) ++key_on_page;
  }
  if (key_on_page == 0) return absl::OkStatus();
  int ranked_key_ok = 0, ranked_positive = 0;
  for (const SlateCandidate& c : ctx.ranked) {
    ranked_key_ok += c.key_slot_allowed;
    ranked_positive += c.positive;
  }
  const int quota_need =
      std::max(0, in.quota_min_positive - in.positives_in_window_so_far);
  if (quota_need > 0 && ranked_positive < quota_need + key_on_page) {
    RowSet allowed = Intersect(ctx.eligible, ctx.view->positive_key_slot_allowed());
    FEEDGOV_RETURN_IF_ERROR(
        Candidates(ctx, allowed, quota_need + key_on_page, ctx.positive_pool,
                   HeadNeed{}, false));
  }
  if (ranked_key_ok < key_on_page + quota_need) {
    RowSet allowed = Intersect(ctx.eligible, ctx.view->key_slot_allowed());
    FEEDGOV_RETURN_IF_ERROR(Candidates(ctx, allowed, 2 * key_on_page + quota_need,
                                       ctx.key_safe_pool, HeadNeed{}, false));
  }
  return absl::OkStatus();
}

absl::StatusOr<RankResponse> FeedEngine::Rank(const RankRequest& request) const {
  RequestContext ctx;
  FEEDGOV_RETURN_IF_ERROR(ResolveContext(request, ctx));
  ApplyInterventions(ctx);
  FEEDGOV_RETURN_IF_ERROR(ChooseQuery(request, ctx));
  ctx.eligible_count = ctx.eligible.count();  // eligible is final from here.
  const int k = std::max(options_.candidate_count, 3 * request.page_size);
  SlateInput in = PrepareSlate(request, ctx);
  FEEDGOV_RETURN_IF_ERROR(
      Candidates(ctx, ctx.eligible, k, ctx.ranked, ReadableNeed(in),
                 options_.trim_candidate_head));
  FEEDGOV_RETURN_IF_ERROR(BuildPools(ctx, in));
  in.ranked = std::move(ctx.ranked);
  in.positive_pool = std::move(ctx.positive_pool);
  in.key_safe_pool = std::move(ctx.key_safe_pool);
  if (options_.trim_candidate_head) KeepSlateReadableHead(in);
  SlateResult slate = BuildSlate(in);
  return Respond(request, ctx, in, slate);
}

// Step 7: what the caller sees, and the state of the chain.
RankResponse FeedEngine::Respond(const RankRequest& request,
                                 RequestContext& ctx, const SlateInput& in,
                                 const SlateResult& slate) const {
  const Catalog& catalog = *ctx.state->catalog;
  RankResponse out;
  out.surface = ctx.surface->id;
  out.surface_has_key_slots = ctx.surface->has_key_slots();
  out.personalized = ctx.personalized;
  out.policy_id = ctx.pack->id;
  out.policy_version = ctx.pack->version;

  std::vector<SlateSlot> slots = slate.slots;
  AppendPinsBeyondEnd(ctx, in, slots);

  int organic_used = 0;
  // The page's items are scattered over a catalog-sized array: start
  // loading them all before the loop reads them one by one.
  for (const SlateSlot& slot : slots) {
    __builtin_prefetch(&catalog.item(slot.item.row));
  }
  for (const SlateSlot& slot : slots) {
    const Item& item = catalog.item(slot.item.row);
    RankedItem r;
    r.position = slot.position + 1;
    r.item_id = item.id;
    r.title = item.title;
    r.score = slot.item.score;
    r.reasons = slot.item.reasons;
    r.key_slot = slot.key_slot;
    r.labels = ctx.labels->LabelsFor(item.id);
    if (r.reasons & kEditorPin) {
      r.pin_id = ctx.pin_ids[item.id];
      ++out.counters.pins_applied;
    } else {
      ++organic_used;
    }
    out.items.push_back(std::move(r));
    ctx.chain.add_served_item_ids(item.id);
  }

  GovernanceCounters& c = out.counters;
  c.dropped_by_label = std::move(ctx.counters.dropped_by_label);
  c.label_errors = ctx.counters.label_errors;
  c.suppressed = ctx.counters.suppressed;
  c.pins_blocked = ctx.counters.pins_blocked;
  c.kept_out_of_key_slots = slate.kept_out_of_key_slots;
  c.quota_required = slate.quota_required;
  c.quota_met = slate.quota_met;
  c.quota_shortfall = slate.quota_shortfall;
  c.unfilled_key_slots = slate.unfilled_key_slots;
  if (slate.quota_shortfall > 0) {
    ctx.degradations.push_back(absl::StrCat(
        "positive quota short by ", slate.quota_shortfall,
        ": not enough eligible positive items in the catalog; filled with "
        "eligible neutral items"));
  }
  if (slate.unfilled_key_slots > 0) {
    ctx.degradations.push_back(absl::StrCat(
        slate.unfilled_key_slots,
        " key slot(s) left empty: no eligible item may occupy them"));
  }
  out.degradations = std::move(ctx.degradations);

  // The chain goes on while eligible items or later pins remain.
  const int remaining = ctx.eligible_count - organic_used;
  bool later_pins = false;
  for (const auto& [position, pin] : ctx.pins_later) {
    later_pins |= position >= in.start_position + in.page_size;
  }
  if ((remaining > 0 || later_pins) &&
      ctx.chain.served_item_ids_size() < kMaxItemsPerChain) {
    ctx.chain.set_next_position(in.start_position + in.page_size);
    ctx.chain.set_positives_in_quota_window(slate.positives_in_window_after);
    out.next_page_token = EncodePageToken(ctx.chain, options_.page_token_key);
  }
  return out;
}

// A pin whose position lies beyond the end of the available feed is placed
// last, right after the final item (Manual intervention issue), when it may
// occupy that position.
void FeedEngine::AppendPinsBeyondEnd(RequestContext& ctx, const SlateInput& in,
                                     std::vector<SlateSlot>& slots) const {
  const int page_end = in.start_position + in.page_size;
  int organic = 0;
  for (const SlateSlot& s : slots) organic += !(s.item.reasons & kEditorPin);
  const bool feed_ends_here =
      ctx.eligible_count - organic <= 0 &&
      static_cast<int>(slots.size()) < in.page_size;
  if (!feed_ends_here) return;
  int next = slots.empty() ? in.start_position : slots.back().position + 1;
  auto it = std::remove_if(
      ctx.pins_later.begin(), ctx.pins_later.end(), [&](auto& entry) {
        auto& [position, pin] = entry;
        if (position < page_end || next >= page_end) return false;
        const bool key = ctx.surface->IsKeySlot(next);
        if (key && !pin.item.key_slot_allowed) return false;
        SlateSlot slot;
        slot.item = pin.item;
        slot.position = next++;
        slot.key_slot = key;
        slots.push_back(slot);
        return true;
      });
  ctx.pins_later.erase(it, ctx.pins_later.end());
}

}  // namespace feedgov
