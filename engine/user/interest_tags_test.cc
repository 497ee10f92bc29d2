// Interest-tag derivation on a hand-built catalog (weights computed by hand)
// and the Art. 10 filter against the shipped MovieLens label map.
#include "engine/user/interest_tags.h"

#include <algorithm>
#include <random>

#include "absl/strings/ascii.h"

#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;

Item MakeItem(ItemId id, std::vector<std::string> genres,
              std::vector<std::string> tags) {
  Item it;
  it.id = id;
  it.title = "item " + std::to_string(id);
  it.genres = std::move(genres);
  it.tags = std::move(tags);
  return it;
}

std::shared_ptr<const Catalog> SmallCatalog() {
  std::vector<Item> items = {
      MakeItem(1, {"Drama", "Crime"}, {"dark"}),
      MakeItem(2, {"Comedy"}, {"drama"}),  // Tag equal to a genre name.
      MakeItem(3, {"Horror"}, {"gore"}),
      MakeItem(4, {"(no genres listed)"}, {}),
  };
  RowMatrixXf emb = RowMatrixXf::Identity(4, 4);
  auto c = Catalog::Create(items, emb, 0);
  EXPECT_OK(c);
  return *c;
}

ForbiddenTags LoadForbidden(Taxonomy* taxonomy) {
  auto t = Taxonomy::Load(testing::SourceDir() + "/policies/labels.textproto");
  EXPECT_OK(t);
  *taxonomy = *t;
  auto m = LoadLabelMap(
      testing::SourceDir() + "/policies/labelmaps/movielens.textproto",
      *taxonomy);
  EXPECT_OK(m);
  return ForbiddenTags(*m, taxonomy);
}

// Oracle: for every key that occurs (and some that do not, in other
// cases), the index's rows, filtered as its callers filter them, are
// exactly the rows a scan of the catalog finds.
TEST(ItemTagIndexTest, FilteredRowsEqualACatalogScan) {
  std::mt19937 rng(11);
  const std::vector<std::string> genres = {"Drama", "Comedy", "Film-Noir", "IMAX"};
  const std::vector<std::string> tags = {"dark", "Drama", "gore", "based on a book"};
  const std::vector<std::string> authors = {"", "ann", "Ann", "bo"};
  std::vector<Item> items;
  for (int i = 0; i < 300; ++i) {
    Item it = MakeItem(i + 1, {}, {});
    for (const auto& g : genres) {
      if (rng() % 3 == 0) it.genres.push_back(rng() % 2 ? g : absl::AsciiStrToLower(g));
    }
    for (const auto& t : tags) {
      if (rng() % 4 == 0) it.tags.push_back(t);
    }
    it.author = authors[rng() % authors.size()];
    items.push_back(std::move(it));
  }
  ASSERT_OK_AND_ASSIGN(auto catalog,
                       Catalog::Create(items, RowMatrixXf::Identity(300, 300), 0));
  const ItemTagIndex index(*catalog);
  std::vector<std::string> keys = {"drama", "DRAMA", "film-noir", "imax", "dark",
                                   "Dark", "gore", "based on a book", "none"};
  for (const std::string& key : keys) {
    std::vector<Row> got, want;
    index.AppendRowsThatMayCarry(key, got);
    std::sort(got.begin(), got.end());
    got.erase(std::unique(got.begin(), got.end()), got.end());
    got.erase(std::remove_if(got.begin(), got.end(),
                             [&](Row r) { return !ItemCarriesTag(catalog->item(r), key); }),
              got.end());
    for (Row r = 0; r < catalog->size(); ++r) {
      if (ItemCarriesTag(catalog->item(r), key)) want.push_back(r);
    }
    EXPECT_EQ(got, want) << "tag " << key;
  }
  for (const char* author : {"ann", "Ann", "bo", "nobody"}) {
    std::vector<Row> got, want;
    index.AppendRowsByAuthor(author, got);
    for (Row r = 0; r < catalog->size(); ++r) {
      if (catalog->item(r).author == author) want.push_back(r);
    }
    EXPECT_EQ(got, want) << "author " << author;
  }
}

TEST(InterestTagsTest, NormalizeLowerCasesAndTrims) {
  ASSERT_OK_AND_ASSIGN(std::string t, NormalizeTag("  Dark Comedy "));
  EXPECT_EQ(t, "dark comedy");
  EXPECT_THAT(NormalizeTag("   "),
              StatusIs(absl::StatusCode::kInvalidArgument, "1 to 200 bytes"));
}

TEST(InterestTagsTest, ItemTagsMergeGenresAndTagsAndSkipNoGenre) {
  auto c = SmallCatalog();
  EXPECT_THAT(ItemInterestTags(c->item(0)), ElementsAre("crime", "dark", "drama"));
  EXPECT_THAT(ItemInterestTags(c->item(1)), ElementsAre("comedy", "drama"));
  EXPECT_THAT(ItemInterestTags(c->item(3)), ElementsAre());
  EXPECT_TRUE(ItemCarriesTag(c->item(0), "drama"));
  EXPECT_TRUE(ItemCarriesTag(c->item(1), "drama"));
  EXPECT_FALSE(ItemCarriesTag(c->item(2), "drama"));
}

TEST(InterestTagsTest, WeightsAreRatingSharesComputedByHand) {
  Taxonomy taxonomy;
  ForbiddenTags forbidden = LoadForbidden(&taxonomy);
  auto c = SmallCatalog();
  // Ratings: item 1 -> 4, item 2 -> 1, item 3 -> 5, unknown item 99 -> 3.
  std::vector<UserInteraction> h = {{1, 4.0f, 0}, {2, 1.0f, 0}, {3, 5.0f, 0},
                                    {99, 3.0f, 0}};
  // Total 10. drama: items 1 and 2 = 5/10; crime, dark: 4/10; comedy 1/10.
  // horror and gore (item 3) map to bad.gore_horror: never listed.
  auto tags = DeriveInterestTags(h, *c, {}, {}, forbidden, 0);
  ASSERT_EQ(tags.size(), 4u);
  EXPECT_EQ(tags[0], (InterestTag{"drama", 0.5, 2, false}));
  EXPECT_EQ(tags[1], (InterestTag{"crime", 0.4, 1, false}));
  EXPECT_EQ(tags[2], (InterestTag{"dark", 0.4, 1, false}));
  EXPECT_EQ(tags[3], (InterestTag{"comedy", 0.1, 1, false}));

  // Deleted tags vanish; added tags come first; top_n cuts.
  std::vector<std::string> deleted = {"drama"}, added = {"comedy"};
  tags = DeriveInterestTags(h, *c, deleted, added, forbidden, 2);
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0], (InterestTag{"comedy", 0.1, 1, true}));
  EXPECT_EQ(tags[1], (InterestTag{"crime", 0.4, 1, false}));
}

TEST(InterestTagsTest, HorrorAndGoreAreForbiddenDramaIsNot) {
  Taxonomy taxonomy;
  ForbiddenTags forbidden = LoadForbidden(&taxonomy);
  EXPECT_EQ(forbidden.ForbiddingLabel("horror"), "bad.gore_horror");
  EXPECT_EQ(forbidden.ForbiddingLabel("gore"), "bad.gore_horror");
  EXPECT_EQ(forbidden.ForbiddingLabel("drugs"), "bad.minor_unsafe_imitation");
  EXPECT_FALSE(forbidden.IsForbidden("drama"));
  // Positive labels are fine interests.
  EXPECT_FALSE(forbidden.IsForbidden("documentary"));
}

// Variants of forbidden keys seen in MovieLens user tags are caught too;
// words that merely resemble one are not.
TEST(InterestTagsTest, VariantsOfForbiddenTagsAreForbidden) {
  Taxonomy taxonomy;
  ForbiddenTags forbidden = LoadForbidden(&taxonomy);
  for (const char* tag : {"r:violence", "casual violence", "goretastic",
                          "drugs & music", "blood splatters"}) {
    EXPECT_TRUE(forbidden.IsForbidden(tag)) << tag;
  }
  for (const char* tag : {"gorgeous", "dramatic", "visually appealing"}) {
    EXPECT_FALSE(forbidden.IsForbidden(tag)) << tag;
  }
}

}  // namespace
}  // namespace feedgov
