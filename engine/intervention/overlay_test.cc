// The intervention overlay against hand-computed answers on a 12-item
// catalog: which rows stay eligible, how many suppression removed, which
// pins are admitted or refused (and the words of each refusal), the editor
// factors, pins past the end of the feed, and the resolve cache's windows.
#include "engine/intervention/overlay.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/common/reasons.h"
#include "engine/governance/policy_loader.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr UnixSeconds kNow = 1'800'000'000;

// Rows 0..11 hold items 100..111. Item 103 is illegal (dropped), item 105
// bad (kept out of key slots); items 107 and 108 are by author "a". Item
// 101's embedding is item 100's, slightly turned (cosine ~0.995); every
// other item points its own way.
class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const int n = 12, d = 12;
    std::vector<Item> items(n);
    RowMatrixXf e = RowMatrixXf::Zero(n, d);
    for (int r = 0; r < n; ++r) {
      items[r].id = 100 + r;
      items[r].title = absl::StrCat("Item ", 100 + r);
      items[r].first_seen = kNow - 86400;
      items[r].decayed_popularity = static_cast<float>(n - r);
      e(r, r) = 1.0f;
    }
    e(1, 0) = 1.0f;
    e(1, 1) = 0.1f;
    items[7].author = items[8].author = "a";
    items[9].author = "b";
    auto state = std::make_shared<CatalogState>();
    ASSERT_OK_AND_ASSIGN(state->catalog, Catalog::Create(items, e, kNow));
    ASSERT_OK_AND_ASSIGN(state->users,
                         UserTable::Create({}, RowMatrixXf(0, d), {}));
    ASSERT_OK_AND_ASSIGN(state->retriever,
                         Retriever::Build(state->catalog->embeddings(), {}));
    state->ComputePriors(ScoringOptions());
    state->deleted = {110};
    state_ = state;
    const std::string dir = testing::SourceDir() + "/policies/";
    ASSERT_OK_AND_ASSIGN(Taxonomy tax,
                         Taxonomy::Load(dir + "labels.textproto"));
    ASSERT_OK_AND_ASSIGN(pack_,
                         LoadPolicyPack(dir + "cn-ecology.textproto", tax));
    absl::flat_hash_map<ItemId, std::vector<Label>> labels = {
        {103, {Label{"illegal.rumors", 0.9f, LabelSource::kReviewer, 0, "", -1.0f}}},
        {105, {Label{"bad.clickbait", 0.8f, LabelSource::kModel, 0, "", -1.0f}}}};
    const Surface& home = *pack_->FindSurface("home");
    view_ =
        GovernanceView::Build(*pack_, home, Audience::kGeneral, n, [&](Row r) {
          auto it = labels.find(100 + r);
          return it == labels.end() ? absl::Span<const Label>()
                                    : absl::Span<const Label>(it->second);
        });
  }

  static Intervention Make(const std::string& id, InterventionKind kind,
                           ItemId item) {
    Intervention iv;
    iv.id = id;
    iv.kind = kind;
    iv.item_id = item;
    iv.editor = "ed";
    iv.reason = "test";
    iv.start = absl::FromUnixSeconds(kNow - 3600);
    return iv;
  }
  static Intervention Pin(const std::string& id, ItemId item, int position) {
    Intervention iv = Make(id, InterventionKind::kPin, item);
    iv.surface = "home";
    iv.position = position;
    return iv;
  }

  OverlayRequest Request(std::vector<ItemId>* served, int start = 0,
                         int page_size = 10) {
    OverlayRequest r;
    r.state = state_;
    r.view = view_;
    r.surface = pack_->FindSurface("home");
    r.served = *served;
    r.start = start;
    r.page_size = page_size;
    r.now = absl::FromUnixSeconds(kNow);
    return r;
  }

  static std::vector<Row> Rows(const RowSet& s) {
    std::vector<Row> out;
    s.ForEach([&](Row r) { out.push_back(r); });
    return out;
  }

  std::shared_ptr<const CatalogState> state_;
  std::shared_ptr<const PolicyPack> pack_;
  std::shared_ptr<const GovernanceView> view_;
  InterventionOverlay overlay_;
};

TEST_F(OverlayTest, WithoutInterventionsOnlyDroppedDeletedAndServedLeave) {
  std::vector<ItemId> served = {109};
  const Overlay o = overlay_.Apply(nullptr, Request(&served));
  // Servable: all but 103 (illegal); minus deleted 110 and served 109.
  EXPECT_THAT(Rows(o.eligible), ElementsAre(0, 1, 2, 4, 5, 6, 7, 8, 11));
  EXPECT_EQ(o.suppressed, 0);
  EXPECT_TRUE(o.pins.empty());
  EXPECT_TRUE(o.editor_factor->empty());
}

TEST_F(OverlayTest, SuppressionsFactorsAndPinsMatchTheHandComputedPage) {
  Intervention author = Make("iv-4", InterventionKind::kSuppressAuthor, 0);
  author.author = "a";
  Intervention near =
      Make("iv-5", InterventionKind::kSuppressNearDuplicates, 100);
  near.cosine_threshold = 0.9;
  Intervention boost = Make("iv-6", InterventionKind::kBoost, 106);
  boost.factor = 2.0;
  Intervention bury = Make("iv-7", InterventionKind::kBury, 111);
  bury.factor = 0.5;
  Intervention expired = Pin("iv-8", 111, 2);
  expired.end = absl::FromUnixSeconds(kNow - 1);
  auto snapshot =
      std::make_shared<const InterventionSnapshot>(std::vector<Intervention>{
          Make("iv-1", InterventionKind::kSuppressItem, 102), author, near,
          boost, bury, expired, Pin("iv-10", 104, 0),  // Admitted, key slot.
          Pin("iv-11", 105, 1),   // Bad item in key slot 2: refused.
          Pin("iv-12", 102, 7),   // Suppressed: refused.
          Pin("iv-13", 103, 8),   // Illegal: refused.
          Pin("iv-14", 999, 9),   // Not in the catalog: refused.
          Pin("iv-15", 106, 12),  // Beyond this page: admitted for later.
          Pin("iv-16", 109, 3),   // Served earlier in the chain.
          Pin("iv-19", 110, 5),   // Deleted: refused.
          // Suppressions of rows that leave anyway (served, deleted): they
          // do not count as suppressed.
          Make("iv-17", InterventionKind::kSuppressItem, 109),
          Make("iv-18", InterventionKind::kSuppressItem, 110)});
  std::vector<ItemId> served = {109};
  const Overlay o = overlay_.Apply(snapshot, Request(&served));

  // Servable {0,1,2,4,...,11}; suppressed: 102 (item), 107 and 108
  // (author a), 101 (near duplicate of 100; the seed itself stays).
  // Then deleted 110, served 109 and the admitted pins 104 and 106 leave.
  EXPECT_THAT(Rows(o.eligible), ElementsAre(0, 5, 11));
  EXPECT_EQ(o.suppressed, 4);
  EXPECT_THAT(*o.editor_factor,
              UnorderedElementsAre(std::pair<const Row, double>(6, 2.0),
                                   std::pair<const Row, double>(11, 0.5)));
  ASSERT_EQ(o.pins.size(), 2u);
  EXPECT_EQ(o.pins[0].first, 0);
  EXPECT_EQ(o.pins[0].second.item.id, 104);
  EXPECT_TRUE(o.pins[0].second.item.key_slot_allowed);
  EXPECT_EQ(o.pins[0].second.item.reasons, kEditorPin);
  EXPECT_EQ(o.pins[1].first, 12);
  EXPECT_EQ(o.pin_ids.at(104), "iv-10");
  EXPECT_EQ(o.pins_blocked, 5);
  EXPECT_THAT(
      o.degradations,
      ElementsAre(
          "pin iv-11 of item 105 at position 2 not applied: policy keeps it "
          "out of key slots (bad.clickbait)",
          "pin iv-16 of item 109 at position 4 not applied: item was already "
          "served earlier in this chain",
          "pin iv-19 of item 110 at position 6 not applied: item was deleted "
          "from the catalog",
          "pin iv-12 of item 102 at position 8 not applied: item is suppressed",
          "pin iv-13 of item 103 at position 9 not applied: policy drops it "
          "(illegal.rumors)",
          "pin iv-14: item 999 is not in the catalog"));
  EXPECT_EQ(o.PinsBefore(10).size(), 1u);
  EXPECT_TRUE(o.HasPinAtOrAfter(10));
  EXPECT_FALSE(o.HasPinAtOrAfter(13));
}

TEST_F(OverlayTest, PinsBeyondTheEndOfTheFeedArePlacedAfterItsLastItem) {
  auto snapshot = std::make_shared<const InterventionSnapshot>(
      std::vector<Intervention>{Pin("iv-1", 104, 40)});
  std::vector<ItemId> served;
  Overlay o = overlay_.Apply(snapshot, Request(&served, 0, 20));
  // A short page: the slate placed 3 of 3 eligible rows at positions 0-2.
  std::vector<SlateSlot> slots(3);
  for (int i = 0; i < 3; ++i) slots[i].position = i;
  o.PlacePinsPastEnd(3, *pack_->FindSurface("home"), 0, 20, slots);
  ASSERT_EQ(slots.size(), 4u);
  EXPECT_EQ(slots[3].position, 3);
  EXPECT_EQ(slots[3].item.id, 104);
  EXPECT_TRUE(slots[3].key_slot);  // Home's first 6 positions are key slots.
  EXPECT_TRUE(o.pins.empty());
  // A pin kept out of key slots (bad item 105, admitted at its non-key
  // position 41) is not moved into the key slot after the last item.
  auto bad = std::make_shared<const InterventionSnapshot>(
      std::vector<Intervention>{Pin("iv-2", 105, 40)});
  Overlay kept_out = overlay_.Apply(bad, Request(&served, 0, 20));
  ASSERT_EQ(kept_out.pins.size(), 1u);
  std::vector<SlateSlot> short_page(3);
  for (int i = 0; i < 3; ++i) short_page[i].position = i;
  kept_out.PlacePinsPastEnd(3, *pack_->FindSurface("home"), 0, 20, short_page);
  EXPECT_EQ(short_page.size(), 3u);
  EXPECT_EQ(kept_out.pins.size(), 1u);
  // Not when eligible rows remain: the feed goes on.
  Overlay again = overlay_.Apply(snapshot, Request(&served, 0, 20));
  std::vector<SlateSlot> more(3);
  again.PlacePinsPastEnd(4, *pack_->FindSurface("home"), 0, 20, more);
  EXPECT_EQ(more.size(), 3u);
}

TEST_F(OverlayTest, AResolvedWindowIsReusedUntilAnInterventionStartsOrEnds) {
  Intervention later = Make("iv-2", InterventionKind::kSuppressItem, 100);
  later.start = absl::FromUnixSeconds(kNow + 60);
  auto snapshot =
      std::make_shared<const InterventionSnapshot>(std::vector<Intervention>{
          Make("iv-1", InterventionKind::kSuppressItem, 102), later});
  std::vector<ItemId> served;
  OverlayRequest now = Request(&served);
  const Overlay a = overlay_.Apply(snapshot, now);
  const Overlay b = overlay_.Apply(snapshot, now);
  EXPECT_EQ(a.resolved, b.resolved);  // Shared within the window.
  EXPECT_FALSE(a.eligible.contains(2));
  EXPECT_TRUE(a.eligible.contains(0));
  now.now = absl::FromUnixSeconds(kNow + 60);  // iv-2 starts.
  const Overlay c = overlay_.Apply(snapshot, now);
  EXPECT_NE(c.resolved, a.resolved);
  EXPECT_FALSE(c.eligible.contains(0));
}

}  // namespace
}  // namespace feedgov
