// The user stage against hand-computed answers: which settings a page is
// ranked with (stored, override, anonymous; the caller's switches only
// stricter), and what Apply reads of the user on each path.
#include "engine/user/user_stage.h"

#include <memory>

#include "engine/testing/seeded_world.h"
#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::feedgov::testing::SeededWorld;
using ::testing::IsEmpty;

RankRequest For(std::optional<UserId> user) {
  RankRequest r;
  r.user = user;
  return r;
}

// A store whose reads fail (a broken database).
class FailingStore final : public UserSettingsStore {
 public:
  absl::StatusOr<UserSettings> Get(UserId) const override {
    return absl::UnavailableError("database is locked");
  }
  absl::StatusOr<UserSettings> Update(
      UserId, absl::FunctionRef<absl::Status(UserSettings&)>) override {
    return absl::UnavailableError("database is locked");
  }
  absl::StatusOr<std::vector<UserId>> ListUsers() const override {
    return absl::UnavailableError("database is locked");
  }
};

TEST(ResolveSettings, AnonymousHasNoSettingsAndTakesTheMinorsFlag) {
  RankRequest r = For(std::nullopt);
  r.minors = true;
  ASSERT_OK_AND_ASSIGN(UserSettingsChoice c, ResolveSettings(r, nullptr));
  EXPECT_FALSE(c.settings.has_value());
  EXPECT_EQ(c.applied.source, SettingsSource::kNone);
  EXPECT_FALSE(c.applied.personalization);
  EXPECT_TRUE(c.applied.minors);
  r.settings_override = UserSettings();
  EXPECT_THAT(ResolveSettings(r, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, "needs a user"));
}

TEST(ResolveSettings, StoredSwitchOffHoldsWhateverTheCallerSends) {
  MemoryUserSettingsStore store;
  ASSERT_OK(store.Update(7, [](UserSettings& s) {
    s.personalization = false;
    s.deleted_tags = {"drama"};
    s.not_interested = {1, 2};
    return absl::OkStatus();
  }));
  // A request built by hand with the defaults (personalization allowed).
  ASSERT_OK_AND_ASSIGN(UserSettingsChoice c, ResolveSettings(For(7), &store));
  EXPECT_EQ(c.applied.source, SettingsSource::kStored);
  EXPECT_FALSE(c.applied.user_personalization);
  EXPECT_FALSE(c.applied.personalization);
  EXPECT_EQ(c.applied.deleted_tags, 1);
  EXPECT_EQ(c.applied.not_interested, 2);
  ASSERT_TRUE(c.settings.has_value());
  EXPECT_EQ(c.settings->user, 7);
}

TEST(ResolveSettings, CallerSwitchesOnlyMakeThePageStricter) {
  MemoryUserSettingsStore store;
  ASSERT_OK(store.Update(8, [](UserSettings& s) {
    s.minors = true;
    return absl::OkStatus();
  }));
  RankRequest r = For(8);
  r.disable_personalization = true;
  r.minors = false;  // Cannot undo the stored minors mode.
  ASSERT_OK_AND_ASSIGN(UserSettingsChoice c, ResolveSettings(r, &store));
  EXPECT_TRUE(c.applied.user_personalization);
  EXPECT_FALSE(c.applied.personalization);
  EXPECT_TRUE(c.applied.user_minors);
  EXPECT_TRUE(c.applied.minors);
  // The caller's minors flag turns minors mode on for a user without it.
  RankRequest minors_flag = For(9);
  minors_flag.minors = true;
  ASSERT_OK_AND_ASSIGN(c, ResolveSettings(minors_flag, &store));
  EXPECT_FALSE(c.applied.user_minors);
  EXPECT_TRUE(c.applied.minors);
  EXPECT_TRUE(c.applied.personalization);
  // Nothing stored (and no store at all): the defaults, on.
  ASSERT_OK_AND_ASSIGN(c, ResolveSettings(For(9), &store));
  EXPECT_TRUE(c.applied.personalization);
  EXPECT_FALSE(c.applied.minors);
  ASSERT_OK_AND_ASSIGN(c, ResolveSettings(For(9), nullptr));
  EXPECT_EQ(c.applied.source, SettingsSource::kDefaults);
  EXPECT_TRUE(c.applied.personalization);
}

TEST(ResolveSettings, AnOverrideIsUsedAsGivenAndValidated) {
  MemoryUserSettingsStore store;
  ASSERT_OK(store.Update(5, [](UserSettings& s) {
    s.personalization = false;
    return absl::OkStatus();
  }));
  RankRequest r = For(5);
  UserSettings o;
  o.user = 99;  // Ignored: the request names the user.
  o.added_tags = {"jazz", "jazz"};
  r.settings_override = o;
  ASSERT_OK_AND_ASSIGN(UserSettingsChoice c, ResolveSettings(r, &store));
  EXPECT_EQ(c.applied.source, SettingsSource::kOverride);
  EXPECT_TRUE(c.applied.personalization);
  EXPECT_EQ(c.applied.added_tags, 1);  // Normalized.
  EXPECT_EQ(c.settings->user, 5);
  r.settings_override->added_tags = {"Jazz"};
  EXPECT_THAT(
      ResolveSettings(r, &store),
      StatusIs(absl::StatusCode::kInvalidArgument, "settings_override"));
}

TEST(ResolveSettings, AStoreThatCannotBeReadFailsTheRequest) {
  FailingStore store;
  EXPECT_THAT(ResolveSettings(For(1), &store),
              StatusIs(absl::StatusCode::kUnavailable, "locked"));
  // Anonymous requests never read it.
  EXPECT_OK(ResolveSettings(For(std::nullopt), &store));
}

class UserStageApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(world_, SeededWorld::Make({.items = 500, .users = 4}));
    ASSERT_OK_AND_ASSIGN(stage_, UserStage::Create({}));
  }
  UserSettingsChoice Choice(UserId user, const UserSettings& s) {
    RankRequest r = For(user);
    r.settings_override = s;
    auto c = ResolveSettings(r, nullptr);
    EXPECT_OK(c);
    return *c;
  }
  SeededWorld world_;
  std::unique_ptr<UserStage> stage_;
};

TEST_F(UserStageApplyTest, SwitchedOffReadsNothingOfTheUser) {
  UserSettings s;
  s.personalization = false;
  s.not_interested = {SeededWorld::IdOf(1)};
  RowSet eligible(500, true);
  ASSERT_OK_AND_ASSIGN(Personalization p,
                       stage_->Apply(Choice(1, s), *world_.state, eligible));
  EXPECT_FALSE(p.personalized);
  EXPECT_THAT(p.query, IsEmpty());
  EXPECT_TRUE(p.user_factor.empty());
  EXPECT_EQ(eligible.count(), 500);  // Not even the not-interested item.
  EXPECT_THAT(p.degradations, IsEmpty());
}

TEST_F(UserStageApplyTest, PersonalizedTakesOutRatedAndNotInterestedItems) {
  UserSettings s;
  s.not_interested = {SeededWorld::IdOf(499)};
  s.see_less = {SeededWorld::IdOf(10)};
  RowSet eligible(500, true);
  ASSERT_OK_AND_ASSIGN(Personalization p,
                       stage_->Apply(Choice(1, s), *world_.state, eligible));
  EXPECT_TRUE(p.personalized);
  EXPECT_EQ(p.query.size(), 16u);
  // User 1 rated rows (0 * 131 + k * 17) % 500 for k < 5: 0, 17, 34, 51, 68.
  for (Row r : {0, 17, 34, 51, 68, 499})
    EXPECT_FALSE(eligible.contains(r)) << r;
  EXPECT_EQ(eligible.count(), 500 - 6);
  // "See less": the item itself at least, at the configured factor.
  ASSERT_TRUE(p.user_factor.contains(10));
  EXPECT_DOUBLE_EQ(p.user_factor.at(10), stage_->options().see_less_factor);
}

TEST_F(UserStageApplyTest, UnknownUserGetsTheProfileFreePageWithADegradation) {
  RowSet eligible(500, true);
  ASSERT_OK_AND_ASSIGN(
      Personalization p,
      stage_->Apply(Choice(777, UserSettings()), *world_.state, eligible));
  EXPECT_FALSE(p.personalized);
  EXPECT_THAT(
      p.degradations,
      ::testing::ElementsAre("user 777 unknown: non-personalized ranking"));
  EXPECT_EQ(eligible.count(), 500);
}

// A copy of `base` with user 1's profile vector set to `vector` and the
// items user 1 rated (rows 0, 17, 34, 51, 68) tagged "rated".
std::shared_ptr<CatalogState> WithUserOne(const CatalogState& base,
                                          float fill) {
  auto state = std::make_shared<CatalogState>(base);
  std::vector<Item> items = base.catalog->items();
  for (Row r : {0, 17, 34, 51, 68}) items[r].tags = {"rated"};
  state->catalog = *Catalog::Create(items, base.catalog->embeddings(),
                                    base.catalog->reference_time());
  std::vector<UserId> ids;
  RowMatrixXf vectors(base.users->size(), base.catalog->dim());
  std::vector<Interaction> ratings;
  for (int32_t u = 0; u < base.users->size(); ++u) {
    const UserId id = base.users->user_id(u);
    ids.push_back(id);
    auto e = base.users->embedding(u);
    for (int c = 0; c < vectors.cols(); ++c)
      vectors(u, c) = id == 1 ? fill : e[c];
    for (const UserInteraction& x : base.users->interactions(u))
      ratings.push_back({id, x.item, x.rating, x.time});
  }
  state->users = *UserTable::Create(ids, vectors, ratings);
  state->ComputePriors(ScoringOptions());
  return state;
}

TEST_F(UserStageApplyTest, ZeroProfileVectorGetsTheProfileFreePageDegraded) {
  auto state = WithUserOne(*world_.state, 0.0f);
  RowSet eligible(500, true);
  ASSERT_OK_AND_ASSIGN(Personalization p,
                       stage_->Apply(Choice(1, UserSettings()), *state,
                                     eligible));
  EXPECT_FALSE(p.personalized);
  EXPECT_THAT(p.query, IsEmpty());
  EXPECT_THAT(p.degradations,
              ::testing::ElementsAre("user 1 has no usable profile vector: "
                                     "non-personalized ranking"));
  EXPECT_EQ(eligible.count(), 500);  // Nothing of the user's applied.
}

TEST_F(UserStageApplyTest, FoldInWithNothingLeftIsDegradedNotAnError) {
  // Every item user 1 rated carries the tag they deleted: the fold-in has
  // no rating left and gives a zero vector.
  auto state = WithUserOne(*world_.state, 0.5f);
  UserSettings s;
  s.deleted_tags = {"rated"};
  RowSet eligible(500, true);
  ASSERT_OK_AND_ASSIGN(Personalization p,
                       stage_->Apply(Choice(1, s), *state, eligible));
  EXPECT_FALSE(p.personalized);
  ASSERT_EQ(p.degradations.size(), 1u);
  EXPECT_THAT(p.degradations[0], ::testing::HasSubstr("user 1"));
  EXPECT_THAT(p.degradations[0],
              ::testing::HasSubstr("non-personalized ranking"));
}

}  // namespace
}  // namespace feedgov
