// Taxonomy and policy-pack loading: shipped files load and lint clean; one
// bad pack per error class, each error naming file:line; the registry keeps
// the old pack on a failed reload and readers see old or new, never a mix.
#include "engine/governance/policy_loader.h"

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "engine/governance/lint.h"
#include "engine/governance/taxonomy.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::feedgov::testing::SourceDir;
using ::testing::HasSubstr;

std::string Policies(const std::string& name) {
  return SourceDir() + "/policies/" + name;
}

const Taxonomy& Tax() {
  static const Taxonomy* t = [] {
    auto loaded = Taxonomy::Load(Policies("labels.textproto"));
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return new Taxonomy(*std::move(loaded));
  }();
  return *t;
}

TEST(Taxonomy, ShippedTaxonomyHasOneLabelPerArticleItem) {
  const Taxonomy& t = Tax();
  int per_article[8] = {0};
  for (const TaxonomyEntry& e : t.entries()) ++per_article[e.article];
  EXPECT_EQ(per_article[5], 7);
  EXPECT_EQ(per_article[6], 11);
  EXPECT_EQ(per_article[7], 9);
  const TaxonomyEntry* gore = t.Find("bad.gore_horror");
  ASSERT_NE(gore, nullptr);
  EXPECT_EQ(gore->label_class, LabelClass::kBad);
  EXPECT_EQ(gore->item, 5);
  EXPECT_EQ(t.Find("bad.minor_unsafe_imitation")->item, 8);
  EXPECT_EQ(t.Find("bad.clickbait")->item, 1);
  EXPECT_EQ(t.Match("illegal.*").size(), 11u);
  EXPECT_EQ(t.Match("bad.vulgar").size(), 1u);
  EXPECT_TRUE(t.Match("bad").empty());
}

TEST(Taxonomy, RejectsDuplicateNameWithLine) {
  const std::string text =
      "version: 1\n"
      "label { name: \"bad.x\" label_class: LABEL_CLASS_BAD article: 7 item: 1 "
      "description: \"d\" }\n"
      "label { name: \"bad.x\" label_class: LABEL_CLASS_BAD article: 7 item: 2 "
      "description: \"d\" }\n";
  EXPECT_THAT(Taxonomy::Parse("t.textproto", text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.textproto:3: duplicate label name 'bad.x'"));
}

TEST(Taxonomy, RejectsClassDisagreeingWithPrefix) {
  const std::string text =
      "version: 1\n"
      "label { name: \"positive.gore\" label_class: LABEL_CLASS_BAD "
      "article: 7 item: 1 description: \"d\" }\n";
  EXPECT_THAT(Taxonomy::Parse("t.textproto", text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.textproto:2: label 'positive.gore': class bad "
                       "requires the name prefix 'bad.'"));
}

TEST(PolicyPack, EveryShippedPackLoadsAndLintsClean) {
  for (const char* name :
       {"cn-ecology.textproto", "eu-dsa.textproto", "permissive.textproto"}) {
    SCOPED_TRACE(name);
    ASSERT_OK_AND_ASSIGN(auto pack, LoadPolicyPack(Policies(name), Tax()));
    EXPECT_NE(pack->FindSurface("home"), nullptr);
    EXPECT_OK(LintPolicyFile(Policies(name), Policies("labels.textproto")));
  }
}

TEST(PolicyPack, CnEcologyMatchesItsDocumentedShape) {
  ASSERT_OK_AND_ASSIGN(auto pack,
                       LoadPolicyPack(Policies("cn-ecology.textproto"), Tax()));
  const Surface* home = pack->FindSurface("home");
  ASSERT_NE(home, nullptr);
  EXPECT_EQ(home->kind, SurfaceKind::kFirstScreen);
  EXPECT_EQ(home->num_key_slots(), 6);
  EXPECT_TRUE(home->IsKeySlot(5));
  EXPECT_FALSE(home->IsKeySlot(6));
  EXPECT_EQ(home->quota.min_positive, 2);
  EXPECT_EQ(home->quota.window, 6);
  const Surface* hot = pack->FindSurface("hot_list");
  ASSERT_NE(hot, nullptr);
  EXPECT_EQ(hot->unlabeled, UnlabeledInKeySlot::kRequireReviewed);
  EXPECT_EQ(hot->quota.min_positive, 3);
  const Surface* feed = pack->FindSurface("feed");
  ASSERT_NE(feed, nullptr);
  EXPECT_FALSE(feed->has_key_slots());
  ASSERT_TRUE(pack->minors.has_value());
  EXPECT_EQ(pack->RulesFor(*feed, Audience::kMinors).size(),
            pack->RulesFor(*feed, Audience::kGeneral).size() + 2);
  ASSERT_OK_AND_ASSIGN(auto eu,
                       LoadPolicyPack(Policies("eu-dsa.textproto"), Tax()));
  EXPECT_TRUE(eu->requires_non_profiling_option);
  EXPECT_FALSE(pack->requires_non_profiling_option);
}

// The machine-label part of the shipped packs (docs/policies.md).
TEST(PolicyPack, ShippedPacksMachineLabels) {
  ASSERT_OK_AND_ASSIGN(auto cn,
                       LoadPolicyPack(Policies("cn-ecology.textproto"), Tax()));
  EXPECT_EQ(cn->version, 4);
  ASSERT_EQ(cn->machine_labels.size(), 4u);
  // From the labelers' measured curves (docs/labelers.md).
  const struct {
    const char* name;
    float key_slot, elsewhere;
  } want[] = {{"bad.clickbait", 0.3f, 0.8f},
              {"bad.group_discrimination", 0.25f, 0.85f},
              {"bad.vulgar", 0.55f, 0.75f},
              {"illegal.rumors", 0.25f, 0.8f}};
  for (const auto& w : want) {
    SCOPED_TRACE(w.name);
    const MachineLabelThresholds* m = cn->MachineLabelFor(w.name);
    ASSERT_NE(m, nullptr);
    EXPECT_FLOAT_EQ(m->key_slot_threshold, w.key_slot);
    EXPECT_FLOAT_EQ(m->elsewhere_threshold, w.elsewhere);
    EXPECT_FLOAT_EQ(m->ThresholdFor(RuleAction::kKeepOutOfKeySlots), w.key_slot);
    EXPECT_FLOAT_EQ(m->ThresholdFor(RuleAction::kDownrank), w.elsewhere);
  }
  EXPECT_EQ(cn->MachineLabelFor("bad.gore_horror"), nullptr);
  // General DROP rules never act on a machine label; the minors' do.
  for (const Rule& r : cn->rules) {
    EXPECT_FALSE(r.drop_on_machine_label) << r.label;
  }
  ASSERT_TRUE(cn->minors.has_value());
  for (const Rule& r : cn->minors->rules) {
    EXPECT_TRUE(r.drop_on_machine_label) << r.label;
  }
  // illegal.*: DROP, KEEP_OUT and DOWNRANK x0.5, in that order.
  ASSERT_GE(cn->rules.size(), 3u);
  EXPECT_EQ(cn->rules[1].label, "illegal.*");
  EXPECT_EQ(cn->rules[1].action, RuleAction::kKeepOutOfKeySlots);
  EXPECT_EQ(cn->rules[2].action, RuleAction::kDownrank);
  EXPECT_FLOAT_EQ(cn->rules[2].factor, 0.5f);

  ASSERT_OK_AND_ASSIGN(auto eu,
                       LoadPolicyPack(Policies("eu-dsa.textproto"), Tax()));
  for (const Rule& r : eu->rules) {
    EXPECT_FALSE(r.drop_on_machine_label) << r.label;
    EXPECT_NE(r.action, RuleAction::kKeepOutOfKeySlots) << r.label;
  }
  ASSERT_NE(eu->MachineLabelFor("illegal.rumors"), nullptr);
  ASSERT_OK_AND_ASSIGN(auto permissive,
                       LoadPolicyPack(Policies("permissive.textproto"), Tax()));
  EXPECT_TRUE(permissive->machine_labels.empty());
  ASSERT_EQ(permissive->rules.size(), 1u);
  EXPECT_FALSE(permissive->rules[0].drop_on_machine_label);
}

TEST(Surface, SlateKeySlotsCoverPageAndQuotaWindow) {
  Surface s;
  s.listed_key_slots = {0, 3, 40};
  s.quota = {1, 3};
  EXPECT_EQ(s.SlateKeySlots(0, 2), (std::vector<int>{0, 3, 40}));
  s.listed_key_slots.clear();
  s.all_key_slots = true;
  s.quota = {3, 10};
  EXPECT_EQ(s.SlateKeySlots(0, 4).size(), 10u);
  EXPECT_EQ(s.SlateKeySlots(20, 5).size(), 25u);
}

// A valid pack with one `surface`/`rule` block spliced in, so the offending
// line number is known: the header is 4 lines long.
std::string Pack(const std::string& body) {
  return "id: \"t\"\n"
         "version: 1\n"
         "surface { id: \"home\" kind: SURFACE_KIND_FIRST_SCREEN "
         "first_n_key_slots: 4 }\n"
         "surface { id: \"feed\" kind: SURFACE_KIND_FEED }\n" +
         body;
}

struct BadPack {
  const char* what;
  std::string body;
  std::string message;  // Expected substring, with file:line.
};

class LoaderErrors : public ::testing::TestWithParam<BadPack> {};

TEST_P(LoaderErrors, NamesFileAndLine) {
  const BadPack& bad = GetParam();
  auto pack = ParsePolicyPack("policies/x.textproto", Pack(bad.body), Tax());
  EXPECT_THAT(pack, StatusIs(absl::StatusCode::kInvalidArgument, bad.message))
      << bad.what;
}

INSTANTIATE_TEST_SUITE_P(
    OnePerErrorClass, LoaderErrors,
    ::testing::Values(
        BadPack{"syntax",
                "rule { label: \"bad.*\" action: RULE_ACTION_DROP threshold: }\n",
                "policies/x.textproto:5:"},
        BadPack{"unknown field", "colour: 3\n", "policies/x.textproto:5:"},
        BadPack{"unknown label",
                "rule { label: \"bad.nope\" action: RULE_ACTION_DROP "
                "threshold: 0.5 }\n",
                "policies/x.textproto:5: rule 1: label 'bad.nope' matches no "
                "taxonomy label"},
        BadPack{"pattern matching nothing",
                "rule { label: \"evil.*\" action: RULE_ACTION_DROP "
                "threshold: 0.5 }\n",
                "policies/x.textproto:5: rule 1: label 'evil.*' matches no "
                "taxonomy label"},
        BadPack{"unknown surface in scope",
                "rule { label: \"bad.*\" action: RULE_ACTION_DROP "
                "threshold: 0.5 surface: \"nowhere\" }\n",
                "policies/x.textproto:5: rule 1: unknown surface 'nowhere'"},
        BadPack{"threshold out of range",
                "rule { label: \"illegal.*\" action: RULE_ACTION_DROP\n"
                "  threshold: 0.5 }\n"
                "rule { label: \"bad.*\" action: RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS\n"
                "  threshold: 1.5 }\n",
                "policies/x.textproto:8: rule 2: threshold 1.5 outside [0, 1]"},
        BadPack{"threshold missing",
                "rule { label: \"bad.*\" action: RULE_ACTION_DROP }\n",
                "policies/x.textproto:5: rule 1: threshold missing"},
        BadPack{"factor <= 0",
                "rule { label: \"bad.*\" action: RULE_ACTION_DOWNRANK "
                "threshold: 0.5 factor: 0 }\n",
                "policies/x.textproto:5: rule 1: factor 0 must be > 0"},
        BadPack{"boost < 1",
                "rule { label: \"positive.*\" action: RULE_ACTION_BOOST "
                "threshold: 0.5 factor: 0.8 }\n",
                "policies/x.textproto:5: rule 1: BOOST factor 0.8 must be > 1"},
        BadPack{"downrank > 1",
                "rule { label: \"bad.*\" action: RULE_ACTION_DOWNRANK "
                "threshold: 0.5 factor: 1.5 }\n",
                "policies/x.textproto:5: rule 1: DOWNRANK factor 1.5 must be < 1"},
        BadPack{"factor on DROP",
                "rule { label: \"bad.*\" action: RULE_ACTION_DROP "
                "threshold: 0.5 factor: 0.5 }\n",
                "policies/x.textproto:5: rule 1: factor is not allowed for DROP"},
        BadPack{"key slot beyond page-size limit",
                "surface { id: \"hot\" kind: SURFACE_KIND_HOT_LIST\n"
                "  key_slot: 1\n  key_slot: 500 }\n",
                "policies/x.textproto:7: surface 3 'hot': key_slot 500 outside "
                "[0, 500)"},
        BadPack{"duplicated key slot",
                "surface { id: \"hot\" kind: SURFACE_KIND_HOT_LIST\n"
                "  first_n_key_slots: 3\n  key_slot: 2 }\n",
                "policies/x.textproto:7: surface 3 'hot': key_slot 2 is "
                "duplicated"},
        BadPack{"quota N > K",
                "surface { id: \"hot\" kind: SURFACE_KIND_HOT_LIST\n"
                "  first_n_key_slots: 5\n"
                "  positive_quota { min_positive: 3 within_first_key_slots: 2 } }\n",
                "policies/x.textproto:7: surface 3 'hot': positive_quota: "
                "min_positive 3 exceeds within_first_key_slots 2"},
        BadPack{"quota K > key slots",
                "surface { id: \"hot\" kind: SURFACE_KIND_HOT_LIST\n"
                "  first_n_key_slots: 5\n"
                "  positive_quota { min_positive: 3 within_first_key_slots: 6 } }\n",
                "policies/x.textproto:7: surface 3 'hot': positive_quota: "
                "within_first_key_slots 6 exceeds the surface's 5 key slots"},
        BadPack{"key link without key slots",
                "surface { id: \"pop\" kind: SURFACE_KIND_POPUP }\n",
                "policies/x.textproto:5: surface 3 'pop': kind POPUP is a key "
                "link but declares no key slots"},
        BadPack{"duplicate surface id",
                "surface { id: \"feed\" kind: SURFACE_KIND_FEED }\n",
                "policies/x.textproto:5: surface 3 'feed': duplicate surface id"},
        BadPack{"contradiction: boost on bad",
                "rule { label: \"bad.*\" action: RULE_ACTION_BOOST "
                "threshold: 0.5 factor: 1.5 }\n",
                "policies/x.textproto:5: rule 1: BOOST on 'bad.*' contradicts "
                "the label class bad"},
        BadPack{"contradiction: keep positive out",
                "rule { label: \"positive.core_values\" action: "
                "RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS threshold: 0.5 }\n",
                "policies/x.textproto:5: rule 1: KEEP_OUT_OF_KEY_SLOTS on "
                "'positive.core_values' contradicts the label class positive"},
        BadPack{"ambiguous overlapping rules",
                "rule { label: \"bad.*\" action: RULE_ACTION_DOWNRANK "
                "threshold: 0.5 factor: 0.5 }\n"
                "rule { label: \"bad.vulgar\" action: RULE_ACTION_DOWNRANK "
                "threshold: 0.3 factor: 0.2 }\n",
                "policies/x.textproto:6: rule 2: DOWNRANK on 'bad.vulgar' "
                "overlaps rule 1"},
        BadPack{"audience rule error",
                "audience { kind: AUDIENCE_KIND_MINORS\n"
                "  rule { label: \"bad.*\" action: RULE_ACTION_DROP "
                "threshold: -0.1 } }\n",
                "policies/x.textproto:6: audience 1 rule 1: threshold -0.1 "
                "outside [0, 1]"},
        BadPack{"drop_on_machine_label on KEEP_OUT",
                "rule { label: \"bad.*\" action: "
                "RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS threshold: 0.5\n"
                "  drop_on_machine_label: true }\n",
                "policies/x.textproto:6: rule 1: drop_on_machine_label is only "
                "for DROP rules, not KEEP_OUT_OF_KEY_SLOTS"},
        BadPack{"machine label without a label",
                "machine_label { key_slot_threshold: 0.3 "
                "elsewhere_threshold: 0.8 }\n",
                "policies/x.textproto:5: machine_label 1: label missing"},
        BadPack{"machine label matching nothing",
                "machine_label {\n  label: \"bad.nope\"\n"
                "  key_slot_threshold: 0.3 elsewhere_threshold: 0.8 }\n",
                "policies/x.textproto:6: machine_label 1: label 'bad.nope' "
                "matches no taxonomy label"},
        BadPack{"machine label threshold missing",
                "machine_label { label: \"bad.vulgar\" key_slot_threshold: 0.3 }\n",
                "policies/x.textproto:5: machine_label 1: elsewhere_threshold "
                "missing"},
        BadPack{"machine label key-slot threshold out of range",
                "machine_label { label: \"bad.vulgar\"\n"
                "  key_slot_threshold: -0.1\n  elsewhere_threshold: 0.8 }\n",
                "policies/x.textproto:6: machine_label 1: key_slot_threshold "
                "-0.1 outside [0, 1]"},
        BadPack{"machine label elsewhere threshold out of range",
                "machine_label { label: \"bad.vulgar\"\n"
                "  key_slot_threshold: 0.3\n  elsewhere_threshold: 1.2 }\n",
                "policies/x.textproto:7: machine_label 1: elsewhere_threshold "
                "1.2 outside [0, 1]"},
        BadPack{"machine label thresholds in the wrong order",
                "machine_label { label: \"bad.vulgar\"\n"
                "  key_slot_threshold: 0.9\n  elsewhere_threshold: 0.8 }\n",
                "policies/x.textproto:6: machine_label 1: key_slot_threshold "
                "0.9 exceeds elsewhere_threshold 0.8"},
        BadPack{"machine label behind an earlier entry",
                "machine_label { label: \"bad.*\" key_slot_threshold: 0.3 "
                "elsewhere_threshold: 0.8 }\n"
                "rule { label: \"illegal.*\" action: RULE_ACTION_DROP "
                "threshold: 0.5 }\n"
                "machine_label { label: \"bad.vulgar\" key_slot_threshold: 0.1 "
                "elsewhere_threshold: 0.5 }\n",
                "policies/x.textproto:7: machine_label 2: label 'bad.vulgar' is "
                "already decided by the entry for 'bad.*' on line 5 (the first "
                "matching entry applies)"},
        BadPack{"audience repeated",
                "audience { kind: AUDIENCE_KIND_MINORS }\n"
                "audience { kind: AUDIENCE_KIND_MINORS }\n",
                "policies/x.textproto:6: audience 2: AUDIENCE_KIND_MINORS "
                "repeated"}));

TEST(PolicyPack, MissingFileIsNotFound) {
  EXPECT_THAT(LoadPolicyPack("/nonexistent/pack.textproto", Tax()),
              StatusIs(absl::StatusCode::kNotFound, ""));
}

TEST(PolicyPack, MinorsRestrictedToAllowedSurfaces) {
  ASSERT_OK_AND_ASSIGN(
      auto pack,
      ParsePolicyPack("p", Pack("audience { kind: AUDIENCE_KIND_MINORS "
                                "allowed_surface: \"feed\" }\n"),
                      Tax()));
  EXPECT_OK(pack->SurfaceFor("feed", Audience::kMinors));
  EXPECT_THAT(pack->SurfaceFor("home", Audience::kMinors),
              StatusIs(absl::StatusCode::kPermissionDenied, "minors"));
  EXPECT_OK(pack->SurfaceFor("home", Audience::kGeneral));
  EXPECT_THAT(pack->SurfaceFor("nope", Audience::kGeneral),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown surface `nope`"));
}

TEST(Lint, FlagsIllegalLabelsNotDroppedAndBadLabelsInCnKeyLinks) {
  const std::string dir = ::feedgov::testing::MakeTempDir("lint");
  const std::string no_drop = dir + "/no_drop.textproto";
  std::ofstream(no_drop) << Pack("");
  EXPECT_THAT(LintPolicyFile(no_drop, Policies("labels.textproto")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "surface 'home': no DROP rule covers the illegal label "
                       "'illegal.anti_constitution'"));
  // CN key links: a DROP rule without drop_on_machine_label leaves machine
  // labels of illegal.* in key slots.
  const std::string cn = dir + "/cn.textproto";
  std::ofstream(cn) << Pack(
      "jurisdiction: \"CN\"\n"
      "rule { label: \"illegal.*\" action: RULE_ACTION_DROP threshold: 0.5 }\n"
      "rule { label: \"bad.gore_horror\" action: "
      "RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS threshold: 0.5 }\n");
  EXPECT_THAT(LintPolicyFile(cn, Policies("labels.textproto")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "surface 'home': key link: machine labels: no "
                       "KEEP_OUT_OF_KEY_SLOTS rule, nor DROP with "
                       "drop_on_machine_label, covers the illegal label "
                       "'illegal.anti_constitution'"));
  const std::string cn_bad = dir + "/cn_bad.textproto";
  std::ofstream(cn_bad) << Pack(
      "jurisdiction: \"CN\"\n"
      "rule { label: \"illegal.*\" action: RULE_ACTION_DROP threshold: 0.5 "
      "drop_on_machine_label: true }\n"
      "rule { label: \"bad.gore_horror\" action: "
      "RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS threshold: 0.5 }\n");
  EXPECT_THAT(LintPolicyFile(cn_bad, Policies("labels.textproto")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "surface 'home': key link: no DROP or "
                       "KEEP_OUT_OF_KEY_SLOTS rule covers the bad label "
                       "'bad.clickbait'"));
  const std::string cn_drop = dir + "/cn_drop.textproto";
  std::ofstream(cn_drop) << Pack(
      "jurisdiction: \"CN\"\n"
      "rule { label: \"illegal.*\" action: RULE_ACTION_DROP threshold: 0.5 }\n"
      "rule { label: \"illegal.*\" action: "
      "RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS threshold: 0.5 }\n"
      "rule { label: \"bad.*\" action: RULE_ACTION_DROP threshold: 0.5 }\n");
  EXPECT_THAT(LintPolicyFile(cn_drop, Policies("labels.textproto")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "surface 'home': key link: machine labels: no "
                       "KEEP_OUT_OF_KEY_SLOTS rule, nor DROP with "
                       "drop_on_machine_label, covers the bad label "
                       "'bad.clickbait'"));
  const std::string clean = dir + "/cn_clean.textproto";
  std::ofstream(clean) << Pack(
      "jurisdiction: \"CN\"\n"
      "rule { label: \"illegal.*\" action: RULE_ACTION_DROP threshold: 0.5 }\n"
      "rule { label: \"illegal.*\" action: "
      "RULE_ACTION_KEEP_OUT_OF_KEY_SLOTS threshold: 0.5 }\n"
      "rule { label: \"bad.*\" action: RULE_ACTION_DROP threshold: 0.5 "
      "drop_on_machine_label: true }\n");
  EXPECT_OK(LintPolicyFile(clean, Policies("labels.textproto")));
}

TEST(PolicyRegistry, FailedReloadKeepsPreviousPack) {
  PolicyRegistry registry(Tax());
  EXPECT_EQ(registry.current(), nullptr);
  ASSERT_OK(registry.Reload(Policies("cn-ecology.textproto")));
  auto before = registry.current();
  ASSERT_NE(before, nullptr);
  const std::string dir = ::feedgov::testing::MakeTempDir("registry");
  const std::string broken = dir + "/broken.textproto";
  std::ofstream(broken) << "id: \"broken\"\nversion: 0\n";
  EXPECT_THAT(registry.Reload(broken),
              StatusIs(absl::StatusCode::kInvalidArgument, "broken.textproto:2"));
  EXPECT_EQ(registry.current(), before);
  ASSERT_OK(registry.Reload(Policies("eu-dsa.textproto")));
  EXPECT_EQ(registry.current()->id, "eu-dsa");
  EXPECT_EQ(before->id, "cn-ecology");  // Holders keep their pack.
}

TEST(PolicyRegistry, ConcurrentReadersSeeWholeOldOrNewPack) {
  PolicyRegistry registry(Tax());
  ASSERT_OK(registry.Reload(Policies("cn-ecology.textproto")));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto pack = registry.current();
        // Each pack is internally consistent: cn has 7 surfaces, eu 2.
        const bool ok = (pack->id == "cn-ecology" && pack->surfaces.size() == 7) ||
                        (pack->id == "eu-dsa" && pack->surfaces.size() == 2);
        if (!ok) ++bad;
        ++reads;
      }
    });
  }
  for (int i = 0; i < 40; ++i) {
    // Interleave with the readers even on a loaded machine: wait for some
    // reads between swaps (bounded, so a stuck reader fails, not hangs).
    const int seen = reads.load();
    for (int spin = 0; spin < 100000 && reads.load() == seen; ++spin) {
      std::this_thread::yield();
    }
    ASSERT_OK(registry.Reload(Policies(i % 2 ? "cn-ecology.textproto"
                                             : "eu-dsa.textproto")));
    EXPECT_FALSE(registry.Reload("/nonexistent.textproto").ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
}

}  // namespace
}  // namespace feedgov
