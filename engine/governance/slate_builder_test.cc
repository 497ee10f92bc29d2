// BuildSlate on hand-made pages whose expected slates were worked out by hand
// (see the comments); every case is also checked against the reference.
#include "engine/governance/slate_builder.h"

#include <cmath>

#include <vector>

#include "engine/common/reasons.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

SlateCandidate C(ItemId id, double score, bool key_ok, bool positive = false) {
  return SlateCandidate{static_cast<Row>(id), id, score, key_ok, positive, 0};
}

std::vector<ItemId> Ids(const SlateResult& r) {
  std::vector<ItemId> ids;
  for (const SlateSlot& s : r.slots) ids.push_back(s.item.id);
  return ids;
}
std::vector<int> Positions(const SlateResult& r) {
  std::vector<int> p;
  for (const SlateSlot& s : r.slots) p.push_back(s.position);
  return p;
}

SlateResult BuildBoth(const SlateInput& in) {
  SlateResult r = BuildSlate(in);
  EXPECT_EQ(r, BuildSlateReference(in));
  return r;
}

// Home first screen: key slots 0-5, at least 2 positives among them.
SlateInput HomePage() {
  SlateInput in;
  in.page_size = 10;
  in.key_slots = {0, 1, 2, 3, 4, 5};
  in.quota_min_positive = 2;
  in.quota_window = 6;
  in.ranked = {C(1, 19, true),  C(2, 18, false), C(3, 17, true),
               C(4, 16, false), C(5, 15, true),  C(6, 14, true),
               C(7, 13, true),  C(8, 12, true),  C(9, 11, true, true),
               C(10, 10, true, true)};
  return in;
}

TEST(BuildSlate, QuotaPullsPositivesIntoLastKeySlotsAndBadGoesBelow) {
  // p0-p3: best key-allowed (1, 3, 5, 6; 2 and 4 kept out). At p4 need 2 >=
  // 2 free window slots: forced positives 9, 10. Below: 2, 4, 7, 8 by score.
  SlateResult r = BuildBoth(HomePage());
  EXPECT_EQ(Ids(r), (std::vector<ItemId>{1, 3, 5, 6, 9, 10, 2, 4, 7, 8}));
  EXPECT_EQ(r.slots[4].item.reasons, uint32_t{kPositiveQuota});
  EXPECT_EQ(r.slots[1].item.reasons, 0u);
  EXPECT_EQ(r.quota_required, 2);
  EXPECT_EQ(r.quota_met, 2);
  EXPECT_EQ(r.quota_shortfall, 0);
  EXPECT_EQ(r.kept_out_of_key_slots, 2);
  EXPECT_EQ(r.unfilled_key_slots, 0);
}

TEST(BuildSlate, ShortfallIsReportedNotHidden) {
  SlateInput in = HomePage();
  in.ranked.pop_back();
  in.ranked.pop_back();  // No positives at all.
  SlateResult r = BuildBoth(in);
  EXPECT_EQ(r.quota_met, 0);
  EXPECT_EQ(r.quota_shortfall, 2);
  EXPECT_EQ(Ids(r), (std::vector<ItemId>{1, 3, 5, 6, 7, 8, 2, 4}));
}

TEST(BuildSlate, PositivePoolBackfillsTheQuotaFromOutsideRanked) {
  SlateInput in = HomePage();
  in.ranked.pop_back();
  in.positive_pool = {C(100, 0.5, true, true), C(9, 11, true, true)};
  SlateResult r = BuildBoth(in);
  // p4 forced: 9 (from ranked); p5 forced: 100 (pool only).
  EXPECT_EQ(r.slots[4].item.id, 9);
  EXPECT_EQ(r.slots[5].item.id, 100);
  EXPECT_EQ(r.slots[5].item.reasons, uint32_t{kPositiveQuota | kKeySlotBackfill});
  EXPECT_EQ(r.quota_shortfall, 0);
}

TEST(BuildSlate, KeySlotsStayEmptyRatherThanHoldBadItems) {
  SlateInput in;
  in.page_size = 4;
  in.key_slots = {0, 1};
  in.ranked = {C(1, 3, false), C(2, 2, false), C(3, 1, false)};
  SlateResult r = BuildBoth(in);
  EXPECT_EQ(Positions(r), (std::vector<int>{2, 3}));
  EXPECT_EQ(Ids(r), (std::vector<ItemId>{1, 2}));
  EXPECT_EQ(r.unfilled_key_slots, 2);
  EXPECT_EQ(r.kept_out_of_key_slots, 3);
}

TEST(BuildSlate, KeySafePoolFillsKeySlotsWhenRankedIsAllBad) {
  SlateInput in;
  in.page_size = 3;
  in.key_slots = {0};
  in.ranked = {C(1, 3, false), C(2, 2, false)};
  in.key_safe_pool = {C(50, 0.1, true)};
  SlateResult r = BuildBoth(in);
  EXPECT_EQ(Ids(r), (std::vector<ItemId>{50, 1, 2}));
  EXPECT_EQ(r.slots[0].item.reasons, uint32_t{kKeySlotBackfill});
}

TEST(BuildSlate, NonKeySlotsHoldBackPositivesTheQuotaNeeds) {
  // Key slot 2 needs the only positive; p0 must not consume it.
  SlateInput in;
  in.page_size = 3;
  in.key_slots = {2};
  in.quota_min_positive = 1;
  in.quota_window = 1;
  in.ranked = {C(1, 10, true, true), C(2, 5, true), C(3, 4, false)};
  SlateResult r = BuildBoth(in);
  EXPECT_EQ(Ids(r), (std::vector<ItemId>{2, 3, 1}));
  EXPECT_EQ(r.quota_met, 1);
}

TEST(BuildSlate, TiesBreakByItemId) {
  SlateInput in;
  in.page_size = 3;
  in.ranked = {C(9, 1, true), C(4, 1, true), C(7, 1, true)};
  EXPECT_EQ(Ids(BuildBoth(in)), (std::vector<ItemId>{4, 7, 9}));
}

TEST(BuildSlate, NonFiniteScoresAreInvalidNeverTheBest) {
  SlateInput in;
  in.page_size = 5;
  in.ranked = {C(1, INFINITY, true), C(2, 0.5, true), C(3, NAN, true),
               C(4, -INFINITY, true), C(5, 0.7, true)};
  // Finite scores first, best first; the invalid ones after, by id. (Not
  // BuildBoth: a NaN score makes SlateResult's operator== false.)
  EXPECT_EQ(Ids(BuildSlate(in)), (std::vector<ItemId>{5, 2, 1, 3, 4}));
  EXPECT_EQ(Ids(BuildSlateReference(in)), (std::vector<ItemId>{5, 2, 1, 3, 4}));
}

TEST(SlateBefore, IsAStrictWeakOrderForAnyScores) {
  const double scores[] = {INFINITY, -INFINITY, NAN, 0.0, -0.0, 1.0, -1.0,
                           1e308};
  std::vector<SlateCandidate> all;
  for (double s : scores) {
    for (ItemId id : {1, 2}) {
      SlateCandidate c;
      c.id = id;
      c.row = static_cast<Row>(all.size());
      c.score = s;
      all.push_back(c);
    }
  }
  for (const auto& a : all) {
    EXPECT_FALSE(SlateBefore(a, a));  // Irreflexive.
    for (const auto& b : all) {
      if (SlateBefore(a, b)) EXPECT_FALSE(SlateBefore(b, a));  // Asymmetric.
      for (const auto& c : all) {
        if (SlateBefore(a, b) && SlateBefore(b, c))
          EXPECT_TRUE(SlateBefore(a, c));  // Transitive.
        const bool ab = !SlateBefore(a, b) && !SlateBefore(b, a);
        const bool bc = !SlateBefore(b, c) && !SlateBefore(c, b);
        const bool ac = !SlateBefore(a, c) && !SlateBefore(c, a);
        if (ab && bc) EXPECT_TRUE(ac);  // Incomparability is transitive.
      }
    }
  }
}

TEST(BuildSlate, PinsTakeTheirPositionsAndBadPinsNeverEnterKeySlots) {
  SlateInput in = HomePage();
  in.pins = {{C(8, 12, true), 0},          // valid: key slot, key-allowed
             {C(2, 18, false), 1},         // ignored: bad item at key slot
             {C(4, 16, false), 7},         // valid: non-key slot
             {C(7, 13, true), 12}};        // ignored: outside the page
  SlateResult r = BuildBoth(in);
  EXPECT_EQ(r.slots[0].item.id, 8);
  EXPECT_EQ(r.slots[0].item.reasons, uint32_t{kEditorPin});
  EXPECT_EQ(r.slots[7].item.id, 4);
  for (const SlateSlot& s : r.slots) {
    if (s.key_slot) {
      EXPECT_TRUE(s.item.key_slot_allowed);
    }
  }
  EXPECT_EQ(Ids(r), (std::vector<ItemId>{8, 1, 3, 5, 9, 10, 2, 4, 6, 7}));
}

TEST(BuildSlate, LaterPageCountsPositivesPlacedEarlier) {
  // Window = key slots 0..5 on page 1 [0, 3) and page 2 [3, 6).
  SlateInput in = HomePage();
  in.start_position = 3;
  in.page_size = 3;
  in.positives_in_window_so_far = 1;
  SlateResult r = BuildBoth(in);
  // p3: need 1 < free 3; p4: need 1 < 2; p5: forced.
  EXPECT_EQ(Ids(r), (std::vector<ItemId>{1, 3, 9}));
  EXPECT_EQ(r.quota_met, 2);
  EXPECT_EQ(r.quota_shortfall, 0);
  // Page 1 of the same window only requires what later slots cannot supply.
  SlateInput first = HomePage();
  first.page_size = 3;
  EXPECT_EQ(BuildBoth(first).quota_required, 0);
}

}  // namespace
}  // namespace feedgov
