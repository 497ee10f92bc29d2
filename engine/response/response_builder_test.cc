// BuildResponse against hand-computed responses: items at 1-based absolute
// positions with their labels and pin ids, counters from the view and the
// slate, degradations in stage order, and when the chain goes on.
#include "engine/response/response_builder.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/common/reasons.h"
#include "engine/governance/policy_loader.h"
#include "engine/response/page_token.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;

constexpr char kKey[] = "test-key";

class ResponseBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Item> items(5);
    for (int r = 0; r < 5; ++r) {
      items[r].id = 70 + r;
      items[r].title = absl::StrCat("T", r);
    }
    ASSERT_OK_AND_ASSIGN(
        catalog_, Catalog::Create(items, RowMatrixXf::Identity(5, 5), 0));
    ASSERT_OK_AND_ASSIGN(
        labels_,
        LabelTable::Create(
            {{71, {Label{"bad.clickbait", 0.8f, LabelSource::kModel, 0, "", -1.0f}}}}, 3));
    const std::string dir = testing::SourceDir() + "/policies/";
    ASSERT_OK_AND_ASSIGN(Taxonomy tax,
                         Taxonomy::Load(dir + "labels.textproto"));
    ASSERT_OK_AND_ASSIGN(pack_,
                         LoadPolicyPack(dir + "cn-ecology.textproto", tax));
    counters_.dropped_by_label = {{"illegal.rumors", 2}};
    counters_.label_errors = 1;
    pin_ids_ = {{72, "iv-9"}};
  }

  // Page 2 (positions 10-12 of a chain that served 70 on page 1): the pin
  // of 72 at 10, items 71 and 73 after it.
  PageOutcome Outcome() {
    PageOutcome o;
    o.catalog = catalog_.get();
    o.labels = labels_.get();
    o.pack = pack_.get();
    o.surface = pack_->FindSurface("home");
    o.view_counters = &counters_;
    o.personalized = true;
    o.settings.source = SettingsSource::kStored;
    o.suppressed = 4;
    o.pins_blocked = 1;
    o.pin_ids = &pin_ids_;
    o.degradations = {"from the context", "from the overlay"};
    o.eligible_count = 3;
    o.start = 10;
    o.page_size = 3;
    return o;
  }
  static SlateSlot Slot(Row row, ItemId id, int position, uint32_t reasons) {
    SlateSlot s;
    s.item.row = row;
    s.item.id = id;
    s.item.score = 0.5 + row;
    s.item.reasons = reasons;
    s.position = position;
    return s;
  }
  static v1::PageTokenState Chain() {
    v1::PageTokenState c;
    c.set_format_version(1);
    c.set_surface("home");
    c.set_next_position(10);
    c.add_served_item_ids(70);
    return c;
  }

  std::shared_ptr<const Catalog> catalog_;
  std::shared_ptr<const LabelTable> labels_;
  std::shared_ptr<const PolicyPack> pack_;
  GovernanceView::Counters counters_;
  absl::flat_hash_map<ItemId, std::string> pin_ids_;
};

TEST_F(ResponseBuilderTest, ItemsCountersAndDegradationsAsTheStagesLeftThem) {
  SlateResult slate;
  slate.quota_shortfall = 1;
  slate.unfilled_key_slots = 2;
  slate.kept_out_of_key_slots = 5;
  slate.positives_in_window_after = 2;
  std::vector<SlateSlot> slots = {Slot(2, 72, 10, kEditorPin),
                                  Slot(1, 71, 11, kPersonalized),
                                  Slot(3, 73, 12, kPersonalized)};
  slots[1].key_slot = true;  // A neutral item in a key slot: "filled".
  const RankResponse r = BuildResponse(Outcome(), slate, slots, Chain(), kKey);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].position, 11);
  EXPECT_EQ(r.items[0].item_id, 72);
  EXPECT_EQ(r.items[0].pin_id, "iv-9");
  EXPECT_EQ(r.items[1].title, "T1");
  EXPECT_EQ(r.items[1].score, 1.5);
  ASSERT_EQ(r.items[1].labels.size(), 1u);
  EXPECT_EQ(r.items[1].labels[0].name, "bad.clickbait");
  EXPECT_EQ(r.items[2].pin_id, "");
  EXPECT_EQ(r.counters.pins_applied, 1);
  EXPECT_EQ(r.counters.pins_blocked, 1);
  EXPECT_EQ(r.counters.suppressed, 4);
  EXPECT_EQ(r.counters.label_errors, 1);
  EXPECT_EQ(r.counters.dropped_by_label.at("illegal.rumors"), 2);
  EXPECT_EQ(r.counters.kept_out_of_key_slots, 5);
  EXPECT_EQ(r.counters.unfilled_key_slots, 2);
  EXPECT_TRUE(r.personalized);
  EXPECT_EQ(r.settings.source, SettingsSource::kStored);
  EXPECT_EQ(r.policy_id, "cn-ecology");
  EXPECT_THAT(r.degradations,
              ElementsAre("from the context", "from the overlay",
                          "positive quota short by 1: not enough eligible "
                          "positive items in the catalog; 1 key slot(s) "
                          "filled with eligible neutral items",
                          "2 key slot(s) left empty: no eligible item may "
                          "occupy them"));
  // 3 eligible, 2 placed organically: the chain goes on, and its token
  // carries every served item, the next position and the quota progress.
  ASSERT_FALSE(r.next_page_token.empty());
  ASSERT_OK_AND_ASSIGN(v1::PageTokenState next,
                       DecodePageToken(r.next_page_token, kKey));
  EXPECT_THAT(next.served_item_ids(), ElementsAre(70, 72, 71, 73));
  EXPECT_EQ(next.next_position(), 13);
  EXPECT_EQ(next.positives_in_quota_window(), 2);
}

TEST_F(ResponseBuilderTest, AShortfallWithNothingFilledDoesNotSayFilled) {
  SlateResult slate;
  slate.quota_shortfall = 2;
  const RankResponse r =
      BuildResponse(Outcome(), slate, {Slot(1, 71, 11, kPersonalized)},
                    Chain(), kKey);
  EXPECT_THAT(r.degradations,
              ::testing::Contains("positive quota short by 2: not enough "
                                  "eligible positive items in the catalog"));
}

TEST_F(ResponseBuilderTest, NothingEligibleIsAnEmptyFinalPageThatSaysWhy) {
  PageOutcome o = Outcome();
  o.eligible_count = 0;
  o.start = 0;
  o.degradations.clear();
  RankResponse first = BuildResponse(o, SlateResult(), {}, Chain(), kKey);
  EXPECT_TRUE(first.items.empty());
  EXPECT_TRUE(first.next_page_token.empty());
  EXPECT_THAT(first.degradations,
              ElementsAre(::testing::HasSubstr(
                  "nothing is eligible on surface `home` for this request")));
  o.start = 20;  // A later page of a chain that served everything.
  RankResponse later = BuildResponse(o, SlateResult(), {}, Chain(), kKey);
  EXPECT_TRUE(later.next_page_token.empty());
  EXPECT_THAT(later.degradations,
              ElementsAre("end of the feed: every eligible item was served on "
                          "earlier pages"));
}

// Every position of `popup` is a key slot: eligible items the policy keeps
// out of key slots can never be placed, so an empty page ends the feed
// (found by review: empty pages with tokens until the chain limit).
TEST_F(ResponseBuilderTest, AnEmptyPageWhereEverySlotIsAKeySlotEndsTheFeed) {
  PageOutcome o = Outcome();
  o.surface = pack_->FindSurface("popup");
  ASSERT_TRUE(o.surface->all_key_slots);
  o.degradations.clear();
  o.eligible_count = 40;  // Eligible, all kept out of key slots.
  RankResponse r = BuildResponse(o, SlateResult(), {}, Chain(), kKey);
  EXPECT_TRUE(r.next_page_token.empty());
  EXPECT_THAT(r.degradations,
              ElementsAre(::testing::HasSubstr(
                  "every position is a key slot and the policy keeps the 40 "
                  "remaining eligible item(s) out of key slots")));
  // On a surface with later non-key positions the chain goes on.
  o.surface = pack_->FindSurface("home");
  r = BuildResponse(o, SlateResult(), {}, Chain(), kKey);
  EXPECT_FALSE(r.next_page_token.empty());
  // No token past the chain's last position.
  o = Outcome();
  o.start = kMaxItemsPerChain - 3;
  o.page_size = 3;
  EXPECT_TRUE(BuildResponse(o, SlateResult(), {Slot(1, 71, 4997, kPersonalized)},
                            Chain(), kKey)
                  .next_page_token.empty());
}

TEST_F(ResponseBuilderTest, TheChainEndsWhenNothingIsLeftUnlessAPinIs) {
  const std::vector<SlateSlot> slots = {Slot(1, 71, 10, kPersonalized),
                                        Slot(3, 73, 11, kPersonalized)};
  PageOutcome o = Outcome();
  o.eligible_count = 2;  // Both placed.
  EXPECT_TRUE(BuildResponse(o, SlateResult(), slots, Chain(), kKey)
                  .next_page_token.empty());
  o = Outcome();
  o.eligible_count = 2;
  o.later_pins = true;  // A pin waits on a later page.
  EXPECT_FALSE(BuildResponse(o, SlateResult(), slots, Chain(), kKey)
                   .next_page_token.empty());
  // A chain that reached kMaxItemsPerChain items ends whatever is left.
  v1::PageTokenState full = Chain();
  for (int i = 1; i < kMaxItemsPerChain - 1; ++i)
    full.add_served_item_ids(1000 + i);
  EXPECT_TRUE(BuildResponse(Outcome(), SlateResult(), slots, full, kKey)
                  .next_page_token.empty());
}

}  // namespace
}  // namespace feedgov
