// File: engine/service/request_gate.h
//
// RequestGate: the per-request plumbing every feedgov.v1 RPC goes through.
// Authenticate the bearer token, check the role (the matrix in
// docs/api.md), admit the call through its lane, run it, map the status
// 1:1 to gRPC, and log one line "rpc=<method> role=<role> code=<CODE>
// ms=<latency>".
//
// Admission: after the role check every RPC takes a slot of one of the
// gate's two AdmissionQueues (admission.h). FeedService.Rank uses the rank
// lane: at most `admission.max_running` calls (`--threads`) run at once.
// Every other RPC (catalog and label writes, editor, user controls, admin)
// uses the control lane of kControlLaneSlots slots, so writes never wait
// behind queued Ranks (and Ranks never behind writes). In both lanes later
// calls wait in FIFO order; a call is refused (RESOURCE_EXHAUSTED) only
// when `admission.max_waiting` calls already wait in its lane, or ends with
// DEADLINE_EXCEEDED / CANCELLED when its deadline passes or its client
// cancels while it waits. The logged ms include the wait.
//
// A request whose bytes cannot be decoded (invalid UTF-8 in a string
// field, not a protobuf message of the request type; request_decoder.h)
// never reaches a service: RefuseUndecodable checks the token
// (UNAUTHENTICATED first), then answers INVALID_ARGUMENT naming the field,
// counts it (invalid_utf8_requests / undecodable_requests, in
// AdminService.Stats) and logs it with `kind=...` and the error, at most
// kRejectLogLinesPerSecond lines per kind and second (rate_limited_log.h).
//
// Also here: the request bounds and the checks several services share.
//
// Thread-safety: thread-safe.
#ifndef FEEDGOV_ENGINE_SERVICE_REQUEST_GATE_H_
#define FEEDGOV_ENGINE_SERVICE_REQUEST_GATE_H_

#include <atomic>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/common/clock.h"
#include "engine/labeler/labeler_set.h"
#include "engine/rank/feed_engine.h"
#include "engine/response/page_token.h"
#include "engine/runtime/state_dir.h"
#include "engine/service/admission.h"
#include "engine/service/auth.h"
#include "engine/service/engine_workers.h"
#include "engine/service/rate_limited_log.h"
#include "engine/user/user_controls.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace feedgov::service {

// Request bounds (also documented in docs/api.md).
inline constexpr int kMaxUpsertBatch = 1000;
inline constexpr int kMaxIdBatch = 10000;
inline constexpr int kMaxLabelsPerItem = 64;
// Longest surface id, tag, author or other short name accepted in a request.
inline constexpr int kMaxNameBytes = 64;
// Longest page token: any token the engine produces for a chain of
// kMaxItemsPerChain items fits. Payload: each served id is a varint of at
// most 10 bytes, plus a header (field tags, the surface id, the scalar
// fields; generously 256 bytes + the surface id), plus the 16-byte
// integrity tag; base64url makes every started 3 bytes 4 characters.
// 67,116 bytes for 5,000 items.
inline constexpr int kMaxPageTokenBytes =
    (kMaxItemsPerChain * 10 + 256 + kMaxNameBytes + 16 + 2) / 3 * 4;
inline constexpr int kMaxAuditLimit = 1000;
inline constexpr int kMaxTagTop = 10000;
// Slots of the control lane (every RPC but FeedService.Rank).
inline constexpr int kControlLaneSlots = 2;
// Log lines per second for each kind of undecodable request.
inline constexpr int kRejectLogLinesPerSecond = 5;

struct ServiceDeps {
  FeedEngine* engine = nullptr;  // Required; outlives the services.
  StateDir* state = nullptr;     // Required; attached to `engine`.
  TokenStore* tokens = nullptr;  // Required.
  std::string policy_path;       // Default for AdminService.ReloadPolicy.
  // AdminService.ReloadPolicy only reads files inside this directory
  // (after resolving symlinks and `..`). Empty: the directory of
  // `policy_path`; both empty: every explicit path is refused.
  std::string policy_dir;
  // Label map deciding which interest tags are forbidden (illegal/bad
  // labels; UserControls). Empty: policies/labelmaps/movielens.textproto.
  std::string label_map_path;
  UserControlsOptions user_controls;  // Validated by Services::Create.
  AdmissionOptions admission;         // Validated by Services::Create.
  std::ostream* log = nullptr;        // Request log; null = silent.
  const Clock* clock = &RealClock::Get();
  // Built-in text labelers; null: none. UpsertItems labels the text of each
  // item for every labeler family the request does not label itself.
  std::shared_ptr<const LabelerSet> labelers;
};

// Bitmask of roles allowed to call an RPC.
using RoleSet = uint32_t;
constexpr RoleSet Allow(Role r) { return 1u << static_cast<int>(r); }

// Shared per-request plumbing; see the file comment.
class RequestGate {
 public:
  explicit RequestGate(ServiceDeps deps);

  // Authenticates, checks `allowed`, runs `fn(principal)` and logs. `fn`
  // returns absl::Status.
  template <typename Fn>
  grpc::Status Run(grpc::ServerContext* ctx, const char* method,
                   RoleSet allowed, Fn&& fn);

  const ServiceDeps& deps() const { return deps_; }
  absl::Mutex& write_mu() { return write_mu_; }
  // The rank lane (FeedService.Rank) and the control lane (everything else).
  AdmissionQueue& admission() { return admission_; }
  AdmissionQueue& control_admission() { return control_admission_; }
  // The threads admitted Ranks run on (as many as the rank lane's slots).
  EngineWorkers& rank_workers() { return rank_workers_; }
  int64_t requests() const { return requests_.load(); }
  int64_t errors() const { return errors_.load(); }
  // Requests refused by RefuseUndecodable, by defect.
  int64_t invalid_utf8_requests() const { return invalid_utf8_.load(); }
  int64_t undecodable_requests() const { return undecodable_.load(); }

  // A request whose bytes could not be decoded; `decode_error` is
  // DecodeRequest's INVALID_ARGUMENT (see the file comment).
  grpc::Status RefuseUndecodable(grpc::ServerContext* ctx, const char* method,
                                 const absl::Status& decode_error);
  absl::Time started() const { return started_; }

 private:
  absl::StatusOr<Principal> Authenticate(grpc::ServerContext* ctx);
  // The lane of `method`, then AdmissionQueue::Acquire with the call's
  // deadline and cancellation. On OK the caller releases `*lane`.
  absl::Status Admit(grpc::ServerContext* ctx, const char* method,
                     AdmissionQueue** lane);
  // Counts, logs and maps `status`; `kind` non-empty: a rate-limited line
  // with the kind and the error.
  grpc::Status Finish(const char* method, const std::string& role,
                      absl::Time start, const absl::Status& status,
                      absl::string_view kind = "");

  const ServiceDeps deps_;
  const absl::Time started_;
  AdmissionQueue admission_;
  AdmissionQueue control_admission_;
  EngineWorkers rank_workers_;
  absl::Mutex write_mu_;
  RateLimitedLog log_;
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> errors_{0};
  std::atomic<int64_t> invalid_utf8_{0};
  std::atomic<int64_t> undecodable_{0};
};

template <typename Fn>
grpc::Status RequestGate::Run(grpc::ServerContext* ctx, const char* method,
                              RoleSet allowed, Fn&& fn) {
  const absl::Time start = absl::Now();
  absl::StatusOr<Principal> who = Authenticate(ctx);
  if (!who.ok()) return Finish(method, "-", start, who.status());
  const std::string role(RoleName(who->role));
  if ((allowed & Allow(who->role)) == 0) {
    return Finish(method, role, start,
                  absl::PermissionDeniedError(
                      absl::StrCat("role ", role, " may not call ", method)));
  }
  AdmissionQueue* lane = nullptr;
  absl::Status admitted = Admit(ctx, method, &lane);
  if (!admitted.ok()) return Finish(method, role, start, admitted);
  absl::Status status = fn(*who);
  lane->Release();
  return Finish(method, role, start, status);
}

// The user a principal may act for: a user token only for its own id.
// PERMISSION_DENIED "user token of user 1 may not act for user 2".
absl::Status CheckOwnUser(const Principal& who, UserId user);

// The user a UserControlService request acts for: `requested` (checked by
// CheckOwnUser), or the user token's own id when `requested` is 0.
// INVALID_ARGUMENT for a negative id, or 0 from a token bound to no user.
absl::StatusOr<UserId> ActingUser(const Principal& who, int64_t requested);

// INVALID_ARGUMENT "<field>: N entries outside [1, max]".
absl::Status CheckCount(absl::string_view field, int n, int max);
// INVALID_ARGUMENT "<field> of N bytes, at most 64" for a name longer than
// kMaxNameBytes.
absl::Status CheckNameLength(absl::string_view field, absl::string_view value);

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_REQUEST_GATE_H_
