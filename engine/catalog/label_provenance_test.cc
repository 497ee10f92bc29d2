// MergeLabelerOutput and the precedence between labels of one name, on
// hand-built label lists; every expected list is written out by hand.
#include "engine/catalog/label_provenance.h"

#include <string>
#include <vector>

#include "engine/catalog/item_limits.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr UnixSeconds kT = 1767225600;

Label Make(const std::string& name, float confidence, LabelSource source,
           const std::string& origin, float score = -1.0f) {
  Label l{name, confidence, source, kT, origin, score};
  return l;
}
Label Model(const std::string& name, float confidence,
            const std::string& origin, float score = -1.0f) {
  return Make(name, confidence, LabelSource::kModel, origin, score);
}
Label Reviewer(const std::string& name, float confidence,
               const std::string& moderator = "ann") {
  return Make(name, confidence, LabelSource::kReviewer,
              "moderator:" + moderator);
}
Label Mapping(const std::string& name, float confidence) {
  return Make(name, confidence, LabelSource::kMapping, "label_map:movielens");
}

constexpr char kV1[] = "labeler:clickbait_en@3f2a9c01b7de";
constexpr char kV2[] = "labeler:clickbait_en@9b1e07aa2c31";

TEST(LabelProvenance, LabelerOriginsByNameAndAnyVersion) {
  EXPECT_EQ(LabelerOriginPrefix("clickbait_en"), "labeler:clickbait_en@");
  EXPECT_TRUE(IsFromLabeler(Model("bad.clickbait", 0.9f, kV1), "clickbait_en"));
  EXPECT_TRUE(IsFromLabeler(Model("bad.clickbait", 0.9f, kV2), "clickbait_en"));
  // Another labeler whose name starts the same, or a bare name.
  EXPECT_FALSE(IsFromLabeler(Model("bad.clickbait", 0.9f, kV1), "clickbait"));
  EXPECT_FALSE(IsFromLabeler(
      Model("bad.clickbait", 0.9f, "labeler:clickbait_en2@1"), "clickbait_en"));
  EXPECT_FALSE(IsFromLabeler(
      Model("bad.clickbait", 0.9f, "labeler:clickbait_en"), "clickbait_en"));
  // Not a MODEL label, or no origin (stored before provenance).
  EXPECT_FALSE(IsFromLabeler(
      Make("bad.clickbait", 0.9f, LabelSource::kMapping, kV1), "clickbait_en"));
  EXPECT_FALSE(IsFromLabeler(Model("bad.clickbait", 0.9f, ""), "clickbait_en"));
}

TEST(LabelProvenance, ReviewerOutranksEverythingElseConfidenceDecidesTheRest) {
  const Label reviewer0 = Reviewer("bad.clickbait", 0.0f);
  const Label model95 = Model("bad.clickbait", 0.95f, kV1);
  const Label mapping7 = Mapping("bad.clickbait", 0.7f);
  EXPECT_TRUE(Outranks(reviewer0, model95));
  EXPECT_FALSE(Outranks(model95, reviewer0));
  EXPECT_TRUE(Outranks(reviewer0, mapping7));
  EXPECT_FALSE(Outranks(mapping7, reviewer0));
  EXPECT_TRUE(Outranks(model95, mapping7));
  EXPECT_FALSE(Outranks(mapping7, model95));
  // Ties keep the incumbent.
  EXPECT_FALSE(Outranks(Model("bad.clickbait", 0.7f, kV1), mapping7));
  EXPECT_FALSE(Outranks(mapping7, Model("bad.clickbait", 0.7f, kV1)));
  EXPECT_FALSE(Outranks(Reviewer("bad.clickbait", 1.0f, "bob"),
                        Reviewer("bad.clickbait", 1.0f)));
  EXPECT_TRUE(Outranks(Reviewer("bad.clickbait", 1.0f, "bob"), reviewer0));
}

TEST(LabelProvenance, NewVersionReplacesTheOldOnesLabels) {
  const std::vector<Label> stored = {Model("bad.clickbait", 0.7f, kV1, 0.62f),
                                     Mapping("bad.gore_horror", 0.6f)};
  // The new version scores the item lower: its label replaces the old one.
  EXPECT_THAT(MergeLabelerOutput(stored, "clickbait_en",
                                 {Model("bad.clickbait", 0.4f, kV2, 0.35f)}),
              ElementsAre(Mapping("bad.gore_horror", 0.6f),
                          Model("bad.clickbait", 0.4f, kV2, 0.35f)));
  // It no longer emits the label: gone.
  EXPECT_THAT(MergeLabelerOutput(stored, "clickbait_en", {}),
              ElementsAre(Mapping("bad.gore_horror", 0.6f)));
  // The same version again (a relabel): replaced too, not duplicated.
  EXPECT_THAT(MergeLabelerOutput(stored, "clickbait_en",
                                 {Model("bad.clickbait", 0.7f, kV1, 0.62f)}),
              ElementsAre(Mapping("bad.gore_horror", 0.6f),
                          Model("bad.clickbait", 0.7f, kV1, 0.62f)));
  // Another labeler's run leaves clickbait_en's label alone.
  EXPECT_THAT(MergeLabelerOutput(stored, "hate_en", {}),
              ElementsAre(Model("bad.clickbait", 0.7f, kV1, 0.62f),
                          Mapping("bad.gore_horror", 0.6f)));
  EXPECT_THAT(MergeLabelerOutput({}, "clickbait_en", {}), IsEmpty());
}

TEST(LabelProvenance, NewLabelerVersionNeverUndoesAModerator) {
  // The moderator cleared the item (confidence 0); a new version that
  // scores it 0.95 does not bring the label back.
  const std::vector<Label> cleared = {Reviewer("bad.clickbait", 0.0f)};
  EXPECT_THAT(MergeLabelerOutput(cleared, "clickbait_en",
                                 {Model("bad.clickbait", 0.95f, kV2)}),
              ElementsAre(Reviewer("bad.clickbait", 0.0f)));
  // The moderator confirmed it (0.9); the new version says 0.1: still 0.9.
  const std::vector<Label> confirmed = {Reviewer("illegal.rumors", 0.9f),
                                        Model("bad.clickbait", 0.6f, kV1)};
  EXPECT_THAT(
      MergeLabelerOutput(confirmed, "rumor_zh",
                         {Model("illegal.rumors", 0.1f, "labeler:rumor_zh@2")}),
      ElementsAre(Reviewer("illegal.rumors", 0.9f),
                  Model("bad.clickbait", 0.6f, kV1)));
  // The labeler's other names still go in beside the moderator's label.
  EXPECT_THAT(MergeLabelerOutput(cleared, "hate_en",
                                 {Model("bad.vulgar", 0.85f, "labeler:hate_en@1"),
                                  Model("bad.clickbait", 0.99f, "labeler:hate_en@1")}),
              ElementsAre(Reviewer("bad.clickbait", 0.0f),
                          Model("bad.vulgar", 0.85f, "labeler:hate_en@1")));
}

TEST(LabelProvenance, MappingAndModelLabelsOfOneNameKeepTheHigherConfidence) {
  const std::vector<Label> mapped = {Mapping("bad.vulgar", 0.7f)};
  const std::string hate = "labeler:hate_en@5d0c";
  // Higher: the model label replaces the mapping label.
  EXPECT_THAT(MergeLabelerOutput(mapped, "hate_en",
                                 {Model("bad.vulgar", 0.9f, hate, 0.81f)}),
              ElementsAre(Model("bad.vulgar", 0.9f, hate, 0.81f)));
  // Lower or equal: the mapping label stays.
  EXPECT_THAT(MergeLabelerOutput(mapped, "hate_en",
                                 {Model("bad.vulgar", 0.6f, hate)}),
              ElementsAre(Mapping("bad.vulgar", 0.7f)));
  EXPECT_THAT(MergeLabelerOutput(mapped, "hate_en",
                                 {Model("bad.vulgar", 0.7f, hate)}),
              ElementsAre(Mapping("bad.vulgar", 0.7f)));
}

TEST(LabelProvenance, TwoLabelersOfOneNameKeepTheHigherConfidence) {
  // Both the English hate labeler and the Chinese offensive-language
  // labeler emit bad.group_discrimination.
  const std::string en = "labeler:hate_en@1";
  const std::string zh = "labeler:offensive_zh@7";
  const std::vector<Label> stored = {Model("bad.group_discrimination", 0.6f, en),
                                     Reviewer("bad.vulgar", 0.0f)};
  EXPECT_THAT(MergeLabelerOutput(stored, "offensive_zh",
                                 {Model("bad.group_discrimination", 0.5f, zh)}),
              ElementsAre(Model("bad.group_discrimination", 0.6f, en),
                          Reviewer("bad.vulgar", 0.0f)));
  EXPECT_THAT(MergeLabelerOutput(stored, "offensive_zh",
                                 {Model("bad.group_discrimination", 0.61f, zh)}),
              ElementsAre(Reviewer("bad.vulgar", 0.0f),
                          Model("bad.group_discrimination", 0.61f, zh)));
  // A MODEL label stored before provenance (no origin) is another origin.
  EXPECT_THAT(MergeLabelerOutput({Model("bad.clickbait", 0.9f, "")},
                                 "clickbait_en",
                                 {Model("bad.clickbait", 0.2f, kV2)}),
              ElementsAre(Model("bad.clickbait", 0.9f, "")));
}

TEST(LabelProvenance, FreshLabelsOfOneNameKeepTheFirstHighest) {
  EXPECT_THAT(MergeLabelerOutput({}, "clickbait_en",
                                 {Model("bad.clickbait", 0.4f, kV2, 0.1f),
                                  Model("bad.clickbait", 0.6f, kV2, 0.2f),
                                  Model("bad.clickbait", 0.6f, kV2, 0.3f)}),
              ElementsAre(Model("bad.clickbait", 0.6f, kV2, 0.2f)));
}

// Every combination of what is stored under one name (nothing, a reviewer's,
// a mapping's, another labeler's, this labeler's old version's) and what the
// labeler now says (nothing, 0.2, 0.5, 0.8), against the table of the header
// written out case by case; each result passes the item limits.
TEST(LabelProvenance, EveryStoredOriginAgainstEveryFreshConfidence) {
  const std::string other = "labeler:hate_en@1";
  struct Case {
    std::vector<Label> stored;
    std::vector<Label> fresh;
    std::vector<Label> want;
  };
  const Label r5 = Reviewer("bad.clickbait", 0.5f);
  const Label m5 = Mapping("bad.clickbait", 0.5f);
  const Label o5 = Model("bad.clickbait", 0.5f, other);
  const Label old5 = Model("bad.clickbait", 0.5f, kV1);
  const Label f2 = Model("bad.clickbait", 0.2f, kV2);
  const Label f5 = Model("bad.clickbait", 0.5f, kV2);
  const Label f8 = Model("bad.clickbait", 0.8f, kV2);
  const Case cases[] = {
      {{}, {}, {}},           {{}, {f2}, {f2}},
      {{}, {f5}, {f5}},       {{}, {f8}, {f8}},
      {{r5}, {}, {r5}},       {{r5}, {f2}, {r5}},
      {{r5}, {f5}, {r5}},     {{r5}, {f8}, {r5}},
      {{m5}, {}, {m5}},       {{m5}, {f2}, {m5}},
      {{m5}, {f5}, {m5}},     {{m5}, {f8}, {f8}},
      {{o5}, {}, {o5}},       {{o5}, {f2}, {o5}},
      {{o5}, {f5}, {o5}},     {{o5}, {f8}, {f8}},
      {{old5}, {}, {}},       {{old5}, {f2}, {f2}},
      {{old5}, {f5}, {f5}},   {{old5}, {f8}, {f8}},
  };
  int i = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(i++);
    const std::vector<Label> got =
        MergeLabelerOutput(c.stored, "clickbait_en", c.fresh);
    EXPECT_EQ(got, c.want);
    EXPECT_OK(ValidateItemLabels(1, got));
  }
}

}  // namespace
}  // namespace feedgov
