#include "engine/service/user_control_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/service/convert.h"
#include "engine/user/interest_tags.h"

namespace feedgov::service {

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

namespace {

constexpr RoleSet kUserControlRoles = Allow(Role::kUser) | Allow(Role::kAdmin);

class UserControlServiceImpl final : public v1::UserControlService::Service {
 public:
  UserControlServiceImpl(RequestGate& gate, UserControls& controls)
      : gate_(gate), controls_(controls) {}

  grpc::Status GetSettings(grpc::ServerContext* ctx,
                           const v1::GetSettingsRequest* req,
                           v1::UserSettings* resp) override {
    return Run(ctx, "UserControlService.GetSettings", req->user_id(),
               [&](UserId user) -> absl::Status {
                 FEEDGOV_ASSIGN_OR_RETURN(UserSettings s,
                                          controls_.Settings(user));
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

  grpc::Status ListTags(grpc::ServerContext* ctx,
                        const v1::ListTagsRequest* req,
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
                 FEEDGOV_RETURN_IF_ERROR(
                     controls_.DeleteTag(user, req->tag()).status());
                 return FillTags(user, 0, resp);
               });
  }

  grpc::Status AddTag(grpc::ServerContext* ctx, const v1::AddTagRequest* req,
                      v1::ListTagsResponse* resp) override {
    return Run(
        ctx, "UserControlService.AddTag", req->user_id(),
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
                 FEEDGOV_ASSIGN_OR_RETURN(
                     UserSettings s,
                     controls_.NotInterested(user, req->item_id()));
                 resp->set_not_interested_count(
                     static_cast<int32_t>(s.not_interested.size()));
                 UserSettingsToProto(s, resp->mutable_settings());
                 return absl::OkStatus();
               });
  }

  grpc::Status Why(grpc::ServerContext* ctx, const v1::WhyRequest* req,
                   v1::WhyResponse* resp) override {
    return Run(ctx, "UserControlService.Why", req->user_id(),
               [&](UserId user) -> absl::Status {
                 const std::string surface =
                     req->surface().empty() ? "home" : req->surface();
                 FEEDGOV_RETURN_IF_ERROR(CheckSurface(surface));
                 FEEDGOV_ASSIGN_OR_RETURN(
                     Explanation e,
                     controls_.Why(user, req->item_id(), surface));
                 ExplanationToProto(e, resp);
                 return absl::OkStatus();
               });
  }

  grpc::Status AboutFeed(grpc::ServerContext* ctx,
                         const v1::AboutFeedRequest* req,
                         v1::AboutFeedResponse* resp) override {
    return Run(
        ctx, "UserControlService.AboutFeed", req->user_id(),
        [&](UserId user) -> absl::Status {
          FEEDGOV_ASSIGN_OR_RETURN(std::string text,
                                   controls_.AboutThisFeed(user));
          FEEDGOV_ASSIGN_OR_RETURN(UserSettings s, controls_.Settings(user));
          const FeedEngine& engine = *gate_.deps().engine;
          const ScoringOptions& w = engine.scoring_options();
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
                       FEEDGOV_ASSIGN_OR_RETURN(UserId user,
                                                ActingUser(who, requested));
                       return fn(user);
                     });
  }

  absl::Status CheckSurface(const std::string& surface) const {
    FEEDGOV_RETURN_IF_ERROR(CheckNameLength("surface", surface));
    return gate_.deps().engine->policy()->SurfaceOrError(surface).status();
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
      return absl::NotFoundError(absl::StrCat("see_less_item_id: item ",
                                              req.see_less_item_id(),
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
    if (out.ok() && req.has_minors())
      out = controls_.SetMinors(user, req.minors());
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

}  // namespace

absl::Status CheckTagTop(absl::string_view field, int64_t top) {
  if (top >= 0 && top <= kMaxTagTop) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " ", top, " outside [0, ", kMaxTagTop, "]"));
}

std::unique_ptr<v1::UserControlService::Service> MakeUserControlService(
    RequestGate& gate, UserControls& controls) {
  return std::make_unique<UserControlServiceImpl>(gate, controls);
}

}  // namespace feedgov::service
