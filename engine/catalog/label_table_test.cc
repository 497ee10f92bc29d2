#include "engine/catalog/label_table.h"

#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "engine/catalog/item_limits.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Label L(const std::string& name, float confidence = 0.9f) {
  return Label{name, confidence, LabelSource::kReviewer, 100};
}

TEST(LabelTableTest, EmptyTableHasNoLabels) {
  auto table = LabelTable::Empty();
  EXPECT_THAT(table->LabelsFor(1), IsEmpty());
  EXPECT_EQ(table->version(), 0);
  EXPECT_EQ(table->size(), 0);
}

TEST(LabelTableTest, WithLabelsIsCopyOnWrite) {
  auto v0 = LabelTable::Empty();
  ASSERT_OK_AND_ASSIGN(auto v1, v0->WithLabels(7, {L("bad.gore_horror"), L("good.science")}));
  ASSERT_OK_AND_ASSIGN(auto v2, v1->WithLabels(7, {L("good.science", 0.5f)}));
  ASSERT_OK_AND_ASSIGN(auto v3, v2->WithLabels(7, {}));
  EXPECT_THAT(v0->LabelsFor(7), IsEmpty());
  EXPECT_THAT(v1->LabelsFor(7), ElementsAre(L("bad.gore_horror"), L("good.science")));
  EXPECT_THAT(v2->LabelsFor(7), ElementsAre(L("good.science", 0.5f)));
  EXPECT_THAT(v3->LabelsFor(7), IsEmpty());
  EXPECT_EQ(v1->version(), 1);
  EXPECT_EQ(v3->version(), 3);
  EXPECT_EQ(v1->size(), 1);
  EXPECT_EQ(v3->size(), 0);
}

TEST(LabelTableTest, RejectsInvalidLabels) {
  auto t = LabelTable::Empty();
  EXPECT_THAT(t->WithLabels(3, {L("")}),
              StatusIs(absl::StatusCode::kInvalidArgument, "item 3: labels[0]: label name is empty"));
  EXPECT_THAT(t->WithLabels(3, {L("a"), L("b", 1.5f)}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "item 3: labels[1]: label 'b': confidence 1.5"));
  EXPECT_THAT(t->WithLabels(3, {L("a", -0.1f)}),
              StatusIs(absl::StatusCode::kInvalidArgument, "confidence -0.1"));
  EXPECT_THAT(t->WithLabels(3, {L("a", std::numeric_limits<float>::quiet_NaN())}),
              StatusIs(absl::StatusCode::kInvalidArgument, "confidence nan"));
  Label bad_source = L("a");
  bad_source.source = static_cast<LabelSource>(9);
  EXPECT_THAT(t->WithLabels(3, {bad_source}),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown source 9"));
  EXPECT_OK(t->WithLabels(3, {L("edge", 0.0f), L("edge2", 1.0f)}));
  EXPECT_THAT(t->WithLabels(3, {L("bad.x", 0.3f), L("ok"), L("bad.x", 0.9f)}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "item 3: field 'labels[2]': label 'bad.x' appears twice "
                       "with conflicting confidences 0.3 and 0.9"));
  EXPECT_THAT(t->WithLabels(3, {L("x"), L("x")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "label 'x' appears twice"));
  std::vector<Label> many;
  for (int i = 0; i <= kMaxLabelsPerItem; ++i) many.push_back(L(absl::StrCat("l", i)));
  EXPECT_THAT(t->WithLabels(3, many),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "item 3: field 'labels': 65 labels, at most 64"));
  Label late = L("late");
  late.time = kMaxUnixSeconds + 1;
  EXPECT_THAT(t->WithLabels(3, {late}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "item 3: field 'labels[0].time': 4102444801 outside"));
  EXPECT_THAT(t->WithLabels(3, {L(std::string(65, 'n'))}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "field 'labels[0].name': 65 bytes, at most 64"));
}

TEST(LabelTableTest, BatchIsAllOrNothing) {
  ASSERT_OK_AND_ASSIGN(auto base, LabelTable::Empty()->WithLabels(1, {L("keep")}));
  std::vector<ItemLabelsUpdate> batch = {{1, {L("replaced")}}, {2, {L("new")}},
                                         {3, {L("broken", 2.0f)}}};
  EXPECT_THAT(base->WithLabels(batch),
              StatusIs(absl::StatusCode::kInvalidArgument, "update 2: item 3: labels[0]"));
  EXPECT_THAT(base->LabelsFor(1), ElementsAre(L("keep")));
  EXPECT_THAT(base->LabelsFor(2), IsEmpty());
  EXPECT_EQ(base->version(), 1);

  EXPECT_THAT(base->WithLabels({{2, {L("x")}}, {2, {L("y")}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "item 2 appears twice in the batch (update 1)"));

  batch.pop_back();
  ASSERT_OK_AND_ASSIGN(auto next, base->WithLabels(batch));
  EXPECT_THAT(next->LabelsFor(1), ElementsAre(L("replaced")));
  EXPECT_THAT(next->LabelsFor(2), ElementsAre(L("new")));
  EXPECT_EQ(next->version(), 2);
  EXPECT_THAT(next->LabeledItems(), ElementsAre(1, 2));
}

TEST(LabelTableTest, CreateDropsEmptyListsAndKeepsVersion) {
  absl::flat_hash_map<ItemId, std::vector<Label>> map;
  map[1] = {L("a")};
  map[2] = {};
  ASSERT_OK_AND_ASSIGN(auto t, LabelTable::Create(map, 17));
  EXPECT_EQ(t->version(), 17);
  EXPECT_THAT(t->LabeledItems(), ElementsAre(1));
  map[3] = {L("")};
  EXPECT_THAT(LabelTable::Create(map, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "item 3: labels[0]"));
}

// Randomized: many updates (crossing the compaction threshold several times)
// against a std::map oracle; every kept old version must still match the
// oracle state it was taken at.
TEST(LabelTableTest, RandomUpdatesMatchMapOracleAcrossCompactions) {
  std::mt19937 rng(7);
  std::map<ItemId, std::vector<Label>> oracle;
  std::vector<std::pair<std::shared_ptr<const LabelTable>, std::map<ItemId, std::vector<Label>>>>
      history;
  auto table = LabelTable::Empty();
  for (int step = 0; step < 600; ++step) {
    ItemId item = rng() % 300;
    std::vector<Label> labels;
    // Distinct names: a repeated name is refused (item_limits.h).
    for (int k = rng() % 3, first = rng() % 5; k > 0; --k)
      labels.push_back(L(absl::StrCat("l", (first + k) % 5)));
    ASSERT_OK_AND_ASSIGN(table, table->WithLabels(item, labels));
    if (labels.empty()) {
      oracle.erase(item);
    } else {
      oracle[item] = labels;
    }
    if (step % 50 == 0) history.emplace_back(table, oracle);
  }
  history.emplace_back(table, oracle);
  for (const auto& [t, expected] : history) {
    EXPECT_EQ(t->size(), static_cast<int64_t>(expected.size()));
    std::vector<ItemId> ids;
    for (const auto& [id, labels] : expected) ids.push_back(id);
    EXPECT_EQ(t->LabeledItems(), ids);
    for (ItemId id = 0; id < 300; ++id) {
      auto it = expected.find(id);
      EXPECT_EQ(t->LabelsFor(id), it == expected.end() ? std::vector<Label>{} : it->second)
          << "version " << t->version() << " item " << id;
    }
  }
}

}  // namespace
}  // namespace feedgov
