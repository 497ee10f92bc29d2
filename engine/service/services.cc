#include "engine/service/services.h"

#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "engine/governance/label_map.h"
#include "engine/service/admin_service.h"
#include "engine/service/catalog_service.h"
#include "engine/service/editor_service.h"
#include "engine/service/feed_service.h"
#include "engine/service/request_decoder.h"
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
  FEEDGOV_RETURN_IF_ERROR(s->Wire());
  return s;
}

absl::Status Services::Wire() {
  using Feed = v1::FeedService::Service;
  using Catalog = v1::CatalogService::Service;
  using Editor = v1::EditorService::Service;
  using User = v1::UserControlService::Service;
  using Admin = v1::AdminService::Service;
  RequestGate* gate = gate_.get();
  auto add = [&](const char* name) {
    return wired_.emplace_back(std::make_unique<DecodingService>(gate, name))
        .get();
  };
  DecodingService* feed = add("feedgov.v1.FeedService");
  feed->AddUnary(feed_.get(), "Rank", &Feed::Rank);
  DecodingService* catalog = add("feedgov.v1.CatalogService");
  catalog->AddUnary(catalog_.get(), "UpsertItems", &Catalog::UpsertItems);
  catalog->AddUnary(catalog_.get(), "DeleteItems", &Catalog::DeleteItems);
  catalog->AddUnary(catalog_.get(), "SetLabels", &Catalog::SetLabels);
  DecodingService* editor = add("feedgov.v1.EditorService");
  editor->AddUnary(editor_.get(), "CreateIntervention", &Editor::CreateIntervention);
  editor->AddUnary(editor_.get(), "ReplaceIntervention", &Editor::ReplaceIntervention);
  editor->AddUnary(editor_.get(), "RevokeIntervention", &Editor::RevokeIntervention);
  editor->AddUnary(editor_.get(), "ListInterventions", &Editor::ListInterventions);
  editor->AddUnary(editor_.get(), "QueryAudit", &Editor::QueryAudit);
  editor->AddUnary(editor_.get(), "VerifyAudit", &Editor::VerifyAudit);
  DecodingService* user = add("feedgov.v1.UserControlService");
  user->AddUnary(user_.get(), "GetSettings", &User::GetSettings);
  user->AddUnary(user_.get(), "SetSettings", &User::SetSettings);
  user->AddUnary(user_.get(), "ListTags", &User::ListTags);
  user->AddUnary(user_.get(), "DeleteTag", &User::DeleteTag);
  user->AddUnary(user_.get(), "AddTag", &User::AddTag);
  user->AddUnary(user_.get(), "NotInterested", &User::NotInterested);
  user->AddUnary(user_.get(), "Why", &User::Why);
  user->AddUnary(user_.get(), "AboutFeed", &User::AboutFeed);
  DecodingService* admin = add("feedgov.v1.AdminService");
  admin->AddUnary(admin_.get(), "ReloadPolicy", &Admin::ReloadPolicy);
  admin->AddUnary(admin_.get(), "Stats", &Admin::Stats);
  admin->AddUnary(admin_.get(), "Version", &Admin::Version);
  for (const auto& service : wired_) {
    FEEDGOV_RETURN_IF_ERROR(service->CheckComplete());
  }
  return absl::OkStatus();
}

std::vector<std::string> ExposedServiceNames() {
  return {"feedgov.v1.FeedService", "feedgov.v1.CatalogService",
          "feedgov.v1.EditorService", "feedgov.v1.UserControlService",
          "feedgov.v1.AdminService"};
}

Services::~Services() = default;

void Services::RegisterWith(grpc::ServerBuilder& builder) {
  for (const auto& service : wired_) builder.RegisterService(service.get());
}

}  // namespace feedgov::service
