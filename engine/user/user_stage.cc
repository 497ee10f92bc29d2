#include "engine/user/user_stage.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace feedgov {
namespace {

absl::Status Range(absl::string_view field, double v, double lo, double hi,
                   bool lo_open) {
  bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("UserStageOptions.", field, " = ", v, " outside ",
                   lo_open ? "(" : "[", lo, ", ", hi, "]"));
}

bool CarriesAny(const Item& item, absl::Span<const std::string> tags) {
  for (const std::string& t : tags) {
    if (ItemCarriesTag(item, t)) return true;
  }
  return false;
}

double Norm(absl::Span<const float> v) {
  double s = 0;
  for (float x : v) s += double{x} * x;
  return std::sqrt(s);
}

}  // namespace

absl::Status UserStageOptions::Validate() const {
  FEEDGOV_RETURN_IF_ERROR(
      Range("deleted_tag_factor", deleted_tag_factor, 0, 1, true));
  FEEDGOV_RETURN_IF_ERROR(
      Range("added_tag_factor", added_tag_factor, 1, kMaxUserFactor, false));
  FEEDGOV_RETURN_IF_ERROR(
      Range("see_less_factor", see_less_factor, 0, 1, true));
  FEEDGOV_RETURN_IF_ERROR(
      Range("see_less_cosine", see_less_cosine, 0, 1, false));
  FEEDGOV_RETURN_IF_ERROR(Range("see_less_max_neighbours",
                                see_less_max_neighbours, 0, 10000, false));
  return Annotate(fold_in.Validate(), "UserStageOptions.fold_in");
}

absl::StatusOr<UserSettingsChoice> ResolveSettings(
    const RankRequest& request, const UserSettingsStore* store) {
  UserSettingsChoice choice;
  AppliedSettings& a = choice.applied;
  if (!request.user.has_value()) {
    if (request.settings_override.has_value()) {
      return absl::InvalidArgumentError(
          "settings_override needs a user: an anonymous feed has no settings");
    }
    a.source = SettingsSource::kNone;
    a.user_personalization = false;
    a.minors = request.minors;
    return choice;
  }
  UserSettings settings;
  if (request.settings_override.has_value()) {
    settings = *request.settings_override;
    settings.Normalize();
    FEEDGOV_RETURN_IF_ERROR(Annotate(settings.Validate(), "settings_override"));
    a.source = SettingsSource::kOverride;
  } else {
    if (store != nullptr) {
      FEEDGOV_ASSIGN_OR_RETURN(settings, store->Get(*request.user));
    }
    a.source =
        store != nullptr ? SettingsSource::kStored : SettingsSource::kDefaults;
  }
  settings.user = *request.user;
  a.user_personalization = settings.personalization;
  a.user_minors = settings.minors;
  // The caller may only make the page stricter.
  a.personalization =
      settings.personalization && !request.disable_personalization;
  a.minors = settings.minors || request.minors;
  a.deleted_tags = static_cast<int>(settings.deleted_tags.size());
  a.added_tags = static_cast<int>(settings.added_tags.size());
  a.muted_authors = static_cast<int>(settings.muted_authors.size());
  a.not_interested = static_cast<int>(settings.not_interested.size());
  a.see_less = static_cast<int>(settings.see_less.size());
  choice.settings = std::move(settings);
  return choice;
}

absl::StatusOr<std::unique_ptr<UserStage>> UserStage::Create(
    UserStageOptions options) {
  FEEDGOV_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<UserStage>(new UserStage(std::move(options)));
}

std::shared_ptr<const ItemTagIndex> UserStage::TagIndex(
    const std::shared_ptr<const Catalog>& catalog) const {
  absl::MutexLock lock(&index_mu_);
  if (index_ == nullptr || index_catalog_.lock() != catalog) {
    index_ = std::make_shared<const ItemTagIndex>(*catalog);
    index_catalog_ = catalog;
  }
  return index_;
}

std::vector<UserInteraction> UserStage::QueryRatings(
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

absl::StatusOr<std::vector<float>> UserStage::FoldIn(
    const std::shared_ptr<const Catalog>& catalog,
    absl::Span<const UserInteraction> ratings) const {
  std::shared_ptr<const AlsFoldIn> fold;
  {
    absl::MutexLock lock(&fold_mu_);
    if (fold_ == nullptr || fold_catalog_.lock() != catalog) {
      FEEDGOV_ASSIGN_OR_RETURN(
          AlsFoldIn f,
          AlsFoldIn::Create(catalog->embeddings(), options_.fold_in));
      fold_ = std::make_shared<const AlsFoldIn>(std::move(f));
      fold_catalog_ = catalog;
    }
    fold = fold_;
  }
  std::vector<AlsRatedItem> rated;
  for (const UserInteraction& r : ratings) {
    if (auto row = catalog->FindRow(r.item)) {
      rated.push_back({*row, std::max(0.0f, r.rating)});
    }
  }
  FEEDGOV_ASSIGN_OR_RETURN(RowMatrixXf x, fold->Solve(rated));
  return std::vector<float>(x.data(), x.data() + x.size());
}

absl::Status UserStage::AddSeeLessFactors(const CatalogState& state,
                                          const UserSettings& settings,
                                          Inputs& out) const {
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

absl::StatusOr<UserStage::Inputs> UserStage::InputsFor(
    const UserSettings& settings, const CatalogState& state) const {
  const Catalog& catalog = *state.catalog;
  Inputs p;
  p.not_interested = settings.not_interested;
  if (!settings.muted_authors.empty() || !settings.deleted_tags.empty() ||
      !settings.added_tags.empty()) {
    // Only rows that may match are read, in catalog order, so the result
    // equals a scan of the whole catalog.
    const std::shared_ptr<const ItemTagIndex> index = TagIndex(state.catalog);
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
  FEEDGOV_RETURN_IF_ERROR(AddSeeLessFactors(state, settings, p));
  if (!settings.deleted_tags.empty()) {
    bool any_removed = false;
    std::vector<UserInteraction> kept =
        QueryRatings(state, settings, &any_removed);
    if (any_removed) {
      absl::StatusOr<std::vector<float>> folded = FoldIn(state.catalog, kept);
      if (folded.ok()) {
        p.query_override = *std::move(folded);
      } else {
        p.unusable_profile = folded.status().ToString();
      }
    }
  }
  return p;
}

absl::StatusOr<Personalization> UserStage::Apply(
    const UserSettingsChoice& choice, const CatalogState& state,
    RowSet& eligible) const {
  Personalization out;
  if (!choice.settings.has_value() || !choice.applied.personalization)
    return out;
  const UserSettings& settings = *choice.settings;
  FEEDGOV_ASSIGN_OR_RETURN(Inputs inputs, InputsFor(settings, state));
  const auto user_row = state.users->FindUser(settings.user);
  if (!inputs.unusable_profile.empty()) {
    // The profile without the deleted tags could not be computed; the
    // stored vector still carries them, so neither is used.
    out.degradations.push_back(absl::StrCat(
        "user ", settings.user, " profile could not be recomputed after a ",
        "deleted interest tag (", inputs.unusable_profile,
        "): non-personalized ranking"));
    return out;
  }
  if (!inputs.query_override.empty()) {
    out.query = std::move(inputs.query_override);
  } else if (user_row) {
    auto e = state.users->embedding(*user_row);
    out.query.assign(e.begin(), e.end());
  }
  if (out.query.empty()) {
    out.degradations.push_back(absl::StrCat(
        "user ", settings.user, " unknown: non-personalized ranking"));
    return out;
  }
  if (const double norm = Norm(out.query); !std::isfinite(norm) || norm == 0) {
    out.degradations.push_back(absl::StrCat(
        "user ", settings.user,
        " has no usable profile vector: non-personalized ranking"));
    out.query.clear();
    return out;
  }
  out.personalized = true;
  // Items the user already rated, or marked "not interested", are not
  // recommended again.
  if (user_row) {
    for (const UserInteraction& seen : state.users->interactions(*user_row)) {
      if (auto row = state.catalog->FindRow(seen.item)) eligible.erase(*row);
    }
  }
  for (ItemId id : inputs.not_interested) {
    if (auto row = state.catalog->FindRow(id)) eligible.erase(*row);
  }
  for (const auto& [id, factor] : inputs.item_factors) {
    auto row = state.catalog->FindRow(id);
    if (!row) continue;
    auto [it, inserted] = out.user_factor.emplace(*row, factor);
    if (!inserted) it->second *= factor;
  }
  return out;
}

}  // namespace feedgov
