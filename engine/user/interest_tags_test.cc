// Interest-tag derivation on a hand-built catalog (weights computed by hand)
// and the Art. 10 filter against the shipped MovieLens label map.
#include "engine/user/interest_tags.h"

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

TEST(InterestTagsTest, NormalizeLowerCasesAndTrims) {
  ASSERT_OK_AND_ASSIGN(std::string t, NormalizeInterestTag("  Dark Comedy "));
  EXPECT_EQ(t, "dark comedy");
  EXPECT_THAT(NormalizeInterestTag("   "),
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
