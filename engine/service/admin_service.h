// File: engine/service/admin_service.h
//
// feedgov.v1.AdminService (docs/api.md): ReloadPolicy (only files inside
// the policy directory), Stats and Version, for the admin role.
#ifndef FEEDGOV_ENGINE_SERVICE_ADMIN_SERVICE_H_
#define FEEDGOV_ENGINE_SERVICE_ADMIN_SERVICE_H_

#include <memory>
#include <string>

#include "engine/service/request_gate.h"
#include "feedgov/v1/admin_service.grpc.pb.h"

namespace feedgov::service {

std::unique_ptr<v1::AdminService::Service> MakeAdminService(RequestGate& gate);

// `path` with symlinks and `..` resolved (std::filesystem::weakly_canonical,
// so a missing file is still resolved), if it lies strictly inside `dir`
// (also resolved). PERMISSION_DENIED "policy path must be inside <dir>"
// otherwise, or when `dir` is empty. ReloadPolicy uses it with
// ServiceDeps::policy_dir so an admin cannot make the server read (and echo
// in a parse error) arbitrary files.
absl::StatusOr<std::string> PathInsideDir(const std::string& dir,
                                          const std::string& path);

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_ADMIN_SERVICE_H_
