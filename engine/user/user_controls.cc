#include "engine/user/user_controls.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/common/reasons.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

template <typename T>
void InsertSorted(std::vector<T>& v, T x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, std::move(x));
}

template <typename T>
void Erase(std::vector<T>& v, const T& x) {
  v.erase(std::remove(v.begin(), v.end(), x), v.end());
}

}  // namespace

absl::Status UserControlsOptions::Validate() const {
  if (why_page_size < 1 || why_page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UserControlsOptions.why_page_size = ", why_page_size, " outside [1, ",
        kMaxPageSize, "]"));
  }
  if (why_max_items < 1 || why_max_items > 5000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UserControlsOptions.why_max_items = ", why_max_items,
        " outside [1, 5000]"));
  }
  return absl::OkStatus();
}

UserControls::UserControls(const FeedReader* feed,
                           std::shared_ptr<UserSettingsStore> store,
                           LabelMap label_map, UserControlsOptions options)
    : feed_(feed),
      store_(std::move(store)),
      forbidden_(std::move(label_map), &feed->taxonomy()),
      options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<UserControls>> UserControls::Create(
    const FeedReader* feed, LabelMap label_map, UserControlsOptions options) {
  if (feed == nullptr) {
    return absl::InvalidArgumentError("UserControls needs an engine");
  }
  FEEDGOV_RETURN_IF_ERROR(options.Validate());
  std::shared_ptr<UserSettingsStore> store = feed->user_settings_source();
  if (store == nullptr) {
    return absl::FailedPreconditionError(
        "the engine has no user settings store to write (open a state "
        "directory, or FeedEngine::SetUserSettingsSource)");
  }
  return std::unique_ptr<UserControls>(new UserControls(
      feed, std::move(store), std::move(label_map), std::move(options)));
}

// --- settings -----------------------------------------------------------------

absl::StatusOr<UserSettings> UserControls::Settings(UserId user) const {
  return store_->Get(user);
}

absl::StatusOr<UserSettings> UserControls::SetPersonalization(UserId user,
                                                              bool on) {
  return store_->Update(user, [&](UserSettings& s) {
    s.personalization = on;
    return absl::OkStatus();
  });
}

absl::StatusOr<UserSettings> UserControls::SetMinors(UserId user, bool on) {
  return store_->Update(user, [&](UserSettings& s) {
    s.minors = on;
    return absl::OkStatus();
  });
}

absl::Status UserControls::CheckItem(ItemId item) const {
  if (!feed_->catalog_state()->catalog->FindRow(item).has_value()) {
    return absl::NotFoundError(
        absl::StrCat("item ", item, " is not in the catalog"));
  }
  return absl::OkStatus();
}

absl::Status UserControls::CheckTagInCatalog(const std::string& tag) const {
  const std::shared_ptr<const Catalog> catalog = feed_->catalog_state()->catalog;
  std::vector<Row> rows;
  feed_->user_stage().TagIndex(catalog)->AppendRowsThatMayCarry(tag, rows);
  for (Row row : rows) {
    if (ItemCarriesTag(catalog->item(row), tag)) return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat(
      "no catalog item carries the tag '", tag,
      "' (tags are genres such as 'drama' or normalized user tags)"));
}

absl::StatusOr<UserSettings> UserControls::DeleteTag(UserId user,
                                                     absl::string_view tag) {
  FEEDGOV_ASSIGN_OR_RETURN(std::string t, NormalizeTag(tag));
  FEEDGOV_RETURN_IF_ERROR(CheckTagInCatalog(t));
  return store_->Update(user, [&](UserSettings& s) {
    Erase(s.added_tags, t);
    InsertSorted(s.deleted_tags, t);
    return absl::OkStatus();
  });
}

absl::StatusOr<UserSettings> UserControls::AddTag(UserId user,
                                                  absl::string_view tag) {
  FEEDGOV_ASSIGN_OR_RETURN(std::string t, NormalizeTag(tag));
  if (std::string label = forbidden_.ForbiddingLabel(t); !label.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tag '", t, "' maps to label ", label,
        "; tags matching illegal or bad labels are never stored as interests "
        "(Algorithmic Recommendation Provisions Art. 10)"));
  }
  FEEDGOV_RETURN_IF_ERROR(CheckTagInCatalog(t));
  return store_->Update(user, [&](UserSettings& s) {
    Erase(s.deleted_tags, t);
    InsertSorted(s.added_tags, t);
    return absl::OkStatus();
  });
}

absl::StatusOr<UserSettings> UserControls::NotInterested(UserId user,
                                                         ItemId item) {
  FEEDGOV_RETURN_IF_ERROR(CheckItem(item));
  return store_->Update(user, [&](UserSettings& s) {
    InsertSorted(s.not_interested, item);
    return absl::OkStatus();
  });
}

absl::StatusOr<UserSettings> UserControls::SeeLess(UserId user, ItemId item) {
  FEEDGOV_RETURN_IF_ERROR(CheckItem(item));
  return store_->Update(user, [&](UserSettings& s) {
    InsertSorted(s.see_less, item);
    return absl::OkStatus();
  });
}

absl::StatusOr<UserSettings> UserControls::MuteAuthor(UserId user,
                                                      absl::string_view author) {
  if (author.empty()) {
    return absl::InvalidArgumentError("mute author: empty author");
  }
  return store_->Update(user, [&](UserSettings& s) {
    InsertSorted(s.muted_authors, std::string(author));
    return absl::OkStatus();
  });
}

// --- feed ---------------------------------------------------------------------

absl::StatusOr<std::vector<InterestTag>> UserControls::InterestTags(
    UserId user, int top_n) const {
  FEEDGOV_ASSIGN_OR_RETURN(UserSettings settings, store_->Get(user));
  std::shared_ptr<const CatalogState> state = feed_->catalog_state();
  absl::Span<const UserInteraction> history;
  if (auto row = state->users->FindUser(user)) {
    history = state->users->interactions(*row);
  }
  return DeriveInterestTags(history, *state->catalog, settings.deleted_tags,
                            settings.added_tags, forbidden_, top_n);
}

}  // namespace feedgov
