#include "engine/catalog/user_table.h"

#include <limits>

#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(UserTableTest, GroupsInteractionsPerUserNewestFirst) {
  RowMatrixXf emb(3, 2);
  emb << 1, 2, 3, 4, 5, 6;
  std::vector<Interaction> xs = {{10, 100, 4.0f, 50}, {20, 200, 1.0f, 10},
                                 {10, 101, 3.0f, 70}, {10, 99, 5.0f, 50}};
  ASSERT_OK_AND_ASSIGN(auto users, UserTable::Create({10, 20, 30}, emb, xs));
  EXPECT_EQ(users->size(), 3);
  EXPECT_EQ(users->dim(), 2);
  EXPECT_EQ(users->num_interactions(), 4);
  ASSERT_EQ(users->FindUser(20), 1);
  EXPECT_EQ(users->FindUser(40), std::nullopt);
  EXPECT_THAT(users->embedding(1), ElementsAre(3.0f, 4.0f));  // Not normalized.
  // Time descending; the tie at t=50 is broken by item id.
  EXPECT_THAT(users->interactions(0),
              ElementsAre(UserInteraction{101, 3.0f, 70}, UserInteraction{99, 5.0f, 50},
                          UserInteraction{100, 4.0f, 50}));
  EXPECT_THAT(users->interactions(1), ElementsAre(UserInteraction{200, 1.0f, 10}));
  EXPECT_THAT(users->interactions(2), IsEmpty());
  EXPECT_EQ(users->user_id(2), 30);
}

TEST(UserTableTest, RejectsBadInput) {
  RowMatrixXf emb(2, 2);
  emb << 1, 2, 3, 4;
  EXPECT_THAT(UserTable::Create({1, 1}, emb, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "duplicate user id 1 at rows 0 and 1"));
  EXPECT_THAT(UserTable::Create({1}, emb, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "2 rows for 1 users"));
  EXPECT_THAT(UserTable::Create({1, 2}, emb, {{3, 7, 1.0f, 0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "interaction 0 (item 7) has unknown user 3"));
  EXPECT_THAT(UserTable::Create({1, 2}, emb,
                                {{1, 7, std::numeric_limits<float>::infinity(), 0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "non-finite rating"));
  emb(1, 1) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(UserTable::Create({1, 2}, emb, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "user 2 (row 1): embedding[1] is NaN"));
}

}  // namespace
}  // namespace feedgov
