#include "engine/catalog/catalog.h"

#include <cmath>
#include <limits>

#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;

Item MakeItem(ItemId id, const std::string& title = "") {
  Item item;
  item.id = id;
  item.title = title.empty() ? "item " + std::to_string(id) : title;
  return item;
}

RowMatrixXf Matrix(std::initializer_list<std::initializer_list<float>> rows) {
  RowMatrixXf m(rows.size(), rows.begin()->size());
  int r = 0;
  for (const auto& row : rows) {
    int c = 0;
    for (float v : row) m(r, c++) = v;
    ++r;
  }
  return m;
}

TEST(CatalogTest, StoresL2NormalizedEmbeddingsInItemOrder) {
  ASSERT_OK_AND_ASSIGN(auto catalog,
                       Catalog::Create({MakeItem(7), MakeItem(3)},
                                       Matrix({{3, 4, 0}, {0, 0, -2}}), 1234));
  EXPECT_EQ(catalog->size(), 2);
  EXPECT_EQ(catalog->dim(), 3);
  EXPECT_EQ(catalog->reference_time(), 1234);
  EXPECT_EQ(catalog->item(0).id, 7);
  EXPECT_EQ(catalog->id(0), 7);
  EXPECT_EQ(catalog->id(1), 3);
  EXPECT_THAT(catalog->embedding(0), ElementsAre(0.6f, 0.8f, 0.0f));
  EXPECT_THAT(catalog->embedding(1), ElementsAre(0.0f, 0.0f, -1.0f));
  EXPECT_EQ(catalog->FindRow(3), 1);
  EXPECT_EQ(catalog->FindRow(7), 0);
  EXPECT_EQ(catalog->FindRow(8), std::nullopt);
}

TEST(CatalogTest, NormalizesTinyAndHugeVectorsWithoutOverflow) {
  const float huge = 3e38f, tiny = 1e-30f;
  ASSERT_OK_AND_ASSIGN(auto catalog,
                       Catalog::Create({MakeItem(1), MakeItem(2)},
                                       Matrix({{huge, huge}, {tiny, 0}}), 0));
  EXPECT_NEAR(catalog->embedding(0)[0], std::sqrt(0.5f), 1e-6);
  EXPECT_EQ(catalog->embedding(1)[0], 1.0f);
}

TEST(CatalogTest, RejectsNaNInfZeroNormAndDuplicatesNamingTheItem) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_THAT(Catalog::Create({MakeItem(1), MakeItem(42)}, Matrix({{1, 0}, {0, nan}}), 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "item 42 (row 1): embedding[1] is NaN"));
  EXPECT_THAT(Catalog::Create({MakeItem(5)}, Matrix({{-inf, 0}}), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "item 5 (row 0): embedding[0] is Inf"));
  EXPECT_THAT(Catalog::Create({MakeItem(9)}, Matrix({{0, 0}}), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "item 9 (row 0): embedding has zero norm"));
  EXPECT_THAT(Catalog::Create({MakeItem(4), MakeItem(4)}, Matrix({{1, 0}, {0, 1}}), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "duplicate item id 4 at rows 0 and 1"));
}

TEST(CatalogTest, RejectsShapeMismatches) {
  EXPECT_THAT(Catalog::Create({MakeItem(1)}, Matrix({{1, 0}, {0, 1}}), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "2 rows for 1 items"));
  EXPECT_THAT(Catalog::Create({MakeItem(1)}, RowMatrixXf(1, 0), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "dimension is 0"));
}

TEST(CatalogTest, CreateNormalizedKeepsBitsAndRejectsUnnormalizedRows) {
  RowMatrixXf m = Matrix({{0.6f, 0.8f}});
  m(0, 0) = std::nextafter(0.6f, 1.0f);  // Still norm ~1, but not what Create makes.
  ASSERT_OK_AND_ASSIGN(auto catalog, Catalog::CreateNormalized({MakeItem(1)}, m, 0));
  EXPECT_EQ(catalog->embeddings(), m);
  EXPECT_THAT(Catalog::CreateNormalized({MakeItem(1)}, Matrix({{3, 4}}), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "item 1 (row 0): embedding norm is 5"));
}

TEST(CatalogTest, WithUpsertsReplacesInPlaceAppendsNewAndLeavesOriginalUnchanged) {
  ASSERT_OK_AND_ASSIGN(auto v1, Catalog::Create({MakeItem(10, "old ten"), MakeItem(20)},
                                                Matrix({{1, 0}, {0, 1}}), 99));
  ASSERT_OK_AND_ASSIGN(auto v2, v1->WithUpserts({MakeItem(30), MakeItem(10, "new ten")},
                                                Matrix({{0, 5}, {-2, 0}})));
  ASSERT_EQ(v2->size(), 3);
  EXPECT_EQ(v2->item(0).title, "new ten");
  EXPECT_THAT(v2->embedding(0), ElementsAre(-1.0f, 0.0f));
  EXPECT_EQ(v2->item(1).id, 20);
  EXPECT_THAT(v2->embedding(1), ElementsAre(0.0f, 1.0f));
  EXPECT_EQ(v2->item(2).id, 30);
  EXPECT_THAT(v2->embedding(2), ElementsAre(0.0f, 1.0f));
  EXPECT_EQ(v2->FindRow(30), 2);
  // The dense id column agrees with the items after an upsert.
  EXPECT_EQ(v2->id(0), 10);
  EXPECT_EQ(v2->id(1), 20);
  EXPECT_EQ(v2->id(2), 30);
  EXPECT_EQ(v2->reference_time(), 99);
  // The original is untouched.
  EXPECT_EQ(v1->size(), 2);
  EXPECT_EQ(v1->item(0).title, "old ten");
  EXPECT_THAT(v1->embedding(0), ElementsAre(1.0f, 0.0f));
  EXPECT_EQ(v1->FindRow(30), std::nullopt);
}

TEST(CatalogTest, WithUpsertsRejectsBadInput) {
  ASSERT_OK_AND_ASSIGN(auto v1, Catalog::Create({MakeItem(1)}, Matrix({{1, 0}}), 0));
  EXPECT_THAT(v1->WithUpserts({MakeItem(2)}, Matrix({{1, 0, 0}})),
              StatusIs(absl::StatusCode::kInvalidArgument, "dimension 3; catalog has 2"));
  EXPECT_THAT(v1->WithUpserts({MakeItem(2), MakeItem(2)}, Matrix({{1, 0}, {0, 1}})),
              StatusIs(absl::StatusCode::kInvalidArgument, "duplicate item id 2"));
  EXPECT_THAT(v1->WithUpserts({MakeItem(1)}, Matrix({{0, 0}})),
              StatusIs(absl::StatusCode::kInvalidArgument, "item 1 (row 0): embedding has zero norm"));
}

}  // namespace
}  // namespace feedgov
