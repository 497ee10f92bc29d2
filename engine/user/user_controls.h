// File: engine/user/user_controls.h
//
// UserControls: what a user can do about their feed besides reading it
// (User controls issue; Algorithmic Recommendation Provisions Art. 16, 17;
// DSA Art. 27, 38): change their stored settings, list their interest tags,
// ask why an item is on their feed, read "about this feed". The settings it
// writes are the ones every Rank for the user applies (user_stage.h).
//
// Explanations (Why): the user's feed on the surface is re-run, page by
// page (why_page_size) up to why_max_items items, until the item is found;
// its reason bits come from that response and the sentence from the bits.
// For a PERSONALIZED item the rated item most similar to it (cosine of
// catalog embeddings, among the ratings that shaped the query) is named:
// "Because you rated Heat (1995)", and SIMILAR_TO_HISTORY is set.
//
// It reads the engine through FeedReader (below), so engine/user/ never
// includes the request pipeline (engine/rank/ implements it).
//
// Thread-safety: all methods are thread-safe (the store and the engine
// are). The reader must outlive this object; the store is shared.
#ifndef FEEDGOV_ENGINE_USER_USER_CONTROLS_H_
#define FEEDGOV_ENGINE_USER_USER_CONTROLS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/catalog/catalog_state.h"
#include "engine/common/rank_types.h"
#include "engine/governance/policy.h"
#include "engine/governance/taxonomy.h"
#include "engine/model/als.h"
#include "engine/scoring/scorer.h"
#include "engine/store/user_settings_store.h"
#include "engine/user/interest_tags.h"
#include "engine/user/user_stage.h"

namespace feedgov {

struct UserControlsOptions {
  // Why(): page size of the re-run and how deep to look. [1, 500] and
  // [1, 5000].
  int why_page_size = 50;
  int why_max_items = 300;

  // INVALID_ARGUMENT naming the field and its range.
  absl::Status Validate() const;
};

// The engine as UserControls reads it (FeedEngine implements it).
class FeedReader {
 public:
  virtual ~FeedReader() = default;
  // The current catalog state (one snapshot per call).
  virtual std::shared_ptr<const CatalogState> catalog_state() const = 0;
  virtual std::shared_ptr<const PolicyPack> policy() const = 0;
  virtual const Taxonomy& taxonomy() const = 0;
  virtual const ScoringOptions& scoring_options() const = 0;
  // The user stage Rank applies (its tag index and query ratings).
  virtual const UserStage& user_stage() const = 0;
  // The store Rank reads users' settings from (null: none).
  virtual std::shared_ptr<UserSettingsStore> user_settings_source() const = 0;
  // One page, with the user's stored settings (rank_types.h).
  virtual absl::StatusOr<RankResponse> Rank(
      const RankRequest& request) const = 0;
};

struct Explanation {
  ItemId item = 0;
  std::string title;
  std::string surface;
  int position = 0;      // 1-based, where the re-run served it.
  uint32_t reasons = 0;  // As served, plus SIMILAR_TO_HISTORY when named.
  std::vector<std::string> reason_names;  // ReasonNames(reasons).
  std::optional<ItemId> because_of;       // The rated item named, if any.
  // e.g. "Because you rated Heat (1995)."; when a machine label awaits a
  // person's review, a second sentence says so and what the policy does
  // meanwhile (LabelSentence).
  std::string sentence;
  // The item's labels as served, each with its provenance: source, origin,
  // confidence (a calibrated probability for MODEL labels) and raw score
  // (types.h). Empty when the item is unlabeled.
  std::vector<Label> labels;
  // The machine label the content policy holds for a person's review
  // (ItemVerdict::awaiting_review, governance/verdict.h) on this surface
  // and audience; empty when none.
  std::string awaiting_review;
};

class UserControls {
 public:
  // Writes go to the store `feed` reads users' settings from
  // (FeedReader::user_settings_source, taken now), so what a user sets is
  // what the next Rank applies. `label_map` decides forbidden tags (with the
  // engine's taxonomy). INVALID_ARGUMENT for bad options or a null reader;
  // FAILED_PRECONDITION when the engine has no settings store.
  static absl::StatusOr<std::unique_ptr<UserControls>> Create(
      const FeedReader* feed, LabelMap label_map,
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
  absl::StatusOr<UserSettings> MuteAuthor(UserId user,
                                          absl::string_view author);

  // --- feed
  // -------------------------------------------------------------------
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
  UserControls(const FeedReader* feed, std::shared_ptr<UserSettingsStore> store,
               LabelMap label_map, UserControlsOptions options);

  absl::Status CheckItem(ItemId item) const;
  absl::Status CheckTagInCatalog(const std::string& tag) const;

  const FeedReader* const feed_;
  const std::shared_ptr<UserSettingsStore> store_;
  const ForbiddenTags forbidden_;
  const UserControlsOptions options_;
};

// The plain sentence for a reason bitmask (without the history part), e.g.
// "Pinned by editors; Positive content promoted on this page."
// `personalization_off` selects the switch-off wording of NON_PERSONALIZED.
std::string ReasonSentence(uint32_t reasons, bool personalization_off,
                           const std::string& because_title);

// The sentence on a machine label held for review, e.g. "An automated
// labeler (labeler:rumor_zh@3f2a) flagged it as illegal.rumors with
// probability 0.95; until a person reviews it, the content policy keeps it
// out of prominent slots and shows it lower." `label` is the held label;
// `kept_out` and `downranked` say what the policy does meanwhile (each
// clause only when true).
std::string LabelSentence(const Label& label, bool kept_out, bool downranked);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_USER_USER_CONTROLS_H_
