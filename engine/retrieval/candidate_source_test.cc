// The candidate sources against brute force on a seeded world (no
// MovieLens): every allowed row scored with the same FinalScorer is the
// oracle.
//  * ThresholdSource returns every row whose final score reaches the
//    threshold its contract names (the target-th best final, lowered to the
//    need.key_slot_allowed-th best key-slot-allowed final when the page
//    needs that many), with the same final score bit for bit;
//  * PriorSource returns every row whose final score reaches the
//    target-th best (so a boosted row below the prior cut is not missed);
//  * ExhaustiveSource returns exactly the allowed rows.
#include "engine/retrieval/candidate_source.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/retrieval/brute_force.h"
#include "engine/testing/seeded_world.h"
#include "engine/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::feedgov::testing::SeededWorld;

struct Oracle {
  std::vector<Row> rows;
  std::vector<double> finals;
};

// Every allowed row, with its final score, computed independently of the
// sources: cosine by brute force, blend by the Scorer, FinalScorer.
Oracle ScoreAll(const SeededWorld& w, const RowSet& allowed,
                absl::Span<const float> query, const FinalScorer& final,
                const Scorer& blend) {
  Oracle o;
  std::vector<float> sims;
  const Eigen::VectorXf q =
      query.empty() ? Eigen::VectorXf() : NormalizeQuery(query);
  allowed.ForEach([&](Row r) {
    o.rows.push_back(r);
    if (!query.empty())
      sims.push_back(RowSimilarity(w.state->catalog->embeddings(), r, q));
  });
  auto blended = blend.Score(o.rows, sims, *w.state->priors);
  EXPECT_OK(blended);
  for (size_t i = 0; i < o.rows.size(); ++i) {
    o.finals.push_back(final.Score(o.rows[i], (*blended)[i]));
  }
  return o;
}

// The t-th largest of `v` (t >= 1), or -inf when v has fewer.
double KthBest(std::vector<double> v, int64_t t) {
  if (t < 1 || static_cast<int64_t>(v.size()) < t) {
    return -std::numeric_limits<double>::infinity();
  }
  std::nth_element(v.begin(), v.begin() + (t - 1), v.end(),
                   std::greater<double>());
  return v[t - 1];
}

// Every oracle row with final >= threshold is in `got`, with the same final.
void ExpectContainsAbove(const Oracle& oracle, double threshold,
                         const ScoredRows& got) {
  absl::flat_hash_map<Row, double> final_of;
  for (size_t i = 0; i < got.rows.size(); ++i) {
    EXPECT_TRUE(final_of.emplace(got.rows[i], got.finals[i]).second)
        << "row " << got.rows[i] << " returned twice";
  }
  int needed = 0;
  for (size_t i = 0; i < oracle.rows.size(); ++i) {
    if (oracle.finals[i] < threshold) continue;
    ++needed;
    auto it = final_of.find(oracle.rows[i]);
    ASSERT_NE(it, final_of.end()) << "row " << oracle.rows[i] << " final "
                                  << oracle.finals[i] << " >= " << threshold;
    EXPECT_EQ(it->second, oracle.finals[i]) << "row " << oracle.rows[i];
  }
  EXPECT_GT(needed, 0);
}

class CandidateSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto w = SeededWorld::Make({.items = 3000, .users = 12});
    ASSERT_OK(w);
    world_ = new SeededWorld(*std::move(w));
  }
  static void TearDownTestSuite() { delete world_; }

  // Sources over home with no editor or user factors.
  struct Plain {
    Plain(const SeededWorld& w, int user_row)
        : view(w.View("home")),
          final(*w.state->catalog, *view, none, none, true, 1.05),
          in{w.state.get(), &blend, &final, view.get(), 10},
          query(w.state->users->embedding(user_row)) {}
    const Scorer blend{ScoringOptions()};
    const RowFactors none;
    const std::shared_ptr<const GovernanceView> view;
    const FinalScorer final;
    const SourceInputs in;
    const absl::Span<const float> query;
  };

  static SeededWorld* world_;
};
SeededWorld* CandidateSourceTest::world_ = nullptr;

TEST_F(CandidateSourceTest,
       ThresholdSourceHoldsEveryRowTheBruteForceHeadNeeds) {
  const SeededWorld& w = *world_;
  const Scorer blend{ScoringOptions()};
  std::mt19937 rng(11);
  int cases = 0;
  for (const char* surface_id : {"home", "hot_list", "feed"}) {
    const auto view = w.View(surface_id);
    const Surface& surface = *w.pack->FindSurface(surface_id);
    for (int user_row = 0; user_row < w.state->users->size(); ++user_row) {
      for (int page_size : {5, 20}) {
        for (int k : {40, 200}) {
          SCOPED_TRACE(::testing::Message()
                       << surface_id << " user " << user_row << " page "
                       << page_size << " k " << k);
          // Allowed: the servable rows minus a random tenth.
          RowSet allowed = view->servable();
          allowed.ForEach([&](Row r) {
            if (rng() % 10 == 0) allowed.erase(r);
          });
          // Editor and user factors on a few rows, some lifting above 1.
          RowFactors editor, user;
          for (int j = 0; j < 6; ++j) {
            editor[static_cast<Row>(rng() % w.state->catalog->size())] =
                j % 2 ? 1.5 : 0.5;
            user[static_cast<Row>(rng() % w.state->catalog->size())] =
                j % 3 ? 0.9 : 1.2;
          }
          const FinalScorer final(
              *w.state->catalog, *view, editor, user, true,
              w.pack->BoostBound(surface, Audience::kGeneral));
          const SourceInputs in{w.state.get(), &blend, &final, view.get(),
                                page_size};
          auto query = w.state->users->embedding(user_row);
          const ThresholdSource source(in, query);
          const SlatePlan plan(surface, 0, page_size, 0, {});
          ASSERT_OK_AND_ASSIGN(ScoredRows got,
                               source.Retrieve(allowed, -1, k, plan.need()));
          const Oracle oracle = ScoreAll(w, allowed, query, final, blend);
          const int target = std::min(k, 2 * page_size);
          double threshold = KthBest(oracle.finals, target);
          std::vector<double> key_ok;
          for (size_t i = 0; i < oracle.rows.size(); ++i) {
            if (view->key_slot_allowed().contains(oracle.rows[i])) {
              key_ok.push_back(oracle.finals[i]);
            }
          }
          const int64_t want = plan.need().key_slot_allowed;
          if (static_cast<int64_t>(key_ok.size()) >= want) {
            threshold = std::min(threshold, KthBest(key_ok, want));
          }
          ExpectContainsAbove(oracle, threshold, got);
          for (Row r : got.rows) EXPECT_TRUE(allowed.contains(r)) << r;
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, 3 * 12 * 2 * 2);
}

TEST_F(CandidateSourceTest, PriorSourceHoldsTheTopByFinalScoreAndNoUserData) {
  const SeededWorld& w = *world_;
  const Scorer blend{ScoringOptions()};
  for (const char* surface_id : {"home", "minors_zone"}) {
    const auto view = w.View(surface_id);
    const Surface& surface = *w.pack->FindSurface(surface_id);
    // A large editor boost on a row deep in the prior order: it must still
    // come back (the cut grows until no row beyond it can win).
    const Row deep = w.state->priors->rows_by_prior()[2500];
    ASSERT_TRUE(view->servable().contains(deep));
    const RowFactors editor = {{deep, 3.0}}, user;
    const FinalScorer final(*w.state->catalog, *view, editor, user, false,
                            w.pack->BoostBound(surface, Audience::kGeneral));
    const SourceInputs in{w.state.get(), &blend, &final, view.get(), 10};
    const PriorSource source(in);
    ASSERT_OK_AND_ASSIGN(
        ScoredRows got, source.Retrieve(view->servable(), -1, 40, SlateNeed{}));
    EXPECT_TRUE(got.sims.empty());
    const Oracle oracle = ScoreAll(w, view->servable(), {}, final, blend);
    const double threshold = KthBest(oracle.finals, 20);
    ExpectContainsAbove(oracle, threshold, got);
    EXPECT_NE(std::find(got.rows.begin(), got.rows.end(), deep),
              got.rows.end());
  }
}

TEST_F(CandidateSourceTest, ExhaustiveSourceScoresEveryAllowedRow) {
  const SeededWorld& w = *world_;
  const Plain p(w, 3);
  const ExhaustiveSource source(p.in, p.query);
  ASSERT_OK_AND_ASSIGN(
      ScoredRows got, source.Retrieve(p.view->servable(), -1, 40, SlateNeed{}));
  const Oracle oracle =
      ScoreAll(w, p.view->servable(), p.query, p.final, p.blend);
  EXPECT_EQ(got.rows, oracle.rows);
  EXPECT_EQ(got.finals, oracle.finals);
}

TEST_F(CandidateSourceTest, EmptyAllowedSetGivesNoRows) {
  const SeededWorld& w = *world_;
  const Plain p(w, 0);
  const RowSet empty(w.state->catalog->size());
  const PriorSource prior(p.in);
  const ThresholdSource threshold(p.in, p.query);
  const ExhaustiveSource exhaustive(p.in, p.query);
  for (const CandidateSource* s :
       {static_cast<const CandidateSource*>(&prior),
        static_cast<const CandidateSource*>(&threshold),
        static_cast<const CandidateSource*>(&exhaustive)}) {
    ASSERT_OK_AND_ASSIGN(ScoredRows got,
                         s->Retrieve(empty, 0, 40, SlateNeed{}));
    EXPECT_TRUE(got.rows.empty());
  }
}

}  // namespace
}  // namespace feedgov
