// Authorization matrix: every RPC x every role, plus no token, a malformed
// token, an unknown token and a user token naming another user. Allowed
// calls use requests that are refused by validation or lookup (so the
// matrix writes nothing), and the oracle is the exact code each one gets.
#include <functional>
#include <map>

#include "engine/service/service_test_env.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov::service::testing {
namespace {

using Call = std::function<grpc::Status(ServerEnv&, const std::string& who)>;

struct Rpc {
  std::string name;
  std::set<std::string> allowed;  // TestTokens keys.
  grpc::StatusCode allowed_code;  // What an allowed caller gets.
  Call call;
};

template <typename Stub, typename Req, typename Resp>
Call Make(std::unique_ptr<Stub> (ServerEnv::*stub)(),
          grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
          Req req) {
  return [=](ServerEnv& env, const std::string& who) {
    Resp resp;
    auto s = (env.*stub)();
    return ((*s).*method)(ServerEnv::Ctx(who).get(), req, &resp);
  };
}

// Every UserControlService RPC acting for `user`, with requests that are
// read-only or refused by validation/lookup (nothing is written).
std::vector<Rpc> UserControlRpcs(UserId user) {
  using C = grpc::StatusCode;
  using S = v1::UserControlService::Stub;
  const std::set<std::string> roles = {"admin", "user1"};
  v1::GetSettingsRequest get;
  get.set_user_id(user);
  v1::SetSettingsRequest set;  // Nothing set: INVALID_ARGUMENT.
  set.set_user_id(user);
  v1::ListTagsRequest list;
  list.set_user_id(user);
  v1::DeleteTagRequest del;  // Empty tag: INVALID_ARGUMENT.
  del.set_user_id(user);
  v1::AddTagRequest add;
  add.set_user_id(user);
  v1::NotInterestedRequest ni;
  ni.set_user_id(user);
  ni.set_item_id(-42);  // Unknown item: NOT_FOUND.
  v1::WhyRequest why;
  why.set_user_id(user);
  why.set_item_id(-42);
  v1::AboutFeedRequest about;
  about.set_user_id(user);
  return {
      {"UserControlService.GetSettings", roles, C::OK,
       Make(&ServerEnv::user, &S::GetSettings, get)},
      {"UserControlService.SetSettings", roles, C::INVALID_ARGUMENT,
       Make(&ServerEnv::user, &S::SetSettings, set)},
      {"UserControlService.ListTags", roles, C::OK,
       Make(&ServerEnv::user, &S::ListTags, list)},
      {"UserControlService.DeleteTag", roles, C::INVALID_ARGUMENT,
       Make(&ServerEnv::user, &S::DeleteTag, del)},
      {"UserControlService.AddTag", roles, C::INVALID_ARGUMENT,
       Make(&ServerEnv::user, &S::AddTag, add)},
      {"UserControlService.NotInterested", roles, C::NOT_FOUND,
       Make(&ServerEnv::user, &S::NotInterested, ni)},
      {"UserControlService.Why", roles, C::NOT_FOUND,
       Make(&ServerEnv::user, &S::Why, why)},
      {"UserControlService.AboutFeed", roles, C::OK,
       Make(&ServerEnv::user, &S::AboutFeed, about)},
  };
}

std::vector<Rpc> AllRpcs() {
  using C = grpc::StatusCode;
  const std::set<std::string> rank = {"feed-service", "admin", "user1"};
  const std::set<std::string> catalog = {"moderator", "admin"};
  const std::set<std::string> editor = {"editor", "admin"};
  const std::set<std::string> admin = {"admin"};
  v1::DeleteItemsRequest del;
  del.add_item_ids(-42);  // Unknown: NOT_FOUND, nothing deleted.
  v1::SetLabelsRequest labels;
  labels.add_items()->set_item_id(-42);
  v1::ReplaceInterventionRequest replace;
  replace.set_replaces_id("iv-999999");
  replace.mutable_intervention()->set_kind(v1::INTERVENTION_KIND_SUPPRESS_ITEM);
  replace.mutable_intervention()->set_item_id(6);
  replace.mutable_intervention()->set_reason("r");
  v1::QueryAuditRequest audit;
  audit.set_limit(100);
  v1::RevokeInterventionRequest revoke;
  revoke.set_id("iv-999999");
  revoke.set_reason("r");
  v1::ReloadPolicyRequest reload;
  // Inside the policy directory (policies/), so the file lookup decides.
  reload.set_path(DefaultPath("policies/nonexistent.textproto"));
  auto u = UserControlRpcs(1);
  std::vector<Rpc> all = {
      {"FeedService.Rank", rank, C::OK,
       Make(&ServerEnv::feed, &v1::FeedService::Stub::Rank, RankReq(1, 5))},
      {"CatalogService.UpsertItems", catalog, C::INVALID_ARGUMENT,
       Make(&ServerEnv::catalog, &v1::CatalogService::Stub::UpsertItems,
            v1::UpsertItemsRequest())},
      {"CatalogService.DeleteItems", catalog, C::NOT_FOUND,
       Make(&ServerEnv::catalog, &v1::CatalogService::Stub::DeleteItems, del)},
      {"CatalogService.SetLabels", catalog, C::INVALID_ARGUMENT,
       Make(&ServerEnv::catalog, &v1::CatalogService::Stub::SetLabels, labels)},
      {"EditorService.CreateIntervention", editor, C::INVALID_ARGUMENT,
       Make(&ServerEnv::editor, &v1::EditorService::Stub::CreateIntervention,
            v1::CreateInterventionRequest())},
      {"EditorService.ReplaceIntervention", editor, C::NOT_FOUND,
       Make(&ServerEnv::editor, &v1::EditorService::Stub::ReplaceIntervention,
            replace)},
      {"EditorService.RevokeIntervention", editor, C::NOT_FOUND,
       Make(&ServerEnv::editor, &v1::EditorService::Stub::RevokeIntervention,
            revoke)},
      {"EditorService.ListInterventions", editor, C::OK,
       Make(&ServerEnv::editor, &v1::EditorService::Stub::ListInterventions,
            v1::ListInterventionsRequest())},
      {"EditorService.QueryAudit", editor, C::OK,
       Make(&ServerEnv::editor, &v1::EditorService::Stub::QueryAudit, audit)},
      {"EditorService.VerifyAudit", editor, C::OK,
       Make(&ServerEnv::editor, &v1::EditorService::Stub::VerifyAudit,
            v1::VerifyAuditRequest())},
      {"AdminService.ReloadPolicy", admin, C::NOT_FOUND,
       Make(&ServerEnv::admin, &v1::AdminService::Stub::ReloadPolicy, reload)},
      {"AdminService.Stats", admin, C::OK,
       Make(&ServerEnv::admin, &v1::AdminService::Stub::Stats, v1::StatsRequest())},
      {"AdminService.Version", admin, C::OK,
       Make(&ServerEnv::admin, &v1::AdminService::Stub::Version,
            v1::VersionRequest())},
  };
  all.insert(all.end(), u.begin(), u.end());
  return all;
}

TEST(AuthzMatrixTest, EveryRpcTimesEveryRole) {
  ServerEnv env;
  ASSERT_OK(env.status());
  const std::vector<std::string> callers = {"feed-service", "editor", "moderator",
                                            "admin", "user1"};
  int cells = 0;
  for (const Rpc& rpc : AllRpcs()) {
    for (const std::string& who : callers) {
      grpc::Status s = rpc.call(env, who);
      const grpc::StatusCode want = rpc.allowed.count(who)
                                        ? rpc.allowed_code
                                        : grpc::StatusCode::PERMISSION_DENIED;
      EXPECT_EQ(s.error_code(), want)
          << rpc.name << " as " << who << ": " << s.error_message();
      ++cells;
    }
    grpc::Status none = rpc.call(env, "");
    EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc.name;
    EXPECT_THAT(none.error_message(), ::testing::HasSubstr("missing bearer token"));
    grpc::Status garbage = rpc.call(env, "!Bearer not-a-token");
    EXPECT_EQ(garbage.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc.name;
    EXPECT_EQ(garbage.error_message(), "malformed token");
    grpc::Status unknown = rpc.call(env, "nobody");  // Well-formed, not in file.
    EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc.name;
    EXPECT_EQ(unknown.error_message(), "unknown token");
  }
  EXPECT_EQ(cells, (13 + 8) * 5);
  // Nothing was written by the matrix.
  EXPECT_TRUE(env.state().interventions().List(true).empty());
  ASSERT_OK_AND_ASSIGN(auto users, env.state().user_settings().ListUsers());
  EXPECT_TRUE(users.empty());
}

TEST(AuthzMatrixTest, UserTokenMayNotActForAnotherUserInAnyUserControlRpc) {
  ServerEnv env;
  ASSERT_OK(env.status());
  // user2's token naming user 1: PERMISSION_DENIED before any validation,
  // for every RPC (even those whose request would be refused anyway).
  for (const Rpc& rpc : UserControlRpcs(1)) {
    grpc::Status s = rpc.call(env, "user2");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << rpc.name;
    EXPECT_EQ(s.error_message(), "user token of user 2 may not act for user 1")
        << rpc.name;
  }
  // user_id 0: a user token acts for itself; an admin must name the user.
  v1::UserSettings own;
  ASSERT_TRUE(env.user()->GetSettings(ServerEnv::Ctx("user2").get(),
                                      v1::GetSettingsRequest(), &own).ok());
  EXPECT_EQ(own.user_id(), 2);
  EXPECT_TRUE(own.personalization());
  grpc::Status admin0 = env.user()->GetSettings(ServerEnv::Ctx("admin").get(),
                                                v1::GetSettingsRequest(), &own);
  EXPECT_EQ(admin0.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(admin0.error_message(),
              ::testing::HasSubstr("user_id is required for role admin"));
  // An admin acts for anyone.
  v1::GetSettingsRequest for7;
  for7.set_user_id(7);
  ASSERT_TRUE(env.user()->GetSettings(ServerEnv::Ctx("admin").get(), for7, &own).ok());
  EXPECT_EQ(own.user_id(), 7);
}

TEST(AuthzMatrixTest, UserTokenRanksOnlyItsOwnFeed) {
  ServerEnv env;
  ASSERT_OK(env.status());
  v1::RankResponse resp;
  grpc::Status other =
      env.feed()->Rank(ServerEnv::Ctx("user1").get(), RankReq(2), &resp);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(other.error_message(),
              ::testing::HasSubstr("user token of user 1 may not act for user 2"));
  // Unset user_id: the token's own user, personalized.
  v1::RankResponse own;
  ASSERT_TRUE(env.feed()->Rank(ServerEnv::Ctx("user2").get(), RankReq(std::nullopt), &own).ok());
  v1::RankResponse as_service;
  ASSERT_TRUE(env.feed()->Rank(ServerEnv::Ctx("feed-service").get(), RankReq(2), &as_service).ok());
  EXPECT_TRUE(own.personalized());
  ASSERT_EQ(own.items_size(), as_service.items_size());
  for (int i = 0; i < own.items_size(); ++i) {
    EXPECT_EQ(own.items(i).item_id(), as_service.items(i).item_id());
  }
}

}  // namespace
}  // namespace feedgov::service::testing
