#include "engine/common/rank_types.h"

#include "absl/strings/str_cat.h"

namespace feedgov {

absl::Status CheckPageSize(int page_size) {
  if (page_size >= 1 && page_size <= kMaxPageSize) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "page_size ", page_size, " outside [1, ", kMaxPageSize, "]"));
}

absl::string_view SettingsSourceName(SettingsSource source) {
  switch (source) {
    case SettingsSource::kNone:
      return "NONE";
    case SettingsSource::kStored:
      return "STORED";
    case SettingsSource::kDefaults:
      return "DEFAULTS";
    case SettingsSource::kOverride:
      return "OVERRIDE";
  }
  return "NONE";
}

}  // namespace feedgov
