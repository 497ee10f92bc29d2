// File: engine/service/services.h
//
// The feedgov.v1 gRPC services over one FeedEngine and its StateDir:
// FeedService, CatalogService, EditorService, AdminService (and
// UserControlService once the user-controls backend exists; see
// docs/api.md). Every RPC goes through RequestGate: authenticate the bearer
// token, check the role (the matrix in docs/api.md), validate the request
// before touching the engine, run it, map the status 1:1 to gRPC, and log
// one line "rpc=<method> role=<role> code=<CODE> ms=<latency>".
//
// Concurrency: handlers run on the server's thread pool. Rank reads
// immutable snapshots and never waits for a writer; catalog/label writes are
// serialized by `write_mu` (and the engine's own writer lock); interventions
// are serialized and made durable by the InterventionManager before the
// reply. Thread-safe.
#ifndef FEEDGOV_ENGINE_SERVICE_SERVICES_H_
#define FEEDGOV_ENGINE_SERVICE_SERVICES_H_

#include <atomic>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/common/clock.h"
#include "engine/pipeline/feed_engine.h"
#include "engine/pipeline/state_dir.h"
#include "engine/service/auth.h"
#include "feedgov/v1/admin_service.grpc.pb.h"
#include "feedgov/v1/catalog_service.grpc.pb.h"
#include "feedgov/v1/editor_service.grpc.pb.h"
#include "feedgov/v1/feed_service.grpc.pb.h"
#include "grpcpp/server_builder.h"

namespace feedgov::service {

// Request bounds (also documented in docs/api.md).
inline constexpr int kMaxUpsertBatch = 1000;
inline constexpr int kMaxIdBatch = 10000;
inline constexpr int kMaxLabelsPerItem = 64;
inline constexpr int kMaxPageTokenBytes = 8192;
inline constexpr int kMaxAuditLimit = 1000;

struct ServiceDeps {
  FeedEngine* engine = nullptr;     // Required; outlives the services.
  StateDir* state = nullptr;        // Required; attached to `engine`.
  TokenStore* tokens = nullptr;     // Required.
  std::string policy_path;          // Default for AdminService.ReloadPolicy.
  std::ostream* log = nullptr;      // Request log; null = silent.
  const Clock* clock = &RealClock::Get();
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
  int64_t requests() const { return requests_.load(); }
  int64_t errors() const { return errors_.load(); }
  absl::Time started() const { return started_; }

 private:
  absl::StatusOr<Principal> Authenticate(grpc::ServerContext* ctx);
  grpc::Status Finish(const char* method, const std::string& role,
                      absl::Time start, const absl::Status& status);

  const ServiceDeps deps_;
  const absl::Time started_;
  absl::Mutex write_mu_;
  absl::Mutex log_mu_;
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> errors_{0};
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
                  absl::PermissionDeniedError(absl::StrCat(
                      "role ", role, " may not call ", method)));
  }
  return Finish(method, role, start, fn(*who));
}

// All services, registered on one builder.
class Services {
 public:
  explicit Services(ServiceDeps deps);
  ~Services();
  void RegisterWith(grpc::ServerBuilder& builder);
  RequestGate& gate() { return *gate_; }

 private:
  std::unique_ptr<RequestGate> gate_;
  std::unique_ptr<v1::FeedService::Service> feed_;
  std::unique_ptr<v1::CatalogService::Service> catalog_;
  std::unique_ptr<v1::EditorService::Service> editor_;
  std::unique_ptr<v1::AdminService::Service> admin_;
};

// The user a principal may act for: a user token only for its own id.
// PERMISSION_DENIED "user token of user 1 may not act for user 2".
absl::Status CheckOwnUser(const Principal& who, UserId user);

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_SERVICES_H_
