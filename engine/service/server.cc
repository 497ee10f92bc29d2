#include "engine/service/server.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace feedgov::service {
namespace {

// gRPC threads beyond running + queued calls + pollers (see Start): room
// for a burst of calls arriving at once to reach the admission queue and be
// refused there ("server busy", logged) rather than by gRPC's thread cap.
constexpr int kThreadMargin = 64;

// Splits "host:port" / "[v6]:port". INVALID_ARGUMENT when malformed.
absl::Status SplitHostPort(const std::string& hp, std::string* host, int* port) {
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", hp, "': want host:port"));
  }
  *host = hp.substr(0, colon);
  if (!absl::SimpleAtoi(hp.substr(colon + 1), port) || *port < 0 ||
      *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address '", hp, "': port must be an integer in [0, 65535]"));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackAddress(const std::string& host_port) {
  std::string host;
  int port;
  if (!SplitHostPort(host_port, &host, &port).ok()) return false;
  return absl::StartsWith(host, "127.") || host == "localhost" ||
         host == "[::1]";
}

absl::Status ServerOptions::Validate() const {
  std::string host;
  int port;
  absl::Status s = SplitHostPort(listen, &host, &port);
  if (!s.ok()) return s;
  if (threads < 1 || threads > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads (--threads) ", threads, " outside [1, 256]"));
  }
  if (max_queued_calls < 0 || max_queued_calls > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_queued_calls (--max-queued-calls) ", max_queued_calls,
        " outside [0, 4096]"));
  }
  if (idle_threads < 1 || idle_threads > 4096) {
    return absl::InvalidArgumentError(absl::StrCat(
        "idle_threads (--idle-threads) ", idle_threads, " outside [1, 4096]"));
  }
  if (tls_cert_path.empty() != tls_key_path.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both --tls-cert and --tls-key");
  }
  if (max_receive_bytes < 1024 || max_receive_bytes > (256 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_receive_bytes ", max_receive_bytes, " outside [1024, 268435456]"));
  }
  if (tls_cert_path.empty() && !allow_insecure_remote &&
      !IsLoopbackAddress(listen)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing plaintext on non-loopback address ", listen,
        ": give --tls-cert and --tls-key, or --allow-insecure-remote if a TLS "
        "proxy fronts the server"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FeedgovServer>> FeedgovServer::Start(
    const ServerOptions& options, ServiceDeps deps) {
  absl::Status s = options.Validate();
  if (!s.ok()) return s;
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!options.tls_cert_path.empty()) {
    auto cert = ReadFile(options.tls_cert_path);
    if (!cert.ok()) return Annotate(cert.status(), "--tls-cert");
    auto key = ReadFile(options.tls_key_path);
    if (!key.ok()) return Annotate(key.status(), "--tls-key");
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }

  std::unique_ptr<FeedgovServer> server(new FeedgovServer);
  int unused;
  (void)SplitHostPort(options.listen, &server->host_, &unused);
  deps.admission.max_running = options.threads;
  deps.admission.max_waiting = options.max_queued_calls;
  FEEDGOV_ASSIGN_OR_RETURN(server->services_, Services::Create(std::move(deps)));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, creds, &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_bytes);
  // The sync server runs each call on its own thread until it returns, so
  // every call in flight (running or queued in either admission lane)
  // needs one, plus the pollers; the margin keeps gRPC's own refusal
  // ("Server Threadpool Exhausted") beyond the admission queues' bounds.
  // Idle threads poll for the next call; up to idle_threads of them are
  // kept instead of ended (ServerOptions::idle_threads).
  const int max_pollers = options.idle_threads;
  grpc::ResourceQuota quota("feedgov");
  quota.SetMaxThreads(options.threads + kControlLaneSlots +
                      2 * options.max_queued_calls + max_pollers +
                      kThreadMargin);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS, 1);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 1);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              max_pollers);
  server->services_->RegisterWith(builder);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen,
                     " (address in use or not local?)"));
  }
  if (auto* health = server->server_->GetHealthCheckService()) {
    // "" is the server as a whole; each service by its full name. Any
    // other name is NOT_FOUND.
    health->SetServingStatus(true);
    for (const std::string& name : ExposedServiceNames()) {
      health->SetServingStatus(name, true);
    }
  }
  return server;
}

FeedgovServer::~FeedgovServer() { Shutdown(absl::Seconds(5)); }

grpc::HealthCheckServiceInterface* FeedgovServer::health() {
  return server_ == nullptr ? nullptr : server_->GetHealthCheckService();
}

std::string FeedgovServer::address() const {
  return absl::StrCat(host_, ":", port_);
}

void FeedgovServer::Shutdown(absl::Duration grace) {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  if (auto* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(grace));
  server_->Wait();
}

}  // namespace feedgov::service
