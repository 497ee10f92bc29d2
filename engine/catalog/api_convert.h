// File: engine/catalog/api_convert.h
//
// Times of the API's catalog messages (feedgov.v1.CatalogItem, ItemLabel):
// Unix microseconds (`*_unix_us`), with the deprecated seconds fields
// (`*_unix_s`) still read, converted to the engine's whole seconds. Shared
// by the CatalogService (engine/service/convert.h) and the JSON Lines item
// ingest (engine/ingest/items_jsonl.h), which reads the same message.
//
// Thread-safety: pure functions.
#ifndef FEEDGOV_ENGINE_CATALOG_API_CONVERT_H_
#define FEEDGOV_ENGINE_CATALOG_API_CONVERT_H_

#include <cstdint>
#include <limits>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/common/types.h"
#include "feedgov/v1/catalog_service.pb.h"
#include "feedgov/v1/label.pb.h"

namespace feedgov {

// Largest |seconds| whose microseconds fit an int64: 9,223,372,036,854.
inline constexpr int64_t kMaxApiSeconds =
    std::numeric_limits<int64_t>::max() / 1'000'000;

// An API time given as `us_name` (microseconds) and the deprecated
// `s_name` (seconds), 0 meaning unset, as the engine's whole seconds:
// floor(us / 1e6) when `us` is set, else `s`. INVALID_ARGUMENT when both
// are set and floor(us / 1e6) != s ("first_seen_unix_us 5000000 and
// first_seen_unix_s 4 disagree; ..."), or `s` is outside
// [-kMaxApiSeconds, kMaxApiSeconds].
absl::StatusOr<UnixSeconds> ApiSeconds(absl::string_view us_name, int64_t us,
                                       absl::string_view s_name, int64_t s);
// Seconds as microseconds (|s| <= kMaxApiSeconds; saturated beyond).
int64_t ApiMicros(UnixSeconds s);

// An API label: INVALID_ARGUMENT "label 'x': source unspecified", or
// ApiSeconds' errors prefixed with "label 'x': ".
absl::StatusOr<Label> ApiLabelFromProto(const v1::ItemLabel& label);
// CatalogItem's first_seen_unix_us / first_seen_unix_s (0 when neither is
// set); errors as ApiSeconds.
absl::StatusOr<UnixSeconds> ApiFirstSeen(const v1::CatalogItem& item);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_API_CONVERT_H_
