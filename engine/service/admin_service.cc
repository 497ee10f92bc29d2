#include "engine/service/admin_service.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

#ifndef FEEDGOV_VERSION
#define FEEDGOV_VERSION "unknown"
#endif

namespace feedgov::service {
namespace {

constexpr RoleSet kAdminRoles = Allow(Role::kAdmin);

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(RequestGate& gate) : gate_(gate) {}

  grpc::Status ReloadPolicy(grpc::ServerContext* ctx,
                            const v1::ReloadPolicyRequest* req,
                            v1::ReloadPolicyResponse* resp) override {
    return gate_.Run(
        ctx, "AdminService.ReloadPolicy", kAdminRoles,
        [&](const Principal&) -> absl::Status {
          const std::string path =
              req->path().empty() ? gate_.deps().policy_path : req->path();
          if (path.empty()) {
            return absl::FailedPreconditionError(
                "the server has no --policy file; give path");
          }
          FEEDGOV_ASSIGN_OR_RETURN(std::string inside, PolicyPathInside(path));
          FEEDGOV_RETURN_IF_ERROR(
              gate_.deps().engine->ReloadPolicy(inside));
          auto pack = gate_.deps().engine->policy();
          resp->set_policy_id(pack->id);
          resp->set_policy_version(pack->version);
          return absl::OkStatus();
        });
  }

  // The policy directory: --policy-dir, else the directory of --policy.
  std::string PolicyDir() const {
    const ServiceDeps& deps = gate_.deps();
    if (!deps.policy_dir.empty() || deps.policy_path.empty())
      return deps.policy_dir;
    return std::filesystem::absolute(deps.policy_path).parent_path().string();
  }

  absl::StatusOr<std::string> PolicyPathInside(const std::string& path) const {
    return PathInsideDir(PolicyDir(), path);
  }

  grpc::Status Stats(grpc::ServerContext* ctx, const v1::StatsRequest*,
                     v1::StatsResponse* resp) override {
    return gate_.Run(
        ctx, "AdminService.Stats", kAdminRoles, [&](const Principal&) {
          FeedEngine& engine = *gate_.deps().engine;
          auto state = engine.state();
          resp->set_catalog_items(state->catalog->size());
          resp->set_deleted_items(static_cast<int32_t>(state->deleted.size()));
          resp->set_embedding_dim(state->catalog->dim());
          resp->set_users(state->users->size());
          resp->set_label_version(engine.labels()->version());
          resp->set_active_interventions(static_cast<int32_t>(
              gate_.deps().state->interventions().List(false).size()));
          auto pack = engine.policy();
          resp->set_policy_id(pack->id);
          resp->set_policy_version(pack->version);
          resp->set_requests(gate_.requests());
          resp->set_errors(gate_.errors());
          resp->set_invalid_utf8_requests(gate_.invalid_utf8_requests());
          resp->set_undecodable_requests(gate_.undecodable_requests());
          resp->set_uptime_s(
              absl::ToInt64Seconds(absl::Now() - gate_.started()));
          return absl::OkStatus();
        });
  }

  grpc::Status Version(grpc::ServerContext* ctx, const v1::VersionRequest*,
                       v1::VersionResponse* resp) override {
    return gate_.Run(ctx, "AdminService.Version", kAdminRoles,
                     [&](const Principal&) {
                       resp->set_server_version(FEEDGOV_VERSION);
                       resp->set_api("feedgov.v1");
                       return absl::OkStatus();
                     });
  }

 private:
  RequestGate& gate_;
};

}  // namespace

absl::StatusOr<std::string> PathInsideDir(const std::string& dir,
                                          const std::string& path) {
  namespace fs = std::filesystem;
  if (dir.empty()) {
    return absl::PermissionDeniedError(
        "the server has no policy directory (--policy-dir); reloads are "
        "refused");
  }
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(fs::absolute(dir), ec);
  if (ec) {
    return absl::PermissionDeniedError(absl::StrCat(
        "policy directory ", dir, " cannot be resolved: ", ec.message()));
  }
  const fs::path file = fs::weakly_canonical(fs::absolute(path), ec);
  const fs::path rel = ec ? fs::path() : file.lexically_relative(root);
  // Inside: a path below the directory (not the directory itself, not
  // leaving it with "..").
  if (rel.empty() || rel == "." || *rel.begin() == "..") {
    return absl::PermissionDeniedError(
        absl::StrCat("policy path must be inside ", root.string()));
  }
  return file.string();
}

std::unique_ptr<v1::AdminService::Service> MakeAdminService(RequestGate& gate) {
  return std::make_unique<AdminServiceImpl>(gate);
}

}  // namespace feedgov::service
