#include "engine/intervention/intervention.h"

#include <string>

#include "engine/common/time_util.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

Intervention ValidPin() {
  Intervention iv;
  iv.kind = InterventionKind::kPin;
  iv.item_id = 318;
  iv.surface = "home";
  iv.position = 0;
  iv.editor = "alice";
  iv.reason = "editorial pick";
  iv.start = absl::FromUnixSeconds(1'700'000'000);
  iv.end = absl::FromUnixSeconds(1'700'086'400);
  return iv;
}

struct BadCase {
  const char* name;
  void (*mutate)(Intervention&);
  const char* expected;
};

TEST(ValidateInterventionTest, AcceptsWellFormedInterventionsOfEveryKind) {
  EXPECT_OK(ValidateIntervention(ValidPin()));
  Intervention iv = ValidPin();
  iv.kind = InterventionKind::kSuppressItem;
  EXPECT_OK(ValidateIntervention(iv));
  iv.kind = InterventionKind::kSuppressAuthor;
  iv.author = "Some Studio";
  EXPECT_OK(ValidateIntervention(iv));
  iv.kind = InterventionKind::kSuppressNearDuplicates;
  iv.cosine_threshold = 1.0;  // Inclusive upper bound.
  EXPECT_OK(ValidateIntervention(iv));
  iv.kind = InterventionKind::kBoost;
  iv.factor = 1.0001;
  EXPECT_OK(ValidateIntervention(iv));
  iv.kind = InterventionKind::kBury;
  iv.factor = 0.5;
  EXPECT_OK(ValidateIntervention(iv));
  iv = ValidPin();
  iv.position = kMaxPinPosition - 1;
  iv.end = absl::InfiniteFuture();
  EXPECT_OK(ValidateIntervention(iv));
}

TEST(ValidateInterventionTest, RejectsEachBadFieldNamingIt) {
  const BadCase cases[] = {
      {"empty editor", [](Intervention& iv) { iv.editor = ""; },
       "intervention.editor: is required"},
      {"empty reason", [](Intervention& iv) { iv.reason = ""; },
       "intervention.reason: is required"},
      {"long reason",
       [](Intervention& iv) { iv.reason = std::string(kMaxReasonLength + 1, 'r'); },
       "intervention.reason: is 2001 bytes"},
      {"control char",
       [](Intervention& iv) { iv.editor = std::string("a\x01") + "b"; },
       "intervention.editor: contains a control character"},
      {"start == end", [](Intervention& iv) { iv.end = iv.start; },
       "intervention.end: window must satisfy start < end"},
      {"start after end",
       [](Intervention& iv) { iv.end = iv.start - absl::Seconds(1); },
       "intervention.end"},
      {"infinite start",
       [](Intervention& iv) { iv.start = absl::InfinitePast(); },
       "intervention.start: must be a finite time"},
      {"negative position", [](Intervention& iv) { iv.position = -1; },
       "intervention.position: pin position must be in [0, 500), got -1"},
      {"position 500", [](Intervention& iv) { iv.position = 500; },
       "intervention.position"},
      {"boost factor 1",
       [](Intervention& iv) {
         iv.kind = InterventionKind::kBoost;
         iv.factor = 1.0;
       },
       "intervention.factor: boost factor must be in (1, 100], got 1"},
      {"boost factor 1e308 (scores must stay finite)",
       [](Intervention& iv) {
         iv.kind = InterventionKind::kBoost;
         iv.factor = 1e308;
       },
       "intervention.factor: boost factor must be in (1, 100]"},
      {"boost factor inf",
       [](Intervention& iv) {
         iv.kind = InterventionKind::kBoost;
         iv.factor = std::numeric_limits<double>::infinity();
       },
       "intervention.factor"},
      {"bury factor 0",
       [](Intervention& iv) {
         iv.kind = InterventionKind::kBury;
         iv.factor = 0.0;
       },
       "intervention.factor: bury factor must be in [0.01, 1), got 0"},
      {"bury factor 1",
       [](Intervention& iv) {
         iv.kind = InterventionKind::kBury;
         iv.factor = 1.0;
       },
       "intervention.factor"},
      {"threshold 0",
       [](Intervention& iv) {
         iv.kind = InterventionKind::kSuppressNearDuplicates;
         iv.cosine_threshold = 0.0;
       },
       "intervention.cosine_threshold: must be in (0, 1], got 0"},
      {"threshold 1.5",
       [](Intervention& iv) {
         iv.kind = InterventionKind::kSuppressNearDuplicates;
         iv.cosine_threshold = 1.5;
       },
       "intervention.cosine_threshold"},
      {"author missing",
       [](Intervention& iv) { iv.kind = InterventionKind::kSuppressAuthor; },
       "intervention.author: is required"},
  };
  for (const BadCase& c : cases) {
    Intervention iv = ValidPin();
    c.mutate(iv);
    EXPECT_THAT(ValidateIntervention(iv),
                StatusIs(absl::StatusCode::kInvalidArgument, c.expected))
        << c.name;
  }
}

TEST(InterventionKindTest, NamesRoundTripAndUnknownIsRejected) {
  for (InterventionKind k :
       {InterventionKind::kPin, InterventionKind::kSuppressItem,
        InterventionKind::kSuppressAuthor,
        InterventionKind::kSuppressNearDuplicates, InterventionKind::kBoost,
        InterventionKind::kBury}) {
    ASSERT_OK_AND_ASSIGN(InterventionKind back,
                         ParseInterventionKind(InterventionKindName(k)));
    EXPECT_EQ(back, k);
  }
  EXPECT_THAT(ParseInterventionKind("DEMOTE"),
              StatusIs(absl::StatusCode::kInvalidArgument, "'DEMOTE'"));
}

TEST(SerializeInterventionTest, ProducesCanonicalEscapedJson) {
  Intervention iv = ValidPin();
  iv.id = "iv-000007";
  iv.reason = "say \"hi\"\nnow\\";
  iv.created = absl::FromUnixMicros(1'700'000'000'000'001);
  iv.end = absl::InfiniteFuture();
  EXPECT_EQ(SerializeIntervention(iv),
            "{\"id\":\"iv-000007\",\"kind\":\"PIN\",\"item_id\":318,"
            "\"author\":\"\",\"surface\":\"home\",\"position\":0,"
            "\"factor\":1,\"cosine_threshold\":0,\"editor\":\"alice\","
            "\"reason\":\"say \\\"hi\\\"\\nnow\\\\\",\"article_ref\":\"\","
            "\"created\":\"2023-11-14T22:13:20.000001Z\","
            "\"start\":\"2023-11-14T22:13:20.000000Z\",\"end\":null,"
            "\"revoked\":false}");
}

// Issue 13 item 6: the zone a window was entered in is part of the audited
// intervention, and entries written before zones existed serialize as they
// did (so their hashes and the row checks still verify).
TEST(SerializeInterventionTest, TimeZoneFollowsEndOnlyWhenSet) {
  Intervention iv = ValidPin();
  iv.id = "iv-000008";
  const std::string without = SerializeIntervention(iv);
  EXPECT_EQ(without.find("time_zone"), std::string::npos) << without;
  iv.time_zone = "Asia/Shanghai";
  EXPECT_NE(SerializeIntervention(iv).find(
                "\"end\":\"2023-11-15T22:13:20.000000Z\","
                "\"time_zone\":\"Asia/Shanghai\",\"revoked\":false}"),
            std::string::npos)
      << SerializeIntervention(iv);
}

TEST(ValidateInterventionTest, TimeZoneMustBeAKnownIanaName) {
  Intervention iv = ValidPin();
  iv.time_zone = "America/New_York";
  EXPECT_OK(ValidateIntervention(iv));
  for (const char* bad : {"Mars/Olympus_Mons", "../../etc/passwd", "Asia/"}) {
    iv.time_zone = bad;
    EXPECT_THAT(ValidateIntervention(iv),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("intervention.time_zone: unknown time "
                                      "zone '",
                                      bad, "'")));
  }
}

TEST(InterventionRecordTest, RecordConversionRoundTrips) {
  Intervention iv = ValidPin();
  iv.id = "iv-000001";
  iv.kind = InterventionKind::kSuppressNearDuplicates;
  iv.cosine_threshold = 0.9;
  iv.article_ref = "Algo. Art. 12";
  iv.time_zone = "Asia/Shanghai";
  ASSERT_OK_AND_ASSIGN(Intervention back, FromRecord(ToRecord(iv)));
  EXPECT_EQ(back, iv);
  InterventionRecord bad = ToRecord(iv);
  bad.kind = "HIDE";
  EXPECT_THAT(FromRecord(bad),
              StatusIs(absl::StatusCode::kDataLoss, "stored intervention iv-000001"));
}

TEST(InterventionTest, ActiveAtUsesHalfOpenWindow) {
  Intervention iv = ValidPin();
  EXPECT_FALSE(iv.ActiveAt(iv.start - absl::Microseconds(1)));
  EXPECT_TRUE(iv.ActiveAt(iv.start));
  EXPECT_TRUE(iv.ActiveAt(iv.end - absl::Microseconds(1)));
  EXPECT_FALSE(iv.ActiveAt(iv.end));
  iv.revoked = true;
  EXPECT_FALSE(iv.ActiveAt(iv.start));
}

}  // namespace
}  // namespace feedgov
