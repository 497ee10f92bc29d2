// Cross-stage tests of the feed pipeline's foundation on MovieLens: token
// chains never repeat or skip, responses are deterministic, unknown users
// degrade to the non-personalized ranking, bad requests get clear errors, and
// heavily filtered pages stay full and exact (brute-force oracle).
#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "Eigen/Core"
#include "engine/common/matrix.h"
#include "engine/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/pipeline/movielens_env.h"

namespace feedgov {
namespace {

using ::feedgov::testing::Concat;
using ::feedgov::testing::FakeClock;
using ::feedgov::testing::HasDuplicates;
using ::feedgov::testing::Ids;
using ::feedgov::testing::Join;
using ::feedgov::testing::MarkIllegal;
using ::feedgov::testing::MovieLensSnapshot;
using ::feedgov::testing::OpenMovieLens;
using ::feedgov::testing::PageThrough;
using ::testing::HasSubstr;

class PagingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { MovieLensSnapshot::Dir(); }
  static void TearDownTestSuite() { MovieLensSnapshot::Cleanup(); }
};

RankRequest Req(const std::string& surface, std::optional<UserId> user,
                int page_size) {
  RankRequest r;
  r.surface = surface;
  r.user = user;
  r.page_size = page_size;
  return r;
}

TEST_F(PagingTest, PagesNeverRepeatAnItemAcrossAChain) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology"));
  const std::vector<std::optional<UserId>> users = {std::nullopt, 1, 414, 610};
  for (const std::string surface : {"feed", "home"}) {
    for (const auto& user : users) {
      for (int page_size : {1, 7, 20, 500}) {
        SCOPED_TRACE(absl::StrCat(surface, " user ", user.value_or(-1),
                                  " page_size ", page_size));
        const int cap = page_size == 1 ? 40 : page_size == 500 ? 1500 : 300;
        std::vector<RankResponse> pages;
        ASSERT_OK(PageThrough(*engine, Req(surface, user, page_size), cap,
                              &pages));
        std::vector<ItemId> all = Concat(pages);
        EXPECT_FALSE(HasDuplicates(all)) << Join(all);
        EXPECT_GE(static_cast<int>(all.size()), std::min(cap, 1000));
        // Positions are consecutive across the chain and pages are full.
        int expected_position = 1;
        for (const RankResponse& p : pages) {
          EXPECT_EQ(static_cast<int>(p.items.size()), page_size);
          for (const RankedItem& i : p.items) {
            EXPECT_EQ(i.position, expected_position++);
          }
        }
      }
    }
  }
}

// Concatenating pages of 10 gives exactly one page of 50 (no skip, no
// reordering), where governance does not reorder: permissive pack, and the
// key-slot-free `feed` surface of cn-ecology.
TEST_F(PagingTest, PagesOfTenConcatenateToOnePageOfFifty) {
  struct Case {
    std::string policy, surface;
  };
  for (const Case& c : {Case{"permissive", "home"}, Case{"cn-ecology", "feed"}}) {
    ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens(c.policy));
    for (std::optional<UserId> user :
         std::vector<std::optional<UserId>>{std::nullopt, 1, 68, 414}) {
      SCOPED_TRACE(absl::StrCat(c.policy, "/", c.surface, " user ",
                                user.value_or(-1)));
      ASSERT_OK_AND_ASSIGN(RankResponse big,
                           engine->Rank(Req(c.surface, user, 50)));
      std::vector<RankResponse> pages;
      ASSERT_OK(PageThrough(*engine, Req(c.surface, user, 10), 50, &pages));
      ASSERT_EQ(pages.size(), 5u);
      EXPECT_EQ(Join(Concat(pages)), Join(Ids(big)));
      std::vector<double> small_scores;
      for (const auto& p : pages) {
        for (const auto& i : p.items) small_scores.push_back(i.score);
      }
      for (size_t i = 0; i < big.items.size() && i < small_scores.size(); ++i) {
        EXPECT_DOUBLE_EQ(small_scores[i], big.items[i].score) << i;
      }
    }
  }
}

TEST_F(PagingTest, ItemMadeIllegalBetweenPagesIsNeverServedAndNothingIsSkipped) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("permissive"));
  for (std::optional<UserId> user :
       std::vector<std::optional<UserId>>{std::nullopt, 1}) {
    SCOPED_TRACE(user.value_or(-1));
    ASSERT_OK_AND_ASSIGN(RankResponse big, engine->Rank(Req("home", user, 60)));
    const ItemId victim = big.items[14].item_id;  // Would be on page 2.
    ASSERT_OK_AND_ASSIGN(RankResponse page1, engine->Rank(Req("home", user, 10)));
    ASSERT_OK(MarkIllegal(*engine, {victim}));
    std::vector<RankResponse> pages = {page1};
    RankRequest next = Req("home", user, 10);
    next.page_token = page1.next_page_token;
    ASSERT_OK(PageThrough(*engine, next, 40, &pages));
    std::vector<ItemId> all = Concat(pages);
    EXPECT_FALSE(HasDuplicates(all));
    EXPECT_EQ(std::count(all.begin(), all.end(), victim), 0);
    // Oracle: the one-page ranking without the victim.
    std::vector<ItemId> expected = Ids(big);
    expected.erase(std::find(expected.begin(), expected.end(), victim));
    expected.resize(all.size());
    EXPECT_EQ(Join(all), Join(expected));
    // Revert for the next user.
    ASSERT_OK(engine->UpdateLabels({{victim, {}}}));
  }
}

TEST_F(PagingTest, SameRequestTwiceGivesIdenticalResponses) {
  FakeClock clock;
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology", &clock));
  for (std::optional<UserId> user :
       std::vector<std::optional<UserId>>{std::nullopt, 7, 414}) {
    for (const std::string surface : {"home", "hot_list", "feed"}) {
      RankRequest req = Req(surface, user, 25);
      ASSERT_OK_AND_ASSIGN(RankResponse a, engine->Rank(req));
      ASSERT_OK_AND_ASSIGN(RankResponse b, engine->Rank(req));
      ASSERT_EQ(a.items.size(), b.items.size());
      for (size_t i = 0; i < a.items.size(); ++i) {
        EXPECT_EQ(a.items[i].item_id, b.items[i].item_id);
        EXPECT_EQ(a.items[i].score, b.items[i].score);
        EXPECT_EQ(a.items[i].reasons, b.items[i].reasons);
        EXPECT_EQ(a.items[i].key_slot, b.items[i].key_slot);
      }
      EXPECT_EQ(a.next_page_token, b.next_page_token);
      EXPECT_EQ(a.degradations, b.degradations);
      // The second page is deterministic too.
      req.page_token = a.next_page_token;
      ASSERT_OK_AND_ASSIGN(RankResponse c, engine->Rank(req));
      ASSERT_OK_AND_ASSIGN(RankResponse d, engine->Rank(req));
      EXPECT_EQ(Ids(c), Ids(d));
      EXPECT_EQ(c.next_page_token, d.next_page_token);
    }
  }
}

TEST_F(PagingTest, UnknownUserGetsTheAnonymousRankingFlaggedAsDegraded) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology"));
  ASSERT_FALSE(engine->users()->FindUser(999999).has_value());
  for (const std::string surface : {"home", "feed", "hot_list"}) {
    ASSERT_OK_AND_ASSIGN(RankResponse unknown,
                         engine->Rank(Req(surface, 999999, 30)));
    ASSERT_OK_AND_ASSIGN(RankResponse anon,
                         engine->Rank(Req(surface, std::nullopt, 30)));
    EXPECT_FALSE(unknown.personalized);
    EXPECT_FALSE(anon.personalized);
    EXPECT_THAT(unknown.degradations,
                ::testing::Contains(AllOf(HasSubstr("999999"),
                                          HasSubstr("non-personalized"))));
    EXPECT_EQ(Ids(unknown), Ids(anon));
    ASSERT_EQ(unknown.items.size(), anon.items.size());
    for (size_t i = 0; i < anon.items.size(); ++i) {
      EXPECT_EQ(unknown.items[i].score, anon.items[i].score);
      EXPECT_EQ(unknown.items[i].key_slot, anon.items[i].key_slot);
    }
    // A known user is personalized (sanity: the two paths differ).
    ASSERT_OK_AND_ASSIGN(RankResponse known, engine->Rank(Req(surface, 1, 30)));
    EXPECT_TRUE(known.personalized);
    EXPECT_NE(Ids(known), Ids(anon));
  }
}

TEST_F(PagingTest, BadRequestsAreInvalidArgumentWithClearMessages) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("cn-ecology"));
  EXPECT_THAT(engine->Rank(Req("home", 1, 0)),
              StatusIs(absl::StatusCode::kInvalidArgument, "[1, 500]"));
  EXPECT_THAT(engine->Rank(Req("home", 1, 501)),
              StatusIs(absl::StatusCode::kInvalidArgument, "page_size 501"));
  EXPECT_THAT(engine->Rank(Req("hom", 1, 20)),
              StatusIs(absl::StatusCode::kInvalidArgument, "`hom`"));

  RankRequest garbage = Req("home", 1, 20);
  garbage.page_token = "not-a-token!!";
  EXPECT_THAT(engine->Rank(garbage),
              StatusIs(absl::StatusCode::kInvalidArgument, "page token"));

  ASSERT_OK_AND_ASSIGN(RankResponse first, engine->Rank(Req("home", 1, 20)));
  ASSERT_FALSE(first.next_page_token.empty());
  // A tampered token (one character flipped) is refused.
  RankRequest tampered = Req("home", 1, 20);
  tampered.page_token = first.next_page_token;
  tampered.page_token[tampered.page_token.size() / 2] ^= 1;
  EXPECT_THAT(engine->Rank(tampered),
              StatusIs(absl::StatusCode::kInvalidArgument, "page token"));
  // Another surface, another user, anonymous.
  RankRequest other_surface = Req("feed", 1, 20);
  other_surface.page_token = first.next_page_token;
  EXPECT_THAT(engine->Rank(other_surface),
              StatusIs(absl::StatusCode::kInvalidArgument, "surface"));
  RankRequest other_user = Req("home", 2, 20);
  other_user.page_token = first.next_page_token;
  EXPECT_THAT(engine->Rank(other_user),
              StatusIs(absl::StatusCode::kInvalidArgument, "another user"));
  RankRequest anon = Req("home", std::nullopt, 20);
  anon.page_token = first.next_page_token;
  EXPECT_THAT(engine->Rank(anon),
              StatusIs(absl::StatusCode::kInvalidArgument, "another user"));
}

// Brute-force oracle of the permissive pack's page: every servable item not
// rated by the user, scored with the documented blend (scorer.h) from an
// independent Eigen cosine, top `k` by score desc then id asc.
struct Scored {
  ItemId id;
  double score;
};
std::vector<Scored> OracleTop(const FeedEngine& engine, UserId user,
                              const absl::flat_hash_set<ItemId>& excluded,
                              int k) {
  const Catalog& catalog = *engine.catalog();
  const ItemPriors& priors = *engine.state()->priors;
  const ScoringOptions& w = engine.options().scoring;
  auto urow = engine.users()->FindUser(user);
  EXPECT_TRUE(urow.has_value());
  auto u = engine.users()->embedding(*urow);
  Eigen::VectorXf q = Eigen::Map<const Eigen::VectorXf>(u.data(), u.size());
  q /= q.norm();
  Eigen::VectorXf cos = catalog.embeddings() * q;
  auto rated = ::feedgov::testing::RatedBy(engine, user);
  std::vector<Scored> all;
  for (Row r = 0; r < catalog.size(); ++r) {
    ItemId id = catalog.item(r).id;
    if (excluded.contains(id) || rated.contains(id)) continue;
    double s = w.similarity_weight * (1.0 + cos[r]) / 2.0 +
               w.popularity_weight * priors.popularity(r) +
               w.freshness_weight * priors.freshness(r);
    all.push_back({id, s});
  }
  std::sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  if (static_cast<int>(all.size()) > k) all.resize(k);
  return all;
}

TEST_F(PagingTest, PageStaysFullAndExactWhenNinetyFivePercentIsIneligible) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("permissive"));
  const Catalog& catalog = *engine->catalog();
  std::vector<ItemId> illegal;
  absl::flat_hash_set<ItemId> illegal_set;
  std::mt19937 rng(20240501);
  for (const Item& item : catalog.items()) {
    if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.95) {
      illegal.push_back(item.id);
      illegal_set.insert(item.id);
    }
  }
  ASSERT_GT(illegal.size(), catalog.size() * 0.94);
  ASSERT_OK(MarkIllegal(*engine, illegal));
  for (UserId user : {1, 68, 414, 600}) {
    for (int page_size : {20, 100}) {
      SCOPED_TRACE(absl::StrCat("user ", user, " page_size ", page_size));
      ASSERT_OK_AND_ASSIGN(RankResponse page,
                           engine->Rank(Req("home", user, page_size)));
      ASSERT_TRUE(page.personalized);
      ASSERT_EQ(static_cast<int>(page.items.size()), page_size);
      std::vector<Scored> oracle = OracleTop(*engine, user, illegal_set, page_size);
      ASSERT_EQ(oracle.size(), page.items.size());
      for (size_t i = 0; i < oracle.size(); ++i) {
        EXPECT_FALSE(illegal_set.contains(page.items[i].item_id));
        EXPECT_NEAR(page.items[i].score, oracle[i].score, 1e-5) << "pos " << i;
        // Ids agree except where two oracle scores are float-close.
        if (page.items[i].item_id != oracle[i].id) {
          const double gap = i + 1 < oracle.size()
                                 ? std::abs(oracle[i].score - oracle[i + 1].score)
                                 : 0;
          const double gap_prev =
              i > 0 ? std::abs(oracle[i].score - oracle[i - 1].score) : 1;
          EXPECT_LT(std::min(gap, gap_prev), 1e-5)
              << "pos " << i << ": engine " << page.items[i].item_id
              << " oracle " << oracle[i].id;
        }
      }
    }
  }
}

TEST_F(PagingTest, FilterLeavingFewerItemsThanThePageServesAllThenEnds) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenMovieLens("permissive"));
  const Catalog& catalog = *engine->catalog();
  // Keep 15 items of varied popularity, one of them rated by user 1.
  auto rated = ::feedgov::testing::RatedBy(*engine, 1);
  std::set<ItemId> keep;
  for (Row r = 0; r < catalog.size() && keep.size() < 15; r += 613) {
    keep.insert(catalog.item(r).id);
  }
  ItemId rated_kept = *rated.begin();
  keep.insert(rated_kept);
  std::vector<ItemId> illegal;
  for (const Item& item : catalog.items()) {
    if (!keep.contains(item.id)) illegal.push_back(item.id);
  }
  ASSERT_OK(MarkIllegal(*engine, illegal));

  ASSERT_OK_AND_ASSIGN(RankResponse anon,
                       engine->Rank(Req("home", std::nullopt, 20)));
  std::vector<ItemId> anon_ids = Ids(anon);
  EXPECT_EQ(std::set<ItemId>(anon_ids.begin(), anon_ids.end()), keep);
  EXPECT_EQ(anon.items.size(), keep.size());
  EXPECT_TRUE(anon.next_page_token.empty());
  // Anonymous order is the prior order (oracle: sort by prior score, id).
  const ItemPriors& priors = *engine->state()->priors;
  std::vector<ItemId> by_prior(keep.begin(), keep.end());
  std::stable_sort(by_prior.begin(), by_prior.end(), [&](ItemId a, ItemId b) {
    float pa = priors.prior_score(*catalog.FindRow(a));
    float pb = priors.prior_score(*catalog.FindRow(b));
    return pa != pb ? pa > pb : a < b;
  });
  EXPECT_EQ(Join(anon_ids), Join(by_prior));

  // Personalized: everything eligible except what the user already rated.
  ASSERT_OK_AND_ASSIGN(RankResponse personal, engine->Rank(Req("home", 1, 20)));
  std::vector<ItemId> pids = Ids(personal);
  std::set<ItemId> expected = keep;
  for (ItemId id : keep) {
    if (rated.contains(id)) expected.erase(id);
  }
  EXPECT_EQ(std::set<ItemId>(pids.begin(), pids.end()), expected);
  EXPECT_TRUE(personal.next_page_token.empty());

  // Paged with size 4: all of them, then the chain ends.
  std::vector<RankResponse> pages;
  ASSERT_OK(PageThrough(*engine, Req("home", std::nullopt, 4), 100, &pages));
  EXPECT_EQ(Join(Concat(pages)), Join(by_prior));
  EXPECT_TRUE(pages.back().next_page_token.empty());
}

}  // namespace
}  // namespace feedgov
