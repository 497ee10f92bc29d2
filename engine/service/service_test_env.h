// File: engine/service/service_test_env.h
//
// Test-only: one MovieLens snapshot per test binary, and an in-process
// FeedgovServer on 127.0.0.1:<ephemeral port> over it with a fresh state
// directory and one token per role. Header-only.
#ifndef FEEDGOV_ENGINE_SERVICE_SERVICE_TEST_ENV_H_
#define FEEDGOV_ENGINE_SERVICE_SERVICE_TEST_ENV_H_

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include "engine/common/sha256.h"
#include "engine/ingest/ingest.h"
#include "engine/runtime/open_engine.h"
#include "engine/runtime/state_dir.h"
#include "engine/service/auth.h"
#include "engine/service/server.h"
#include "engine/testing/test_data.h"
#include "feedgov/v1/admin_service.grpc.pb.h"
#include "feedgov/v1/catalog_service.grpc.pb.h"
#include "feedgov/v1/editor_service.grpc.pb.h"
#include "feedgov/v1/feed_service.grpc.pb.h"
#include "feedgov/v1/user_control_service.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace feedgov::service::testing {

// The MovieLens snapshot, built once. Under ctest (FEEDGOV_BINARY_DIR set)
// it is shared by every test process of the build, created under an flock
// so concurrent processes wait instead of ingesting twice; otherwise it
// goes to a per-process temporary directory.
inline const std::string& SnapshotDir() {
  static const std::string* dir = [] {
    const char* bin = std::getenv("FEEDGOV_BINARY_DIR");
    auto* d = new std::string(
        bin != nullptr && *bin != '\0'
            ? std::string(bin) + "/engine/service/service_test_snapshot"
            : ::feedgov::testing::MakeTempDir("feedgov_service_snapshot") + "/snap");
    const std::string lock_path = *d + ".lock";
    int fd = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd >= 0) ::flock(fd, LOCK_EX);
    if (!std::filesystem::exists(*d + "/MANIFEST.textproto")) {
      IngestOptions o;
      o.data_dir = ::feedgov::testing::DataDir("movielens_latest_small");
      o.out_dir = *d;
      absl::Status s = RunIngest(o);
      EXPECT_TRUE(s.ok()) << s;
    }
    if (fd >= 0) ::close(fd);  // Releases the lock.
    return d;
  }();
  return *dir;
}

// A deterministic well-formed token for a role name ("fgv_" + 64 hex).
inline std::string TokenFor(const std::string& who) {
  return "fgv_" + Sha256Hex("test-token-" + who);
}

// Keys of tokens(): the five roles, "user1" (user 1) and "user2" (user 2).
inline std::vector<TokenEntry> TestTokens() {
  std::vector<TokenEntry> out;
  auto add = [&](const std::string& key, Role role, std::optional<UserId> user) {
    TokenEntry e;
    e.hash_hex = Sha256Hex(TokenFor(key));
    e.principal.role = role;
    e.principal.name = key;
    e.principal.user = user;
    out.push_back(e);
  };
  add("feed-service", Role::kFeedService, std::nullopt);
  add("editor", Role::kEditor, std::nullopt);
  add("moderator", Role::kModerator, std::nullopt);
  add("admin", Role::kAdmin, std::nullopt);
  add("user1", Role::kUser, 1);
  add("user2", Role::kUser, 2);
  return out;
}

class ServerEnv {
 public:
  // Opens a fresh engine + state over the shared snapshot and starts the
  // server; with `state_dir` the existing state directory is reopened (a
  // restart). Check ok() (ASSERT in the test).
  explicit ServerEnv(ServerOptions options = {}, std::string state_dir = "",
                     std::shared_ptr<const LabelerSet> labelers = nullptr) {
    state_dir_ = !state_dir.empty()
                     ? std::move(state_dir)
                     : ::feedgov::testing::MakeTempDir("feedgov_service_state");
    OpenOptions o;
    o.snapshot_dir = SnapshotDir();
    auto engine = OpenEngine(o);
    if (!engine.ok()) { status_ = engine.status(); return; }
    engine_ = *std::move(engine);
    auto state = StateDir::Open(state_dir_, engine_.get(), &RealClock::Get());
    if (!state.ok()) { status_ = state.status(); return; }
    state_ = *std::move(state);
    tokens_ = TokenStore::FromEntries(TestTokens());
    ServiceDeps deps;
    deps.engine = engine_.get();
    deps.state = state_.get();
    deps.tokens = tokens_.get();
    deps.policy_path = DefaultPath("policies/cn-ecology.textproto");
    deps.log = &log_;
    deps.labelers = std::move(labelers);
    auto server = FeedgovServer::Start(options, deps);
    if (!server.ok()) { status_ = server.status(); return; }
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(),
                                   grpc::InsecureChannelCredentials());
  }
  ~ServerEnv() {
    if (server_) server_->Shutdown(absl::Seconds(2));
    server_.reset();  // Before the state and engine it serves.
  }

  const absl::Status& status() const { return status_; }
  FeedEngine& engine() { return *engine_; }
  RequestGate& gate() { return server_->services().gate(); }
  StateDir& state() { return *state_; }
  FeedgovServer& server() { return *server_; }
  const std::string& state_dir() const { return state_dir_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  std::string log() const { return log_.str(); }

  // A context authenticated as `who` (a TestTokens key), "" for no token,
  // or a raw authorization header when `who` starts with '!'.
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& who) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!who.empty() && who[0] == '!') {
      ctx->AddMetadata("authorization", who.substr(1));
    } else if (!who.empty()) {
      ctx->AddMetadata("authorization", "Bearer " + TokenFor(who));
    }
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  std::unique_ptr<v1::FeedService::Stub> feed() { return v1::FeedService::NewStub(channel_); }
  std::unique_ptr<v1::CatalogService::Stub> catalog() { return v1::CatalogService::NewStub(channel_); }
  std::unique_ptr<v1::EditorService::Stub> editor() { return v1::EditorService::NewStub(channel_); }
  std::unique_ptr<v1::AdminService::Stub> admin() { return v1::AdminService::NewStub(channel_); }
  std::unique_ptr<v1::UserControlService::Stub> user() { return v1::UserControlService::NewStub(channel_); }

 private:
  absl::Status status_;
  std::string state_dir_;
  std::unique_ptr<FeedEngine> engine_;
  std::unique_ptr<StateDir> state_;
  std::unique_ptr<TokenStore> tokens_;
  std::ostringstream log_;  // Written under the gate's log mutex.
  std::unique_ptr<FeedgovServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A unary call of `method` ("/feedgov.v1.FeedService/Rank") with raw
// request bytes, as a client with another schema (or a broken one) sends
// them; the response bytes go to `*response` when given.
inline grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                                 grpc::ClientContext* ctx,
                                 const std::string& method,
                                 const std::string& request,
                                 std::string* response = nullptr) {
  grpc::Slice slice(request);
  grpc::ByteBuffer request_bytes(&slice, 1);
  grpc::ByteBuffer response_bytes;
  grpc::GenericStub generic(channel);
  grpc::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  generic.UnaryCall(ctx, method, grpc::StubOptions(), &request_bytes,
                    &response_bytes, [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = std::move(s);
                      done = true;
                      cv.notify_all();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (response != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    if (!response_bytes.Dump(&slices).ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "response Dump failed");
    }
    response->clear();
    for (const grpc::Slice& s : slices) {
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

inline v1::RankRequest RankReq(std::optional<UserId> user, int page_size = 10,
                               const std::string& surface = "home") {
  v1::RankRequest r;
  r.set_surface(surface);
  if (user) r.set_user_id(*user);
  r.set_page_size(page_size);
  return r;
}

}  // namespace feedgov::service::testing

#endif  // FEEDGOV_ENGINE_SERVICE_SERVICE_TEST_ENV_H_
