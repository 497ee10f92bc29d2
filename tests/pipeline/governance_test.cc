// Cross-stage governance tests on MovieLens with the cn-ecology pack: key
// slots, quotas and illegal content checked on every user's first page
// against independent EvaluateItem verdicts; real-time labels; hot reload
// under concurrency; minors mode; fail-closed labels.
#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "engine/catalog/snapshot.h"
#include "engine/common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/pipeline/movielens_env.h"

namespace feedgov {
namespace {

using ::feedgov::testing::AddLabel;
using ::feedgov::testing::Ids;
using ::feedgov::testing::Join;
using ::feedgov::testing::MakeTempDir;
using ::feedgov::testing::MarkIllegal;
using ::feedgov::testing::MovieLensSnapshot;
using ::feedgov::testing::OpenMovieLens;
using ::feedgov::testing::PolicyPath;
using ::feedgov::testing::RatedBy;
using ::testing::HasSubstr;

class GovernanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { MovieLensSnapshot::Dir(); }
  static void TearDownTestSuite() { MovieLensSnapshot::Cleanup(); }
};

RankRequest Req(const std::string& surface, std::optional<UserId> user,
                int page_size = 20) {
  RankRequest r;
  r.surface = surface;
  r.user = user;
  r.page_size = page_size;
  return r;
}

// Checks one first page against `pack` with verdicts computed independently
// (EvaluateItem over the engine's current labels). `eligible_positives` is
// the number of positive, key-slot-allowed items this request could use.
void CheckFirstPage(const FeedEngine& engine, const PolicyPack& pack,
                    const RankRequest& req, const RankResponse& page,
                    int eligible_positives, int eligible_key_safe) {
  const Surface& surface = *pack.FindSurface(req.surface);
  const Audience audience = req.minors ? Audience::kMinors : Audience::kGeneral;
  EXPECT_EQ(page.policy_id, pack.id);
  EXPECT_EQ(page.policy_version, pack.version);
  EXPECT_EQ(page.surface_has_key_slots, surface.has_key_slots());
  // Window W: the first quota.window key slots.
  std::vector<int> window;
  for (int p = 0; p < kMaxPageSize &&
                  static_cast<int>(window.size()) < surface.quota.window;
       ++p) {
    if (surface.IsKeySlot(p)) window.push_back(p);
  }
  int positives_in_window = 0, key_slots_on_page = 0;
  for (const RankedItem& item : page.items) {
    const int p = item.position - 1;
    ItemVerdict v = EvaluateItem(pack, surface, audience,
                                 engine.labels()->LabelsFor(item.item_id));
    EXPECT_FALSE(v.dropped) << "item " << item.item_id << " dropped by "
                            << v.dropped_by << " served at " << item.position;
    EXPECT_EQ(item.key_slot, surface.IsKeySlot(p)) << item.position;
    if (item.key_slot) {
      ++key_slots_on_page;
      EXPECT_TRUE(v.key_slot_allowed)
          << "item " << item.item_id << " kept out by " << v.kept_out_by
          << " is in key slot " << item.position;
    }
    if (std::find(window.begin(), window.end(), p) != window.end() &&
        v.positive && v.key_slot_allowed) {
      ++positives_in_window;
    }
    EXPECT_EQ(item.labels, engine.labels()->LabelsFor(item.item_id));
  }
  const GovernanceCounters& c = page.counters;
  const int n = surface.quota.min_positive;
  // The window lies within the first page here (page_size >= window end).
  EXPECT_EQ(c.quota_required, n);
  EXPECT_EQ(c.quota_met, positives_in_window);
  EXPECT_EQ(c.quota_shortfall, std::max(0, n - positives_in_window));
  if (eligible_positives >= n) {
    EXPECT_GE(c.quota_met, n);
  } else {
    EXPECT_EQ(c.quota_met, eligible_positives);
    EXPECT_THAT(page.degradations,
                ::testing::Contains(HasSubstr("positive quota short")));
  }
  EXPECT_GE(c.kept_out_of_key_slots, 0);
  EXPECT_GE(c.unfilled_key_slots, 0);
  int expected_key_slots = 0;
  for (int p = 0; p < req.page_size; ++p) expected_key_slots += surface.IsKeySlot(p);
  EXPECT_EQ(key_slots_on_page + c.unfilled_key_slots, expected_key_slots);
  if (eligible_key_safe >= expected_key_slots) {
    EXPECT_EQ(c.unfilled_key_slots, 0);
  }
  EXPECT_EQ(static_cast<int>(page.items.size()) + c.unfilled_key_slots,
            req.page_size);
  EXPECT_EQ(c.pins_applied, 0);
  EXPECT_EQ(c.label_errors, 0);
}

TEST_F(GovernanceTest, EveryUsersFirstPageHonoursKeySlotsQuotaAndDrops) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology"));
  auto pack = engine->policy();
  const Catalog& catalog = *engine->catalog();
  std::vector<std::optional<UserId>> users = {std::nullopt};
  for (UserId u : engine->users()->user_ids()) users.push_back(u);
  ASSERT_EQ(users.size(), 611u);
  for (const std::string surface_id : {"home", "hot_list"}) {
    const Surface& surface = *pack->FindSurface(surface_id);
    // Catalog-wide verdicts, computed once per surface.
    std::vector<ItemVerdict> verdicts;
    for (Row r = 0; r < catalog.size(); ++r) {
      verdicts.push_back(EvaluateItem(*pack, surface, Audience::kGeneral,
                                      engine->labels()->LabelsFor(catalog.item(r).id)));
    }
    int positives_total = 0;
    for (const auto& v : verdicts) positives_total += v.positive && v.key_slot_allowed;
    int pages_with_quota_met = 0;
    for (const auto& user : users) {
      SCOPED_TRACE(absl::StrCat(surface_id, " user ", user.value_or(-1)));
      RankRequest req = Req(surface_id, user);
      ASSERT_OK_AND_ASSIGN(RankResponse page, engine->Rank(req));
      auto rated = user ? RatedBy(*engine, *user) : decltype(RatedBy(*engine, 0)){};
      int eligible_positives = 0, eligible_key_safe = 0;
      for (Row r = 0; r < catalog.size(); ++r) {
        if (page.personalized && rated.contains(catalog.item(r).id)) continue;
        eligible_positives += verdicts[r].positive && verdicts[r].key_slot_allowed;
        eligible_key_safe += verdicts[r].key_slot_allowed;
      }
      CheckFirstPage(*engine, *pack, req, page, eligible_positives,
                     eligible_key_safe);
      pages_with_quota_met += page.counters.quota_shortfall == 0;
      if (::testing::Test::HasFailure()) return;  // One user's report is enough.
    }
    RecordProperty(absl::StrCat(surface_id, "_positives"), positives_total);
    if (positives_total >= surface.quota.min_positive + 100) {
      // MovieLens has plenty of eligible positives on this surface.
      EXPECT_EQ(pages_with_quota_met, 611);
    }
  }
}

TEST_F(GovernanceTest, ReviewerLabelsApplyToTheNextRequest) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology"));
  auto pack = engine->policy();
  ASSERT_OK_AND_ASSIGN(RankResponse before, engine->Rank(Req("home", 1)));
  const ItemId top = before.items[0].item_id;
  ASSERT_OK(MarkIllegal(*engine, {top}));
  for (int page_size : {20, 500}) {
    ASSERT_OK_AND_ASSIGN(RankResponse after, engine->Rank(Req("home", 1, page_size)));
    EXPECT_THAT(Ids(after), ::testing::Not(::testing::Contains(top)));
  }
  EXPECT_GE(engine->Rank(Req("home", 1))->counters.dropped_by_label.at(
                "illegal.terrorism_extremism"),
            1);

  // Bad: out of key slots, but still served below them.
  const ItemId key_item = before.items[1].item_id;
  ASSERT_TRUE(before.items[1].key_slot);
  ASSERT_OK(AddLabel(*engine, key_item, "bad.vulgar", 0.95f));
  ASSERT_FALSE(::feedgov::testing::VerdictOf(*engine, *pack, "home",
                                             Audience::kGeneral, key_item)
                   .key_slot_allowed);
  const double old_score = before.items[1].score;
  std::vector<RankResponse> pages;
  ASSERT_OK(::feedgov::testing::PageThrough(*engine, Req("home", 1, 500), 5000,
                                            &pages));
  for (const RankResponse& page : pages) {
    for (const RankedItem& i : page.items) {
      EXPECT_NE(i.item_id, top);
      if (i.item_id != key_item) continue;
      EXPECT_FALSE(i.key_slot);
      EXPECT_NEAR(i.score, old_score * 0.9f, 1e-6) << "bad.* DOWNRANK 0.9";
    }
  }
  // Without the pack's DOWNRANK rule the bad item keeps its score: it leaves
  // the key slots and takes the first non-key position (7).
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFile(PolicyPath("cn-ecology")));
  const size_t action =
      text.find("label: \"bad.*\"\n  action: RULE_ACTION_DOWNRANK");
  ASSERT_NE(action, std::string::npos);
  const size_t open = text.rfind("rule {", action);
  const size_t close = text.find("}", action);
  text.erase(open, close + 1 - open);
  const std::string path = MakeTempDir("feedgov_nodownrank") + "/cn.textproto";
  { std::ofstream(path) << text; }
  ASSERT_OK(engine->policies().Reload(path));
  ASSERT_OK_AND_ASSIGN(RankResponse no_downrank, engine->Rank(Req("home", 1)));
  for (const RankedItem& i : no_downrank.items) {
    if (i.key_slot) {
      EXPECT_NE(i.item_id, key_item);
    }
  }
  ASSERT_GE(no_downrank.items.size(), 7u);
  EXPECT_EQ(no_downrank.items[6].item_id, key_item);
  EXPECT_DOUBLE_EQ(no_downrank.items[6].score, old_score);
  EXPECT_GE(no_downrank.counters.kept_out_of_key_slots, 1);
}

TEST_F(GovernanceTest, HotReloadSwapsKeepsOldPackOnFailureAndNeverMixes) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology"));
  PolicyRegistry& registry = engine->policies();
  auto cn = registry.current();
  ASSERT_OK(registry.Reload(PolicyPath("eu-dsa")));
  auto eu = registry.current();
  ASSERT_OK_AND_ASSIGN(RankResponse r, engine->Rank(Req("home", 1)));
  EXPECT_EQ(r.policy_id, "eu-dsa");

  // A broken pack is refused; the previous pack stays and serving goes on.
  const std::string dir = MakeTempDir("feedgov_reload");
  const std::string broken = dir + "/broken.textproto";
  {
    std::ofstream out(broken);
    out << "id: \"broken\"\nversion: 1\nsurface { id: \"home\" kind: "
           "SURFACE_KIND_FEED }\nrule { label: \"bad.nope\" action: "
           "RULE_ACTION_DROP threshold: 0.5 }\n";
  }
  absl::Status failed = registry.Reload(broken);
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kInvalidArgument, "broken.textproto:"));
  EXPECT_EQ(registry.current(), eu);
  ASSERT_OK_AND_ASSIGN(r, engine->Rank(Req("home", 1)));
  EXPECT_EQ(r.policy_id, "eu-dsa");

  // Concurrent requests and reloads: each response is entirely one pack's.
  registry.Set(cn);
  std::atomic<bool> stop{false};
  std::thread reloader([&] {
    for (int i = 0; i < 40; ++i) {
      EXPECT_OK(registry.Reload(PolicyPath(i % 2 ? "cn-ecology" : "eu-dsa")));
      if (i % 5 == 0) {
        EXPECT_FALSE(registry.Reload(broken).ok());
      }
    }
    stop = true;
  });
  std::atomic<int> seen_cn{0}, seen_eu{0};
  auto worker = [&](UserId user) {
    int n = 0;
    while (!stop || n < 5) {
      RankRequest req = Req("home", user);
      auto page = engine->Rank(req);
      ASSERT_OK(page);
      ++n;
      // The pack of the response, loaded independently.
      std::shared_ptr<const PolicyPack> own =
          page->policy_id == "cn-ecology" ? cn : eu;
      ASSERT_TRUE(page->policy_id == "cn-ecology" || page->policy_id == "eu-dsa");
      ASSERT_EQ(page->policy_version, own->version);
      (page->policy_id == "cn-ecology" ? seen_cn : seen_eu)++;
      const Surface& s = *own->FindSurface("home");
      EXPECT_EQ(page->surface_has_key_slots, s.has_key_slots());
      for (const RankedItem& item : page->items) {
        EXPECT_EQ(item.key_slot, s.IsKeySlot(item.position - 1));
        ItemVerdict v = EvaluateItem(*own, s, Audience::kGeneral,
                                     engine->labels()->LabelsFor(item.item_id));
        EXPECT_FALSE(v.dropped);
        if (item.key_slot) {
          EXPECT_TRUE(v.key_slot_allowed) << item.item_id;
        }
      }
      if (page->counters.quota_required > 0) {
        EXPECT_EQ(page->counters.quota_required, s.quota.min_positive);
      }
    }
  };
  std::thread a(worker, 1), b(worker, 414), c(worker, 77);
  reloader.join();
  a.join();
  b.join();
  c.join();
  EXPECT_GT(seen_cn + seen_eu, 0);
}

TEST_F(GovernanceTest, MinorsModeIsStickyWithinAPageTokenChain) {
  // Oracle: the same chain continued with the minors flag set. A
  // continuation that drops the flag must give exactly that page; a chain
  // started without it gets the minors page once the flag is set.
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology"));
  for (UserId user : {1, 19, 414}) {
    SCOPED_TRACE(user);
    RankRequest first = Req("home", user, 10);
    first.minors = true;
    ASSERT_OK_AND_ASSIGN(RankResponse p1, engine->Rank(first));
    RankRequest with_flag = Req("home", user, 10);
    with_flag.minors = true;
    with_flag.page_token = p1.next_page_token;
    RankRequest without_flag = with_flag;
    without_flag.minors = false;
    ASSERT_OK_AND_ASSIGN(RankResponse want, engine->Rank(with_flag));
    ASSERT_OK_AND_ASSIGN(RankResponse got, engine->Rank(without_flag));
    EXPECT_EQ(Join(Ids(got)), Join(Ids(want)));
    EXPECT_EQ(got.next_page_token, want.next_page_token);
    // Adult first page, then minors: the minors page of that chain.
    ASSERT_OK_AND_ASSIGN(RankResponse adult, engine->Rank(Req("home", user, 10)));
    RankRequest stricter = Req("home", user, 10);
    stricter.page_token = adult.next_page_token;
    stricter.minors = true;
    ASSERT_OK_AND_ASSIGN(RankResponse minors_page, engine->Rank(stricter));
    RankRequest adult_next = stricter;
    adult_next.minors = false;
    adult_next.page_token = minors_page.next_page_token;
    ASSERT_OK_AND_ASSIGN(RankResponse still_minors, engine->Rank(adult_next));
    adult_next.minors = true;
    ASSERT_OK_AND_ASSIGN(RankResponse minors_oracle, engine->Rank(adult_next));
    EXPECT_EQ(Join(Ids(still_minors)), Join(Ids(minors_oracle)));
  }
}

TEST_F(GovernanceTest, MinorsNeverSeeBadContentAboveTheMinorsThreshold) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology"));
  auto pack = engine->policy();
  ASSERT_TRUE(pack->minors.has_value());
  // Thresholds from the pack's minors rules (bad.* and illegal.* DROP).
  float bad_threshold = 2, illegal_threshold = 2;
  for (const Rule& rule : pack->minors->rules) {
    if (rule.action != RuleAction::kDrop) continue;
    if (rule.label == "bad.*") bad_threshold = rule.threshold;
    if (rule.label == "illegal.*") illegal_threshold = rule.threshold;
  }
  ASSERT_LT(bad_threshold, 1.0f);
  ASSERT_LT(illegal_threshold, 1.0f);
  // Borderline labels (above the minors thresholds, below the general ones)
  // on the top items of each adult page, so the check is not vacuous.
  const std::vector<std::optional<UserId>> users = {std::nullopt, 1, 19, 68, 414, 599};
  std::set<ItemId> borderline;
  for (const auto& user : users) {
    ASSERT_OK_AND_ASSIGN(RankResponse adult, engine->Rank(Req("home", user, 100)));
    for (int i = 0; i < 3; ++i) borderline.insert(adult.items[i].item_id);
  }
  bool illegal = false;
  for (ItemId id : borderline) {
    illegal = !illegal;
    ASSERT_OK(AddLabel(*engine, id, illegal ? "illegal.rumors" : "bad.clickbait",
                       illegal ? (illegal_threshold + 0.5f) / 2
                               : (bad_threshold + 0.5f) / 2));
  }
  int bad_in_general = 0;
  for (const auto& user : users) {
    for (const std::string surface : {"home", "feed", "minors_zone"}) {
      RankRequest req = Req(surface, user, 100);
      req.minors = true;
      auto page = engine->Rank(req);
      if (absl::IsPermissionDenied(page.status())) continue;  // Not for minors.
      ASSERT_OK(page);
      for (const RankedItem& item : page->items) {
        for (const Label& l : item.labels) {
          if (absl::StartsWith(l.name, "bad.")) {
            EXPECT_LT(l.confidence, bad_threshold) << item.item_id << " " << l.name;
          }
          if (absl::StartsWith(l.name, "illegal.")) {
            EXPECT_LT(l.confidence, illegal_threshold) << item.item_id;
          }
        }
      }
      // The same request for adults does contain the borderline items.
      req.minors = false;
      ASSERT_OK_AND_ASSIGN(RankResponse adult, engine->Rank(req));
      for (const RankedItem& item : adult.items) {
        bad_in_general += borderline.contains(item.item_id);
      }
    }
  }
  EXPECT_GE(bad_in_general, static_cast<int>(borderline.size()));
  RecordProperty("borderline_items", static_cast<int>(borderline.size()));
}

TEST_F(GovernanceTest, UnknownLabelsFailClosed) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology"));
  ASSERT_OK_AND_ASSIGN(RankResponse before, engine->Rank(Req("home", std::nullopt)));
  const ItemId victim = before.items[0].item_id;
  // Through the API: refused, nothing changes.
  const int64_t version = engine->labels()->version();
  EXPECT_THAT(::feedgov::testing::AddLabel(*engine, victim, "bad.not_in_taxonomy", 0.9f),
              StatusIs(absl::StatusCode::kInvalidArgument, "not in the taxonomy"));
  EXPECT_EQ(engine->labels()->version(), version);

  // A label table built by hand (e.g. an old snapshot) with an unknown label.
  ASSERT_OK_AND_ASSIGN(SnapshotContents contents, ReadSnapshot(MovieLensSnapshot::Dir()));
  absl::flat_hash_map<ItemId, std::vector<Label>> labels;
  for (ItemId id : contents.labels->LabeledItems()) {
    labels[id] = contents.labels->LabelsFor(id);
  }
  labels[victim].push_back(::feedgov::testing::ReviewerLabel("bad.not_in_taxonomy", 0.1f));
  ASSERT_OK_AND_ASSIGN(contents.labels, LabelTable::Create(std::move(labels), 1));
  ASSERT_OK_AND_ASSIGN(Taxonomy taxonomy,
                       Taxonomy::Load(DefaultPath("policies/labels.textproto")));
  auto registry = std::make_shared<PolicyRegistry>(std::move(taxonomy));
  ASSERT_OK(registry->Reload(PolicyPath("cn-ecology")));
  ASSERT_OK_AND_ASSIGN(auto hand, FeedEngine::Create(std::move(contents), registry,
                                                     engine->options(),
                                                     &RealClock::Get()));
  for (const std::string surface : {"home", "feed", "hot_list"}) {
    for (std::optional<UserId> user :
         std::vector<std::optional<UserId>>{std::nullopt, 1}) {
      ASSERT_OK_AND_ASSIGN(RankResponse page, hand->Rank(Req(surface, user, 500)));
      EXPECT_THAT(Ids(page), ::testing::Not(::testing::Contains(victim)));
      EXPECT_EQ(page.counters.label_errors, 1);
      EXPECT_THAT(page.degradations,
                  ::testing::Contains(HasSubstr("cannot be evaluated")));
    }
  }
}

}  // namespace
}  // namespace feedgov
