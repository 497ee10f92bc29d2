#include "engine/service/services.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"
#include "engine/common/matrix.h"
#include "engine/common/status_macros.h"
#include "engine/governance/label_map.h"
#include "engine/pipeline/engine_factory.h"
#include "engine/service/convert.h"
#include "engine/user/interest_tags.h"

#ifndef FEEDGOV_VERSION
#define FEEDGOV_VERSION "unknown"
#endif

namespace feedgov::service {
namespace {

constexpr RoleSet kRankRoles =
    Allow(Role::kFeedService) | Allow(Role::kAdmin) | Allow(Role::kUser);
constexpr RoleSet kCatalogRoles = Allow(Role::kModerator) | Allow(Role::kAdmin);
constexpr RoleSet kEditorRoles = Allow(Role::kEditor) | Allow(Role::kAdmin);
constexpr RoleSet kAdminRoles = Allow(Role::kAdmin);
constexpr RoleSet kUserControlRoles = Allow(Role::kUser) | Allow(Role::kAdmin);

absl::Status CheckCount(absl::string_view field, int n, int max) {
  if (n < 1 || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", n, " entries outside [1, ", max, "]"));
  }
  return absl::OkStatus();
}

// INVALID_ARGUMENT "<field> of N bytes, at most 64" for a long name.
absl::Status CheckNameLength(absl::string_view field, absl::string_view value) {
  if (value.size() <= static_cast<size_t>(kMaxNameBytes)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, " of ", value.size(), " bytes, at most ", kMaxNameBytes));
}

// Rank and Why: the surface must be short and declared by the policy.
absl::Status CheckSurfaceId(const FeedEngine& engine, const std::string& surface) {
  FEEDGOV_RETURN_IF_ERROR(CheckNameLength("surface", surface));
  const auto pack = engine.policy();
  if (pack->FindSurface(surface) != nullptr) return absl::OkStatus();
  std::vector<std::string> ids;
  for (const Surface& s : pack->surfaces) ids.push_back(s.id);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown surface `", Echo(surface), "`; policy '", pack->id,
                   "' has: ", absl::StrJoin(ids, ", ")));
}

absl::StatusOr<std::vector<Label>> LabelsFromProto(
    ItemId item, const google::protobuf::RepeatedPtrField<v1::ItemLabel>& in) {
  if (in.size() > kMaxLabelsPerItem) {
    return absl::InvalidArgumentError(absl::StrCat(
        "item ", item, ": ", in.size(), " labels, at most ", kMaxLabelsPerItem));
  }
  std::vector<Label> out;
  for (const v1::ItemLabel& l : in) {
    FEEDGOV_RETURN_IF_ERROR(Annotate(CheckNameLength("label name", l.name()),
                                     absl::StrCat("item ", item)));
    auto label = LabelFromProto(l);
    if (!label.ok()) return Annotate(label.status(), absl::StrCat("item ", item));
    if (!std::isfinite(label->confidence) || label->confidence < 0 ||
        label->confidence > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "item ", item, ": label '", Echo(l.name()), "' confidence ", l.confidence(),
          " outside [0, 1]"));
    }
    out.push_back(*std::move(label));
  }
  return out;
}

// ---------------------------------------------------------------- Feed

class FeedServiceImpl final : public v1::FeedService::Service {
 public:
  FeedServiceImpl(RequestGate& gate, const UserControls& controls)
      : gate_(gate), controls_(controls) {}

  grpc::Status Rank(grpc::ServerContext* ctx, const v1::RankRequest* req,
                    v1::RankResponse* resp) override {
    return gate_.Run(ctx, "FeedService.Rank", kRankRoles,
                     [&](const Principal& who) {
      absl::Status status;
      gate_.rank_workers().Run([&] { status = DoRank(who, *req, resp); });
      return status;
    });
  }

 private:
  absl::Status DoRank(const Principal& who, const v1::RankRequest& req,
                      v1::RankResponse* resp) {
    FeedEngine& engine = *gate_.deps().engine;
    RankRequest r;
    r.surface = req.surface();
    FEEDGOV_RETURN_IF_ERROR(CheckSurfaceId(engine, r.surface));
    if (req.page_size() < 1 || req.page_size() > kMaxPageSize) {
      return absl::InvalidArgumentError(absl::StrCat(
          "page_size ", req.page_size(), " outside [1, ", kMaxPageSize, "]"));
    }
    if (req.page_token().size() > kMaxPageTokenBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "page_token of ", req.page_token().size(), " bytes, at most ",
          kMaxPageTokenBytes));
    }
    if (req.has_user_id()) {
      if (req.user_id() < 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "user_id ", req.user_id(), " must be >= 1 (leave it unset for an "
            "anonymous feed)"));
      }
      FEEDGOV_RETURN_IF_ERROR(CheckOwnUser(who, req.user_id()));
      r.user = req.user_id();
    } else if (who.user) {
      r.user = *who.user;  // A user token ranks its own feed.
    }
    if (r.user) {
      // The user's stored controls always apply (file comment of services.h).
      FEEDGOV_ASSIGN_OR_RETURN(r, StoredUserRequest(controls_, *r.user, req));
    } else {
      r.page_size = req.page_size();
      r.page_token = req.page_token();
      r.personalization = !req.disable_personalization();
      r.minors = req.minors();
    }
    FEEDGOV_ASSIGN_OR_RETURN(RankResponse page, engine.Rank(r));
    RankResponseToProto(page, resp);
    return absl::OkStatus();
  }

  RequestGate& gate_;
  const UserControls& controls_;
};

// ---------------------------------------------------------------- Catalog

class CatalogServiceImpl final : public v1::CatalogService::Service {
 public:
  explicit CatalogServiceImpl(RequestGate& gate) : gate_(gate) {}

  grpc::Status UpsertItems(grpc::ServerContext* ctx,
                           const v1::UpsertItemsRequest* req,
                           v1::UpsertItemsResponse* resp) override {
    return gate_.Run(ctx, "CatalogService.UpsertItems", kCatalogRoles,
                     [&](const Principal&) { return DoUpsert(*req, resp); });
  }

  grpc::Status DeleteItems(grpc::ServerContext* ctx,
                           const v1::DeleteItemsRequest* req,
                           v1::DeleteItemsResponse* resp) override {
    return gate_.Run(ctx, "CatalogService.DeleteItems", kCatalogRoles,
                     [&](const Principal&) -> absl::Status {
      FEEDGOV_RETURN_IF_ERROR(CheckCount("item_ids", req->item_ids_size(), kMaxIdBatch));
      std::vector<ItemId> ids(req->item_ids().begin(), req->item_ids().end());
      absl::MutexLock lock(&gate_.write_mu());
      FEEDGOV_RETURN_IF_ERROR(gate_.deps().engine->DeleteItems(ids));
      resp->set_deleted(static_cast<int32_t>(ids.size()));
      return absl::OkStatus();
    });
  }

  grpc::Status SetLabels(grpc::ServerContext* ctx, const v1::SetLabelsRequest* req,
                         v1::SetLabelsResponse* resp) override {
    return gate_.Run(ctx, "CatalogService.SetLabels", kCatalogRoles,
                     [&](const Principal&) -> absl::Status {
      FEEDGOV_RETURN_IF_ERROR(CheckCount("items", req->items_size(), kMaxIdBatch));
      std::vector<ItemLabelsUpdate> updates;
      for (const v1::ItemLabels& il : req->items()) {
        FEEDGOV_ASSIGN_OR_RETURN(std::vector<Label> labels,
                                 LabelsFromProto(il.item_id(), il.labels()));
        updates.push_back({il.item_id(), std::move(labels)});
      }
      absl::MutexLock lock(&gate_.write_mu());
      FEEDGOV_RETURN_IF_ERROR(gate_.deps().engine->UpdateLabels(std::move(updates)));
      resp->set_updated(req->items_size());
      return absl::OkStatus();
    });
  }

 private:
  absl::Status DoUpsert(const v1::UpsertItemsRequest& req,
                        v1::UpsertItemsResponse* resp) {
    FEEDGOV_RETURN_IF_ERROR(CheckCount("items", req.items_size(), kMaxUpsertBatch));
    FeedEngine& engine = *gate_.deps().engine;
    const int n = req.items_size();
    const int dim = engine.catalog()->dim();
    const UnixSeconds now = absl::ToUnixSeconds(gate_.deps().clock->Now());
    std::vector<Item> items;
    std::vector<ItemLabelsUpdate> labels;
    RowMatrixXf embeddings(n, dim);
    std::set<ItemId> seen;
    for (int i = 0; i < n; ++i) {
      const v1::CatalogItem& in = req.items(i);
      if (!seen.insert(in.item_id()).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("item ", in.item_id(), " appears twice in the request"));
      }
      if (in.embedding_size() != dim) {
        return absl::InvalidArgumentError(absl::StrCat(
            "item ", in.item_id(), ": embedding has ", in.embedding_size(),
            " floats, want ", dim));
      }
      double norm = 0;
      for (int j = 0; j < dim; ++j) {
        const float v = in.embedding(j);
        if (!std::isfinite(v)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "item ", in.item_id(), ": embedding[", j, "] is ",
              std::isnan(v) ? "NaN" : "Inf"));
        }
        embeddings(i, j) = v;
        norm += double{v} * v;
      }
      if (norm == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("item ", in.item_id(), ": embedding has zero norm"));
      }
      FEEDGOV_ASSIGN_OR_RETURN(std::vector<Label> ls,
                               LabelsFromProto(in.item_id(), in.labels()));
      labels.push_back({in.item_id(), std::move(ls)});
      Item item;
      item.id = in.item_id();
      item.title = in.title();
      item.genres.assign(in.genres().begin(), in.genres().end());
      // Stored as interest tags are matched (lower case, trimmed), so a
      // user can delete or add them (UserControlService).
      for (const std::string& tag : in.tags()) {
        absl::StatusOr<std::string> t = NormalizeInterestTag(tag);
        if (!t.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("item ", in.item_id(), ": tag '", Echo(tag),
                           "' must have 1 to 200 bytes after trimming"));
        }
        if (std::find(item.tags.begin(), item.tags.end(), *t) == item.tags.end()) {
          item.tags.push_back(*std::move(t));
        }
      }
      item.author = in.author();
      item.first_seen = in.first_seen_unix_s() != 0 ? in.first_seen_unix_s() : now;
      items.push_back(std::move(item));
    }
    absl::MutexLock lock(&gate_.write_mu());
    int replaced = 0;
    for (const Item& item : items) {
      if (engine.catalog()->FindRow(item.id)) ++replaced;
    }
    FEEDGOV_RETURN_IF_ERROR(
        engine.UpsertItems(std::move(items), embeddings, std::move(labels)));
    resp->set_added(n - replaced);
    resp->set_replaced(replaced);
    resp->set_catalog_size(engine.catalog()->size());
    return absl::OkStatus();
  }

  RequestGate& gate_;
};

// ---------------------------------------------------------------- Editor

class EditorServiceImpl final : public v1::EditorService::Service {
 public:
  explicit EditorServiceImpl(RequestGate& gate) : gate_(gate) {}

  grpc::Status CreateIntervention(grpc::ServerContext* ctx,
                                  const v1::CreateInterventionRequest* req,
                                  v1::Intervention* resp) override {
    return gate_.Run(ctx, "EditorService.CreateIntervention", kEditorRoles,
                     [&](const Principal& who) -> absl::Status {
      FEEDGOV_ASSIGN_OR_RETURN(Intervention iv, Request(who, req->intervention()));
      FEEDGOV_ASSIGN_OR_RETURN(Intervention made, manager().Create(std::move(iv)));
      InterventionToProto(made, resp);
      return absl::OkStatus();
    });
  }

  grpc::Status ReplaceIntervention(grpc::ServerContext* ctx,
                                   const v1::ReplaceInterventionRequest* req,
                                   v1::Intervention* resp) override {
    return gate_.Run(ctx, "EditorService.ReplaceIntervention", kEditorRoles,
                     [&](const Principal& who) -> absl::Status {
      if (req->replaces_id().empty()) {
        return absl::InvalidArgumentError("replaces_id is required");
      }
      FEEDGOV_ASSIGN_OR_RETURN(Intervention iv, Request(who, req->intervention()));
      FEEDGOV_ASSIGN_OR_RETURN(Intervention made,
                               manager().Replace(req->replaces_id(), std::move(iv)));
      InterventionToProto(made, resp);
      return absl::OkStatus();
    });
  }

  grpc::Status RevokeIntervention(grpc::ServerContext* ctx,
                                  const v1::RevokeInterventionRequest* req,
                                  v1::RevokeInterventionResponse*) override {
    return gate_.Run(ctx, "EditorService.RevokeIntervention", kEditorRoles,
                     [&](const Principal& who) -> absl::Status {
      if (req->id().empty()) return absl::InvalidArgumentError("id is required");
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
      for (const Intervention& iv : manager().List(req->include_inactive())) {
        InterventionToProto(iv, resp->add_interventions());
      }
      return absl::OkStatus();
    });
  }

  grpc::Status QueryAudit(grpc::ServerContext* ctx, const v1::QueryAuditRequest* req,
                          v1::QueryAuditResponse* resp) override {
    return gate_.Run(ctx, "EditorService.QueryAudit", kEditorRoles,
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
      FEEDGOV_ASSIGN_OR_RETURN(std::vector<AuditEntry> entries,
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

  grpc::Status VerifyAudit(grpc::ServerContext* ctx, const v1::VerifyAuditRequest*,
                           v1::VerifyAuditResponse* resp) override {
    return gate_.Run(ctx, "EditorService.VerifyAudit", kEditorRoles,
                     [&](const Principal&) -> absl::Status {
      absl::Status verdict = manager().VerifyAudit();
      resp->set_ok(verdict.ok());
      resp->set_problem(std::string(verdict.message()));
      FEEDGOV_ASSIGN_OR_RETURN(std::vector<AuditEntry> entries,
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
    FEEDGOV_ASSIGN_OR_RETURN(Intervention iv,
                             InterventionFromProto(in, gate_.deps().clock->Now()));
    iv.editor = who.name;  // The audit actor is the authenticated caller.
    FEEDGOV_RETURN_IF_ERROR(ValidateIntervention(iv));
    return iv;
  }

  RequestGate& gate_;
};

// ---------------------------------------------------------------- Admin

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(RequestGate& gate) : gate_(gate) {}

  grpc::Status ReloadPolicy(grpc::ServerContext* ctx,
                            const v1::ReloadPolicyRequest* req,
                            v1::ReloadPolicyResponse* resp) override {
    return gate_.Run(ctx, "AdminService.ReloadPolicy", kAdminRoles,
                     [&](const Principal&) -> absl::Status {
      const std::string path =
          req->path().empty() ? gate_.deps().policy_path : req->path();
      if (path.empty()) {
        return absl::FailedPreconditionError(
            "the server has no --policy file; give path");
      }
      FEEDGOV_ASSIGN_OR_RETURN(std::string inside, PolicyPathInside(path));
      FEEDGOV_RETURN_IF_ERROR(gate_.deps().engine->policies().Reload(inside));
      auto pack = gate_.deps().engine->policy();
      resp->set_policy_id(pack->id);
      resp->set_policy_version(pack->version);
      return absl::OkStatus();
    });
  }

  // The policy directory: --policy-dir, else the directory of --policy.
  std::string PolicyDir() const {
    const ServiceDeps& deps = gate_.deps();
    if (!deps.policy_dir.empty() || deps.policy_path.empty()) return deps.policy_dir;
    return std::filesystem::absolute(deps.policy_path).parent_path().string();
  }

  absl::StatusOr<std::string> PolicyPathInside(const std::string& path) const {
    return PathInsideDir(PolicyDir(), path);
  }

  grpc::Status Stats(grpc::ServerContext* ctx, const v1::StatsRequest*,
                     v1::StatsResponse* resp) override {
    return gate_.Run(ctx, "AdminService.Stats", kAdminRoles,
                     [&](const Principal&) {
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
      resp->set_uptime_s(absl::ToInt64Seconds(absl::Now() - gate_.started()));
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


// ---------------------------------------------------------------- User

absl::Status CheckTag(const std::string& tag) {
  if (absl::StripAsciiWhitespace(tag).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tag is required (1 to ", UserSettings::kMaxTextLength, " bytes)"));
  }
  if (tag.size() > UserSettings::kMaxTextLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("tag of ", tag.size(), " bytes, at most ",
                     UserSettings::kMaxTextLength));
  }
  return absl::OkStatus();
}

class UserControlServiceImpl final : public v1::UserControlService::Service {
 public:
  UserControlServiceImpl(RequestGate& gate, UserControls& controls)
      : gate_(gate), controls_(controls) {}

  grpc::Status GetSettings(grpc::ServerContext* ctx,
                           const v1::GetSettingsRequest* req,
                           v1::UserSettings* resp) override {
    return Run(ctx, "UserControlService.GetSettings", req->user_id(),
               [&](UserId user) -> absl::Status {
      FEEDGOV_ASSIGN_OR_RETURN(UserSettings s, controls_.Settings(user));
      UserSettingsToProto(s, resp);
      return absl::OkStatus();
    });
  }

  grpc::Status SetSettings(grpc::ServerContext* ctx,
                           const v1::SetSettingsRequest* req,
                           v1::UserSettings* resp) override {
    return Run(ctx, "UserControlService.SetSettings", req->user_id(),
               [&](UserId user) { return DoSetSettings(user, *req, resp); });
  }

  grpc::Status ListTags(grpc::ServerContext* ctx, const v1::ListTagsRequest* req,
                        v1::ListTagsResponse* resp) override {
    return Run(ctx, "UserControlService.ListTags", req->user_id(),
               [&](UserId user) -> absl::Status {
      FEEDGOV_RETURN_IF_ERROR(CheckTagTop("top_n", req->top_n()));
      return FillTags(user, req->top_n(), resp);
    });
  }

  grpc::Status DeleteTag(grpc::ServerContext* ctx,
                         const v1::DeleteTagRequest* req,
                         v1::ListTagsResponse* resp) override {
    return Run(ctx, "UserControlService.DeleteTag", req->user_id(),
               [&](UserId user) -> absl::Status {
      FEEDGOV_RETURN_IF_ERROR(CheckTag(req->tag()));
      FEEDGOV_RETURN_IF_ERROR(controls_.DeleteTag(user, req->tag()).status());
      return FillTags(user, 0, resp);
    });
  }

  grpc::Status AddTag(grpc::ServerContext* ctx, const v1::AddTagRequest* req,
                      v1::ListTagsResponse* resp) override {
    return Run(ctx, "UserControlService.AddTag", req->user_id(),
               [&](UserId user) -> absl::Status {
      FEEDGOV_RETURN_IF_ERROR(CheckTag(req->tag()));
      FEEDGOV_RETURN_IF_ERROR(controls_.AddTag(user, req->tag()).status());
      return FillTags(user, 0, resp);
    });
  }

  grpc::Status NotInterested(grpc::ServerContext* ctx,
                             const v1::NotInterestedRequest* req,
                             v1::NotInterestedResponse* resp) override {
    return Run(ctx, "UserControlService.NotInterested", req->user_id(),
               [&](UserId user) -> absl::Status {
      FEEDGOV_ASSIGN_OR_RETURN(UserSettings s,
                               controls_.NotInterested(user, req->item_id()));
      resp->set_not_interested_count(static_cast<int32_t>(s.not_interested.size()));
      UserSettingsToProto(s, resp->mutable_settings());
      return absl::OkStatus();
    });
  }

  grpc::Status Why(grpc::ServerContext* ctx, const v1::WhyRequest* req,
                   v1::WhyResponse* resp) override {
    return Run(ctx, "UserControlService.Why", req->user_id(),
               [&](UserId user) -> absl::Status {
      const std::string surface = req->surface().empty() ? "home" : req->surface();
      FEEDGOV_RETURN_IF_ERROR(CheckSurface(surface));
      FEEDGOV_ASSIGN_OR_RETURN(Explanation e,
                               controls_.Why(user, req->item_id(), surface));
      ExplanationToProto(e, resp);
      return absl::OkStatus();
    });
  }

  grpc::Status AboutFeed(grpc::ServerContext* ctx,
                         const v1::AboutFeedRequest* req,
                         v1::AboutFeedResponse* resp) override {
    return Run(ctx, "UserControlService.AboutFeed", req->user_id(),
               [&](UserId user) -> absl::Status {
      FEEDGOV_ASSIGN_OR_RETURN(std::string text, controls_.AboutThisFeed(user));
      FEEDGOV_ASSIGN_OR_RETURN(UserSettings s, controls_.Settings(user));
      const FeedEngine& engine = *gate_.deps().engine;
      const ScoringOptions& w = engine.options().scoring;
      auto pack = engine.policy();
      resp->set_text(std::move(text));
      resp->set_policy_id(pack->id);
      resp->set_policy_version(pack->version);
      resp->set_similarity_weight(w.similarity_weight);
      resp->set_popularity_weight(w.popularity_weight);
      resp->set_freshness_weight(w.freshness_weight);
      resp->set_popularity_half_life_days(w.popularity_half_life_days);
      resp->set_freshness_half_life_days(w.freshness_half_life_days);
      resp->set_personalization(s.personalization);
      resp->set_minors(s.minors);
      return absl::OkStatus();
    });
  }

 private:
  // Gate (roles user, admin), then the acting user (own id for a user
  // token), then `fn(user)`.
  template <typename Fn>
  grpc::Status Run(grpc::ServerContext* ctx, const char* method,
                   int64_t requested, Fn&& fn) {
    return gate_.Run(ctx, method, kUserControlRoles,
                     [&](const Principal& who) -> absl::Status {
      FEEDGOV_ASSIGN_OR_RETURN(UserId user, ActingUser(who, requested));
      return fn(user);
    });
  }

  absl::Status CheckSurface(const std::string& surface) const {
    return CheckSurfaceId(*gate_.deps().engine, surface);
  }

  absl::Status FillTags(UserId user, int top_n, v1::ListTagsResponse* resp) {
    FEEDGOV_ASSIGN_OR_RETURN(std::vector<InterestTag> tags,
                             controls_.InterestTags(user, top_n));
    for (const InterestTag& t : tags) InterestTagToProto(t, resp->add_tags());
    FEEDGOV_ASSIGN_OR_RETURN(UserSettings s, controls_.Settings(user));
    for (const std::string& t : s.deleted_tags) resp->add_deleted_tags(t);
    return absl::OkStatus();
  }

  // Validates every field, then applies them in order (each durable).
  absl::Status DoSetSettings(UserId user, const v1::SetSettingsRequest& req,
                             v1::UserSettings* resp) {
    if (!req.has_personalization() && !req.has_minors() &&
        !req.has_see_less_item_id() && !req.has_mute_author()) {
      return absl::InvalidArgumentError(
          "nothing to set: give personalization, minors, see_less_item_id or "
          "mute_author");
    }
    if (req.has_see_less_item_id() &&
        !gate_.deps().engine->catalog()->FindRow(req.see_less_item_id())) {
      return absl::NotFoundError(absl::StrCat(
          "see_less_item_id: item ", req.see_less_item_id(),
          " is not in the catalog"));
    }
    if (req.has_mute_author() &&
        (req.mute_author().empty() ||
         req.mute_author().size() > UserSettings::kMaxTextLength)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mute_author of ", req.mute_author().size(), " bytes outside [1, ",
          UserSettings::kMaxTextLength, "]"));
    }
    absl::StatusOr<UserSettings> out = controls_.Settings(user);
    if (req.has_personalization()) {
      out = controls_.SetPersonalization(user, req.personalization());
    }
    if (out.ok() && req.has_minors()) out = controls_.SetMinors(user, req.minors());
    if (out.ok() && req.has_see_less_item_id()) {
      out = controls_.SeeLess(user, req.see_less_item_id());
    }
    if (out.ok() && req.has_mute_author()) {
      out = controls_.MuteAuthor(user, req.mute_author());
    }
    if (!out.ok()) return out.status();
    UserSettingsToProto(*out, resp);
    return absl::OkStatus();
  }

  RequestGate& gate_;
  UserControls& controls_;
};

AdmissionOptions ControlLane(AdmissionOptions rank_lane) {
  rank_lane.max_running = kControlLaneSlots;
  rank_lane.lane = "non-Rank";
  return rank_lane;
}

}  // namespace

absl::StatusOr<std::string> PathInsideDir(const std::string& dir,
                                          const std::string& path) {
  namespace fs = std::filesystem;
  if (dir.empty()) {
    return absl::PermissionDeniedError(
        "the server has no policy directory (--policy-dir); reloads are refused");
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

absl::Status CheckTagTop(absl::string_view field, int64_t top) {
  if (top >= 0 && top <= kMaxTagTop) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " ", top, " outside [0, ", kMaxTagTop, "]"));
}

absl::Status CheckOwnUser(const Principal& who, UserId user) {
  if (who.role != Role::kUser || who.user == user) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "user token of user ", *who.user, " may not act for user ", user));
}

absl::StatusOr<UserId> ActingUser(const Principal& who, int64_t requested) {
  if (requested < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("user_id ", requested, " is negative"));
  }
  if (requested == 0) {
    if (who.user) return *who.user;
    return absl::InvalidArgumentError(absl::StrCat(
        "user_id is required for role ", RoleName(who.role),
        " (0 means the calling user token's own id)"));
  }
  FEEDGOV_RETURN_IF_ERROR(CheckOwnUser(who, requested));
  return requested;
}

absl::StatusOr<RankRequest> StoredUserRequest(const UserControls& controls,
                                              UserId user,
                                              const v1::RankRequest& req) {
  FEEDGOV_ASSIGN_OR_RETURN(
      RankRequest r, controls.BuildRequest(user, req.surface(), req.page_size(),
                                           req.page_token()));
  // The caller may only make the request stricter.
  r.minors = r.minors || req.minors();
  if (req.disable_personalization()) {
    r.personalization = false;
    r.personal = {};
  }
  return r;
}

RequestGate::RequestGate(ServiceDeps deps)
    : deps_(std::move(deps)),
      started_(absl::Now()),
      admission_(deps_.admission),
      control_admission_(ControlLane(deps_.admission)),
      rank_workers_(deps_.admission.max_running) {}

absl::Status RequestGate::Admit(grpc::ServerContext* ctx, const char* method,
                                AdmissionQueue** lane) {
  *lane = absl::string_view(method) == "FeedService.Rank" ? &admission_
                                                           : &control_admission_;
  const auto deadline = ctx->deadline();
  const absl::Time until =
      deadline == std::chrono::system_clock::time_point::max()
          ? absl::InfiniteFuture()
          : absl::FromChrono(deadline);
  return (*lane)->Acquire(until, [ctx] { return ctx->IsCancelled(); });
}

absl::StatusOr<Principal> RequestGate::Authenticate(grpc::ServerContext* ctx) {
  std::string header;
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) header.assign(it->second.data(), it->second.size());
  return deps_.tokens->Authenticate(header);
}

grpc::Status RequestGate::Finish(const char* method, const std::string& role,
                                 absl::Time start, const absl::Status& status) {
  requests_.fetch_add(1);
  if (!status.ok()) errors_.fetch_add(1);
  if (deps_.log != nullptr) {
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
    std::string line = absl::StrFormat(
        "rpc=%s role=%s code=%s ms=%.2f\n", method, role,
        absl::StatusCodeToString(status.code()), ms);
    absl::MutexLock lock(&log_mu_);
    *deps_.log << line << std::flush;
  }
  return ToGrpcStatus(status);
}

absl::StatusOr<std::unique_ptr<Services>> Services::Create(ServiceDeps deps) {
  if (deps.engine == nullptr || deps.state == nullptr || deps.tokens == nullptr) {
    return absl::InvalidArgumentError("engine, state and tokens are required");
  }
  FEEDGOV_RETURN_IF_ERROR(deps.admission.Validate());
  const std::string map_path =
      deps.label_map_path.empty()
          ? DefaultPath("policies/labelmaps/movielens.textproto")
          : deps.label_map_path;
  FEEDGOV_ASSIGN_OR_RETURN(
      LabelMap map, LoadLabelMap(map_path, deps.engine->policies().taxonomy()));
  std::unique_ptr<Services> s(new Services);
  FEEDGOV_ASSIGN_OR_RETURN(
      s->settings_, CachedUserSettingsStore::Load(&deps.state->user_settings()));
  FEEDGOV_ASSIGN_OR_RETURN(
      s->controls_, UserControls::Create(deps.engine, s->settings_.get(),
                                         std::move(map), deps.user_controls));
  s->gate_ = std::make_unique<RequestGate>(std::move(deps));
  s->feed_ = std::make_unique<FeedServiceImpl>(*s->gate_, *s->controls_);
  s->catalog_ = std::make_unique<CatalogServiceImpl>(*s->gate_);
  s->editor_ = std::make_unique<EditorServiceImpl>(*s->gate_);
  s->admin_ = std::make_unique<AdminServiceImpl>(*s->gate_);
  s->user_ = std::make_unique<UserControlServiceImpl>(*s->gate_, *s->controls_);
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
