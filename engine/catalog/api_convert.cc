#include "engine/catalog/api_convert.h"

#include "absl/strings/str_cat.h"
#include "engine/catalog/proto_convert.h"
#include "engine/common/status_macros.h"
#include "engine/common/utf8.h"

namespace feedgov {

absl::StatusOr<UnixSeconds> ApiSeconds(absl::string_view us_name, int64_t us,
                                       absl::string_view s_name, int64_t s) {
  if (s < -kMaxApiSeconds || s > kMaxApiSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat(s_name, " ", s, " outside [", -kMaxApiSeconds, ", ",
                     kMaxApiSeconds, "] (seconds whose ", us_name,
                     " fits 64 bits)"));
  }
  if (us == 0) return s;
  // Floor, also for times before 1970: -1 us is second -1, not 0.
  const UnixSeconds floored = us / 1'000'000 - (us % 1'000'000 < 0 ? 1 : 0);
  if (s != 0 && s != floored) {
    return absl::InvalidArgumentError(
        absl::StrCat(us_name, " ", us, " and ", s_name, " ", s, " disagree; set ",
                     us_name, " only (", s_name, " is deprecated)"));
  }
  return floored;
}

int64_t ApiMicros(UnixSeconds s) {
  if (s > kMaxApiSeconds) return std::numeric_limits<int64_t>::max();
  if (s < -kMaxApiSeconds) return std::numeric_limits<int64_t>::min();
  return s * 1'000'000;
}

// The deprecated seconds fields are read here on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

absl::StatusOr<Label> ApiLabelFromProto(const v1::ItemLabel& label) {
  absl::StatusOr<UnixSeconds> time = ApiSeconds(
      "time_unix_us", label.time_unix_us(), "time_unix_s", label.time_unix_s());
  if (!time.ok()) {
    return Annotate(time.status(),
                    absl::StrCat("label '", Echo(label.name()), "'"));
  }
  FEEDGOV_ASSIGN_OR_RETURN(Label out, LabelFromProto(label));
  out.time = *time;
  return out;
}

absl::StatusOr<UnixSeconds> ApiFirstSeen(const v1::CatalogItem& item) {
  return ApiSeconds("first_seen_unix_us", item.first_seen_unix_us(),
                    "first_seen_unix_s", item.first_seen_unix_s());
}

#pragma GCC diagnostic pop

}  // namespace feedgov
