// SlatePlan, ReadableHead and KeepReadableHead against hand-computed needs
// and pools, a brute-force shortest prefix, and BuildSlate over the
// untrimmed candidates (the cut must never change the slate).
#include "engine/governance/slate_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "engine/governance/policy_loader.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

class SlatePlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = testing::SourceDir() + "/policies/";
    ASSERT_OK_AND_ASSIGN(Taxonomy tax,
                         Taxonomy::Load(dir + "labels.textproto"));
    ASSERT_OK_AND_ASSIGN(pack_,
                         LoadPolicyPack(dir + "cn-ecology.textproto", tax));
  }
  const Surface& S(const std::string& id) { return *pack_->FindSurface(id); }
  std::shared_ptr<const PolicyPack> pack_;
};

TEST_F(SlatePlanTest, NeedCountsThePageKeySlotsQuotaAndPins) {
  // home: key slots 0-5, at least 2 positives among them. Page 1 of 10
  // with one pin: P = 11, E = 6 key slots + 2 positives = 8.
  PinnedItem pin;
  pin.position = 3;
  const SlatePlan first(S("home"), 0, 10, 0, {pin});
  EXPECT_EQ(first.key_slots_on_page(), 6);
  EXPECT_EQ(first.quota_need(), 2);
  EXPECT_EQ(first.need().candidates, 11);
  EXPECT_EQ(first.need().key_slot_allowed, 19);
  EXPECT_EQ(first.need().positives, 21);  // P + R + E = 11 + 2 + 8.
  // Page 2: no key slot on it, the quota met on page 1.
  const SlatePlan second(S("home"), 10, 10, 2, {});
  EXPECT_EQ(second.key_slots_on_page(), 0);
  EXPECT_EQ(second.quota_need(), 0);
  EXPECT_EQ(second.need().candidates, 10);
  EXPECT_EQ(second.need().key_slot_allowed, 10);
  EXPECT_EQ(second.need().positives, 12);
  // feed: no key slots, no quota.
  const SlatePlan feed(S("feed"), 0, 20, 0, {});
  EXPECT_EQ(feed.need().key_slot_allowed, 20);
  EXPECT_EQ(feed.need().positives, 20);
  EXPECT_TRUE(feed.need().cuts());
}

TEST_F(SlatePlanTest, PoolsAreAskedOnlyWhenTheCandidatesCannotFillTheKeySlots) {
  // A 30-row view of home: rows 0-9 positive (key-slot allowed), 10-19
  // neutral, 20-29 bad (kept out of key slots).
  const Surface& home = S("home");
  const auto view =
      GovernanceView::Build(*pack_, home, Audience::kGeneral, 30, [&](Row r) {
        static const std::vector<Label> pos = {
            Label{"positive.core_values", 0.9f, LabelSource::kReviewer, 0, "", -1.0f}};
        static const std::vector<Label> bad = {
            Label{"bad.clickbait", 0.8f, LabelSource::kModel, 0, "", -1.0f}};
        static const std::vector<Label> none;
        return absl::Span<const Label>(r < 10 ? pos : r >= 20 ? bad : none);
      });
  const RowSet eligible(30, true);
  const SlatePlan plan(home, 0, 10, 0, {});
  std::vector<SlateCandidate> ranked;
  for (Row r : {20, 21, 22, 10, 0}) {  // 2 allowed, 1 positive.
    SlateCandidate c;
    c.row = r;
    c.key_slot_allowed = view->key_slot_allowed().contains(r);
    c.positive = view->positive_key_slot_allowed().contains(r);
    ranked.push_back(c);
  }
  const std::vector<PoolRequest> pools = plan.Pools(ranked, eligible, *view);
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0].kind, PoolRequest::Kind::kPositive);
  EXPECT_EQ(pools[0].k, 8);  // quota need 2 + 6 key slots.
  EXPECT_EQ(pools[0].allowed.count(), 10);
  EXPECT_EQ(pools[1].kind, PoolRequest::Kind::kKeySafe);
  EXPECT_EQ(pools[1].k, 14);  // 2 x 6 key slots + quota need 2.
  EXPECT_EQ(pools[1].allowed.count(), 20);
  // Enough of both among the candidates: no pool.
  std::vector<SlateCandidate> rich;
  for (Row r = 0; r < 10; ++r) {
    SlateCandidate c;
    c.row = r;
    c.key_slot_allowed = c.positive = true;
    rich.push_back(c);
  }
  EXPECT_TRUE(plan.Pools(rich, eligible, *view).empty());
  // A page without key slots never asks.
  EXPECT_TRUE(
      SlatePlan(home, 10, 10, 2, {}).Pools(ranked, eligible, *view).empty());
}

TEST_F(SlatePlanTest, ReadableHeadIsTheShortestPrefixHoldingTheNeed) {
  std::mt19937 rng(3);
  const RowSet& none = RowSet();
  (void)none;
  for (int round = 0; round < 300; ++round) {
    SCOPED_TRACE(round);
    const int n = 1 + static_cast<int>(rng() % 60);
    // A view over n rows: a third positive, a third bad.
    const auto view = GovernanceView::Build(
        *pack_, S("home"), Audience::kGeneral, n, [&](Row r) {
          static const std::vector<Label> pos = {
              Label{"positive.core_values", 0.9f, LabelSource::kReviewer, 0, "", -1.0f}};
          static const std::vector<Label> bad = {
              Label{"bad.clickbait", 0.8f, LabelSource::kModel, 0, "", -1.0f}};
          static const std::vector<Label> none;
          return absl::Span<const Label>(r % 3 == 0   ? pos
                                         : r % 3 == 1 ? bad
                                                      : none);
        });
    std::vector<Row> rows;
    std::vector<double> finals;
    for (Row r = 0; r < n; ++r) {
      if (rng() % 4 == 0) continue;
      rows.push_back(r);
      const int s = static_cast<int>(rng() % 12);
      finals.push_back(s == 0 ? std::nan("") : s * 0.25);  // Ties and NaN.
    }
    SlateNeed need;
    need.candidates = 1 + rng() % 8;
    need.key_slot_allowed = need.candidates + rng() % 6;
    need.positives = rng() % 6;
    // Oracle: sort by score (NaN last), find the shortest prefix holding the
    // need; its last score is v; keep every row scoring >= v.
    std::vector<size_t> order(rows.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return SlateSortKey(finals[a]) > SlateSortKey(finals[b]);
    });
    std::optional<double> v;
    int64_t c = 0, a = 0, p = 0;
    for (size_t i : order) {
      ++c;
      const bool allowed = view->key_slot_allowed().contains(rows[i]);
      a += allowed;
      p += allowed && view->positive_key_slot_allowed().contains(rows[i]);
      if (c >= need.candidates && a >= need.key_slot_allowed &&
          p >= need.positives) {
        v = SlateSortKey(finals[i]);
        break;
      }
    }
    std::set<size_t> want;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!v || static_cast<int64_t>(rows.size()) <= need.candidates ||
          SlateSortKey(finals[i]) >= *v) {
        want.insert(i);
      }
    }
    const std::vector<size_t> got = ReadableHead(rows, finals, need, *view);
    EXPECT_EQ(std::set<size_t>(got.begin(), got.end()), want);
    EXPECT_EQ(got.size(), want.size());  // No index twice.
  }
}

TEST_F(SlatePlanTest, KeepReadableHeadNeverChangesTheSlate) {
  // Random pages with quotas up to 4 over windows up to 10, quota progress
  // from earlier pages, eligible positives (positive and key-slot-allowed)
  // common, both pools filled, ties and pins.
  std::mt19937 rng(9);
  int cut = 0;
  for (int round = 0; round < 5000; ++round) {
    SCOPED_TRACE(round);
    SlateInput in;
    in.start_position = static_cast<int>(rng() % 11);
    in.page_size = 1 + static_cast<int>(rng() % 12);
    const int density = static_cast<int>(rng() % 101);
    for (int p = 0; p < in.start_position + in.page_size + 10; ++p) {
      if (static_cast<int>(rng() % 100) < density) in.key_slots.push_back(p);
    }
    in.quota_min_positive = static_cast<int>(rng() % 5);
    in.quota_window = static_cast<int>(rng() % 11);
    in.positives_in_window_so_far =
        in.quota_min_positive > 0
            ? static_cast<int>(rng() % in.quota_min_positive)
            : 0;
    const int n = static_cast<int>(rng() % 90);
    for (int r = 0; r < n; ++r) {
      SlateCandidate c;
      c.row = r;
      c.id = 1 + static_cast<ItemId>(rng() % 500);
      c.score = static_cast<double>(rng() % 10) * 0.1;
      c.key_slot_allowed = rng() % 10 < 7;
      c.positive = c.key_slot_allowed && rng() % 10 < 5;
      const int where = static_cast<int>(rng() % 10);
      if (where == 0 && c.positive) {
        in.positive_pool.push_back(c);
      } else if (where == 1 && c.key_slot_allowed) {
        in.key_safe_pool.push_back(c);
      } else {
        in.ranked.push_back(c);
      }
    }
    if (!in.ranked.empty() && rng() % 2 == 0) {
      PinnedItem pin;
      pin.item = in.ranked.back();
      pin.item.row = 1000;
      pin.position = in.start_position + static_cast<int>(rng() % in.page_size);
      in.pins.push_back(pin);
    }
    SlateInput trimmed = in;
    KeepReadableHead(trimmed);
    cut += trimmed.ranked.size() < in.ranked.size();
    ASSERT_EQ(BuildSlate(trimmed), BuildSlate(in));
  }
  EXPECT_GT(cut, 500);  // The cut happened, not only the no-op path.
}

}  // namespace
}  // namespace feedgov
