// File: engine/service/services.h
//
// The feedgov.v1 gRPC services over one FeedEngine and its StateDir
// (docs/api.md), each in its own file: FeedService (feed_service.h),
// CatalogService (catalog_service.h), EditorService (editor_service.h),
// UserControlService (user_control_service.h) and AdminService
// (admin_service.h). They are registered through DecodingServices
// (request_decoder.h), which decode each request themselves so that bytes
// that are no valid request get INVALID_ARGUMENT naming the field. Every
// RPC goes through one RequestGate
// (request_gate.h): authentication, the role matrix, admission, status
// mapping and the request log.
//
// User controls: one UserControls (engine/user/user_controls.h) is built at
// start over the engine and the StateDir's user settings, which are the
// same cached settings the engine applies to every Rank for a named user
// (engine/runtime/state_dir.h): a UserControlService write is committed and
// in the cache before its reply, so the next Rank sees it.
//
// Concurrency: handlers run on the server's thread pool, except that an
// admitted Rank runs on one of `admission.max_running` EngineWorkers
// (engine_workers.h) while its gRPC thread waits: on the same few warm
// threads the engine took as little CPU per Rank as in process, on
// gRPC's per-call threads ~25% more (docs/benchmarks.md). Rank reads
// immutable snapshots and never waits for a writer; catalog/label writes are
// serialized by the gate's write mutex (and the catalog writer's own);
// interventions are serialized and made durable by the InterventionManager
// before the reply. Thread-safe.
#ifndef FEEDGOV_ENGINE_SERVICE_SERVICES_H_
#define FEEDGOV_ENGINE_SERVICE_SERVICES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/service/request_gate.h"
#include "engine/user/user_controls.h"
#include "feedgov/v1/admin_service.grpc.pb.h"
#include "feedgov/v1/catalog_service.grpc.pb.h"
#include "feedgov/v1/editor_service.grpc.pb.h"
#include "feedgov/v1/feed_service.grpc.pb.h"
#include "feedgov/v1/user_control_service.grpc.pb.h"
#include "grpcpp/server_builder.h"

namespace feedgov::service {

class DecodingService;

// The full names of the feedgov.v1 services the server exposes (each has a
// grpc.health.v1 status of its own).
std::vector<std::string> ExposedServiceNames();

// All services, registered on one builder.
class Services {
 public:
  // Loads the label map, builds the UserControls and the services. Errors:
  // INVALID_ARGUMENT for missing deps or bad options; the label map's.
  static absl::StatusOr<std::unique_ptr<Services>> Create(ServiceDeps deps);
  ~Services();
  void RegisterWith(grpc::ServerBuilder& builder);
  RequestGate& gate() { return *gate_; }
  UserControls& user_controls() { return *controls_; }

 private:
  Services() = default;
  // Every method of every service into wired_ (INTERNAL if one is missing).
  absl::Status Wire();

  std::unique_ptr<RequestGate> gate_;
  std::unique_ptr<UserControls> controls_;
  std::unique_ptr<v1::FeedService::Service> feed_;
  std::unique_ptr<v1::CatalogService::Service> catalog_;
  std::unique_ptr<v1::EditorService::Service> editor_;
  std::unique_ptr<v1::AdminService::Service> admin_;
  std::unique_ptr<v1::UserControlService::Service> user_;
  // What RegisterWith registers: the services above, method by method.
  std::vector<std::unique_ptr<DecodingService>> wired_;
};

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_SERVICES_H_
