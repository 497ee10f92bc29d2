#include "engine/catalog/item_limits.h"

#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/catalog/label_table.h"
#include "engine/common/status_macros.h"
#include "engine/common/utf8.h"

namespace feedgov {
namespace {

absl::Status FieldError(ItemId item, absl::string_view field,
                        absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("item ", item, ": field '", field, "': ", what));
}

absl::Status CheckText(ItemId item, absl::string_view field,
                       absl::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return FieldError(item, field,
                      absl::StrCat(value.size(), " bytes, at most ", max_bytes));
  }
  if (size_t bad = FirstInvalidUtf8(value); bad != absl::string_view::npos) {
    return FieldError(item, field,
                      absl::StrCat("not valid UTF-8 (byte ", bad, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckList(ItemId item, absl::string_view field,
                       const std::vector<std::string>& values, int max_count,
                       size_t max_bytes) {
  if (values.size() > static_cast<size_t>(max_count)) {
    return FieldError(item, field,
                      absl::StrCat(values.size(), " entries, at most ", max_count));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string name = absl::StrCat(field, "[", i, "]");
    if (values[i].empty()) return FieldError(item, name, "empty");
    FEEDGOV_RETURN_IF_ERROR(CheckText(item, name, values[i], max_bytes));
  }
  return absl::OkStatus();
}

absl::Status CheckTime(ItemId item, absl::string_view field, UnixSeconds t,
                       UnixSeconds lo) {
  if (t < lo || t > kMaxUnixSeconds) {
    return FieldError(item, field,
                      absl::StrCat(t, " outside [", lo, ", ", kMaxUnixSeconds,
                                   "] Unix seconds"));
  }
  return absl::OkStatus();
}

absl::Status CheckNumber(ItemId item, absl::string_view field, double v,
                         double hi) {
  if (!std::isfinite(v) || v < 0 || v > hi) {
    return FieldError(item, field,
                      absl::StrCat(v, " is not a finite value in [0, ", hi, "]"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateItem(const Item& item) {
  const ItemId id = item.id;
  if (id < 0) return FieldError(id, "id", "negative; want >= 0");
  FEEDGOV_RETURN_IF_ERROR(CheckText(id, "title", item.title, kMaxTitleBytes));
  FEEDGOV_RETURN_IF_ERROR(
      CheckList(id, "genres", item.genres, kMaxGenres, kMaxGenreBytes));
  FEEDGOV_RETURN_IF_ERROR(
      CheckList(id, "tags", item.tags, kMaxTags, kMaxTagBytes));
  FEEDGOV_RETURN_IF_ERROR(
      CheckText(id, "author", item.author, kMaxAuthorBytes));
  FEEDGOV_RETURN_IF_ERROR(CheckTime(id, "first_seen", item.first_seen, 0));
  if (item.last_interaction != 0) {
    FEEDGOV_RETURN_IF_ERROR(CheckTime(id, "last_interaction",
                                      item.last_interaction, item.first_seen));
  }
  if (item.num_ratings < 0) {
    return FieldError(id, "num_ratings",
                      absl::StrCat(item.num_ratings, " is negative"));
  }
  FEEDGOV_RETURN_IF_ERROR(
      CheckNumber(id, "mean_rating", item.mean_rating, kMaxMeanRating));
  return CheckNumber(id, "decayed_popularity", item.decayed_popularity,
                     kMaxPopularity);
}

absl::Status ValidateItemLabels(ItemId item, const std::vector<Label>& labels) {
  if (labels.size() > static_cast<size_t>(kMaxLabelsPerItem)) {
    return FieldError(item, "labels",
                      absl::StrCat(labels.size(), " labels, at most ",
                                   kMaxLabelsPerItem));
  }
  absl::flat_hash_map<absl::string_view, float> confidence_of;
  for (size_t i = 0; i < labels.size(); ++i) {
    const Label& l = labels[i];
    const std::string field = absl::StrCat("labels[", i, "]");
    FEEDGOV_RETURN_IF_ERROR(
        CheckText(item, absl::StrCat(field, ".name"), l.name,
                  kMaxLabelNameBytes));
    FEEDGOV_RETURN_IF_ERROR(
        Annotate(ValidateLabel(l), absl::StrCat("item ", item, ": ", field)));
    FEEDGOV_RETURN_IF_ERROR(
        CheckTime(item, absl::StrCat(field, ".time"), l.time, 0));
    auto [it, inserted] = confidence_of.emplace(l.name, l.confidence);
    if (!inserted) {
      return FieldError(
          item, field,
          it->second == l.confidence
              ? absl::StrCat("label '", Echo(l.name), "' appears twice")
              : absl::StrCat("label '", Echo(l.name),
                             "' appears twice with conflicting confidences ",
                             it->second, " and ", l.confidence));
    }
  }
  return absl::OkStatus();
}

}  // namespace feedgov
