// File: engine/user/user_controls.h
//
// UserControls: the user's side of the algorithm (User controls issue;
// Algorithmic Recommendation Provisions Art. 10, 16, 17; PIPL Art. 24;
// DSA Art. 27, 38). It reads and writes the user's stored settings
// (engine/store/user_settings_store.h) and turns them into the RankRequest
// for that user, explains served items and describes the feed.
//
// Request building (BuildRequest):
//   * personalization off: the request carries personalization=false and
//     minors only. `personal` stays empty, so the profile-free path never
//     receives the user's vector, history, tags or any other setting; it is
//     identical for every user (and, by our reading of the issue, does NOT
//     filter "not interested" items or muted authors: those are profile
//     data. They stay stored and apply again when personalization is on).
//   * personalization on:
//       not_interested  = not-interested items + items by muted authors
//                         (never served, across every page of a chain);
//       query_override  = if a deleted tag is carried by a rated item: the
//                         fold-in (AlsFoldIn, ALS alpha/lambda below, item
//                         factors = the catalog's normalized embeddings) of
//                         the user's ratings of items carrying no deleted
//                         tag; else empty (the snapshot's ALS vector);
//       item_factors    = deleted_tag_factor for every item carrying a
//                         deleted tag, added_tag_factor for every item
//                         carrying an added tag, see_less_factor for the
//                         "see less" item itself and its neighbours with
//                         cosine >= see_less_cosine (at most
//                         see_less_max_neighbours each; exact search with
//                         Retriever::SearchAboveThreshold). Factors multiply.
//   * minors = the stored minors switch (the pack's minors audience).
// A change is visible to the very next BuildRequest (the store is read
// every time; nothing is cached but the fold-in system per catalog).
//
// Explanations (Why): the user's request for the surface is re-run, page by
// page (why_page_size) up to why_max_items items, until the item is found;
// its reason bits come from that response and the sentence from the bits
// (Explain below). For a PERSONALIZED item the rated item most similar to it
// (cosine of catalog embeddings, among the ratings that shaped the query)
// is named: "Because you rated Heat (1995)", and SIMILAR_TO_HISTORY is set.
//
// Thread-safety: all methods are thread-safe (the store and engine are;
// the fold-in cache has its own mutex). The engine and store must outlive
// this object.
#ifndef FEEDGOV_ENGINE_USER_USER_CONTROLS_H_
#define FEEDGOV_ENGINE_USER_USER_CONTROLS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/model/als.h"
#include "engine/pipeline/feed_engine.h"
#include "engine/store/user_settings_store.h"
#include "engine/user/interest_tags.h"

namespace feedgov {

struct UserControlsOptions {
  // Score factor of items carrying a deleted interest tag. (0, 1].
  double deleted_tag_factor = 0.5;
  // Score factor of items carrying an added interest tag. [1, 4].
  double added_tag_factor = 1.2;
  // "See less like this": factor of the item and its near neighbours,
  // (0, 1], and the cosine from which a neighbour counts, [0, 1]. 0.6:
  // on MovieLens small the 2nd to 10th nearest items of a top
  // recommendation sit at cosine 0.6 to 0.75 (measured in
  // user_controls_test), so "like this" means a handful of titles.
  // 0.8 moves a top item a few dozen places down (blend scores of a
  // personalized page span about 1.1 to 0.8), without hiding it.
  double see_less_factor = 0.9;  // About a page of 20 lower on MovieLens.
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
  // Why(): page size of the re-run and how deep to look. [1, 500] and
  // [1, 5000].
  int why_page_size = 50;
  int why_max_items = 300;

  // INVALID_ARGUMENT naming the field and its range.
  absl::Status Validate() const;
};

struct Explanation {
  ItemId item = 0;
  std::string title;
  std::string surface;
  int position = 0;         // 1-based, where the re-run served it.
  uint32_t reasons = 0;     // As served, plus SIMILAR_TO_HISTORY when named.
  std::vector<std::string> reason_names;  // ReasonNames(reasons).
  std::optional<ItemId> because_of;       // The rated item named, if any.
  std::string sentence;     // e.g. "Because you rated Heat (1995)."
};

class UserControls {
 public:
  // `label_map` decides forbidden tags (with the engine's taxonomy).
  // INVALID_ARGUMENT for bad options or null engine/store.
  static absl::StatusOr<std::unique_ptr<UserControls>> Create(
      const FeedEngine* engine, UserSettingsStore* store, LabelMap label_map,
      UserControlsOptions options = {});

  // --- settings -------------------------------------------------------------
  absl::StatusOr<UserSettings> Settings(UserId user) const;
  absl::StatusOr<UserSettings> SetPersonalization(UserId user, bool on);
  absl::StatusOr<UserSettings> SetMinors(UserId user, bool on);
  // Normalizes `tag`; NOT_FOUND when no catalog item carries it. Removes it
  // from the added tags; it is not derived again until AddTag.
  absl::StatusOr<UserSettings> DeleteTag(UserId user, absl::string_view tag);
  // Normalizes `tag`; INVALID_ARGUMENT (naming the label) when it maps to an
  // illegal/bad label (Art. 10: never stored as an interest); NOT_FOUND when
  // no catalog item carries it. Undoes a deletion.
  absl::StatusOr<UserSettings> AddTag(UserId user, absl::string_view tag);
  // NOT_FOUND for an item not in the catalog.
  absl::StatusOr<UserSettings> NotInterested(UserId user, ItemId item);
  absl::StatusOr<UserSettings> SeeLess(UserId user, ItemId item);
  // INVALID_ARGUMENT for an empty author.
  absl::StatusOr<UserSettings> MuteAuthor(UserId user, absl::string_view author);

  // --- feed -------------------------------------------------------------------
  // The request for `user` on `surface` with their stored settings (file
  // comment). Errors from the store or the fold-in.
  absl::StatusOr<RankRequest> BuildRequest(UserId user,
                                           const std::string& surface,
                                           int page_size,
                                           const std::string& page_token) const;

  // Interest tags (interest_tags.h), at most top_n (<= 0: all).
  absl::StatusOr<std::vector<InterestTag>> InterestTags(UserId user,
                                                        int top_n) const;

  // Why `item` is on `user`'s `surface` feed. NOT_FOUND when the re-run does
  // not serve it within why_max_items; errors of Rank() otherwise.
  absl::StatusOr<Explanation> Why(UserId user, ItemId item,
                                  const std::string& surface) const;

  // "About this feed" (DSA Art. 27): the main ranking parameters and their
  // relative weight, the policy pack and its rules in brief, the user's
  // options and their current values, whether the non-profiling option is
  // on. Plain text, several lines.
  absl::StatusOr<std::string> AboutThisFeed(UserId user) const;

  const ForbiddenTags& forbidden_tags() const { return forbidden_; }
  const UserControlsOptions& options() const { return options_; }

 private:
  UserControls(const FeedEngine* engine, UserSettingsStore* store,
               LabelMap label_map, UserControlsOptions options);

  absl::Status CheckItem(ItemId item) const;
  absl::Status CheckTagInCatalog(const std::string& tag) const;
  absl::StatusOr<PersonalizationInputs> Personal(
      const UserSettings& settings) const;
  absl::Status AddSeeLessFactors(const CatalogState& state,
                                 const UserSettings& settings,
                                 PersonalizationInputs& out) const;
  // The user's ratings that shape the query: those of items carrying no
  // deleted tag. Also reports whether any rating was left out.
  std::vector<UserInteraction> QueryRatings(const CatalogState& state,
                                            const UserSettings& settings,
                                            bool* any_removed) const;
  absl::StatusOr<std::vector<float>> FoldIn(
      const Catalog& catalog, absl::Span<const UserInteraction> ratings) const;
  std::string Sentence(const RankedItem& item, const UserSettings& settings,
                       const std::optional<ItemId>& because) const;

  const FeedEngine* const engine_;
  UserSettingsStore* const store_;
  const ForbiddenTags forbidden_;
  const UserControlsOptions options_;

  // The ItemTagIndex of `catalog`, built on first use per catalog (the
  // first request after a catalog change waits for it: ~1 s at 1M items).
  std::shared_ptr<const ItemTagIndex> TagIndex(
      const std::shared_ptr<const Catalog>& catalog) const;

  mutable absl::Mutex index_mu_;
  mutable std::weak_ptr<const Catalog> index_catalog_ ABSL_GUARDED_BY(index_mu_);
  mutable std::shared_ptr<const ItemTagIndex> index_ ABSL_GUARDED_BY(index_mu_);

  // AlsFoldIn over the catalog it was built for (rebuilt on a new catalog).
  mutable absl::Mutex fold_mu_;
  mutable std::shared_ptr<const Catalog> fold_catalog_ ABSL_GUARDED_BY(fold_mu_);
  mutable std::shared_ptr<const AlsFoldIn> fold_ ABSL_GUARDED_BY(fold_mu_);
};

// The plain sentence for a reason bitmask (without the history part), e.g.
// "Pinned by editors; Positive content promoted on this page."
// `personalization_off` selects the switch-off wording of NON_PERSONALIZED.
std::string ReasonSentence(uint32_t reasons, bool personalization_off,
                           const std::string& because_title);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_USER_USER_CONTROLS_H_
