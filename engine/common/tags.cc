#include "engine/common/tags.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/utf8.h"

namespace feedgov {

std::string CanonicalTag(absl::string_view tag) {
  std::string out;
  out.reserve(tag.size());
  bool pending_space = false;
  for (char c : tag) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

absl::StatusOr<std::string> NormalizeTag(absl::string_view tag) {
  std::string out = CanonicalTag(tag);
  if (out.empty() || out.size() > kMaxTagBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("tag '", Echo(tag), "' must have 1 to ", kMaxTagBytes,
                     " bytes after trimming"));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> NormalizeTags(
    const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const std::string& tag : tags) {
    absl::StatusOr<std::string> t = NormalizeTag(tag);
    if (!t.ok()) return t.status();
    if (std::find(out.begin(), out.end(), *t) == out.end()) {
      out.push_back(*std::move(t));
    }
  }
  return out;
}

}  // namespace feedgov
