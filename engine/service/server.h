// File: engine/service/server.h
//
// FeedgovServer: the gRPC server (`feedgov serve`). Hosts the feedgov.v1
// services (services.h), the standard health-checking service
// (grpc.health.v1.Health: SERVING while up, NOT_SERVING from Shutdown on,
// for "" (the server) and for each service's full name, e.g.
// "feedgov.v1.FeedService"; NOT_FOUND for any other name) and server
// reflection.
//
// Security: plaintext is allowed only on a loopback listen address
// (127.0.0.0/8, [::1], localhost) unless allow_insecure_remote is set;
// with tls_cert_path and tls_key_path the server speaks TLS
// (grpc::SslServerCredentials, no client certificates).
//
// Load: `threads` Rank calls run at once (other RPCs have their own lane of
// kControlLaneSlots); more calls in flight wait in a FIFO queue of at most
// `max_queued_calls` per lane (services.h, admission.h) instead of being
// refused. gRPC's own thread quota is set kThreadMargin (64) above those
// bounds, so its "Server Threadpool Exhausted" refusal (same code, not
// logged) is reached only by a burst of more simultaneous calls than that
// margin beyond the queues (docs/operations.md).
//
// Shutdown(grace): stops accepting new calls at once, lets calls in flight
// finish until the deadline, then cancels the rest. Writes are durable
// before they are acknowledged, so nothing acknowledged is lost.
//
// Thread-safety: Shutdown() may be called from any thread, once.
#ifndef FEEDGOV_ENGINE_SERVICE_SERVER_H_
#define FEEDGOV_ENGINE_SERVICE_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/service/services.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"

namespace feedgov::service {

struct ServerOptions {
  // host:port; port 0 picks a free port (see FeedgovServer::port()).
  std::string listen = "127.0.0.1:0";
  // FeedService.Rank calls running at once, [1, 256] (`--threads`).
  int threads = 4;
  // Calls waiting for a slot, per lane, [0, 4096] (`--max-queued-calls`);
  // one more is refused with RESOURCE_EXHAUSTED. Each waiting call holds a
  // gRPC thread (a blocked thread, no CPU).
  int max_queued_calls = 1024;
  // gRPC threads kept waiting for calls when idle, [1, 4096]
  // (`--idle-threads`). The sync server runs each call on its own thread
  // and ends a finished call's thread when more than this many are idle,
  // so calls in flight beyond it start and end a thread each (measured at
  // 64 calls in flight with 2 kept: 290 thread creations/s and 25% less
  // throughput). Idle threads block without CPU.
  int idle_threads = 128;
  // PEM files; both or neither.
  std::string tls_cert_path;
  std::string tls_key_path;
  // Allow plaintext on a non-loopback address (behind a TLS proxy only).
  bool allow_insecure_remote = false;
  // Largest request accepted, bytes, [1 KiB, 256 MiB]. Larger requests get
  // RESOURCE_EXHAUSTED from gRPC before any handler runs.
  int max_receive_bytes = 16 << 20;

  // INVALID_ARGUMENT naming the field; FAILED_PRECONDITION for plaintext on
  // a non-loopback address without allow_insecure_remote.
  absl::Status Validate() const;
};

// True for "127.x.y.z:p", "localhost:p", "[::1]:p".
bool IsLoopbackAddress(const std::string& host_port);

class FeedgovServer {
 public:
  // Builds the services over `deps` and starts listening.
  // Errors: Validate()'s, NOT_FOUND for missing TLS files, UNAVAILABLE when
  // the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<FeedgovServer>> Start(
      const ServerOptions& options, ServiceDeps deps);
  ~FeedgovServer();

  // The bound port (the chosen one when listening on port 0).
  int port() const { return port_; }
  // "host:port" with the bound port.
  std::string address() const;

  // See the file comment. Blocks until the server has stopped.
  void Shutdown(absl::Duration grace);

  Services& services() { return *services_; }
  // The grpc.health.v1 service's statuses (null before start).
  grpc::HealthCheckServiceInterface* health();

 private:
  FeedgovServer() = default;

  std::string host_;
  int port_ = 0;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
  bool stopped_ = false;
};

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_SERVER_H_
