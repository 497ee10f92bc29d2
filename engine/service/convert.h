// File: engine/service/convert.h
//
// Conversions between the API messages (feedgov.v1, engine/proto) and the
// engine's types, shared by the server and the `feedgov client` commands,
// and the 1:1 mapping of absl::StatusCode to grpc::StatusCode (the numeric
// values are the same canonical codes).
//
// API conventions: positions are 1-based (engine pins are 0-based); times are
// Unix microseconds UTC (0 = "now" for a window start, "no end" for its end).
// Where the engine keeps whole seconds (UnixSeconds: label times, first
// seen), a microsecond value is floored to the second, and the deprecated
// seconds field it replaces is still read (ApiSeconds) and written.
// Thread-safety: pure functions.
#ifndef FEEDGOV_ENGINE_SERVICE_CONVERT_H_
#define FEEDGOV_ENGINE_SERVICE_CONVERT_H_

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/catalog/api_convert.h"
#include "engine/common/types.h"
#include "engine/common/utf8.h"
#include "engine/intervention/intervention.h"
#include "engine/rank/feed_engine.h"
#include "engine/store/audit_log.h"
#include "engine/store/user_settings_store.h"
#include "engine/user/interest_tags.h"
#include "engine/user/user_controls.h"
#include "feedgov/v1/catalog_service.pb.h"
#include "feedgov/v1/editor_service.pb.h"
#include "feedgov/v1/feed_service.pb.h"
#include "feedgov/v1/label.pb.h"
#include "feedgov/v1/user_control_service.pb.h"
#include "grpcpp/support/status.h"

namespace feedgov::service {

// Longest error message sent to a client (gRPC carries it in a header,
// whose size is limited); longer messages are cut with "…".
inline constexpr size_t kMaxErrorMessageBytes = 1024;
using ::feedgov::Echo;  // engine/common/utf8.h

// The status with its message cut to kMaxErrorMessageBytes.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// API times: Unix microseconds, the deprecated seconds beside them
// (engine/catalog/api_convert.h).
using ::feedgov::ApiMicros;
using ::feedgov::ApiSeconds;
using ::feedgov::kMaxApiSeconds;

// Labels: time_unix_us and the deprecated time_unix_s, both written.
// FromProto: INVALID_ARGUMENT "label 'x': source unspecified", or
// ApiSeconds' errors prefixed with "label 'x': ".
void LabelToProto(const Label& label, v1::ItemLabel* out);
absl::StatusOr<Label> LabelFromProto(const v1::ItemLabel& label);
// CatalogItem's first_seen_unix_us / first_seen_unix_s (0 when neither is
// set); errors as ApiSeconds.
absl::StatusOr<UnixSeconds> FirstSeenFromProto(const v1::CatalogItem& item);

void RankResponseToProto(const RankResponse& in, v1::RankResponse* out);
// Inverse, for printing on the client side (reasons parsed back to bits).
RankResponse RankResponseFromProto(const v1::RankResponse& in);

// API intervention -> engine request. `now` fills an unset start.
// INVALID_ARGUMENT for an unspecified kind or a pin position outside
// [1, kMaxPinPosition]. Field semantics are validated by the engine.
absl::StatusOr<Intervention> InterventionFromProto(const v1::Intervention& in,
                                                   absl::Time now);
void InterventionToProto(const Intervention& in, v1::Intervention* out);
void AuditEntryToProto(const AuditEntry& in, v1::AuditEntry* out);

// User controls (UserControlService).
void UserSettingsToProto(const UserSettings& in, v1::UserSettings* out);
void InterestTagToProto(const InterestTag& in, v1::InterestTag* out);
void ExplanationToProto(const Explanation& in, v1::WhyResponse* out);

int64_t ToUnixMicrosOrZero(absl::Time t);  // Infinite -> 0.

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_CONVERT_H_
