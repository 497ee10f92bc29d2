#include "engine/service/editor_service.h"

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/service/convert.h"

namespace feedgov::service {
namespace {

constexpr RoleSet kEditorRoles = Allow(Role::kEditor) | Allow(Role::kAdmin);

class EditorServiceImpl final : public v1::EditorService::Service {
 public:
  explicit EditorServiceImpl(RequestGate& gate) : gate_(gate) {}

  grpc::Status CreateIntervention(grpc::ServerContext* ctx,
                                  const v1::CreateInterventionRequest* req,
                                  v1::Intervention* resp) override {
    return gate_.Run(ctx, "EditorService.CreateIntervention", kEditorRoles,
                     [&](const Principal& who) -> absl::Status {
                       FEEDGOV_ASSIGN_OR_RETURN(
                           Intervention iv, Request(who, req->intervention()));
                       FEEDGOV_ASSIGN_OR_RETURN(
                           Intervention made, manager().Create(std::move(iv)));
                       InterventionToProto(made, resp);
                       return absl::OkStatus();
                     });
  }

  grpc::Status ReplaceIntervention(grpc::ServerContext* ctx,
                                   const v1::ReplaceInterventionRequest* req,
                                   v1::Intervention* resp) override {
    return gate_.Run(
        ctx, "EditorService.ReplaceIntervention", kEditorRoles,
        [&](const Principal& who) -> absl::Status {
          if (req->replaces_id().empty()) {
            return absl::InvalidArgumentError("replaces_id is required");
          }
          FEEDGOV_ASSIGN_OR_RETURN(Intervention iv,
                                   Request(who, req->intervention()));
          FEEDGOV_ASSIGN_OR_RETURN(
              Intervention made,
              manager().Replace(req->replaces_id(), std::move(iv)));
          InterventionToProto(made, resp);
          return absl::OkStatus();
        });
  }

  grpc::Status RevokeIntervention(grpc::ServerContext* ctx,
                                  const v1::RevokeInterventionRequest* req,
                                  v1::RevokeInterventionResponse*) override {
    return gate_.Run(
        ctx, "EditorService.RevokeIntervention", kEditorRoles,
        [&](const Principal& who) -> absl::Status {
          if (req->id().empty())
            return absl::InvalidArgumentError("id is required");
          if (req->reason().empty()) {
            return absl::InvalidArgumentError("reason is required");
          }
          return manager().Revoke(req->id(), who.name, req->reason());
        });
  }

  grpc::Status ListInterventions(grpc::ServerContext* ctx,
                                 const v1::ListInterventionsRequest* req,
                                 v1::ListInterventionsResponse* resp) override {
    return gate_.Run(ctx, "EditorService.ListInterventions", kEditorRoles,
                     [&](const Principal&) {
                       for (const InterventionWithState& w :
                            manager().ListWithState(req->include_inactive())) {
                         v1::Intervention* out = resp->add_interventions();
                         InterventionToProto(w.intervention, out);
                         out->set_state(
                             std::string(InterventionStateName(w.state)));
                         out->set_state_reason(w.why);
                       }
                       return absl::OkStatus();
                     });
  }

  grpc::Status QueryAudit(grpc::ServerContext* ctx,
                          const v1::QueryAuditRequest* req,
                          v1::QueryAuditResponse* resp) override {
    return gate_.Run(
        ctx, "EditorService.QueryAudit", kEditorRoles,
        [&](const Principal&) -> absl::Status {
          const int limit = req->limit();
          if (limit < 1 || limit > kMaxAuditLimit) {
            return absl::InvalidArgumentError(absl::StrCat(
                "limit ", req->limit(), " outside [1, ", kMaxAuditLimit, "]"));
          }
          if (req->from_seq() < 0) {
            return absl::InvalidArgumentError(
                absl::StrCat("from_seq ", req->from_seq(), " is negative"));
          }
          FEEDGOV_ASSIGN_OR_RETURN(
              std::vector<AuditEntry> entries,
              gate_.deps().state->intervention_store().ListAudit());
          for (const AuditEntry& e : entries) {
            if (e.seq < req->from_seq()) continue;
            if (resp->entries_size() >= limit) break;
            AuditEntryToProto(e, resp->add_entries());
          }
          resp->set_head_seq(entries.empty() ? 0 : entries.back().seq);
          return absl::OkStatus();
        });
  }

  grpc::Status VerifyAudit(grpc::ServerContext* ctx,
                           const v1::VerifyAuditRequest*,
                           v1::VerifyAuditResponse* resp) override {
    return gate_.Run(
        ctx, "EditorService.VerifyAudit", kEditorRoles,
        [&](const Principal&) -> absl::Status {
          absl::Status verdict = manager().VerifyAudit();
          resp->set_ok(verdict.ok());
          resp->set_problem(std::string(verdict.message()));
          FEEDGOV_ASSIGN_OR_RETURN(
              std::vector<AuditEntry> entries,
              gate_.deps().state->intervention_store().ListAudit());
          resp->set_entries(static_cast<int64_t>(entries.size()));
          if (!entries.empty()) resp->set_head_hash(entries.back().hash);
          return absl::OkStatus();
        });
  }

 private:
  InterventionManager& manager() { return gate_.deps().state->interventions(); }

  absl::StatusOr<Intervention> Request(const Principal& who,
                                       const v1::Intervention& in) {
    FEEDGOV_ASSIGN_OR_RETURN(
        Intervention iv, InterventionFromProto(in, gate_.deps().clock->Now()));
    iv.editor = who.name;  // The audit actor is the authenticated caller.
    FEEDGOV_RETURN_IF_ERROR(ValidateIntervention(iv));
    return iv;
  }

  RequestGate& gate_;
};

}  // namespace

std::unique_ptr<v1::EditorService::Service> MakeEditorService(
    RequestGate& gate) {
  return std::make_unique<EditorServiceImpl>(gate);
}

}  // namespace feedgov::service
