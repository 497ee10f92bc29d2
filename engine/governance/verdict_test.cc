// EvaluateItem on hand-made label sets against the shipped cn-ecology pack,
// and GovernanceView against per-row EvaluateItem (the oracle).
#include "engine/governance/verdict.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/common/reasons.h"
#include "engine/governance/policy_loader.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

class VerdictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = ::feedgov::testing::SourceDir() + "/policies/";
    auto tax = Taxonomy::Load(dir + "labels.textproto");
    ASSERT_OK(tax);
    auto pack = LoadPolicyPack(dir + "cn-ecology.textproto", *tax);
    ASSERT_OK(pack);
    pack_ = *pack;
  }
  ItemVerdict Eval(const std::string& surface, std::vector<Label> labels,
                   Audience audience = Audience::kGeneral) {
    const Surface* s = pack_->FindSurface(surface);
    EXPECT_NE(s, nullptr);
    return EvaluateItem(*pack_, *s, audience, labels);
  }
  static Label L(const std::string& name, float conf,
                 LabelSource src = LabelSource::kModel) {
    return Label{name, conf, src, 0};
  }
  std::shared_ptr<const PolicyPack> pack_;
};

TEST_F(VerdictTest, UnlabeledItemOnHomeIsServableAndKeySlotAllowed) {
  ItemVerdict v = Eval("home", {});
  EXPECT_FALSE(v.dropped);
  EXPECT_TRUE(v.key_slot_allowed);
  EXPECT_FALSE(v.positive);
  EXPECT_EQ(v.score_factor, 1.0f);
  EXPECT_EQ(v.reasons, 0u);
}

TEST_F(VerdictTest, IllegalDroppedAtThresholdNotBelow) {
  ItemVerdict at = Eval("feed", {L("illegal.rumors", 0.5f)});
  EXPECT_TRUE(at.dropped);
  EXPECT_EQ(at.dropped_by, "illegal.rumors");
  EXPECT_FALSE(at.key_slot_allowed);
  EXPECT_FALSE(at.label_error);
  EXPECT_TRUE(Eval("feed", {L("illegal.rumors", 0.9f)}).dropped);
  ItemVerdict below = Eval("feed", {L("illegal.rumors", 0.49f)});
  EXPECT_FALSE(below.dropped);
  EXPECT_TRUE(below.key_slot_allowed);
}

TEST_F(VerdictTest, BadKeptOutOfKeySlotsAndDownrankedButServed) {
  ItemVerdict v = Eval("home", {L("bad.gore_horror", 0.8f)});
  EXPECT_FALSE(v.dropped);
  EXPECT_FALSE(v.key_slot_allowed);
  EXPECT_EQ(v.kept_out_by, "bad.gore_horror");
  EXPECT_FLOAT_EQ(v.score_factor, 0.9f);  // cn-ecology v2: bad.* DOWNRANK x0.9.
  EXPECT_EQ(v.reasons, uint32_t{kDownranked});
  ItemVerdict below = Eval("home", {L("bad.gore_horror", 0.4f)});
  EXPECT_TRUE(below.key_slot_allowed);
  EXPECT_FLOAT_EQ(below.score_factor, 1.0f);
}

TEST_F(VerdictTest, RuleFiresOnceEvenWithSeveralMatchingLabels) {
  ItemVerdict v =
      Eval("feed", {L("bad.vulgar", 0.9f), L("bad.clickbait", 0.9f)});
  EXPECT_FLOAT_EQ(v.score_factor, 0.9f);  // Once, not 0.9 * 0.9.
  EXPECT_EQ(v.kept_out_by, "bad.vulgar");
}

TEST_F(VerdictTest, PositiveBoostedAndCountedAtThreshold) {
  ItemVerdict v = Eval("home", {L("positive.taste_responsibility", 0.5f)});
  EXPECT_TRUE(v.positive);
  EXPECT_TRUE(v.key_slot_allowed);
  EXPECT_FLOAT_EQ(v.score_factor, 1.05f);  // cn-ecology v2: BOOST x1.05.
  EXPECT_EQ(v.reasons, uint32_t{kPositiveBoost});
  EXPECT_FALSE(Eval("home", {L("positive.taste_responsibility", 0.45f)}).positive);
  // Positive and bad together: boosted and downranked, kept out.
  ItemVerdict both = Eval("home", {L("positive.core_values", 0.9f),
                                   L("bad.vulgar", 0.9f)});
  EXPECT_TRUE(both.positive);
  EXPECT_FALSE(both.key_slot_allowed);
  EXPECT_FLOAT_EQ(both.score_factor, 1.05f * 0.9f);
  EXPECT_EQ(both.reasons, uint32_t{kPositiveBoost | kDownranked});
}

TEST_F(VerdictTest, MinorsAudienceDropsBadEverywhereWithStricterThresholds) {
  ItemVerdict v = Eval("feed", {L("bad.sexual_innuendo", 0.35f)},
                       Audience::kMinors);
  EXPECT_TRUE(v.dropped);
  EXPECT_EQ(v.dropped_by, "bad.sexual_innuendo");
  EXPECT_FALSE(Eval("feed", {L("bad.sexual_innuendo", 0.35f)}).dropped);
  EXPECT_FALSE(Eval("feed", {L("bad.sexual_innuendo", 0.25f)},
                    Audience::kMinors).dropped);
  EXPECT_TRUE(Eval("feed", {L("illegal.rumors", 0.2f)}, Audience::kMinors).dropped);
  EXPECT_FALSE(Eval("feed", {L("illegal.rumors", 0.2f)}).dropped);
}

TEST_F(VerdictTest, UnknownLabelOrBadConfidenceFailsClosed) {
  for (const Label& l :
       {L("bad.not_in_taxonomy", 0.9f), L("positive.core_values", 1.5f),
        L("positive.core_values", -0.1f),
        L("positive.core_values", std::numeric_limits<float>::quiet_NaN())}) {
    SCOPED_TRACE(l.name + " " + std::to_string(l.confidence));
    ItemVerdict v = Eval("feed", {L("positive.core_values", 0.9f), l});
    EXPECT_TRUE(v.dropped);
    EXPECT_TRUE(v.label_error);
    EXPECT_FALSE(v.key_slot_allowed);
    EXPECT_FALSE(v.positive);
    EXPECT_EQ(v.dropped_by, l.name);
  }
}

TEST_F(VerdictTest, HotListRequiresAReviewerLabelForKeySlots) {
  ItemVerdict model_only = Eval("hot_list", {L("positive.core_values", 0.9f)});
  EXPECT_FALSE(model_only.key_slot_allowed);
  EXPECT_EQ(model_only.kept_out_by, kKeptOutUnreviewed);
  EXPECT_TRUE(model_only.positive);
  EXPECT_FALSE(model_only.dropped);
  // A reviewer's "checked, not adverse" label (confidence 0) marks it reviewed.
  ItemVerdict reviewed = Eval(
      "hot_list", {L("positive.core_values", 0.9f),
                   L("bad.other_adverse", 0.0f, LabelSource::kReviewer)});
  EXPECT_TRUE(reviewed.key_slot_allowed);
  ItemVerdict unlabeled_featured = Eval("featured", {});
  EXPECT_FALSE(unlabeled_featured.key_slot_allowed);
  EXPECT_EQ(unlabeled_featured.kept_out_by, kKeptOutUnlabeled);
  EXPECT_TRUE(Eval("featured", {L("bad.vulgar", 0.1f)}).key_slot_allowed);
}

TEST_F(VerdictTest, ViewMatchesPerRowEvaluationAndCounts) {
  std::vector<std::vector<Label>> rows = {
      {},
      {L("illegal.rumors", 0.9f)},
      {L("bad.gore_horror", 0.8f)},
      {L("positive.core_values", 0.7f)},
      {L("positive.core_values", 0.7f), L("bad.vulgar", 0.6f)},
      {L("made.up", 0.5f)},
      {L("illegal.rumors", 0.6f), L("bad.vulgar", 0.6f)},
  };
  const Surface& home = *pack_->FindSurface("home");
  auto view = GovernanceView::Build(
      *pack_, home, Audience::kGeneral, rows.size(),
      [&](Row r) { return absl::Span<const Label>(rows[r]); });
  for (Row r = 0; r < static_cast<Row>(rows.size()); ++r) {
    SCOPED_TRACE(r);
    ItemVerdict expected = EvaluateItem(*pack_, home, Audience::kGeneral, rows[r]);
    EXPECT_EQ(view->verdict(r), expected);
    EXPECT_EQ(view->servable().contains(r), !expected.dropped);
    EXPECT_EQ(view->key_slot_allowed().contains(r), expected.key_slot_allowed);
    EXPECT_EQ(view->positive_key_slot_allowed().contains(r),
              expected.positive && expected.key_slot_allowed);
    EXPECT_EQ(view->positive().contains(r), expected.positive);
  }
  const GovernanceView::Counters& c = view->counters();
  EXPECT_EQ(c.rows, 7);
  EXPECT_EQ(c.dropped, 3);
  EXPECT_EQ(c.label_errors, 1);
  EXPECT_EQ(c.dropped_by_label.at("illegal.rumors"), 2);
  EXPECT_EQ(c.dropped_by_label.at("made.up"), 1);
  EXPECT_EQ(c.kept_out_of_key_slots, 2);
  EXPECT_EQ(c.positive, 2);
  EXPECT_EQ(c.positive_key_slot_allowed, 1);
  EXPECT_EQ(view->servable().count(), 4);
}

// Random labels drawn from a mix that exercises every rule kind: illegal,
// bad, positive, reviewer-sourced, unknown names and bad confidences.
std::vector<Label> RandomLabels(std::mt19937& rng) {
  static const char* const kNames[] = {
      "illegal.rumors",    "bad.clickbait",        "bad.vulgar",
      "bad.gore_horror",   "positive.core_values", "positive.party_policy",
      "made.up"};
  std::uniform_int_distribution<int> count(0, 3), name(0, 6), src(0, 3);
  std::uniform_real_distribution<float> conf(0.0f, 1.0f);
  std::vector<Label> out(count(rng));
  for (Label& l : out) {
    l.name = kNames[name(rng)];
    l.confidence = conf(rng);
    if (l.name == "made.up" && conf(rng) < 0.5f) l.name = "bad.clickbait";
    if (conf(rng) < 0.03f) l.confidence = 1.5f;  // Unevaluable.
    l.source = src(rng) == 0 ? LabelSource::kReviewer : LabelSource::kModel;
  }
  return out;
}

void ExpectSameView(const GovernanceView& got, const GovernanceView& want) {
  ASSERT_EQ(got.num_rows(), want.num_rows());
  for (Row r = 0; r < want.num_rows(); ++r) {
    ASSERT_EQ(got.verdict(r), want.verdict(r)) << "row " << r;
    ASSERT_EQ(got.score_factor(r), want.score_factor(r)) << "row " << r;
    ASSERT_EQ(got.reasons(r), want.reasons(r)) << "row " << r;
  }
  // Boosted rows and the largest lift, against a scan of the fresh view.
  RowSet boosted(want.num_rows());
  float max_boost = 1.0f;
  for (Row r = 0; r < want.num_rows(); ++r) {
    if (want.score_factor(r) > 1.0f) {
      boosted.insert(r);
      max_boost = std::max(max_boost, want.score_factor(r));
    }
  }
  EXPECT_TRUE(got.boosted() == boosted);
  EXPECT_EQ(got.max_boost_factor(), max_boost);
  EXPECT_TRUE(got.servable() == want.servable());
  EXPECT_TRUE(got.key_slot_allowed() == want.key_slot_allowed());
  EXPECT_TRUE(got.positive_key_slot_allowed() == want.positive_key_slot_allowed());
  EXPECT_TRUE(got.label_errors() == want.label_errors());
  EXPECT_TRUE(got.counters() == want.counters());
  EXPECT_EQ(got.counters().dropped_by_label, want.counters().dropped_by_label);
  EXPECT_EQ(got.counters().kept_out_by_label, want.counters().kept_out_by_label);
  EXPECT_EQ(got.counters().dropped, want.counters().dropped);
  EXPECT_EQ(got.counters().positive, want.counters().positive);
}

// Oracle: after every random batch of label changes, the incrementally
// updated view equals a fresh Build over the new labels; the base view it
// was derived from is unchanged.
TEST_F(VerdictTest, IncrementalViewEqualsFreshBuildUnderRandomUpdates) {
  // Three chunks of the per-row arrays (ChunkedArray), the last partial.
  constexpr int kRows = 2 * ChunkedArray<float>::kChunk + 100;
  const std::pair<const char*, Audience> cases[] = {
      {"home", Audience::kGeneral},     {"hot_list", Audience::kGeneral},
      {"featured", Audience::kGeneral}, {"minors_zone", Audience::kMinors},
      {"feed", Audience::kMinors}};
  for (const auto& [surface_id, audience] : cases) {
    SCOPED_TRACE(surface_id);
    const Surface& surface = *pack_->FindSurface(surface_id);
    std::mt19937 rng(7);
    std::vector<std::vector<Label>> labels(kRows);
    for (auto& l : labels) l = RandomLabels(rng);
    auto labels_of = [&](Row r) { return absl::Span<const Label>(labels[r]); };
    auto view = GovernanceView::Build(*pack_, surface, audience, kRows, labels_of);
    std::uniform_int_distribution<int> batch(0, 40), row(0, kRows - 1);
    for (int round = 0; round < 12; ++round) {
      SCOPED_TRACE(round);
      const std::vector<std::vector<Label>> before = labels;
      std::vector<Row> changed(batch(rng));
      for (Row& r : changed) {
        r = row(rng);
        labels[r] = RandomLabels(rng);
      }
      if (!changed.empty()) changed.push_back(changed.front());  // Duplicate.
      auto next = GovernanceView::WithUpdatedRows(*view, *pack_, surface,
                                                  audience, changed, labels_of);
      ASSERT_OK(next);
      // The base still describes the labels it was built from.
      ExpectSameView(*view, *GovernanceView::Build(
                                *pack_, surface, audience, kRows, [&](Row r) {
                                  return absl::Span<const Label>(before[r]);
                                }));
      auto fresh = GovernanceView::Build(*pack_, surface, audience, kRows, labels_of);
      ExpectSameView(**next, *fresh);
      view = *next;
    }
  }
}

TEST_F(VerdictTest, IncrementalViewRefusesOtherSurfaceAndBadRows) {
  std::vector<Label> none;
  auto labels_of = [&](Row) { return absl::Span<const Label>(none); };
  const Surface& home = *pack_->FindSurface("home");
  const Surface& feed = *pack_->FindSurface("feed");
  auto view = GovernanceView::Build(*pack_, home, Audience::kGeneral, 10, labels_of);
  const Row ten[] = {10};
  EXPECT_EQ(GovernanceView::WithUpdatedRows(*view, *pack_, home,
                                            Audience::kGeneral, ten, labels_of)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  const Row one[] = {1};
  EXPECT_EQ(GovernanceView::WithUpdatedRows(*view, *pack_, feed,
                                            Audience::kGeneral, one, labels_of)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GovernanceView::WithUpdatedRows(*view, *pack_, home,
                                            Audience::kMinors, one, labels_of)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace feedgov
