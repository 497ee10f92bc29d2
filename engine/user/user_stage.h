// File: engine/user/user_stage.h
//
// The user stage of a Rank: the user's own choices applied to their page
// (User controls issue; Algorithmic Recommendation Provisions Art. 10, 17;
// PIPL Art. 24; DSA Art. 38). Two steps, both here:
//
// 1. ResolveSettings (when the request is opened): the settings the page is
//    ranked with. For a named user the stored settings (a user with nothing
//    stored has the defaults: personalization on), or the request's
//    explicit override; the caller's switches (disable_personalization,
//    minors) only make them stricter. Anonymous requests have no settings.
//    Every path (in-process library, CLI, gRPC) goes through it, so a user
//    who switched personalization off never gets a personalized page.
//
// 2. UserStage::Apply (after the editors' overlay), personalized path only:
//      query       the user's ALS vector from the snapshot; after a deleted
//                  interest tag removed some of their ratings, the ALS
//                  fold-in (AlsFoldIn: alpha/lambda of the options) of the
//                  ratings of items carrying no deleted tag;
//      exclusions  items the user rated, marked "not interested", or by a
//                  muted author: taken out of the eligible rows;
//      factors     deleted_tag_factor for every item carrying a deleted tag,
//                  added_tag_factor for every item carrying an added tag,
//                  see_less_factor for a "see less" item and its neighbours
//                  with cosine >= see_less_cosine (at most
//                  see_less_max_neighbours each; exact search). Repeated
//                  items multiply.
//    With personalization off nothing of the user's is read: the
//    profile-free path receives no vector, history, tags or other setting.
//    An unknown user, one whose vector has zero norm or a NaN / Inf
//    entry, or one whose fold-in fails, gets the non-personalized page
//    with a degradation, never an error or an arbitrary order.
//
// Thread-safety: thread-safe. The per-catalog caches (tag index, fold-in
// system) have their own mutexes; the first request after a catalog change
// builds them (~1 s at 1M items for the tag index).
#ifndef FEEDGOV_ENGINE_USER_USER_STAGE_H_
#define FEEDGOV_ENGINE_USER_USER_STAGE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "engine/catalog/catalog_state.h"
#include "engine/common/rank_types.h"
#include "engine/common/row_set.h"
#include "engine/common/user_settings.h"
#include "engine/model/als.h"
#include "engine/scoring/final_score.h"
#include "engine/store/user_settings_store.h"
#include "engine/user/interest_tags.h"

namespace feedgov {

struct UserStageOptions {
  // Largest factor a user's control may give an item.
  static constexpr double kMaxUserFactor = 4.0;
  // Score factor of items carrying a deleted interest tag. (0, 1].
  double deleted_tag_factor = 0.5;
  // Score factor of items carrying an added interest tag. [1, 4].
  double added_tag_factor = 1.2;
  // "See less like this": factor of the item and its near neighbours,
  // (0, 1], and the cosine from which a neighbour counts, [0, 1]. 0.6:
  // on MovieLens small the 2nd to 10th nearest items of a top
  // recommendation sit at cosine 0.6 to 0.75, so "like this" means a
  // handful of titles. 0.9 moves an item about a page of 20 lower.
  double see_less_factor = 0.9;
  double see_less_cosine = 0.6;
  int see_less_max_neighbours = 50;  // [0, 10000].
  // Fold-in after a tag deletion: alpha and lambda of the ALS the snapshot
  // was trained with (models/default.textproto: alpha 1, lambda 30).
  AlsOptions fold_in = [] {
    AlsOptions o;
    o.alpha = 1.0;
    o.lambda = 30.0;
    return o;
  }();

  // INVALID_ARGUMENT naming the field and its range.
  absl::Status Validate() const;
};

// The settings a page is ranked with (step 1 of the file comment).
struct UserSettingsChoice {
  std::optional<UserSettings> settings;  // nullopt: anonymous.
  AppliedSettings applied;  // personalization / minors before the chain.
};

// Step 1. `store` may be null (nothing stored: defaults). Errors: the
// store's (fails closed: a page is not served with settings that could not
// be read); INVALID_ARGUMENT for an override on an anonymous request.
absl::StatusOr<UserSettingsChoice> ResolveSettings(
    const RankRequest& request, const UserSettingsStore* store);

// What the user stage decided for one page.
struct Personalization {
  bool personalized = false;
  std::vector<float> query;  // d floats; personalized only.
  RowFactors user_factor;    // Personalized only.
  std::vector<std::string> degradations;
};

class UserStage {
 public:
  // INVALID_ARGUMENT for invalid options.
  static absl::StatusOr<std::unique_ptr<UserStage>> Create(
      UserStageOptions options);

  // Step 2 for `choice` (personalized only when its settings exist and say
  // personalization is on): the query and the user's factors, and the
  // user's exclusions taken out of `eligible`. Errors: the see-less search
  // (INVALID_ARGUMENT / INTERNAL); an unusable profile is a degradation.
  absl::StatusOr<Personalization> Apply(const UserSettingsChoice& choice,
                                        const CatalogState& state,
                                        RowSet& eligible) const;

  // The user's ratings that shape the query: those of items carrying no
  // deleted tag. `any_removed`: whether a rating was left out.
  std::vector<UserInteraction> QueryRatings(const CatalogState& state,
                                            const UserSettings& settings,
                                            bool* any_removed) const;

  // The ItemTagIndex of `catalog`, built on first use per catalog.
  std::shared_ptr<const ItemTagIndex> TagIndex(
      const std::shared_ptr<const Catalog>& catalog) const;

  const UserStageOptions& options() const { return options_; }

 private:
  explicit UserStage(UserStageOptions options) : options_(std::move(options)) {}

  // Not-interested items, muted authors' items and the tag and see-less
  // factors of `settings`, in a fixed order (not interested, then per
  // matching row in catalog order: muted, deleted-tag, added-tag factors;
  // then see-less seeds and their neighbours).
  struct Inputs {
    std::vector<ItemId> not_interested;
    std::vector<float> query_override;  // Empty: the ALS vector.
    std::string unusable_profile;  // Why the fold-in failed; empty if not.
    std::vector<std::pair<ItemId, double>> item_factors;
  };
  absl::StatusOr<Inputs> InputsFor(const UserSettings& settings,
                                   const CatalogState& state) const;
  absl::Status AddSeeLessFactors(const CatalogState& state,
                                 const UserSettings& settings,
                                 Inputs& out) const;
  absl::StatusOr<std::vector<float>> FoldIn(
      const std::shared_ptr<const Catalog>& catalog,
      absl::Span<const UserInteraction> ratings) const;

  const UserStageOptions options_;

  mutable absl::Mutex index_mu_;
  mutable std::weak_ptr<const Catalog> index_catalog_
      ABSL_GUARDED_BY(index_mu_);
  mutable std::shared_ptr<const ItemTagIndex> index_ ABSL_GUARDED_BY(index_mu_);
  // AlsFoldIn over the catalog it was built for (rebuilt on a new catalog).
  mutable absl::Mutex fold_mu_;
  mutable std::weak_ptr<const Catalog> fold_catalog_ ABSL_GUARDED_BY(fold_mu_);
  mutable std::shared_ptr<const AlsFoldIn> fold_ ABSL_GUARDED_BY(fold_mu_);
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_USER_USER_STAGE_H_
