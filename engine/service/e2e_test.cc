// End-to-end over loopback on an ephemeral port: the demo's sequence
// (personalized feeds, editor pin and suppression, moderator marks an item
// illegal, new item rankable at once, audit verified), graceful shutdown,
// and durability of acknowledged writes across a restart.
#include <algorithm>

#include "engine/service/catalog_service.h"
#include "engine/service/service_test_env.h"
#include "grpcpp/generic/generic_stub.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov::service::testing {
namespace {

using ::testing::HasSubstr;

std::vector<int64_t> Ids(const v1::RankResponse& r) {
  std::vector<int64_t> ids;
  for (const auto& item : r.items()) ids.push_back(item.item_id());
  return ids;
}

v1::RankResponse MustRank(ServerEnv& env, const std::string& who,
                          const v1::RankRequest& req) {
  v1::RankResponse resp;
  grpc::Status s = env.feed()->Rank(env.Ctx(who).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

TEST(ServiceE2eTest, DemoSequenceThroughTheApi) {
  ServerEnv env;
  ASSERT_OK(env.status());
  EXPECT_GT(env.server().port(), 0);

  // 1. Personalized home feeds for two users: 1-based positions, the home
  // surface's first 6 positions are key slots (cn-ecology), same as the
  // engine's own answer for the same request.
  for (UserId user : {1, 414}) {
    v1::RankResponse page = MustRank(env, "feed-service", RankReq(user, 10));
    ASSERT_EQ(page.items_size(), 10);
    EXPECT_TRUE(page.personalized());
    EXPECT_EQ(page.policy_id(), "cn-ecology");
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(page.items(i).position(), i + 1);
      EXPECT_EQ(page.items(i).key_slot(), i < 6) << "position " << i + 1;
      EXPECT_FALSE(page.items(i).reasons().empty());
    }
    RankRequest direct;
    direct.user = user;
    direct.page_size = 10;
    ASSERT_OK_AND_ASSIGN(RankResponse want, env.engine().Rank(direct));
    std::vector<int64_t> want_ids;
    for (const RankedItem& it : want.items) want_ids.push_back(it.item_id);
    EXPECT_EQ(Ids(page), want_ids);
  }

  // 2. Editor pins 318 at position 8 and suppresses item 6.
  v1::Intervention pin;
  pin.set_kind(v1::INTERVENTION_KIND_PIN);
  pin.set_item_id(318);
  pin.set_position(8);
  pin.set_surface("home");
  pin.set_reason("editorial pick");
  v1::CreateInterventionRequest create;
  *create.mutable_intervention() = pin;
  v1::Intervention made;
  ASSERT_TRUE(env.editor()->CreateIntervention(env.Ctx("editor").get(), create, &made).ok());
  EXPECT_EQ(made.editor(), "editor");  // The actor is the token's name.
  EXPECT_EQ(made.position(), 8);
  v1::Intervention suppress;
  suppress.set_kind(v1::INTERVENTION_KIND_SUPPRESS_ITEM);
  suppress.set_item_id(6);
  suppress.set_reason("under review");
  *create.mutable_intervention() = suppress;
  v1::Intervention made2;
  ASSERT_TRUE(env.editor()->CreateIntervention(env.Ctx("editor").get(), create, &made2).ok());

  v1::RankResponse page = MustRank(env, "user1", RankReq(std::nullopt, 10));
  ASSERT_GE(page.items_size(), 8);
  EXPECT_EQ(page.items(7).item_id(), 318);
  EXPECT_THAT(page.items(7).reasons(), ::testing::Contains("EDITOR_PIN"));
  EXPECT_EQ(page.items(7).pin_id(), made.id());
  v1::RankResponse anon500 = MustRank(env, "feed-service", RankReq(std::nullopt, 500));
  EXPECT_THAT(Ids(anon500), ::testing::Not(::testing::Contains(6)));

  // 3. A moderator marks the top item of user 1's feed illegal: gone on the
  // next request, and a pin of it is refused.
  const int64_t victim = page.items(0).item_id();
  v1::SetLabelsRequest labels;
  auto* il = labels.add_items();
  il->set_item_id(victim);
  auto* l = il->add_labels();
  l->set_name("illegal.rumors");
  l->set_confidence(1.0f);
  l->set_source(v1::LABEL_SOURCE_REVIEWER);
  v1::SetLabelsResponse labeled;
  ASSERT_TRUE(env.catalog()->SetLabels(env.Ctx("moderator").get(), labels, &labeled).ok());
  v1::RankResponse after = MustRank(env, "feed-service", RankReq(1, 500));
  EXPECT_THAT(Ids(after), ::testing::Not(::testing::Contains(victim)));
  pin.set_item_id(victim);
  pin.set_position(20);
  *create.mutable_intervention() = pin;
  grpc::Status refused =
      env.editor()->CreateIntervention(env.Ctx("editor").get(), create, &made);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // 4. A new item with a positive label is rankable on the next request:
  // pinned into key slot 1.
  v1::StatsResponse stats;
  ASSERT_TRUE(env.admin()->Stats(env.Ctx("admin").get(), v1::StatsRequest(), &stats).ok());
  v1::UpsertItemsRequest upsert;
  auto* item = upsert.add_items();
  item->set_item_id(99000001);
  item->set_title("Brand new documentary");
  for (int j = 0; j < stats.embedding_dim(); ++j) item->add_embedding(j == 0 ? 1.f : 0.f);
  auto* pl = item->add_labels();
  pl->set_name("positive.core_values");
  pl->set_confidence(0.9f);
  pl->set_source(v1::LABEL_SOURCE_REVIEWER);
  v1::UpsertItemsResponse upserted;
  ASSERT_TRUE(env.catalog()->UpsertItems(env.Ctx("moderator").get(), upsert, &upserted).ok());
  EXPECT_EQ(upserted.added(), 1);
  EXPECT_EQ(upserted.catalog_size(), stats.catalog_items() + 1);
  pin.set_item_id(99000001);
  pin.set_position(1);
  *create.mutable_intervention() = pin;
  ASSERT_TRUE(env.editor()->CreateIntervention(env.Ctx("editor").get(), create, &made).ok());
  v1::RankResponse with_new = MustRank(env, "feed-service", RankReq(414, 10));
  EXPECT_EQ(with_new.items(0).item_id(), 99000001);
  EXPECT_TRUE(with_new.items(0).key_slot());

  // 5. Audit: 3 creates + 1 refusal, chain intact.
  v1::QueryAuditResponse audit;
  v1::QueryAuditRequest audit_req;
  audit_req.set_limit(100);
  ASSERT_TRUE(env.editor()->QueryAudit(env.Ctx("editor").get(), audit_req, &audit).ok());
  ASSERT_EQ(audit.entries_size(), 4);
  EXPECT_EQ(audit.entries(2).action(), "REFUSED");
  EXPECT_EQ(audit.head_seq(), 4);
  v1::VerifyAuditResponse verdict;
  ASSERT_TRUE(env.editor()->VerifyAudit(env.Ctx("admin").get(), v1::VerifyAuditRequest(), &verdict).ok());
  EXPECT_TRUE(verdict.ok()) << verdict.problem();
  EXPECT_EQ(verdict.entries(), 4);

  // Every request was logged with method, role, code and latency.
  EXPECT_THAT(env.log(), HasSubstr("rpc=FeedService.Rank role=user code=OK ms="));
  EXPECT_THAT(env.log(), HasSubstr(
      "rpc=EditorService.CreateIntervention role=editor code=FAILED_PRECONDITION"));
}

// Issue 14 item 5: a label sent without an origin is recorded with the
// caller's token name ("moderator:<name>" for a REVIEWER label, "api:<name>"
// otherwise); a label with an origin keeps it; the Rank response shows
// each label's source, origin, confidence and raw score.
TEST(ServiceE2eTest, LabelOriginsComeFromTheCallersToken) {
  ServerEnv env;
  ASSERT_OK(env.status());
  v1::SetLabelsRequest req;
  auto* il = req.add_items();
  il->set_item_id(318);
  auto add = [&](const char* name, float confidence, v1::LabelSource source) {
    v1::ItemLabel* l = il->add_labels();
    l->set_name(name);
    l->set_confidence(confidence);
    l->set_source(source);
    return l;
  };
  add("positive.core_values", 0.9f, v1::LABEL_SOURCE_REVIEWER);
  add("bad.vulgar", 0.2f, v1::LABEL_SOURCE_MAPPING);
  v1::ItemLabel* machine = add("bad.clickbait", 0.25f, v1::LABEL_SOURCE_MODEL);
  machine->set_origin("labeler:clickbait_en@3f2a9c01b7de");
  machine->set_raw_score(0.125f);
  v1::SetLabelsResponse set;
  ASSERT_TRUE(env.catalog()->SetLabels(env.Ctx("moderator").get(), req, &set).ok());
  const std::vector<Label>& stored = env.engine().labels()->LabelsFor(318);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].origin, "moderator:moderator");
  EXPECT_EQ(stored[1].origin, "api:moderator");
  EXPECT_EQ(stored[2].origin, "labeler:clickbait_en@3f2a9c01b7de");
  EXPECT_EQ(stored[2].score, 0.125f);
  EXPECT_EQ(stored[2].confidence, 0.25f);

  // Item 318 (the most rated film) is on the anonymous feed's first 500;
  // every label is below its thresholds except the reviewer's positive one.
  v1::RankResponse page = MustRank(env, "feed-service", RankReq(std::nullopt, 500));
  const v1::RankedItem* found = nullptr;
  for (const v1::RankedItem& item : page.items()) {
    if (item.item_id() == 318) found = &item;
  }
  ASSERT_NE(found, nullptr);
  ASSERT_EQ(found->labels_size(), 3);
  EXPECT_EQ(found->labels(0).source(), v1::LABEL_SOURCE_REVIEWER);
  EXPECT_EQ(found->labels(0).origin(), "moderator:moderator");
  EXPECT_EQ(found->labels(0).raw_score(), 0.0f);  // Unset: not a MODEL label.
  EXPECT_EQ(found->labels(1).origin(), "api:moderator");
  EXPECT_EQ(found->labels(2).source(), v1::LABEL_SOURCE_MODEL);
  EXPECT_EQ(found->labels(2).origin(), "labeler:clickbait_en@3f2a9c01b7de");
  EXPECT_EQ(found->labels(2).confidence(), 0.25f);
  EXPECT_EQ(found->labels(2).raw_score(), 0.125f);

  // UpsertItems: a new item's MODEL label without origin is the caller's.
  v1::StatsResponse stats;
  ASSERT_TRUE(env.admin()->Stats(env.Ctx("admin").get(), v1::StatsRequest(), &stats).ok());
  v1::UpsertItemsRequest upsert;
  auto* item = upsert.add_items();
  item->set_item_id(99000002);
  item->set_title("New headline");
  for (int j = 0; j < stats.embedding_dim(); ++j) item->add_embedding(j == 0 ? 1.f : 0.f);
  v1::ItemLabel* pl = item->add_labels();
  pl->set_name("bad.clickbait");
  pl->set_confidence(0.4f);
  pl->set_source(v1::LABEL_SOURCE_MODEL);
  v1::UpsertItemsResponse upserted;
  ASSERT_TRUE(env.catalog()->UpsertItems(env.Ctx("admin").get(), upsert, &upserted).ok());
  const std::vector<Label>& fresh = env.engine().labels()->LabelsFor(99000002);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].origin, "api:admin");
}

// A caller cannot store a label whose origin names another kind of source
// (a REVIEWER label, which overrides the labelers and is never undone,
// shown as a labeler's output; a machine label shown as a moderator's), nor
// an origin over 200 bytes; each is refused naming the item and the label.
TEST(ServiceE2eTest, AnOriginOfAnotherSourceOrTooLongIsRefused) {
  ServerEnv env;
  ASSERT_OK(env.status());
  auto set = [&](const std::string& origin, v1::LabelSource source) {
    v1::SetLabelsRequest req;
    auto* il = req.add_items();
    il->set_item_id(318);
    v1::ItemLabel* l = il->add_labels();
    l->set_name("bad.clickbait");
    l->set_confidence(0.0f);
    l->set_source(source);
    l->set_origin(origin);
    v1::SetLabelsResponse resp;
    return env.catalog()->SetLabels(env.Ctx("moderator").get(), req, &resp);
  };
  grpc::Status s = set("labeler:clickbait_en@3f2a9c01b7de", v1::LABEL_SOURCE_REVIEWER);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("item 318: label 'bad.clickbait': origin "
                                           "'labeler:clickbait_en@3f2a9c01b7de'"));
  EXPECT_THAT(s.error_message(), HasSubstr("not MODEL"));
  s = set("moderator:alice", v1::LABEL_SOURCE_MODEL);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("not REVIEWER"));
  s = set("label_map:movielens", v1::LABEL_SOURCE_REVIEWER);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = set(std::string(201, 'o'), v1::LABEL_SOURCE_MAPPING);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("origin is 201 bytes; at most 200"));
  // Nothing was stored by the refused calls; consistent origins are kept.
  EXPECT_EQ(set("moderator:alice", v1::LABEL_SOURCE_REVIEWER).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(set("api:pipeline", v1::LABEL_SOURCE_REVIEWER).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(set("labeler:clickbait_en@1", v1::LABEL_SOURCE_MODEL).error_code(),
            grpc::StatusCode::OK);
}

TEST(FillLabelOrigins, ByKindOfSourceAndNeverOverAGivenOrigin) {
  std::vector<Label> labels = {
      Label{"bad.vulgar", 0.0f, LabelSource::kReviewer, 0, "", -1.0f},
      Label{"bad.clickbait", 0.9f, LabelSource::kModel, 0, "", -1.0f},
      Label{"bad.gore_horror", 0.6f, LabelSource::kMapping, 0, "", -1.0f},
      Label{"illegal.rumors", 0.7f, LabelSource::kModel, 0,
            "labeler:rumor_zh@1"}};
  FillLabelOrigins("night-desk", labels);
  EXPECT_EQ(labels[0].origin, "moderator:night-desk");
  EXPECT_EQ(labels[1].origin, "api:night-desk");
  EXPECT_EQ(labels[2].origin, "api:night-desk");
  EXPECT_EQ(labels[3].origin, "labeler:rumor_zh@1");
}

TEST(ServiceE2eTest, AcknowledgedWritesSurviveShutdownAndRestart) {
  std::string state_dir;
  std::string pin_id;
  {
    ServerEnv env;
    ASSERT_OK(env.status());
    state_dir = env.state_dir();
    v1::CreateInterventionRequest create;
    auto* iv = create.mutable_intervention();
    iv->set_kind(v1::INTERVENTION_KIND_PIN);
    iv->set_item_id(318);
    iv->set_position(3);
    iv->set_surface("home");
    iv->set_reason("pick");
    v1::Intervention made;
    ASSERT_TRUE(env.editor()->CreateIntervention(env.Ctx("editor").get(), create, &made).ok());
    pin_id = made.id();
    env.server().Shutdown(absl::Seconds(2));
    // Stopped: new calls fail with UNAVAILABLE.
    v1::RankResponse resp;
    grpc::Status s = env.feed()->Rank(env.Ctx("admin").get(), RankReq(1), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  ASSERT_OK_AND_ASSIGN(auto reopened, StateDir::Open(state_dir, nullptr, &RealClock::Get()));
  auto list = reopened->interventions().List(false);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, pin_id);
  EXPECT_EQ(list[0].position, 2);  // Stored 0-based.
}

// Issue 13 item 6: an intervention carries the IANA zone its window was
// entered in; the API validates it and returns it.
TEST(ServiceE2eTest, InterventionTimeZoneIsValidatedStoredAndListed) {
  ServerEnv env;
  ASSERT_OK(env.status());
  v1::CreateInterventionRequest create;
  auto* iv = create.mutable_intervention();
  iv->set_kind(v1::INTERVENTION_KIND_BOOST);
  iv->set_item_id(318);
  iv->set_factor(2);
  iv->set_reason("new year");
  // 2027-01-01T00:00+08:00 .. 2027-02-01T00:00+08:00 (all of January in
  // Shanghai), by hand: 20818 days + 16 h, and 20849 days + 16 h.
  iv->set_start_unix_us(1798732800LL * 1000000);
  iv->set_end_unix_us(1801411200LL * 1000000);
  iv->set_time_zone("Mars/Olympus_Mons");
  v1::Intervention made;
  grpc::Status bad =
      env.editor()->CreateIntervention(env.Ctx("editor").get(), create, &made);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(),
              HasSubstr("intervention.time_zone: unknown time zone "
                        "'Mars/Olympus_Mons'"));
  iv->set_time_zone("Asia/Shanghai");
  grpc::Status ok =
      env.editor()->CreateIntervention(env.Ctx("editor").get(), create, &made);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(made.time_zone(), "Asia/Shanghai");
  EXPECT_EQ(made.start_unix_us(), 1798732800LL * 1000000);
  v1::ListInterventionsResponse list;
  ASSERT_TRUE(env.editor()
                  ->ListInterventions(env.Ctx("editor").get(),
                                      v1::ListInterventionsRequest(), &list)
                  .ok());
  ASSERT_EQ(list.interventions_size(), 1);
  EXPECT_EQ(list.interventions(0).time_zone(), "Asia/Shanghai");
  EXPECT_EQ(list.interventions(0).end_unix_us(), 1801411200LL * 1000000);
}


// RankedItem.score of a pinned item is 0, as documented (api_common.proto,
// docs/api.md): the editor placed it, nothing ranked it; reasons say
// EDITOR_PIN and pin_id names the pin. Ranked items keep their scores.
TEST(ServiceE2eTest, PinnedItemReportsScoreZeroWithReasonEditorPin) {
  ServerEnv env;
  ASSERT_OK(env.status());
  v1::CreateInterventionRequest req;
  auto* iv = req.mutable_intervention();
  iv->set_kind(v1::INTERVENTION_KIND_PIN);
  iv->set_item_id(318);
  iv->set_position(8);  // Not a key slot of cn-ecology's home.
  iv->set_surface("home");
  iv->set_reason("editorial pick");
  v1::Intervention made;
  grpc::Status s =
      env.editor()->CreateIntervention(env.Ctx("editor").get(), req, &made);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::RankResponse page = MustRank(env, "feed-service", RankReq(1, 10));
  ASSERT_EQ(page.items_size(), 10);
  int pinned = 0;
  for (const v1::RankedItem& item : page.items()) {
    if (item.item_id() == 318) {
      ++pinned;
      EXPECT_EQ(item.position(), 8);
      EXPECT_EQ(item.score(), 0.0);
      EXPECT_THAT(item.reasons(), ::testing::Contains("EDITOR_PIN"));
      EXPECT_EQ(item.pin_id(), made.id());
    } else {
      EXPECT_GT(item.score(), 0.0) << item.item_id();
      EXPECT_TRUE(item.pin_id().empty());
    }
  }
  EXPECT_EQ(pinned, 1);
  EXPECT_EQ(page.counters().pins_applied(), 1);
}

// grpc.health.v1.Health/Check with HealthCheckRequest{service: name}; the
// status code and the response's ServingStatus (-1 when not OK).
std::pair<grpc::StatusCode, int> HealthCheck(ServerEnv& env,
                                             const std::string& service) {
  // HealthCheckRequest{service} = field 1, length-delimited (names < 128 B).
  std::string request;
  if (!service.empty()) {
    request = std::string(1, '\x0a') + static_cast<char>(service.size()) + service;
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::string response;
  grpc::Status s = RawUnaryCall(env.channel(), &ctx,
                                "/grpc.health.v1.Health/Check", request, &response);
  if (!s.ok()) return {s.error_code(), -1};
  // HealthCheckResponse{status} = field 1 varint; SERVING = 1 (an absent
  // field is UNKNOWN = 0).
  if (response.empty()) return {s.error_code(), 0};
  EXPECT_EQ(response.size(), 2u);
  EXPECT_EQ(response[0], '\x08');
  return {s.error_code(), response[1]};
}

TEST(ServiceE2eTest, HealthServiceReportsServingPerService) {
  ServerEnv env;
  ASSERT_OK(env.status());
  constexpr int kServing = 1, kNotServing = 2;
  // "" is the server as a whole.
  EXPECT_EQ(HealthCheck(env, ""), std::make_pair(grpc::StatusCode::OK, kServing));
  // Every service the server exposes, by its full name.
  for (const char* name :
       {"feedgov.v1.FeedService", "feedgov.v1.CatalogService",
        "feedgov.v1.EditorService", "feedgov.v1.UserControlService",
        "feedgov.v1.AdminService"}) {
    EXPECT_EQ(HealthCheck(env, name),
              std::make_pair(grpc::StatusCode::OK, kServing)) << name;
  }
  EXPECT_THAT(ExposedServiceNames(),
              ::testing::UnorderedElementsAre(
                  "feedgov.v1.FeedService", "feedgov.v1.CatalogService",
                  "feedgov.v1.EditorService", "feedgov.v1.UserControlService",
                  "feedgov.v1.AdminService"));
  // A name the server does not serve.
  EXPECT_EQ(HealthCheck(env, "feedgov.v1.NoSuchService").first,
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(HealthCheck(env, "feedservice").first, grpc::StatusCode::NOT_FOUND);
  // Shutting down: every name reports NOT_SERVING while calls drain; checked
  // on the health service itself, before the server is gone.
  auto* health = env.server().health();
  ASSERT_NE(health, nullptr);
  health->SetServingStatus(false);
  EXPECT_EQ(HealthCheck(env, "").second, kNotServing);
  EXPECT_EQ(HealthCheck(env, "feedgov.v1.FeedService").second, kNotServing);
}

}  // namespace
}  // namespace feedgov::service::testing
