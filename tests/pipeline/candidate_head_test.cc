// Two shortcuts of FeedEngine::Rank against slow references, over all
// MovieLens users, both ranking paths, several page sizes and chains, pins,
// boosts, buries, suppressions and the minors audience; every response must
// be identical, field by field (scores to the last bit):
//  * the ranked candidates handed to the slate builder are cut to the head
//    it can read (EngineOptions::trim_candidate_head; the proofs are in
//    engine/governance/slate_plan.cc: the SlateNeed, ReadableHead and
//    KeepReadableHead). Reference: the same candidates, all handed over;
//  * the personalized candidates come from a threshold algorithm over the
//    cosine top-k and the prior order, exact down to that head
//    (ThresholdSource in engine/retrieval/candidate_source.cc). Reference:
//    every eligible row scored (EngineOptions::exhaustive_candidates). MovieLens has fewer than 50k
//    items, so retrieval is exact and the two must agree.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/intervention/intervention_snapshot.h"
#include "engine/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "tests/pipeline/movielens_env.h"

namespace feedgov {
namespace {

using ::feedgov::testing::FakeClock;
using ::feedgov::testing::MovieLensSnapshot;
using ::feedgov::testing::OpenMovieLens;
using ::feedgov::testing::PolicyPath;

class CandidateHeadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { MovieLensSnapshot::Dir(); }
  static void TearDownTestSuite() { MovieLensSnapshot::Cleanup(); }
};

// Everything a caller sees, scores printed exactly (%a).
std::string Describe(const RankResponse& r) {
  std::string out =
      absl::StrCat("personalized=", r.personalized, " surface=", r.surface,
                   " policy=", r.policy_id, "/", r.policy_version, "\n");
  for (const RankedItem& i : r.items) {
    char score[64];
    std::snprintf(score, sizeof(score), "%a", i.score);
    absl::StrAppend(&out, i.position, " item=", i.item_id, " score=", score,
                    " reasons=", i.reasons, " key=", i.key_slot,
                    " pin=", i.pin_id, " labels=", i.labels.size(), "\n");
  }
  const GovernanceCounters& c = r.counters;
  absl::StrAppend(&out, "kept_out=", c.kept_out_of_key_slots,
                  " quota=", c.quota_required, "/", c.quota_met, "/",
                  c.quota_shortfall, " unfilled=", c.unfilled_key_slots,
                  " pins=", c.pins_applied, "/", c.pins_blocked,
                  " suppressed=", c.suppressed,
                  " label_errors=", c.label_errors, "\n");
  absl::StrAppend(&out, "degradations: ", absl::StrJoin(r.degradations, " | "),
                  "\nnext=", r.next_page_token, "\n");
  return out;
}

Intervention Make(InterventionKind kind, ItemId item, int n) {
  Intervention iv;
  iv.id = absl::StrCat("iv-", n);
  iv.kind = kind;
  iv.item_id = item;
  iv.surface = "";  // Every surface.
  iv.editor = "test";
  iv.reason = "candidate head oracle";
  iv.start = absl::FromUnixSeconds(0);
  return iv;
}

// Pins on key slots and later positions (some refused by governance at
// serve time), boosts, buries and suppressions of popular items.
std::shared_ptr<const InterventionSnapshot> Interventions(
    const FeedEngine& engine) {
  const auto state = engine.state();
  const std::vector<Row>& by_prior = state->priors->rows_by_prior();
  auto item = [&](size_t rank) {
    return state->catalog->id(by_prior[rank % by_prior.size()]);
  };
  std::vector<Intervention> ivs;
  int n = 0;
  for (int position : {0, 3, 9, 21, 44}) {
    Intervention pin = Make(InterventionKind::kPin, item(200 + 7 * n), n);
    pin.position = position;
    ivs.push_back(pin);
    ++n;
  }
  for (size_t rank : {1, 4, 9, 16, 25, 36, 49, 64}) {
    ivs.push_back(Make(InterventionKind::kSuppressItem, item(rank), n++));
  }
  for (size_t rank : {2, 30, 300, 1000}) {
    Intervention boost = Make(InterventionKind::kBoost, item(rank), n++);
    boost.factor = 1.5;
    ivs.push_back(boost);
    Intervention bury = Make(InterventionKind::kBury, item(rank + 5), n++);
    bury.factor = 0.5;
    ivs.push_back(bury);
  }
  return std::make_shared<InterventionSnapshot>(std::move(ivs));
}

TEST_F(CandidateHeadTest, TrimmedHeadGivesTheSameResponsesAsEveryCandidate) {
  FakeClock clock;  // One clock: page tokens carry the issue time.
  clock.Set(absl::FromUnixSeconds(1900000000));
  ASSERT_OK_AND_ASSIGN(auto trimmed, OpenMovieLens("cn-ecology", &clock));
  OpenOptions o;
  o.snapshot_dir = MovieLensSnapshot::Dir();
  o.policy_path = PolicyPath("cn-ecology");
  o.clock = &clock;
  o.trim_candidate_head = false;
  ASSERT_OK_AND_ASSIGN(auto full, OpenEngine(o));
  const auto interventions = Interventions(*trimmed);
  for (FeedEngine* e : {trimmed.get(), full.get()}) {
    e->SetInterventionSource([interventions] { return interventions; });
  }
  struct Case {
    std::string surface;
    int page_size;
    int pages;
    bool minors;
    bool anonymous;
  };
  int compared = 0;
  const int users = trimmed->users()->size();
  for (int u = 1; u <= users; ++u) {
    std::vector<Case> cases = {{"home", 20, 2, false, false}};
    if (u % 5 == 0) {
      cases.push_back({"home", 1, 3, false, false});
      cases.push_back({"home", 7, 3, false, false});
      cases.push_back({"feed", 50, 2, false, false});
    }
    if (u % 7 == 0) cases.push_back({"home", 20, 2, true, false});
    if (u % 61 == 0) cases.push_back({"home", 20, 3, false, true});
    for (const Case& c : cases) {
      RankRequest req;
      req.surface = c.surface;
      req.page_size = c.page_size;
      req.minors = c.minors;
      if (!c.anonymous) req.user = u;
      for (int page = 0; page < c.pages; ++page) {
        SCOPED_TRACE(absl::StrCat("user ", u, " surface ", c.surface, " size ",
                                  c.page_size, " page ", page, " minors ",
                                  c.minors, " anonymous ", c.anonymous));
        ASSERT_OK_AND_ASSIGN(RankResponse a, trimmed->Rank(req));
        ASSERT_OK_AND_ASSIGN(RankResponse b, full->Rank(req));
        ASSERT_EQ(Describe(a), Describe(b)) << "trimmed head";

        ++compared;
        if (a.next_page_token.empty()) break;
        req.page_token = a.next_page_token;
      }
    }
  }
  EXPECT_GT(compared, 1500);
}

// cn-ecology without its positive quotas (key slots and every other rule
// kept): the slate builder then reads no positives, and the threshold
// algorithm's candidates must give exactly what scoring every eligible row
// gives. (Surfaces whose key slots no eligible item may fill, such as
// hot_list before any review, are left out: there kept_out_of_key_slots
// counts every candidate, so it depends on how many there are.)
std::string PackWithoutQuotas() {
  std::ifstream in(PolicyPath("cn-ecology"));
  std::stringstream text;
  text << in.rdbuf();
  const std::string path = absl::StrCat(::testing::TempDir(), "/no-quota-",
                                        ::getpid(), ".textproto");
  std::ofstream out(path);
  std::string line;
  while (std::getline(text, line)) {
    if (line.find("positive_quota") == std::string::npos) out << line << "\n";
  }
  return path;
}

TEST_F(CandidateHeadTest,
       ThresholdCandidatesGiveTheSameResponsesAsScoringEveryRow) {
  FakeClock clock;
  clock.Set(absl::FromUnixSeconds(1900000000));
  OpenOptions o;
  o.snapshot_dir = MovieLensSnapshot::Dir();
  o.policy_path = PackWithoutQuotas();
  o.clock = &clock;
  ASSERT_OK_AND_ASSIGN(auto fast, OpenEngine(o));
  o.exhaustive_candidates = true;
  ASSERT_OK_AND_ASSIGN(auto exhaustive, OpenEngine(o));
  const auto interventions = Interventions(*fast);
  for (FeedEngine* e : {fast.get(), exhaustive.get()}) {
    e->SetInterventionSource([interventions] { return interventions; });
  }
  int compared = 0;
  const int users = fast->users()->size();
  for (int u = 1; u <= users; u += 2) {
    for (const auto& [surface, page_size, minors] :
         {std::tuple<std::string, int, bool>{"home", 20, false},
          {"home", 7, false},
          {"home", 20, true},
          {"feed", 50, false}}) {
      if (minors && u % 6 != 1) continue;
      RankRequest req;
      req.surface = surface;
      req.page_size = page_size;
      req.minors = minors;
      req.user = u;
      for (int page = 0; page < 2; ++page) {
        SCOPED_TRACE(absl::StrCat("user ", u, " surface ", surface, " page ",
                                  page, " minors ", minors));
        ASSERT_OK_AND_ASSIGN(RankResponse a, fast->Rank(req));
        ASSERT_OK_AND_ASSIGN(RankResponse e, exhaustive->Rank(req));
        ASSERT_EQ(Describe(a), Describe(e));
        ++compared;
        if (a.next_page_token.empty()) break;
        req.page_token = a.next_page_token;
      }
    }
  }
  EXPECT_GT(compared, 1500);
}

}  // namespace
}  // namespace feedgov
