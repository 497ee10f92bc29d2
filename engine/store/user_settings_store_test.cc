// One typed suite, run against every UserSettingsStore implementation, plus
// SQLite-only tests (restart, rollback, schema).
#include "engine/store/user_settings_store.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/store/schema.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct MemoryFactory {
  std::unique_ptr<UserSettingsStore> Make() {
    return std::make_unique<MemoryUserSettingsStore>();
  }
};

struct SqliteFactory {
  std::string dir = testing::MakeTempDir("user_settings_store_test");
  std::unique_ptr<UserSettingsStore> Make() {
    auto db = OpenFeedgovDb(dir);
    EXPECT_OK(db);
    if (!db.ok()) return nullptr;
    auto store = SqliteUserSettingsStore::Open(*db);
    EXPECT_OK(store);
    return store.ok() ? std::move(*store) : nullptr;
  }
};

template <typename Factory>
class UserSettingsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = factory_.Make();
    ASSERT_NE(store_, nullptr);
  }
  Factory factory_;
  std::unique_ptr<UserSettingsStore> store_;
};

using Factories = ::testing::Types<MemoryFactory, SqliteFactory>;
TYPED_TEST_SUITE(UserSettingsStoreTest, Factories);

TYPED_TEST(UserSettingsStoreTest, UnknownUserHasDefaults) {
  ASSERT_OK_AND_ASSIGN(UserSettings s, this->store_->Get(42));
  UserSettings want;
  want.user = 42;
  EXPECT_EQ(s, want);
  EXPECT_TRUE(s.personalization);
  EXPECT_FALSE(s.minors);
  ASSERT_OK_AND_ASSIGN(auto users, this->store_->ListUsers());
  EXPECT_THAT(users, IsEmpty());
}

TYPED_TEST(UserSettingsStoreTest, UpdateRoundTripsEveryFieldSortedUnique) {
  ASSERT_OK_AND_ASSIGN(
      UserSettings stored,
      this->store_->Update(7, [](UserSettings& s) {
        s.personalization = false;
        s.minors = true;
        s.deleted_tags = {"drama", "comedy", "drama"};
        s.added_tags = {"dark comedy"};
        s.muted_authors = {"Zed", "Ann"};
        s.not_interested = {318, 1, 318};
        s.see_less = {296};
        s.user = 999;  // Ignored: the key is the argument.
        return absl::OkStatus();
      }));
  ASSERT_OK_AND_ASSIGN(UserSettings got, this->store_->Get(7));
  EXPECT_EQ(got, stored);
  EXPECT_EQ(got.user, 7);
  EXPECT_FALSE(got.personalization);
  EXPECT_TRUE(got.minors);
  EXPECT_THAT(got.deleted_tags, ElementsAre("comedy", "drama"));
  EXPECT_THAT(got.added_tags, ElementsAre("dark comedy"));
  EXPECT_THAT(got.muted_authors, ElementsAre("Ann", "Zed"));
  EXPECT_THAT(got.not_interested, ElementsAre(1, 318));
  EXPECT_THAT(got.see_less, ElementsAre(296));
  ASSERT_OK_AND_ASSIGN(auto users, this->store_->ListUsers());
  EXPECT_THAT(users, ElementsAre(7));
}

TYPED_TEST(UserSettingsStoreTest, UsersAreIndependent) {
  ASSERT_OK(this->store_->Update(1, [](UserSettings& s) {
    s.not_interested = {10};
    return absl::OkStatus();
  }));
  ASSERT_OK(this->store_->Update(2, [](UserSettings& s) {
    s.personalization = false;
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(UserSettings a, this->store_->Get(1));
  ASSERT_OK_AND_ASSIGN(UserSettings b, this->store_->Get(2));
  EXPECT_TRUE(a.personalization);
  EXPECT_THAT(a.not_interested, ElementsAre(10));
  EXPECT_FALSE(b.personalization);
  EXPECT_THAT(b.not_interested, IsEmpty());
}

TYPED_TEST(UserSettingsStoreTest, FailedMutationChangesNothing) {
  ASSERT_OK(this->store_->Update(3, [](UserSettings& s) {
    s.deleted_tags = {"drama"};
    return absl::OkStatus();
  }));
  auto r = this->store_->Update(3, [](UserSettings& s) {
    s.deleted_tags.clear();
    s.minors = true;
    return absl::AbortedError("caller changed its mind");
  });
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kAborted, "changed its mind"));
  ASSERT_OK_AND_ASSIGN(UserSettings s, this->store_->Get(3));
  EXPECT_THAT(s.deleted_tags, ElementsAre("drama"));
  EXPECT_FALSE(s.minors);
}

TYPED_TEST(UserSettingsStoreTest, InvalidSettingsAreRefusedAndNotStored) {
  struct Case {
    std::function<void(UserSettings&)> mutate;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](UserSettings& s) { s.deleted_tags = {"Drama"}; }, "not normalized"},
      {[](UserSettings& s) { s.added_tags = {" drama"}; }, "not normalized"},
      {[](UserSettings& s) { s.added_tags = {""}; }, "added_tags"},
      {[](UserSettings& s) { s.muted_authors = {std::string(201, 'a')}; },
       "muted_authors"},
      {[](UserSettings& s) {
         s.deleted_tags = {"drama"};
         s.added_tags = {"drama"};
       },
       "both"},
      {[](UserSettings& s) {
         for (int i = 0; i <= UserSettings::kMaxListSize; ++i) {
           s.not_interested.push_back(i);
         }
       },
       "not_interested"},
  };
  for (const Case& c : cases) {
    auto r = this->store_->Update(5, [&](UserSettings& s) {
      c.mutate(s);
      return absl::OkStatus();
    });
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
  ASSERT_OK_AND_ASSIGN(UserSettings s, this->store_->Get(5));
  UserSettings want;
  want.user = 5;
  EXPECT_EQ(s, want);
  ASSERT_OK_AND_ASSIGN(auto users, this->store_->ListUsers());
  EXPECT_THAT(users, IsEmpty());
}

TYPED_TEST(UserSettingsStoreTest, ConcurrentUpdatesLoseNothing) {
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_OK(this->store_->Update(9, [&](UserSettings& s) {
          s.not_interested.push_back(t * 1000 + i);
          return absl::OkStatus();
        }));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_OK_AND_ASSIGN(UserSettings s, this->store_->Get(9));
  EXPECT_EQ(s.not_interested.size(), size_t{kThreads * kPerThread});
}

// --- SQLite only ---------------------------------------------------------------

TEST(SqliteUserSettingsStoreTest, SettingsSurviveReopen) {
  const std::string dir = testing::MakeTempDir("user_settings_reopen");
  {
    ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir));
    ASSERT_OK_AND_ASSIGN(auto store, SqliteUserSettingsStore::Open(db));
    ASSERT_OK(store->Update(11, [](UserSettings& s) {
      s.personalization = false;
      s.deleted_tags = {"comedy"};
      s.see_less = {260};
      return absl::OkStatus();
    }));
  }
  ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir));
  ASSERT_OK_AND_ASSIGN(auto store, SqliteUserSettingsStore::Open(db));
  ASSERT_OK_AND_ASSIGN(UserSettings s, store->Get(11));
  EXPECT_FALSE(s.personalization);
  EXPECT_THAT(s.deleted_tags, ElementsAre("comedy"));
  EXPECT_THAT(s.see_less, ElementsAre(260));
}

TEST(SqliteUserSettingsStoreTest, RefusesDatabaseWithoutMigration2) {
  const std::string dir = testing::MakeTempDir("user_settings_v1");
  ASSERT_OK_AND_ASSIGN(auto raw,
                       SqliteDb::Open(absl::StrCat(dir, "/feedgov.db")));
  ASSERT_OK(ApplyMigrations(*raw, FeedgovMigrations().subspan(0, 1)));
  std::shared_ptr<SqliteDb> db = std::move(raw);
  EXPECT_THAT(SqliteUserSettingsStore::Open(db),
              StatusIs(absl::StatusCode::kFailedPrecondition, "migration 2"));
}

TEST(SqliteUserSettingsStoreTest, Version1DatabaseIsMigratedInPlace) {
  const std::string dir = testing::MakeTempDir("user_settings_upgrade");
  {
    ASSERT_OK_AND_ASSIGN(auto raw,
                         SqliteDb::Open(absl::StrCat(dir, "/feedgov.db")));
    ASSERT_OK(ApplyMigrations(*raw, FeedgovMigrations().subspan(0, 1)));
  }
  ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir));
  ASSERT_OK_AND_ASSIGN(auto store, SqliteUserSettingsStore::Open(db));
  ASSERT_OK(store->Update(1, [](UserSettings& s) {
    s.minors = true;
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(UserSettings s, store->Get(1));
  EXPECT_TRUE(s.minors);
}

TEST(UserSettingsTest, NormalizeSortsAndDeduplicates) {
  UserSettings s;
  s.see_less = {5, 3, 5, 1};
  s.muted_authors = {"b", "a", "b"};
  s.Normalize();
  EXPECT_THAT(s.see_less, ElementsAre(1, 3, 5));
  EXPECT_THAT(s.muted_authors, ElementsAre("a", "b"));
}

}  // namespace
}  // namespace feedgov
