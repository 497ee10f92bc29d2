#include "engine/service/services.h"

#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "engine/governance/label_map.h"
#include "engine/service/admin_service.h"
#include "engine/service/catalog_service.h"
#include "engine/service/editor_service.h"
#include "engine/service/feed_service.h"
#include "engine/service/user_control_service.h"

namespace feedgov::service {

absl::StatusOr<std::unique_ptr<Services>> Services::Create(ServiceDeps deps) {
  if (deps.engine == nullptr || deps.state == nullptr ||
      deps.tokens == nullptr) {
    return absl::InvalidArgumentError("engine, state and tokens are required");
  }
  FEEDGOV_RETURN_IF_ERROR(deps.admission.Validate());
  FEEDGOV_ASSIGN_OR_RETURN(
      LabelMap map,
      LoadLabelMap(PathOrDefault(deps.label_map_path,
                                 "policies/labelmaps/movielens.textproto"),
                   deps.engine->policies().taxonomy()));
  std::unique_ptr<Services> s(new Services);
  FEEDGOV_ASSIGN_OR_RETURN(
      s->controls_,
      UserControls::Create(deps.engine, std::move(map), deps.user_controls));
  s->gate_ = std::make_unique<RequestGate>(std::move(deps));
  s->feed_ = MakeFeedService(*s->gate_);
  s->catalog_ = MakeCatalogService(*s->gate_);
  s->editor_ = MakeEditorService(*s->gate_);
  s->admin_ = MakeAdminService(*s->gate_);
  s->user_ = MakeUserControlService(*s->gate_, *s->controls_);
  return s;
}

Services::~Services() = default;

void Services::RegisterWith(grpc::ServerBuilder& builder) {
  builder.RegisterService(feed_.get());
  builder.RegisterService(catalog_.get());
  builder.RegisterService(editor_.get());
  builder.RegisterService(admin_.get());
  builder.RegisterService(user_.get());
}

}  // namespace feedgov::service
