#include "engine/store/catalog_journal.h"

#include <cstdlib>

#include "engine/store/schema.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

TEST(CatalogJournal, AppendedEntriesSurviveReopenInOrder) {
  std::string dir = testing::MakeTempDir("journal");
  {
    ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir));
    ASSERT_OK_AND_ASSIGN(auto journal, CatalogJournal::Open(db));
    ASSERT_OK_AND_ASSIGN(int64_t s1, journal->Append(absl::FromUnixSeconds(10),
                                                     "mod", "SET_LABELS",
                                                     std::string("a\0b", 3)));
    ASSERT_OK_AND_ASSIGN(int64_t s2, journal->Append(absl::FromUnixSeconds(11),
                                                     "mod", "DELETE_ITEMS", "x"));
    EXPECT_EQ(s1, 1);
    EXPECT_EQ(s2, 2);
  }
  ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir));
  ASSERT_OK_AND_ASSIGN(auto journal, CatalogJournal::Open(db));
  ASSERT_OK_AND_ASSIGN(auto entries, journal->LoadAll());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].kind, "SET_LABELS");
  EXPECT_EQ(entries[0].payload, std::string("a\0b", 3));  // Binary-safe.
  EXPECT_EQ(entries[0].time, absl::FromUnixSeconds(10));
  EXPECT_EQ(entries[1].kind, "DELETE_ITEMS");
  EXPECT_EQ(entries[1].actor, "mod");
}

TEST(CatalogJournal, RejectsUnknownKindAndWritesNothing) {
  std::string dir = testing::MakeTempDir("journal");
  ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir));
  ASSERT_OK_AND_ASSIGN(auto journal, CatalogJournal::Open(db));
  EXPECT_THAT(journal->Append(absl::Now(), "mod", "DROP_TABLE", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown kind"));
  EXPECT_THAT(journal->Append(absl::Now(), "", "SET_LABELS", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "empty actor"));
  ASSERT_OK_AND_ASSIGN(auto entries, journal->LoadAll());
  EXPECT_TRUE(entries.empty());
}

TEST(CatalogJournal, IsAppendOnly) {
  std::string dir = testing::MakeTempDir("journal");
  {
    ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir));
    ASSERT_OK_AND_ASSIGN(auto journal, CatalogJournal::Open(db));
    ASSERT_OK(journal->Append(absl::Now(), "mod", "SET_LABELS", "p"));
  }
  std::string cmd = "/usr/bin/sqlite3 " + dir +
                    "/feedgov.db 'DELETE FROM catalog_journal' 2>/dev/null";
  EXPECT_NE(std::system(cmd.c_str()), 0);  // The trigger aborts the delete.
  ASSERT_OK_AND_ASSIGN(auto db, OpenFeedgovDb(dir));
  ASSERT_OK_AND_ASSIGN(auto journal, CatalogJournal::Open(db));
  ASSERT_OK_AND_ASSIGN(auto entries, journal->LoadAll());
  EXPECT_EQ(entries.size(), 1u);
}

}  // namespace
}  // namespace feedgov
