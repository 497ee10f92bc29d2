// Malformed and oversized requests: each gets an actionable error with the
// right code, nothing changes, and the server keeps serving.
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "engine/response/page_token.h"
#include "engine/service/convert.h"
#include "engine/service/admin_service.h"
#include "engine/service/service_test_env.h"
#include "engine/service/user_control_service.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// The deprecated *_unix_s fields are set on purpose (they must keep working).
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace feedgov::service::testing {
namespace {

using ::testing::HasSubstr;

class MalformedTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(env_.status()); }

  grpc::Status Upsert(const v1::UpsertItemsRequest& req) {
    v1::UpsertItemsResponse resp;
    return env_.catalog()->UpsertItems(ServerEnv::Ctx("moderator").get(), req, &resp);
  }
  v1::CatalogItem* NewItem(v1::UpsertItemsRequest& req, int64_t id, int dim) {
    auto* item = req.add_items();
    item->set_item_id(id);
    for (int j = 0; j < dim; ++j) item->add_embedding(1.0f);
    return item;
  }
  int Dim() { return env_.engine().catalog()->dim(); }
  grpc::Status Rank(const v1::RankRequest& req) {
    v1::RankResponse resp;
    return env_.feed()->Rank(ServerEnv::Ctx("feed-service").get(), req, &resp);
  }
  void ExpectStillServing() {
    EXPECT_TRUE(Rank(RankReq(1, 5)).ok());
  }

  ServerEnv env_;
};

TEST_F(MalformedTest, WrongEmbeddingSize) {
  v1::UpsertItemsRequest req;
  NewItem(req, 99000002, 32);
  grpc::Status s = Upsert(req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), absl::StrCat("item 99000002: embedding has 32 "
                                            "floats, want ", Dim()));
  EXPECT_FALSE(env_.engine().catalog()->FindRow(99000002).has_value());
  ExpectStillServing();
}

TEST_F(MalformedTest, NanAndInfEmbeddings) {
  v1::UpsertItemsRequest req;
  NewItem(req, 99000003, Dim())->set_embedding(3, std::nanf(""));
  grpc::Status s = Upsert(req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The catalog writer's message (one validation for every caller).
  EXPECT_EQ(s.error_message(), "item 99000003 (row 0): embedding[3] is NaN");
  req.mutable_items(0)->set_embedding(3, INFINITY);
  EXPECT_THAT(Upsert(req).error_message(), HasSubstr("embedding[3] is Inf"));
  for (int j = 0; j < Dim(); ++j) req.mutable_items(0)->set_embedding(j, 0.f);
  EXPECT_THAT(Upsert(req).error_message(), HasSubstr("zero norm"));
  ExpectStillServing();
}

TEST_F(MalformedTest, UnknownSurfaceAndPageSize) {
  grpc::Status s = Rank(RankReq(1, 10, "hom"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown surface `hom`"));
  EXPECT_THAT(s.error_message(), HasSubstr("has: home, "));  // The declared ones.
  s = Rank(RankReq(1, 0));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "page_size 0 outside [1, 500]");
  EXPECT_EQ(Rank(RankReq(1, 501)).error_message(), "page_size 501 outside [1, 500]");
  v1::RankRequest bad_token = RankReq(1);
  bad_token.set_page_token("garbage!!");
  EXPECT_EQ(Rank(bad_token).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectStillServing();
}

// Bytes a client with a broken encoder (or another schema) sends: invalid
// UTF-8 in a proto3 string field, and bytes that are no protobuf message.
class UndecodableRequestTest : public MalformedTest {
 protected:
  grpc::Status Raw(const std::string& method, const std::string& bytes,
                   const std::string& who = "admin") {
    return RawUnaryCall(env_.channel(), ServerEnv::Ctx(who).get(), method, bytes);
  }
};

TEST_F(UndecodableRequestTest, InvalidUtf8NamesTheField) {
  v1::RankRequest rank = RankReq(1);
  rank.set_surface("ho\xffme");
  grpc::Status s = Raw("/feedgov.v1.FeedService/Rank", rank.SerializeAsString());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "invalid UTF-8 in request field `surface` "
            "(feedgov.v1.RankRequest.surface): byte 0xff at offset 2 of 5; "
            "string fields take UTF-8 text");
  // Nested and repeated fields are named by their path.
  v1::UpsertItemsRequest upsert;
  NewItem(upsert, 99000010, Dim());
  auto* item = NewItem(upsert, 99000011, Dim());
  item->add_labels()->set_name("illegal.rumors");
  item->add_labels()->set_name("bad.\xc3(");
  s = Raw("/feedgov.v1.CatalogService/UpsertItems", upsert.SerializeAsString());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("field `items[1].labels[1].name` "
                        "(feedgov.v1.ItemLabel.name): byte 0xc3 at offset 4"));
  EXPECT_FALSE(env_.engine().catalog()->FindRow(99000010).has_value());
  v1::CreateInterventionRequest create;
  create.mutable_intervention()->set_reason("\xed\xa0\x80");  // A surrogate.
  s = Raw("/feedgov.v1.EditorService/CreateIntervention", create.SerializeAsString());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("`intervention.reason`"));
  ExpectStillServing();
}

TEST_F(UndecodableRequestTest, BytesThatAreNoMessageAreInvalidArgument) {
  // Field 1 (surface) says 5 bytes follow, 2 do.
  grpc::Status s = Raw("/feedgov.v1.FeedService/Rank", std::string("\x0a\x05ho", 4));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "undecodable request: the 4 bytes are not a feedgov.v1.RankRequest "
            "protobuf message (field 1 at byte 0: length 5 past the end, 2 "
            "bytes left)");
  s = Raw("/feedgov.v1.AdminService/Stats", std::string("\xff\xff\xff", 3));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("not a feedgov.v1.StatsRequest protobuf message"));
  ExpectStillServing();
}

TEST_F(UndecodableRequestTest, TokenIsCheckedFirst) {
  v1::RankRequest rank = RankReq(1);
  rank.set_surface("\xff");
  grpc::Status s = Raw("/feedgov.v1.FeedService/Rank", rank.SerializeAsString(), "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(UndecodableRequestTest, CountedInStatsAndLoggedAtALimitedRate) {
  v1::RankRequest rank = RankReq(1);
  rank.set_surface("\xff");
  const std::string bad_utf8 = rank.SerializeAsString();
  const absl::Time start = absl::Now();
  constexpr int kCalls = 40;
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_EQ(Raw("/feedgov.v1.FeedService/Rank", bad_utf8).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  ASSERT_EQ(Raw("/feedgov.v1.FeedService/Rank", "\x0a").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  v1::StatsResponse stats;
  ASSERT_TRUE(env_.admin()->Stats(ServerEnv::Ctx("admin").get(), v1::StatsRequest(), &stats).ok());
  EXPECT_EQ(stats.invalid_utf8_requests(), kCalls);
  EXPECT_EQ(stats.undecodable_requests(), 1);
  EXPECT_GE(stats.errors(), kCalls + 1);
  // At most kRejectLogLinesPerSecond lines of a kind in each started second.
  const std::string log = env_.log();
  int lines = 0;
  for (size_t at = log.find("kind=invalid_utf8"); at != std::string::npos;
       at = log.find("kind=invalid_utf8", at + 1)) {
    ++lines;
  }
  EXPECT_GE(lines, 1);
  EXPECT_LE(lines, kRejectLogLinesPerSecond * (static_cast<int>(seconds) + 1))
      << log;
  EXPECT_THAT(log, HasSubstr("rpc=FeedService.Rank role=admin "
                             "code=INVALID_ARGUMENT"));
  EXPECT_THAT(log, HasSubstr("error=invalid UTF-8 in request field `surface`"));
  EXPECT_THAT(log, HasSubstr("kind=undecodable"));
}

// Times in the API are microseconds (`*_unix_us`); the older seconds
// fields still work, and a request that sets both must agree.
TEST_F(MalformedTest, MicrosecondTimesAndTheDeprecatedSecondsFields) {
  constexpr int64_t kSec = 1'600'000'000;
  // first_seen_unix_us is used; sub-second parts are floored.
  v1::UpsertItemsRequest upsert;
  NewItem(upsert, 99000020, Dim())->set_first_seen_unix_us(kSec * 1'000'000 + 999'999);
  NewItem(upsert, 99000021, Dim())->set_first_seen_unix_s(kSec + 1);  // Deprecated.
  auto* both = NewItem(upsert, 99000022, Dim());
  both->set_first_seen_unix_us(kSec * 1'000'000 + 2'000'000);
  both->set_first_seen_unix_s(kSec + 2);  // Agrees.
  auto* label = both->add_labels();
  label->set_name("positive.core_values");
  label->set_confidence(0.9f);
  label->set_source(v1::LABEL_SOURCE_REVIEWER);
  label->set_time_unix_us(kSec * 1'000'000 + 3'500'000);
  ASSERT_TRUE(Upsert(upsert).ok()) << Upsert(upsert).error_message();
  auto first_seen = [&](ItemId id) {
    return env_.engine().catalog()->item(*env_.engine().catalog()->FindRow(id)).first_seen;
  };
  EXPECT_EQ(first_seen(99000020), kSec);
  EXPECT_EQ(first_seen(99000021), kSec + 1);
  EXPECT_EQ(first_seen(99000022), kSec + 2);

  // Disagreeing pairs name both fields and their values.
  v1::UpsertItemsRequest bad;
  auto* item = NewItem(bad, 99000023, Dim());
  item->set_first_seen_unix_us(kSec * 1'000'000);
  item->set_first_seen_unix_s(kSec + 60);
  grpc::Status s = Upsert(bad);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            absl::StrCat("item 99000023: first_seen_unix_us ", kSec * 1'000'000,
                         " and first_seen_unix_s ", kSec + 60,
                         " disagree; set first_seen_unix_us only "
                         "(first_seen_unix_s is deprecated)"));
  v1::SetLabelsRequest labels;
  auto* update = labels.add_items();
  update->set_item_id(318);
  auto* l = update->add_labels();
  l->set_name("positive.core_values");
  l->set_confidence(0.5f);
  l->set_source(v1::LABEL_SOURCE_REVIEWER);
  l->set_time_unix_us(5'000'000);
  l->set_time_unix_s(4);
  v1::SetLabelsResponse labels_resp;
  s = env_.catalog()->SetLabels(ServerEnv::Ctx("moderator").get(), labels, &labels_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("time_unix_us 5000000 and time_unix_s 4 disagree"));
  // Seconds too large to be given in microseconds are refused.
  l->clear_time_unix_us();
  l->set_time_unix_s(int64_t{1} << 60);
  s = env_.catalog()->SetLabels(ServerEnv::Ctx("moderator").get(), labels, &labels_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("time_unix_s 1152921504606846976 outside "
                        "[-9223372036854, 9223372036854]"));

  // Output fills both fields: the label written above, as Rank shows it.
  l->set_time_unix_s(0);
  l->set_time_unix_us(kSec * 1'000'000 + 7'250'000);
  ASSERT_TRUE(env_.catalog()->SetLabels(ServerEnv::Ctx("moderator").get(),
                                        labels, &labels_resp).ok());
  const std::vector<Label> stored = env_.engine().labels()->LabelsFor(318);
  v1::ItemLabel out;
  ASSERT_EQ(stored.size(), 1u);
  LabelToProto(stored[0], &out);
  EXPECT_EQ(out.time_unix_s(), kSec + 7);
  EXPECT_EQ(out.time_unix_us(), (kSec + 7) * 1'000'000);
}

TEST_F(MalformedTest, HugeBatchesAreRefused) {
  v1::UpsertItemsRequest req;
  for (int i = 0; i < kMaxUpsertBatch + 1; ++i) NewItem(req, 99100000 + i, Dim());
  grpc::Status s = Upsert(req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "items: 1001 entries outside [1, 1000]");
  // Beyond the receive limit (16 MiB): refused by gRPC before any handler.
  v1::DeleteItemsRequest del;
  for (int i = 0; i < 3'000'000; ++i) del.add_item_ids(int64_t{1} << 40);
  v1::DeleteItemsResponse resp;
  s = env_.catalog()->DeleteItems(ServerEnv::Ctx("moderator").get(), del, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  ExpectStillServing();
}

TEST_F(MalformedTest, PinOfUnknownItemAndBadPosition) {
  v1::CreateInterventionRequest req;
  auto* iv = req.mutable_intervention();
  iv->set_kind(v1::INTERVENTION_KIND_PIN);
  iv->set_item_id(123456789);  // Not a MovieLens movieId.
  ASSERT_FALSE(env_.engine().catalog()->FindRow(123456789).has_value());
  iv->set_position(1);
  iv->set_reason("r");
  v1::Intervention made;
  grpc::Status s = env_.editor()->CreateIntervention(ServerEnv::Ctx("editor").get(), req, &made);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("pin of unknown item 123456789"));
  iv->set_item_id(318);
  iv->set_position(0);
  s = env_.editor()->CreateIntervention(ServerEnv::Ctx("editor").get(), req, &made);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("position 0 outside [1, 500]"));
  iv->set_position(1);
  iv->set_start_unix_us(-5);  // Before 1970: not a window the API defines.
  s = env_.editor()->CreateIntervention(ServerEnv::Ctx("editor").get(), req, &made);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("start_unix_us -5"));
  iv->set_start_unix_us(0);
  iv->clear_reason();
  s = env_.editor()->CreateIntervention(ServerEnv::Ctx("editor").get(), req, &made);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("reason"));
  ExpectStillServing();
}

TEST_F(MalformedTest, BadLabels) {
  v1::SetLabelsRequest req;
  auto* il = req.add_items();
  il->set_item_id(318);
  auto* l = il->add_labels();
  l->set_name("illegal.rumors");
  l->set_confidence(0.9f);  // source left UNSPECIFIED
  v1::SetLabelsResponse resp;
  grpc::Status s = env_.catalog()->SetLabels(ServerEnv::Ctx("moderator").get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("unspecified"));
  l->set_source(v1::LABEL_SOURCE_REVIEWER);
  l->set_confidence(1.5f);
  s = env_.catalog()->SetLabels(ServerEnv::Ctx("moderator").get(), req, &resp);
  EXPECT_THAT(s.error_message(),
              HasSubstr("item 318: labels[0]: label 'illegal.rumors': confidence 1.5 "
                        "is not a finite value in [0, 1]"));
  l->set_confidence(0.5f);
  l->set_name("illegal.no_such_label");
  s = env_.catalog()->SetLabels(ServerEnv::Ctx("moderator").get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("taxonomy"));
  // None of it applied.
  for (const Label& label : env_.engine().labels()->LabelsFor(318)) {
    EXPECT_NE(label.name.rfind("illegal.", 0), 0u) << label.name;
  }
  ExpectStillServing();
}

TEST_F(MalformedTest, MalformedUserControlRequests) {
  auto stub = env_.user();
  auto ctx = [] { return ServerEnv::Ctx("user1"); };
  v1::ListTagsResponse tags;
  // Empty, blank and over-long tags.
  for (const std::string& tag : {std::string(""), std::string("   ")}) {
    v1::DeleteTagRequest del;
    del.set_tag(tag);
    grpc::Status s = stub->DeleteTag(ctx().get(), del, &tags);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "'" << tag << "'";
    EXPECT_EQ(s.error_message(), "tag is required (1 to 200 bytes)");
    v1::AddTagRequest add;
    add.set_tag(tag);
    EXPECT_EQ(stub->AddTag(ctx().get(), add, &tags).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  v1::AddTagRequest add;
  add.set_tag(std::string(201, 'a'));
  grpc::Status s = stub->AddTag(ctx().get(), add, &tags);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "tag of 201 bytes, at most 200");
  // A tag no item carries; a forbidden tag (the backend's error, Art. 10).
  v1::DeleteTagRequest del;
  del.set_tag("no such tag at all");
  s = stub->DeleteTag(ctx().get(), del, &tags);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("'no such tag at all'"));
  add.set_tag("Horror");
  s = stub->AddTag(ctx().get(), add, &tags);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("bad.gore_horror"));
  // Unknown items.
  v1::NotInterestedRequest ni;
  ni.set_item_id(123456789);
  v1::NotInterestedResponse nir;
  s = stub->NotInterested(ctx().get(), ni, &nir);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "item 123456789 is not in the catalog");
  v1::WhyRequest why;
  why.set_item_id(123456789);
  v1::WhyResponse whyr;
  s = stub->Why(ctx().get(), why, &whyr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("item 123456789"));
  why.set_item_id(318);
  why.set_surface("hom");
  s = stub->Why(ctx().get(), why, &whyr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("unknown surface `hom`"));
  // Settings: nothing to set, bad author, unknown see-less item.
  v1::SetSettingsRequest set;
  v1::UserSettings out;
  s = stub->SetSettings(ctx().get(), set, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("nothing to set"));
  set.set_personalization(false);  // Valid, but sent with an invalid field:
  set.set_mute_author("");         // nothing may be written.
  s = stub->SetSettings(ctx().get(), set, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "mute_author of 0 bytes outside [1, 200]");
  set.clear_mute_author();
  set.set_see_less_item_id(123456789);
  s = stub->SetSettings(ctx().get(), set, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(),
            "see_less_item_id: item 123456789 is not in the catalog");
  // Bad ids and ranges.
  v1::GetSettingsRequest get;
  get.set_user_id(-3);
  s = stub->GetSettings(ServerEnv::Ctx("admin").get(), get, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "user_id -3 is negative");
  v1::ListTagsRequest list;
  list.set_top_n(-1);
  s = stub->ListTags(ctx().get(), list, &tags);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "top_n -1 outside [0, 10000]");
  // Nothing was stored; the feed is unchanged and the server still serves.
  ASSERT_OK_AND_ASSIGN(auto users, env_.state().user_settings().ListUsers());
  EXPECT_TRUE(users.empty());
  ASSERT_TRUE(stub->GetSettings(ctx().get(), v1::GetSettingsRequest(), &out).ok());
  EXPECT_TRUE(out.personalization());
  v1::RankResponse page;
  ASSERT_TRUE(env_.feed()->Rank(ctx().get(), RankReq(std::nullopt, 5), &page).ok());
  EXPECT_TRUE(page.personalized());
  ExpectStillServing();
}

// Oracle for the bound: the largest state the engine can encode (a full
// chain of ids whose varints take the maximum 10 bytes, the longest
// surface id, every scalar at its widest) fits in kMaxPageTokenBytes.
TEST(PageTokenBoundTest, LargestEngineTokenFits) {
  v1::PageTokenState st;
  st.set_format_version(1);
  st.set_surface(std::string(kMaxNameBytes, 's'));
  st.set_user_id(std::numeric_limits<int64_t>::min());
  st.set_has_user(true);
  st.set_personalized(true);
  st.set_minors(true);
  st.set_next_position(std::numeric_limits<int32_t>::min());
  for (int i = 0; i < kMaxItemsPerChain; ++i) st.add_served_item_ids(-1 - i);
  st.set_positives_in_quota_window(std::numeric_limits<int32_t>::min());
  st.set_issued_unix_s(std::numeric_limits<int64_t>::min());
  const std::string token = EncodePageToken(st, "key");
  EXPECT_GT(token.size(), 8192u);  // The old bound refused it.
  EXPECT_LE(token.size(), static_cast<size_t>(kMaxPageTokenBytes));
}

// The reported defect: the 6th page of 500 on `feed` was refused. Ten pages
// of 500 (the whole 5,000-item chain) are served, none twice.
TEST_F(MalformedTest, TenPagesOf500FollowTheServersOwnTokens) {
  v1::RankRequest req = RankReq(1, 500, "feed");
  std::set<int64_t> served;
  int items = 0;
  for (int page = 1; page <= 10; ++page) {
    v1::RankResponse resp;
    grpc::Status s =
        env_.feed()->Rank(ServerEnv::Ctx("feed-service").get(), req, &resp);
    ASSERT_TRUE(s.ok()) << "page " << page << ": " << s.error_message();
    for (const auto& item : resp.items()) {
      EXPECT_TRUE(served.insert(item.item_id()).second) << item.item_id();
    }
    items += resp.items_size();
    if (page < 10) {
      ASSERT_FALSE(resp.next_page_token().empty()) << "page " << page;
      EXPECT_LE(resp.next_page_token().size(),
                static_cast<size_t>(kMaxPageTokenBytes));
    }
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_GT(items, 4500);  // Pages are full (the catalog has ~9,700 items).
  ExpectStillServing();
}

TEST_F(MalformedTest, OneMegabyteSurfaceIsInvalidArgumentWithShortMessage) {
  const std::string huge(1 << 20, 'x');
  grpc::Status s = Rank(RankReq(1, 10, huge));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "surface of 1048576 bytes, at most 64");
  v1::WhyRequest why;
  why.set_user_id(1);
  why.set_item_id(1);
  why.set_surface(huge);
  v1::WhyResponse why_resp;
  s = env_.user()->Why(ServerEnv::Ctx("admin").get(), why, &why_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "surface of 1048576 bytes, at most 64");
  // A label name of 1 MB: refused with its size, not echoed.
  v1::SetLabelsRequest labels;
  auto* il = labels.add_items();
  il->set_item_id(1);
  il->add_labels()->set_name(huge);
  v1::SetLabelsResponse labels_resp;
  s = env_.catalog()->SetLabels(ServerEnv::Ctx("moderator").get(), labels,
                                &labels_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "item 1: label name of 1048576 bytes, at most 64");
  // An unknown surface of legal length is quoted.
  EXPECT_THAT(Rank(RankReq(1, 10, std::string(64, 'y'))).error_message(),
              HasSubstr(absl::StrCat("unknown surface `", std::string(64, 'y'), "`")));
  ExpectStillServing();
}

TEST_F(MalformedTest, NegativeOrZeroUserIdIsRefused) {
  for (int64_t user : {-4, 0}) {
    grpc::Status s = Rank(RankReq(user, 10));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << user;
    EXPECT_EQ(s.error_message(),
              absl::StrCat("user_id ", user, " must be >= 1 (leave it unset "
                           "for an anonymous feed)"));
  }
  ExpectStillServing();
}

TEST_F(MalformedTest, QueryAuditLimitMustBeInRange) {
  v1::QueryAuditRequest req;
  v1::QueryAuditResponse resp;
  for (int limit : {0, -1, 1001}) {
    req.set_limit(limit);
    grpc::Status s =
        env_.editor()->QueryAudit(ServerEnv::Ctx("editor").get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << limit;
    EXPECT_EQ(s.error_message(),
              absl::StrCat("limit ", limit, " outside [1, 1000]"));
  }
  for (int limit : {1, 1000}) {
    req.set_limit(limit);
    EXPECT_TRUE(
        env_.editor()->QueryAudit(ServerEnv::Ctx("editor").get(), req, &resp).ok());
  }
}

TEST_F(MalformedTest, ReloadPolicyOnlyInsideThePolicyDirectory) {
  const std::string dir =
      std::filesystem::weakly_canonical(DefaultPath("policies")).string();
  for (const std::string& path :
       {std::string("/etc/shadow"), std::string("/etc/passwd"),
        DefaultPath("policies/../README.md"), dir}) {
    v1::ReloadPolicyRequest req;
    req.set_path(path);
    v1::ReloadPolicyResponse resp;
    grpc::Status s =
        env_.admin()->ReloadPolicy(ServerEnv::Ctx("admin").get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << path;
    EXPECT_EQ(s.error_message(), "policy path must be inside " + dir) << path;
  }
  v1::ReloadPolicyRequest ok;
  ok.set_path(DefaultPath("policies/cn-ecology.textproto"));
  v1::ReloadPolicyResponse resp;
  EXPECT_TRUE(
      env_.admin()->ReloadPolicy(ServerEnv::Ctx("admin").get(), ok, &resp).ok());
  EXPECT_EQ(resp.policy_id(), "cn-ecology");
  ExpectStillServing();
}

// The resolved path, or the error message.
std::string Resolved(const std::string& dir, const std::string& path) {
  absl::StatusOr<std::string> r = PathInsideDir(dir, path);
  return r.ok() ? *r : std::string(r.status().message());
}

TEST(PathInsideDirTest, ResolvesSymlinksAndDotDot) {
  namespace fs = std::filesystem;
  const fs::path root = fs::weakly_canonical(
      ::feedgov::testing::MakeTempDir("feedgov_policy_dir"));
  fs::create_directories(root / "policies" / "sub");
  std::ofstream(root / "policies" / "a.textproto") << "x";
  std::ofstream(root / "outside.textproto") << "x";
  fs::create_symlink(root / "outside.textproto", root / "policies" / "link.textproto");
  fs::create_symlink(root / "policies" / "a.textproto", root / "alias.textproto");
  const std::string dir = (root / "policies").string();
  const std::string want_error = "policy path must be inside " + dir;
  EXPECT_EQ(Resolved(dir, dir + "/a.textproto"), dir + "/a.textproto");
  EXPECT_EQ(Resolved(dir, dir + "/sub/../a.textproto"), dir + "/a.textproto");
  // A symlink outside pointing in resolves inside; a missing file inside is
  // left to the loader (NOT_FOUND there).
  EXPECT_EQ(Resolved(dir, (root / "alias.textproto").string()), dir + "/a.textproto");
  EXPECT_EQ(Resolved(dir, dir + "/missing.textproto"), dir + "/missing.textproto");
  for (const std::string& bad :
       {dir + "/link.textproto", dir + "/../outside.textproto",
        dir + "/sub/../../outside.textproto", dir, dir + "/.",
        std::string("/etc/shadow"), dir + "x/a.textproto"}) {
    EXPECT_THAT(PathInsideDir(dir, bad),
                StatusIs(absl::StatusCode::kPermissionDenied, want_error))
        << bad;
  }
  EXPECT_THAT(PathInsideDir("", dir + "/a.textproto"),
              StatusIs(absl::StatusCode::kPermissionDenied, "no policy directory"));
}

TEST(EchoTest, LongValuesAreCutAndMessagesCapped) {
  EXPECT_EQ(Echo("home"), "home");
  EXPECT_EQ(Echo(std::string(64, 'a')), std::string(64, 'a'));
  EXPECT_EQ(Echo(std::string(1 << 20, 'a')),
            std::string(64, 'a') + "\xe2\x80\xa6 (1048576 bytes)");
  // 63 ASCII bytes then a 3-byte character: the cut keeps whole characters.
  EXPECT_EQ(Echo(std::string(63, 'a') + "\xe2\x82\xac" + "b"),
            std::string(63, 'a') + "\xe2\x80\xa6 (67 bytes)");
  grpc::Status s = ToGrpcStatus(absl::InvalidArgumentError(std::string(1 << 20, 'm')));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), std::string(kMaxErrorMessageBytes, 'm') + "\xe2\x80\xa6");
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("short")).error_message(), "short");
}

TEST(CheckTagTopTest, SameRangeAsTheApi) {
  EXPECT_OK(CheckTagTop("--top", 0));
  EXPECT_OK(CheckTagTop("--top", kMaxTagTop));
  EXPECT_THAT(CheckTagTop("--top", 100000),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--top 100000 outside [0, 10000]"));
  EXPECT_THAT(CheckTagTop("top_n", -1),
              StatusIs(absl::StatusCode::kInvalidArgument, "top_n -1 outside [0, 10000]"));
}

TEST(ServerOptionsTest, PlaintextOnlyOnLoopbackUnlessAllowed) {
  ServerOptions o;
  o.listen = "0.0.0.0:0";
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                     "refusing plaintext on non-loopback"));
  o.allow_insecure_remote = true;
  EXPECT_OK(o.Validate());
  o.listen = "127.0.0.1:99999";
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "port"));
  o.listen = "[::1]:0";
  o.allow_insecure_remote = false;
  EXPECT_OK(o.Validate());
  o.tls_cert_path = "cert.pem";
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "both"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:1"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1:1"));
}

TEST(ServerOptionsTest, IdleThreadsOutsideRangeAreNamed) {
  ServerOptions o;
  for (int bad : {0, -3, 4097}) {
    o.idle_threads = bad;
    EXPECT_THAT(o.Validate(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("idle_threads (--idle-threads) ", bad,
                                      " outside [1, 4096]")));
  }
  for (int good : {1, 128, 4096}) {
    o.idle_threads = good;
    EXPECT_OK(o.Validate());
  }
}

}  // namespace
}  // namespace feedgov::service::testing
