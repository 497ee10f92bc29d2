#include "engine/service/feed_service.h"

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/service/convert.h"

namespace feedgov::service {

absl::StatusOr<RankRequest> ToRankRequest(const Principal& who,
                                          const v1::RankRequest& req) {
  RankRequest r;
  FEEDGOV_RETURN_IF_ERROR(CheckNameLength("surface", req.surface()));
  if (req.page_token().size() > kMaxPageTokenBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token of ", req.page_token().size(),
                     " bytes, at most ", kMaxPageTokenBytes));
  }
  if (req.has_user_id()) {
    if (req.user_id() < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("user_id ", req.user_id(),
                       " must be >= 1 (leave it unset for an "
                       "anonymous feed)"));
    }
    FEEDGOV_RETURN_IF_ERROR(CheckOwnUser(who, req.user_id()));
    r.user = req.user_id();
  } else if (who.user) {
    r.user = *who.user;  // A user token ranks its own feed.
  }
  r.surface = req.surface();
  r.page_size = req.page_size();
  r.page_token = req.page_token();
  r.disable_personalization = req.disable_personalization();
  r.minors = req.minors();
  return r;
}

namespace {

constexpr RoleSet kRankRoles =
    Allow(Role::kFeedService) | Allow(Role::kAdmin) | Allow(Role::kUser);

class FeedServiceImpl final : public v1::FeedService::Service {
 public:
  explicit FeedServiceImpl(RequestGate& gate) : gate_(gate) {}

  grpc::Status Rank(grpc::ServerContext* ctx, const v1::RankRequest* req,
                    v1::RankResponse* resp) override {
    return gate_.Run(
        ctx, "FeedService.Rank", kRankRoles, [&](const Principal& who) {
          absl::Status status;
          gate_.rank_workers().Run([&] { status = DoRank(who, *req, resp); });
          return status;
        });
  }

 private:
  absl::Status DoRank(const Principal& who, const v1::RankRequest& req,
                      v1::RankResponse* resp) {
    FEEDGOV_ASSIGN_OR_RETURN(RankRequest r, ToRankRequest(who, req));
    FEEDGOV_ASSIGN_OR_RETURN(RankResponse page, gate_.deps().engine->Rank(r));
    RankResponseToProto(page, resp);
    return absl::OkStatus();
  }

  RequestGate& gate_;
};

}  // namespace

std::unique_ptr<v1::FeedService::Service> MakeFeedService(RequestGate& gate) {
  return std::make_unique<FeedServiceImpl>(gate);
}

}  // namespace feedgov::service
