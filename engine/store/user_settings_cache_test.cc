// CachedUserSettingsStore against its backing store (the oracle): loads
// what is stored, writes through durably, answers defaults for unknown
// users, and leaves both unchanged on a failed update.
#include "engine/store/user_settings_cache.h"

#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

absl::Status SwitchOff(UserSettings& s) {
  s.personalization = false;
  return absl::OkStatus();
}

TEST(CachedUserSettingsStoreTest, LoadsStoredUsersAndWritesThrough) {
  MemoryUserSettingsStore backing;
  ASSERT_OK(backing.Update(5, SwitchOff).status());
  ASSERT_OK_AND_ASSIGN(auto cache, CachedUserSettingsStore::Load(&backing));
  EXPECT_EQ(cache->size(), 1);
  ASSERT_OK_AND_ASSIGN(UserSettings five, cache->Get(5));
  EXPECT_FALSE(five.personalization);
  // Unknown user: the same defaults the backing store returns.
  ASSERT_OK_AND_ASSIGN(UserSettings nine, cache->Get(9));
  ASSERT_OK_AND_ASSIGN(UserSettings nine_backing, backing.Get(9));
  EXPECT_EQ(nine, nine_backing);
  // Write-through: visible in both at once.
  ASSERT_OK_AND_ASSIGN(UserSettings stored, cache->Update(9, [](UserSettings& s) {
    s.deleted_tags = {"drama"};
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(nine, cache->Get(9));
  ASSERT_OK_AND_ASSIGN(nine_backing, backing.Get(9));
  EXPECT_EQ(nine, stored);
  EXPECT_EQ(nine, nine_backing);
  ASSERT_OK_AND_ASSIGN(auto users, cache->ListUsers());
  EXPECT_EQ(users, (std::vector<UserId>{5, 9}));
}

TEST(CachedUserSettingsStoreTest, FailedUpdateChangesNothing) {
  MemoryUserSettingsStore backing;
  ASSERT_OK_AND_ASSIGN(auto cache, CachedUserSettingsStore::Load(&backing));
  EXPECT_THAT(cache->Update(3, [](UserSettings& s) {
                s.personalization = false;
                return absl::InvalidArgumentError("no");
              }).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "no"));
  // Validation failure in the backing store (upper-case tag).
  EXPECT_THAT(cache->Update(3, [](UserSettings& s) {
                s.deleted_tags = {"Drama"};
                return absl::OkStatus();
              }).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "tag"));
  ASSERT_OK_AND_ASSIGN(UserSettings three, cache->Get(3));
  EXPECT_TRUE(three.personalization);
  EXPECT_TRUE(three.deleted_tags.empty());
  EXPECT_EQ(cache->size(), 0);
  ASSERT_OK_AND_ASSIGN(auto stored, backing.ListUsers());
  EXPECT_TRUE(stored.empty());
}

}  // namespace
}  // namespace feedgov
