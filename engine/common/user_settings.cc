#include "engine/common/user_settings.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/common/utf8.h"

namespace feedgov {
namespace {

template <typename T>
void SortUnique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

absl::Status CheckText(absl::string_view field, const std::string& s) {
  if (s.empty() || s.size() > UserSettings::kMaxTextLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", Echo(s), "' must have 1 to ",
                     UserSettings::kMaxTextLength, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckTag(absl::string_view field, const std::string& tag) {
  FEEDGOV_RETURN_IF_ERROR(CheckText(field, tag));
  if (absl::AsciiStrToLower(tag) != tag ||
      absl::StripAsciiWhitespace(tag) != tag) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": tag '", Echo(tag), "' is not normalized (lower-case, trimmed)"));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status CheckSize(absl::string_view field, const std::vector<T>& v) {
  if (v.size() > UserSettings::kMaxListSize) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", v.size(),
                                                   " entries, at most ",
                                                   UserSettings::kMaxListSize));
  }
  return absl::OkStatus();
}

}  // namespace

void UserSettings::Normalize() {
  SortUnique(deleted_tags);
  SortUnique(added_tags);
  SortUnique(muted_authors);
  SortUnique(not_interested);
  SortUnique(see_less);
}

absl::Status UserSettings::Validate() const {
  FEEDGOV_RETURN_IF_ERROR(CheckSize("deleted_tags", deleted_tags));
  FEEDGOV_RETURN_IF_ERROR(CheckSize("added_tags", added_tags));
  FEEDGOV_RETURN_IF_ERROR(CheckSize("muted_authors", muted_authors));
  FEEDGOV_RETURN_IF_ERROR(CheckSize("not_interested", not_interested));
  FEEDGOV_RETURN_IF_ERROR(CheckSize("see_less", see_less));
  for (const std::string& t : deleted_tags) {
    FEEDGOV_RETURN_IF_ERROR(CheckTag("deleted_tags", t));
  }
  for (const std::string& t : added_tags) {
    FEEDGOV_RETURN_IF_ERROR(CheckTag("added_tags", t));
    if (std::find(deleted_tags.begin(), deleted_tags.end(), t) !=
        deleted_tags.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tag '", Echo(t), "' is both in deleted_tags and added_tags"));
    }
  }
  for (const std::string& a : muted_authors) {
    FEEDGOV_RETURN_IF_ERROR(CheckText("muted_authors", a));
  }
  return absl::OkStatus();
}

}  // namespace feedgov
