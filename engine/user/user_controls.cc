#include "engine/user/user_controls.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/common/reasons.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

absl::Status Range(absl::string_view field, double v, double lo, double hi,
                   bool lo_open) {
  bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "UserControlsOptions.", field, " = ", v, " outside ", lo_open ? "(" : "[",
      lo, ", ", hi, "]"));
}

bool CarriesAny(const Item& item, absl::Span<const std::string> tags) {
  for (const std::string& t : tags) {
    if (ItemCarriesTag(item, t)) return true;
  }
  return false;
}

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
  FEEDGOV_RETURN_IF_ERROR(
      Range("deleted_tag_factor", deleted_tag_factor, 0, 1, true));
  FEEDGOV_RETURN_IF_ERROR(
      Range("added_tag_factor", added_tag_factor, 1,
            PersonalizationInputs::kMaxUserFactor, false));
  FEEDGOV_RETURN_IF_ERROR(Range("see_less_factor", see_less_factor, 0, 1, true));
  FEEDGOV_RETURN_IF_ERROR(Range("see_less_cosine", see_less_cosine, 0, 1, false));
  FEEDGOV_RETURN_IF_ERROR(Range("see_less_max_neighbours",
                                see_less_max_neighbours, 0, 10000, false));
  FEEDGOV_RETURN_IF_ERROR(Range("why_page_size", why_page_size, 1, 500, false));
  FEEDGOV_RETURN_IF_ERROR(Range("why_max_items", why_max_items, 1, 5000, false));
  return Annotate(fold_in.Validate(), "UserControlsOptions.fold_in");
}

UserControls::UserControls(const FeedEngine* engine, UserSettingsStore* store,
                           LabelMap label_map, UserControlsOptions options)
    : engine_(engine),
      store_(store),
      forbidden_(std::move(label_map), &engine->policies().taxonomy()),
      options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<UserControls>> UserControls::Create(
    const FeedEngine* engine, UserSettingsStore* store, LabelMap label_map,
    UserControlsOptions options) {
  if (engine == nullptr || store == nullptr) {
    return absl::InvalidArgumentError("UserControls needs an engine and a store");
  }
  FEEDGOV_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<UserControls>(new UserControls(
      engine, store, std::move(label_map), std::move(options)));
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
  if (!engine_->catalog()->FindRow(item).has_value()) {
    return absl::NotFoundError(
        absl::StrCat("item ", item, " is not in the catalog"));
  }
  return absl::OkStatus();
}

std::shared_ptr<const ItemTagIndex> UserControls::TagIndex(
    const std::shared_ptr<const Catalog>& catalog) const {
  absl::MutexLock lock(&index_mu_);
  if (index_ == nullptr || index_catalog_.lock() != catalog) {
    index_ = std::make_shared<const ItemTagIndex>(*catalog);
    index_catalog_ = catalog;
  }
  return index_;
}

absl::Status UserControls::CheckTagInCatalog(const std::string& tag) const {
  const std::shared_ptr<const Catalog> catalog = engine_->catalog();
  std::vector<Row> rows;
  TagIndex(catalog)->AppendRowsThatMayCarry(tag, rows);
  for (Row row : rows) {
    if (ItemCarriesTag(catalog->item(row), tag)) return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat(
      "no catalog item carries the tag '", tag,
      "' (tags are genres such as 'drama' or normalized user tags)"));
}

absl::StatusOr<UserSettings> UserControls::DeleteTag(UserId user,
                                                     absl::string_view tag) {
  FEEDGOV_ASSIGN_OR_RETURN(std::string t, NormalizeInterestTag(tag));
  FEEDGOV_RETURN_IF_ERROR(CheckTagInCatalog(t));
  return store_->Update(user, [&](UserSettings& s) {
    Erase(s.added_tags, t);
    InsertSorted(s.deleted_tags, t);
    return absl::OkStatus();
  });
}

absl::StatusOr<UserSettings> UserControls::AddTag(UserId user,
                                                  absl::string_view tag) {
  FEEDGOV_ASSIGN_OR_RETURN(std::string t, NormalizeInterestTag(tag));
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

std::vector<UserInteraction> UserControls::QueryRatings(
    const CatalogState& state, const UserSettings& settings,
    bool* any_removed) const {
  *any_removed = false;
  std::vector<UserInteraction> out;
  auto user_row = state.users->FindUser(settings.user);
  if (!user_row) return out;
  for (const UserInteraction& r : state.users->interactions(*user_row)) {
    auto row = state.catalog->FindRow(r.item);
    if (row && CarriesAny(state.catalog->item(*row), settings.deleted_tags)) {
      *any_removed = true;
      continue;
    }
    out.push_back(r);
  }
  return out;
}

absl::StatusOr<std::vector<float>> UserControls::FoldIn(
    const Catalog& catalog, absl::Span<const UserInteraction> ratings) const {
  std::shared_ptr<const AlsFoldIn> fold;
  {
    absl::MutexLock lock(&fold_mu_);
    if (fold_catalog_.get() != &catalog) {
      FEEDGOV_ASSIGN_OR_RETURN(
          AlsFoldIn f, AlsFoldIn::Create(catalog.embeddings(), options_.fold_in));
      fold_ = std::make_shared<const AlsFoldIn>(std::move(f));
      fold_catalog_ = engine_->catalog();
      if (fold_catalog_.get() != &catalog) {
        // The engine swapped catalogs meanwhile; do not cache a mismatch.
        fold_catalog_ = nullptr;
      }
    }
    fold = fold_;
  }
  std::vector<AlsRatedItem> rated;
  for (const UserInteraction& r : ratings) {
    if (auto row = catalog.FindRow(r.item)) {
      rated.push_back({*row, std::max(0.0f, r.rating)});
    }
  }
  FEEDGOV_ASSIGN_OR_RETURN(RowMatrixXf x, fold->Solve(rated));
  return std::vector<float>(x.data(), x.data() + x.size());
}

absl::Status UserControls::AddSeeLessFactors(const CatalogState& state,
                                             const UserSettings& settings,
                                             PersonalizationInputs& out) const {
  for (ItemId seed : settings.see_less) {
    auto row = state.catalog->FindRow(seed);
    if (!row) continue;
    out.item_factors.emplace_back(seed, options_.see_less_factor);
    if (options_.see_less_max_neighbours == 0) continue;
    FEEDGOV_ASSIGN_OR_RETURN(
        std::vector<Hit> hits,
        state.retriever->SearchAboveThreshold(
            state.catalog->embedding(*row),
            static_cast<float>(options_.see_less_cosine),
            options_.see_less_max_neighbours + 1, nullptr));
    for (const Hit& h : hits) {
      if (h.row == *row) continue;
      out.item_factors.emplace_back(state.catalog->item(h.row).id,
                                    options_.see_less_factor);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PersonalizationInputs> UserControls::Personal(
    const UserSettings& settings) const {
  std::shared_ptr<const CatalogState> state = engine_->state();
  const Catalog& catalog = *state->catalog;
  PersonalizationInputs p;
  p.not_interested = settings.not_interested;
  if (!settings.muted_authors.empty() || !settings.deleted_tags.empty() ||
      !settings.added_tags.empty()) {
    // Only rows that may match are read, in catalog order, so the result
    // equals a scan of the whole catalog.
    const std::shared_ptr<const ItemTagIndex> index = TagIndex(state->catalog);
    std::vector<Row> rows;
    for (const std::string& a : settings.muted_authors) {
      index->AppendRowsByAuthor(a, rows);
    }
    for (const auto* tags : {&settings.deleted_tags, &settings.added_tags}) {
      for (const std::string& t : *tags) index->AppendRowsThatMayCarry(t, rows);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    for (Row row : rows) {
      const Item& item = catalog.item(row);
      if (!item.author.empty() &&
          std::binary_search(settings.muted_authors.begin(),
                             settings.muted_authors.end(), item.author)) {
        p.not_interested.push_back(item.id);
      }
      if (CarriesAny(item, settings.deleted_tags)) {
        p.item_factors.emplace_back(item.id, options_.deleted_tag_factor);
      }
      if (CarriesAny(item, settings.added_tags)) {
        p.item_factors.emplace_back(item.id, options_.added_tag_factor);
      }
    }
  }
  FEEDGOV_RETURN_IF_ERROR(AddSeeLessFactors(*state, settings, p));
  if (!settings.deleted_tags.empty()) {
    bool any_removed = false;
    std::vector<UserInteraction> kept =
        QueryRatings(*state, settings, &any_removed);
    if (any_removed) {
      FEEDGOV_ASSIGN_OR_RETURN(p.query_override, FoldIn(catalog, kept));
    }
  }
  return p;
}

absl::StatusOr<RankRequest> UserControls::BuildRequest(
    UserId user, const std::string& surface, int page_size,
    const std::string& page_token) const {
  FEEDGOV_ASSIGN_OR_RETURN(UserSettings settings, store_->Get(user));
  RankRequest req;
  req.surface = surface;
  req.user = user;
  req.page_size = page_size;
  req.page_token = page_token;
  req.minors = settings.minors;
  req.personalization = settings.personalization;
  if (!settings.personalization) return req;  // Switch and minors only.
  FEEDGOV_ASSIGN_OR_RETURN(req.personal, Personal(settings));
  return req;
}

absl::StatusOr<std::vector<InterestTag>> UserControls::InterestTags(
    UserId user, int top_n) const {
  FEEDGOV_ASSIGN_OR_RETURN(UserSettings settings, store_->Get(user));
  std::shared_ptr<const CatalogState> state = engine_->state();
  absl::Span<const UserInteraction> history;
  if (auto row = state->users->FindUser(user)) {
    history = state->users->interactions(*row);
  }
  return DeriveInterestTags(history, *state->catalog, settings.deleted_tags,
                            settings.added_tags, forbidden_, top_n);
}

}  // namespace feedgov
