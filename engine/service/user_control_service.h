// File: engine/service/user_control_service.h
//
// feedgov.v1.UserControlService (docs/api.md): a user's settings, interest
// tags, "not interested", "see less", muted authors, Why and About, for the
// user role (own id only) and admin. Every write is durable and visible to
// the next Rank before the reply (engine/user/user_controls.h writes the
// state directory's settings, which the engine reads).
#ifndef FEEDGOV_ENGINE_SERVICE_USER_CONTROL_SERVICE_H_
#define FEEDGOV_ENGINE_SERVICE_USER_CONTROL_SERVICE_H_

#include <memory>
#include <string>

#include "engine/service/request_gate.h"
#include "feedgov/v1/user_control_service.grpc.pb.h"

namespace feedgov::service {

std::unique_ptr<v1::UserControlService::Service> MakeUserControlService(
    RequestGate& gate, UserControls& controls);

// INVALID_ARGUMENT "<field> N outside [0, kMaxTagTop]" (0 = all tags);
// shared by UserControlService.ListTags and the CLI's --top.
absl::Status CheckTagTop(absl::string_view field, int64_t top);

// An interest tag in a request (AddTag, DeleteTag): INVALID_ARGUMENT when
// blank or longer than UserSettings::kMaxTextLength bytes.
absl::Status CheckTag(const std::string& tag);

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_USER_CONTROL_SERVICE_H_
