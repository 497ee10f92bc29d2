#include "engine/catalog/catalog.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "engine/catalog/item_limits.h"
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

// Every field of item_limits.h at its limit is accepted and one past it is
// refused with the field named (hand-written cases, one per field).
TEST(CatalogTest, RefusesItemsOutsideTheirLimitsNamingTheField) {
  struct Case {
    std::function<void(Item&)> mutate;
    std::string message;  // Empty: accepted.
  };
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<Case> cases = {
      {[](Item& i) { i.id = 0; }, ""},
      {[](Item& i) { i.id = -3; }, "item -3: field 'id': negative; want >= 0"},
      {[](Item& i) { i.title = std::string(kMaxTitleBytes, 'a'); }, ""},
      {[](Item& i) { i.title = std::string(10 << 20, 'a'); },
       "item 7: field 'title': 10485760 bytes, at most 1000"},
      {[](Item& i) { i.title = "bad \xff byte"; },
       "item 7: field 'title': not valid UTF-8 (byte 4)"},
      {[](Item& i) { i.genres.assign(kMaxGenres, "Drama"); }, ""},
      {[](Item& i) { i.genres.assign(kMaxGenres + 1, "Drama"); },
       "item 7: field 'genres': 33 entries, at most 32"},
      {[](Item& i) { i.genres = {"Drama", ""}; },
       "item 7: field 'genres[1]': empty"},
      {[](Item& i) { i.genres = {std::string(65, 'g')}; },
       "item 7: field 'genres[0]': 65 bytes, at most 64"},
      {[](Item& i) { i.tags = {std::string(kMaxTagBytes + 1, 't')}; },
       "item 7: field 'tags[0]': 201 bytes, at most 200"},
      {[](Item& i) { i.author = std::string(kMaxAuthorBytes + 1, 'w'); },
       "item 7: field 'author': 201 bytes, at most 200"},
      {[](Item& i) { i.first_seen = -1; },
       "item 7: field 'first_seen': -1 outside [0, 4102444800]"},
      {[](Item& i) { i.first_seen = kMaxUnixSeconds; }, ""},
      {[](Item& i) { i.first_seen = kMaxUnixSeconds + 1; },
       "item 7: field 'first_seen': 4102444801 outside"},
      {[](Item& i) { i.first_seen = 500; i.last_interaction = 499; },
       "item 7: field 'last_interaction': 499 outside [500, 4102444800]"},
      {[](Item& i) { i.num_ratings = -1; },
       "item 7: field 'num_ratings': -1 is negative"},
      {[](Item& i) { i.num_ratings = 2; i.mean_rating = NAN; },
       "item 7: field 'mean_rating': nan is not a finite value in [0, 10]"},
      {[](Item& i) { i.mean_rating = 10.5f; },
       "item 7: field 'mean_rating': 10.5 is not a finite value in [0, 10]"},
      {[inf](Item& i) { i.decayed_popularity = inf; },
       "item 7: field 'decayed_popularity': inf is not a finite value"},
      {[](Item& i) { i.decayed_popularity = -1; },
       "item 7: field 'decayed_popularity': -1 is not a finite value"},
  };
  for (const Case& c : cases) {
    Item item = MakeItem(7);
    c.mutate(item);
    auto made = Catalog::Create({item}, Matrix({{1, 0}}), 0);
    if (c.message.empty()) {
      EXPECT_OK(made) << c.message;
    } else {
      EXPECT_THAT(made, StatusIs(absl::StatusCode::kInvalidArgument, c.message));
    }
    // Upserts go through the same check.
    ASSERT_OK_AND_ASSIGN(auto base, Catalog::Create({MakeItem(1)}, Matrix({{1, 0}}), 0));
    auto upserted = base->WithUpserts({item}, Matrix({{0, 1}}));
    EXPECT_EQ(upserted.ok(), c.message.empty()) << c.message;
  }
  EXPECT_THAT(Catalog::Create({MakeItem(1)}, Matrix({{1, 0}}), -5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "catalog reference time -5 outside"));
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
