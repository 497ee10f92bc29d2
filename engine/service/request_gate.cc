#include "engine/service/request_gate.h"

#include "absl/strings/str_format.h"
#include "engine/common/status_macros.h"
#include "engine/service/convert.h"
#include "engine/service/request_decoder.h"

namespace feedgov::service {
namespace {

AdmissionOptions ControlLane(AdmissionOptions rank_lane) {
  rank_lane.max_running = kControlLaneSlots;
  rank_lane.lane = "non-Rank";
  return rank_lane;
}

}  // namespace

absl::Status CheckCount(absl::string_view field, int n, int max) {
  if (n < 1 || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", n, " entries outside [1, ", max, "]"));
  }
  return absl::OkStatus();
}

absl::Status CheckNameLength(absl::string_view field, absl::string_view value) {
  if (value.size() <= static_cast<size_t>(kMaxNameBytes))
    return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, " of ", value.size(), " bytes, at most ", kMaxNameBytes));
}

absl::Status CheckOwnUser(const Principal& who, UserId user) {
  if (who.role != Role::kUser || who.user == user) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "user token of user ", *who.user, " may not act for user ", user));
}

absl::StatusOr<UserId> ActingUser(const Principal& who, int64_t requested) {
  if (requested < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("user_id ", requested, " is negative"));
  }
  if (requested == 0) {
    if (who.user) return *who.user;
    return absl::InvalidArgumentError(
        absl::StrCat("user_id is required for role ", RoleName(who.role),
                     " (0 means the calling user token's own id)"));
  }
  FEEDGOV_RETURN_IF_ERROR(CheckOwnUser(who, requested));
  return requested;
}

RequestGate::RequestGate(ServiceDeps deps)
    : deps_(std::move(deps)),
      started_(absl::Now()),
      admission_(deps_.admission),
      control_admission_(ControlLane(deps_.admission)),
      rank_workers_(deps_.admission.max_running),
      log_(deps_.log, kRejectLogLinesPerSecond, deps_.clock) {}

grpc::Status RequestGate::RefuseUndecodable(grpc::ServerContext* ctx,
                                            const char* method,
                                            const absl::Status& decode_error) {
  const absl::Time start = absl::Now();
  absl::StatusOr<Principal> who = Authenticate(ctx);
  if (!who.ok()) return Finish(method, "-", start, who.status());
  const RequestDefect defect = DefectOf(decode_error);
  (defect == RequestDefect::kInvalidUtf8 ? invalid_utf8_ : undecodable_)
      .fetch_add(1);
  return Finish(method, std::string(RoleName(who->role)), start, decode_error,
                RequestDefectName(defect == RequestDefect::kNone
                                      ? RequestDefect::kUndecodable
                                      : defect));
}

absl::Status RequestGate::Admit(grpc::ServerContext* ctx, const char* method,
                                AdmissionQueue** lane) {
  *lane = absl::string_view(method) == "FeedService.Rank" ? &admission_
                                                          : &control_admission_;
  const auto deadline = ctx->deadline();
  const absl::Time until =
      deadline == std::chrono::system_clock::time_point::max()
          ? absl::InfiniteFuture()
          : absl::FromChrono(deadline);
  return (*lane)->Acquire(until, [ctx] { return ctx->IsCancelled(); });
}

absl::StatusOr<Principal> RequestGate::Authenticate(grpc::ServerContext* ctx) {
  std::string header;
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) header.assign(it->second.data(), it->second.size());
  return deps_.tokens->Authenticate(header);
}

grpc::Status RequestGate::Finish(const char* method, const std::string& role,
                                 absl::Time start, const absl::Status& status,
                                 absl::string_view kind) {
  requests_.fetch_add(1);
  if (!status.ok()) errors_.fetch_add(1);
  if (deps_.log != nullptr) {
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
    std::string line =
        absl::StrFormat("rpc=%s role=%s code=%s ms=%.2f", method, role,
                        absl::StatusCodeToString(status.code()), ms);
    if (kind.empty()) {
      log_.Write(line);
    } else {
      absl::StrAppend(&line, " kind=", kind, " error=", status.message());
      log_.WriteLimited(kind, line);
    }
  }
  return ToGrpcStatus(status);
}

}  // namespace feedgov::service
