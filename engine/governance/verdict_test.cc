// EvaluateItem on hand-made label sets against the shipped cn-ecology pack
// (and a small pack for the machine-label entry order), and GovernanceView
// against per-row EvaluateItem (the oracle). Expected values are read off
// the packs: cn-ecology v4 rules at 0.5, minors at 0.3 / 0.2, and machine
// labels bad.clickbait, bad.group_discrimination, bad.vulgar and
// illegal.rumors at key-slot 0.25 / elsewhere 0.8.
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
  // Mapping labels by default: held to the rules' own thresholds.
  static Label L(const std::string& name, float conf,
                 LabelSource src = LabelSource::kMapping) {
    return Label{name, conf, src, 0, "", -1.0f};
  }
  // A machine label (source MODEL).
  static Label M(const std::string& name, float conf) {
    return Label{name, conf, LabelSource::kModel, 0, "", -1.0f};
  }
  // A person's label (source REVIEWER).
  static Label R(const std::string& name, float conf) {
    return Label{name, conf, LabelSource::kReviewer, 0, "", -1.0f};
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
  for (const Label& l : {L("positive.core_values", 0.9f),
                         M("positive.core_values", 0.9f)}) {
    ItemVerdict unreviewed = Eval("hot_list", {l});
    EXPECT_FALSE(unreviewed.key_slot_allowed);
    EXPECT_EQ(unreviewed.kept_out_by, kKeptOutUnreviewed);
    EXPECT_TRUE(unreviewed.positive);  // No entry: positive_threshold 0.5.
    EXPECT_FALSE(unreviewed.dropped);
  }
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

// cn-ecology: a machine label is kept out of key slots from its key-slot
// threshold (0.3) and downranked (x0.9 for bad.*) from its elsewhere
// threshold (0.8); the same name from a label map or a person is held to
// the rules' 0.5.
TEST_F(VerdictTest, MachineLabelUsesKeySlotAndElsewhereThresholds) {
  struct Case {
    Label label;
    bool key_slot_allowed;
    float factor;
  };
  const Case cases[] = {
      {M("bad.clickbait", 0.29f), true, 1.0f},
      {M("bad.clickbait", 0.3f), false, 1.0f},   // At the key-slot threshold.
      {M("bad.clickbait", 0.79f), false, 1.0f},
      {M("bad.clickbait", 0.8f), false, 0.9f},   // At the elsewhere threshold.
      {M("bad.vulgar", 0.95f), false, 0.9f},
      {M("bad.group_discrimination", 0.3f), false, 1.0f},
      // No entry for bad.gore_horror: the rules' 0.5 for both.
      {M("bad.gore_horror", 0.49f), true, 1.0f},
      {M("bad.gore_horror", 0.5f), false, 0.9f},
      // Other sources: the rules' 0.5.
      {L("bad.clickbait", 0.3f), true, 1.0f},
      {L("bad.clickbait", 0.5f), false, 0.9f},
      {R("bad.clickbait", 0.49f), true, 1.0f},
      {R("bad.clickbait", 0.5f), false, 0.9f},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label.name + " " + std::to_string(c.label.confidence) +
                 " source " + std::to_string(static_cast<int>(c.label.source)));
    ItemVerdict v = Eval("home", {c.label});
    EXPECT_FALSE(v.dropped);
    EXPECT_EQ(v.key_slot_allowed, c.key_slot_allowed);
    EXPECT_EQ(v.kept_out_by, c.key_slot_allowed ? "" : c.label.name);
    EXPECT_FLOAT_EQ(v.score_factor, c.factor);
    EXPECT_EQ(v.reasons, c.factor < 1.0f ? uint32_t{kDownranked} : 0u);
    EXPECT_EQ(v.awaiting_review, "");  // No DROP rule on bad.* for adults.
  }
}

// cn-ecology: the illegal.* DROP rule ignores machine labels; a machine
// candidate is kept out of every key slot (>= 0.25) and downranked x0.5
// (>= 0.8), and the verdict names it as awaiting review once the DROP rule
// would have fired (>= 0.8 with an entry, >= 0.5 without).
TEST_F(VerdictTest, MachineIllegalCandidateIsHeldForReviewNotDropped) {
  for (const char* surface : {"home", "hot_list", "popup", "feed"}) {
    SCOPED_TRACE(surface);
    ItemVerdict v = Eval(surface, {M("illegal.rumors", 0.95f)});
    EXPECT_FALSE(v.dropped);
    EXPECT_FALSE(v.key_slot_allowed);
    EXPECT_EQ(v.kept_out_by, "illegal.rumors");
    EXPECT_FLOAT_EQ(v.score_factor, 0.5f);
    EXPECT_EQ(v.reasons, uint32_t{kDownranked});
    EXPECT_EQ(v.awaiting_review, "illegal.rumors");
    EXPECT_EQ(v.dropped_by, "");
  }
  ItemVerdict mid = Eval("home", {M("illegal.rumors", 0.5f)});
  EXPECT_FALSE(mid.dropped);
  EXPECT_FALSE(mid.key_slot_allowed);  // 0.5 >= 0.25.
  EXPECT_FLOAT_EQ(mid.score_factor, 1.0f);  // 0.5 < 0.8.
  EXPECT_EQ(mid.awaiting_review, "");        // The DROP rule holds it to 0.8.
  ItemVerdict low = Eval("home", {M("illegal.rumors", 0.24f)});
  EXPECT_TRUE(low.key_slot_allowed);
  EXPECT_FLOAT_EQ(low.score_factor, 1.0f);
  // No entry for illegal.terrorism_extremism: the rules' 0.5 throughout.
  ItemVerdict other = Eval("home", {M("illegal.terrorism_extremism", 0.6f)});
  EXPECT_FALSE(other.dropped);
  EXPECT_EQ(other.kept_out_by, "illegal.terrorism_extremism");
  EXPECT_FLOAT_EQ(other.score_factor, 0.5f);
  EXPECT_EQ(other.awaiting_review, "illegal.terrorism_extremism");
  // A person's label (or a label map's) drops at the rule's 0.5.
  ItemVerdict reviewed = Eval("home", {R("illegal.rumors", 0.5f)});
  EXPECT_TRUE(reviewed.dropped);
  EXPECT_EQ(reviewed.dropped_by, "illegal.rumors");
  EXPECT_EQ(reviewed.awaiting_review, "");
  EXPECT_TRUE(Eval("home", {L("illegal.rumors", 0.5f)}).dropped);
  // Dropped by another label: nothing awaits review.
  ItemVerdict both =
      Eval("home", {M("illegal.rumors", 0.9f), R("illegal.other_prohibited", 0.9f)});
  EXPECT_TRUE(both.dropped);
  EXPECT_EQ(both.dropped_by, "illegal.other_prohibited");
  EXPECT_EQ(both.awaiting_review, "");
}

// cn-ecology's minors rules set drop_on_machine_label: a machine label
// drops for minors at its elsewhere threshold (0.8), not at the rules'
// stricter 0.3 / 0.2; below it the general rules hold it.
TEST_F(VerdictTest, MinorsRulesDropOnMachineLabelsAtTheElsewhereThreshold) {
  ItemVerdict rumor = Eval("feed", {M("illegal.rumors", 0.8f)}, Audience::kMinors);
  EXPECT_TRUE(rumor.dropped);
  EXPECT_EQ(rumor.dropped_by, "illegal.rumors");
  EXPECT_EQ(rumor.awaiting_review, "");
  ItemVerdict below =
      Eval("feed", {M("illegal.rumors", 0.79f)}, Audience::kMinors);
  EXPECT_FALSE(below.dropped);
  EXPECT_FALSE(below.key_slot_allowed);
  EXPECT_FLOAT_EQ(below.score_factor, 1.0f);
  EXPECT_TRUE(Eval("feed", {M("bad.vulgar", 0.8f)}, Audience::kMinors).dropped);
  // bad.vulgar: key-slot 0.55, elsewhere 0.75.
  ItemVerdict vulgar = Eval("feed", {M("bad.vulgar", 0.6f)}, Audience::kMinors);
  EXPECT_FALSE(vulgar.dropped);
  EXPECT_FALSE(vulgar.key_slot_allowed);
  EXPECT_TRUE(Eval("feed", {M("bad.vulgar", 0.75f)}, Audience::kMinors).dropped);
  EXPECT_TRUE(Eval("feed", {M("bad.vulgar", 0.5f)}, Audience::kMinors).key_slot_allowed);
  // No entry for bad.gore_horror: the minors' rule threshold 0.3.
  EXPECT_TRUE(
      Eval("feed", {M("bad.gore_horror", 0.3f)}, Audience::kMinors).dropped);
  EXPECT_TRUE(Eval("feed", {R("bad.vulgar", 0.3f)}, Audience::kMinors).dropped);
}

// A person's label overrides a machine's or a label map's label of the same
// name: a moderator's bad.clickbait at confidence 0 clears a labeler's 0.95.
TEST_F(VerdictTest, ReviewerLabelOverridesOtherLabelsOfTheSameName) {
  for (const char* surface : {"home", "hot_list"}) {
    SCOPED_TRACE(surface);
    ItemVerdict cleared =
        Eval(surface, {M("bad.clickbait", 0.95f), R("bad.clickbait", 0.0f)});
    EXPECT_TRUE(cleared.key_slot_allowed);  // hot_list: reviewed, too.
    EXPECT_EQ(cleared.kept_out_by, "");
    EXPECT_FLOAT_EQ(cleared.score_factor, 1.0f);
    EXPECT_EQ(cleared.reasons, 0u);
  }
  // Either order of the two labels.
  ItemVerdict mapped =
      Eval("home", {R("bad.gore_horror", 0.1f), L("bad.gore_horror", 0.9f)});
  EXPECT_TRUE(mapped.key_slot_allowed);
  EXPECT_FLOAT_EQ(mapped.score_factor, 1.0f);
  // The reviewer clears a held illegal candidate...
  ItemVerdict rumor =
      Eval("home", {M("illegal.rumors", 0.95f), R("illegal.rumors", 0.0f)});
  EXPECT_FALSE(rumor.dropped);
  EXPECT_TRUE(rumor.key_slot_allowed);
  EXPECT_FLOAT_EQ(rumor.score_factor, 1.0f);
  EXPECT_EQ(rumor.awaiting_review, "");
  // ... or confirms it: dropped.
  ItemVerdict confirmed =
      Eval("home", {M("illegal.rumors", 0.4f), R("illegal.rumors", 0.9f)});
  EXPECT_TRUE(confirmed.dropped);
  EXPECT_EQ(confirmed.dropped_by, "illegal.rumors");
  // A reviewer label of another name overrides nothing.
  ItemVerdict other =
      Eval("home", {M("bad.clickbait", 0.95f), R("bad.vulgar", 0.0f)});
  EXPECT_FALSE(other.key_slot_allowed);
  EXPECT_EQ(other.kept_out_by, "bad.clickbait");
  EXPECT_FLOAT_EQ(other.score_factor, 0.9f);
  // The positive test too.
  ItemVerdict positive = Eval(
      "home", {M("positive.core_values", 0.9f), R("positive.core_values", 0.0f)});
  EXPECT_FALSE(positive.positive);
  EXPECT_FLOAT_EQ(positive.score_factor, 1.0f);
}

// A small pack: the first matching machine_label entry decides (bad.vulgar
// before bad.*), the positive test and BOOST use the elsewhere threshold,
// and a DROP rule with drop_on_machine_label drops at it.
TEST(MachineLabelEntries, FirstMatchingEntryDecides) {
  const std::string dir = ::feedgov::testing::SourceDir() + "/policies/";
  ASSERT_OK_AND_ASSIGN(Taxonomy tax, Taxonomy::Load(dir + "labels.textproto"));
  ASSERT_OK_AND_ASSIGN(
      auto pack,
      ParsePolicyPack(
          "m.textproto",
          "id: \"m\"\nversion: 1\n"
          "surface { id: \"home\" kind: SURFACE_KIND_FIRST_SCREEN "
          "first_n_key_slots: 2 }\n"
          "rule { label: \"illegal.*\" action: RULE_ACTION_DROP threshold: 0.5 "
          "drop_on_machine_label: true }\n"
          "rule { label: \"bad.*\" action: RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS "
          "threshold: 0.5 }\n"
          "rule { label: \"positive.*\" action: RULE_ACTION_BOOST threshold: 0.5 "
          "factor: 1.2 }\n"
          "machine_label { label: \"bad.vulgar\" key_slot_threshold: 0.1 "
          "elsewhere_threshold: 0.2 }\n"
          "machine_label { label: \"bad.*\" key_slot_threshold: 0.6 "
          "elsewhere_threshold: 0.7 }\n"
          "machine_label { label: \"positive.core_values\" key_slot_threshold: 0.9 "
          "elsewhere_threshold: 0.95 }\n"
          "machine_label { label: \"illegal.*\" key_slot_threshold: 0.2 "
          "elsewhere_threshold: 0.4 }\n",
          tax));
  const Surface& home = *pack->FindSurface("home");
  auto eval = [&](Label l) {
    return EvaluateItem(*pack, home, Audience::kGeneral, {l});
  };
  auto m = [](const char* name, float c) {
    return Label{name, c, LabelSource::kModel, 0, "", -1.0f};
  };
  EXPECT_EQ(pack->MachineLabelFor("bad.vulgar"), &pack->machine_labels[0]);
  EXPECT_EQ(pack->MachineLabelFor("bad.clickbait"), &pack->machine_labels[1]);
  EXPECT_EQ(pack->MachineLabelFor("positive.party_policy"), nullptr);
  EXPECT_FALSE(eval(m("bad.vulgar", 0.15f)).key_slot_allowed);     // >= 0.1.
  EXPECT_TRUE(eval(m("bad.clickbait", 0.59f)).key_slot_allowed);   // < 0.6.
  EXPECT_FALSE(eval(m("bad.clickbait", 0.6f)).key_slot_allowed);
  ItemVerdict weak = eval(m("positive.core_values", 0.9f));  // < 0.95.
  EXPECT_FALSE(weak.positive);
  EXPECT_FLOAT_EQ(weak.score_factor, 1.0f);
  ItemVerdict strong = eval(m("positive.core_values", 0.95f));
  EXPECT_TRUE(strong.positive);
  EXPECT_FLOAT_EQ(strong.score_factor, 1.2f);
  EXPECT_EQ(strong.reasons, uint32_t{kPositiveBoost});
  ItemVerdict mapped = eval(Label{"positive.core_values", 0.6f,
                                  LabelSource::kMapping, 0, "", -1.0f});
  EXPECT_TRUE(mapped.positive);
  EXPECT_FLOAT_EQ(mapped.score_factor, 1.2f);
  ItemVerdict no_entry = eval(m("positive.party_policy", 0.6f));
  EXPECT_TRUE(no_entry.positive);  // positive_threshold 0.5.
  EXPECT_FLOAT_EQ(no_entry.score_factor, 1.2f);
  ItemVerdict dropped = eval(m("illegal.rumors", 0.4f));
  EXPECT_TRUE(dropped.dropped);
  EXPECT_EQ(dropped.dropped_by, "illegal.rumors");
  EXPECT_EQ(dropped.awaiting_review, "");
  ItemVerdict kept = eval(m("illegal.rumors", 0.39f));
  EXPECT_FALSE(kept.dropped);
  EXPECT_TRUE(kept.key_slot_allowed);  // No KEEP_OUT rule on illegal.* here.
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
      {M("illegal.rumors", 0.9f)},
      {M("illegal.rumors", 0.9f), M("bad.vulgar", 0.9f)},
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
  EXPECT_EQ(c.rows, 9);
  EXPECT_EQ(c.dropped, 3);
  EXPECT_EQ(c.label_errors, 1);
  EXPECT_EQ(c.dropped_by_label.at("illegal.rumors"), 2);
  EXPECT_EQ(c.dropped_by_label.at("made.up"), 1);
  // Rows 2 and 4 by their bad labels, 7 and 8 by the machine illegal.rumors.
  EXPECT_EQ(c.kept_out_of_key_slots, 4);
  EXPECT_EQ(c.kept_out_by_label.at("illegal.rumors"), 2);
  EXPECT_EQ(c.positive, 2);
  EXPECT_EQ(c.positive_key_slot_allowed, 1);
  EXPECT_EQ(c.downranked, 4);  // Rows 2 and 4 (x0.9), 7 (x0.5), 8 (x0.45).
  EXPECT_FLOAT_EQ(view->score_factor(8), 0.5f * 0.9f);
  EXPECT_EQ(c.awaiting_review, 2);
  EXPECT_EQ(c.awaiting_review_by_label.at("illegal.rumors"), 2);
  EXPECT_EQ(view->servable().count(), 6);
}

// Random labels drawn from a mix that exercises every rule kind: illegal,
// bad, positive, reviewer-sourced, unknown names and bad confidences.
std::vector<Label> RandomLabels(std::mt19937& rng) {
  static const char* const kNames[] = {
      "illegal.rumors",    "bad.clickbait",        "bad.vulgar",
      "bad.gore_horror",   "positive.core_values", "positive.party_policy",
      "made.up"};
  std::uniform_int_distribution<int> count(0, 3), name(0, 6), src(0, 4);
  std::uniform_real_distribution<float> conf(0.0f, 1.0f);
  std::vector<Label> out(count(rng));
  for (Label& l : out) {
    l.name = kNames[name(rng)];
    l.confidence = conf(rng);
    if (l.name == "made.up" && conf(rng) < 0.5f) l.name = "bad.clickbait";
    if (conf(rng) < 0.03f) l.confidence = 1.5f;  // Unevaluable.
    const int s = src(rng);
    l.source = s == 0   ? LabelSource::kReviewer
               : s == 1 ? LabelSource::kMapping
                        : LabelSource::kModel;
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
