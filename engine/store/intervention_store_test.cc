// One typed suite, run against every InterventionStore implementation.
#include "engine/store/intervention_store.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/store/memory_intervention_store.h"
#include "engine/store/schema.h"
#include "engine/store/sqlite_intervention_store.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

struct MemoryFactory {
  std::unique_ptr<InterventionStore> Make() {
    return std::make_unique<MemoryInterventionStore>();
  }
};

struct SqliteFactory {
  std::string dir = testing::MakeTempDir("intervention_store_test");
  std::unique_ptr<InterventionStore> Make() {
    auto db = OpenFeedgovDb(dir);
    EXPECT_OK(db);
    if (!db.ok()) return nullptr;
    auto store = SqliteInterventionStore::Open(*db);
    EXPECT_OK(store);
    return store.ok() ? std::move(*store) : nullptr;
  }
};

InterventionRecord Record(const std::string& id) {
  InterventionRecord r;
  r.id = id;
  r.kind = "PIN";
  r.item_id = 318;
  r.author = "Frank Darabont";
  r.surface = "home";
  r.position = 2;
  r.factor = 1.5;
  r.cosine_threshold = 0.25;
  r.editor = "alice";
  r.reason = "editorial pick; \"quoted\"\nsecond line";
  r.article_ref = "Gov. Art. 11";
  r.created = absl::FromUnixMicros(1'700'000'000'123'456);
  r.start = absl::FromUnixMicros(1'700'000'100'000'001);
  r.end = absl::FromUnixMicros(1'700'003'600'000'000);
  return r;
}

AuditEvent Event(AuditAction action, const std::string& id,
                 const std::string& message) {
  AuditEvent e;
  e.time = absl::FromUnixMicros(1'700'000'000'000'000);
  e.actor = "alice";
  e.action = action;
  e.intervention_id = id;
  e.after = "after:" + id;
  e.message = message;
  return e;
}

template <typename Factory>
class InterventionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = factory_.Make();
    ASSERT_NE(store_, nullptr);
  }
  std::vector<InterventionRecord> All() {
    auto r = store_->LoadAll();
    EXPECT_OK(r);
    return r.ok() ? *r : std::vector<InterventionRecord>{};
  }
  std::vector<AuditEntry> Audit() {
    auto r = store_->ListAudit();
    EXPECT_OK(r);
    return r.ok() ? *r : std::vector<AuditEntry>{};
  }

  Factory factory_;
  std::unique_ptr<InterventionStore> store_;
};

using Implementations = ::testing::Types<MemoryFactory, SqliteFactory>;
TYPED_TEST_SUITE(InterventionStoreTest, Implementations);

TYPED_TEST(InterventionStoreTest, CreateRoundTripsEveryFieldAndAppendsAudit) {
  InterventionRecord finite = Record("iv-1");
  InterventionRecord open_ended = Record("iv-2");
  open_ended.end = absl::InfiniteFuture();
  open_ended.kind = "SUPPRESS_AUTHOR";
  ASSERT_OK_AND_ASSIGN(AuditEntry e1,
                       this->store_->Create(finite, Event(AuditAction::kCreate, "iv-1", "m1")));
  ASSERT_OK_AND_ASSIGN(AuditEntry e2,
                       this->store_->Create(open_ended, Event(AuditAction::kCreate, "iv-2", "m2")));
  EXPECT_THAT(this->All(), ElementsAre(finite, open_ended));
  EXPECT_EQ(e1.seq, 1);
  EXPECT_EQ(e2.seq, 2);
  EXPECT_EQ(e2.prev_hash, e1.hash);
  EXPECT_THAT(this->Audit(), ElementsAre(e1, e2));
  EXPECT_OK(this->store_->VerifyAuditChain());
}

TYPED_TEST(InterventionStoreTest, DuplicateIdIsAlreadyExistsAndWritesNothing) {
  ASSERT_OK(this->store_->Create(Record("iv-1"), Event(AuditAction::kCreate, "iv-1", "a")));
  InterventionRecord dup = Record("iv-1");
  dup.item_id = 999;
  EXPECT_THAT(this->store_->Create(dup, Event(AuditAction::kCreate, "iv-1", "b")),
              StatusIs(absl::StatusCode::kAlreadyExists, "iv-1"));
  EXPECT_THAT(this->All(), ElementsAre(Record("iv-1")));
  EXPECT_THAT(this->Audit(), SizeIs(1));
}

TYPED_TEST(InterventionStoreTest, EmptyIdIsInvalidArgument) {
  EXPECT_THAT(this->store_->Create(Record(""), Event(AuditAction::kCreate, "", "x")),
              StatusIs(absl::StatusCode::kInvalidArgument, "id is empty"));
  EXPECT_THAT(this->All(), IsEmpty());
  EXPECT_THAT(this->Audit(), IsEmpty());
}

TYPED_TEST(InterventionStoreTest, ReplaceRevokesOldAndInsertsNewTogether) {
  ASSERT_OK(this->store_->Create(Record("iv-1"), Event(AuditAction::kCreate, "iv-1", "a")));
  InterventionRecord next = Record("iv-2");
  next.item_id = 2571;
  ASSERT_OK_AND_ASSIGN(
      AuditEntry e, this->store_->Replace("iv-1", next, Event(AuditAction::kReplace, "iv-2", "swap")));
  InterventionRecord old_revoked = Record("iv-1");
  old_revoked.revoked = true;
  EXPECT_THAT(this->All(), ElementsAre(old_revoked, next));
  EXPECT_EQ(e.seq, 2);
  EXPECT_EQ(e.event.action, AuditAction::kReplace);
}

TYPED_TEST(InterventionStoreTest, FailedReplaceLeavesOldUnrevokedAndNoAudit) {
  ASSERT_OK(this->store_->Create(Record("iv-1"), Event(AuditAction::kCreate, "iv-1", "a")));
  ASSERT_OK(this->store_->Create(Record("iv-2"), Event(AuditAction::kCreate, "iv-2", "b")));
  // The replacement's id collides: the revoke of iv-1 must roll back too.
  EXPECT_THAT(this->store_->Replace("iv-1", Record("iv-2"),
                                    Event(AuditAction::kReplace, "iv-2", "c")),
              StatusIs(absl::StatusCode::kAlreadyExists, "iv-2"));
  EXPECT_THAT(this->All(), ElementsAre(Record("iv-1"), Record("iv-2")));
  EXPECT_THAT(this->Audit(), SizeIs(2));
}

TYPED_TEST(InterventionStoreTest, ReplaceOrRevokeOfUnknownIdIsNotFound) {
  EXPECT_THAT(this->store_->Replace("iv-9", Record("iv-2"),
                                    Event(AuditAction::kReplace, "iv-2", "c")),
              StatusIs(absl::StatusCode::kNotFound, "iv-9"));
  EXPECT_THAT(this->store_->Revoke("iv-9", Event(AuditAction::kRevoke, "iv-9", "c")),
              StatusIs(absl::StatusCode::kNotFound, "iv-9"));
  EXPECT_THAT(this->All(), IsEmpty());
  EXPECT_THAT(this->Audit(), IsEmpty());
}

TYPED_TEST(InterventionStoreTest, RevokeTwiceIsFailedPrecondition) {
  ASSERT_OK(this->store_->Create(Record("iv-1"), Event(AuditAction::kCreate, "iv-1", "a")));
  ASSERT_OK(this->store_->Revoke("iv-1", Event(AuditAction::kRevoke, "iv-1", "done")));
  EXPECT_THAT(this->store_->Revoke("iv-1", Event(AuditAction::kRevoke, "iv-1", "again")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "already revoked"));
  EXPECT_THAT(this->store_->Replace("iv-1", Record("iv-2"),
                                    Event(AuditAction::kReplace, "iv-2", "x")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "already revoked"));
  ASSERT_EQ(this->All().size(), 1u);
  EXPECT_TRUE(this->All()[0].revoked);
  EXPECT_THAT(this->Audit(), SizeIs(2));
}

TYPED_TEST(InterventionStoreTest, RecordExpirationsIsAllOrNothing) {
  ASSERT_OK(this->store_->Create(Record("iv-1"), Event(AuditAction::kCreate, "iv-1", "a")));
  ASSERT_OK(this->store_->Create(Record("iv-2"), Event(AuditAction::kCreate, "iv-2", "b")));
  std::vector<std::string> ids = {"iv-1", "iv-404"};
  std::vector<AuditEvent> events = {Event(AuditAction::kExpire, "iv-1", "e"),
                                    Event(AuditAction::kExpire, "iv-404", "e")};
  EXPECT_THAT(this->store_->RecordExpirations(ids, events),
              StatusIs(absl::StatusCode::kNotFound, "iv-404"));
  EXPECT_FALSE(this->All()[0].expiry_recorded);
  EXPECT_THAT(this->Audit(), SizeIs(2));

  ids = {"iv-1", "iv-2"};
  events[1] = Event(AuditAction::kExpire, "iv-2", "e");
  ASSERT_OK_AND_ASSIGN(auto entries, this->store_->RecordExpirations(ids, events));
  ASSERT_THAT(entries, SizeIs(2));
  EXPECT_EQ(entries[0].seq, 3);
  EXPECT_EQ(entries[1].seq, 4);
  EXPECT_TRUE(this->All()[0].expiry_recorded);
  EXPECT_TRUE(this->All()[1].expiry_recorded);
  EXPECT_THAT(this->store_->RecordExpirations({"iv-1"}, {events[0]}),
              StatusIs(absl::StatusCode::kFailedPrecondition, "already"));
  EXPECT_THAT(this->store_->RecordExpirations(ids, {events[0]}),
              StatusIs(absl::StatusCode::kInvalidArgument, "2 ids but 1"));
}

TYPED_TEST(InterventionStoreTest, AppendAuditChainsRefusalsAndHeadTracksTheEnd) {
  ASSERT_OK_AND_ASSIGN(auto head, this->store_->Head());
  EXPECT_FALSE(head.has_value());
  ASSERT_OK(this->store_->Create(Record("iv-1"), Event(AuditAction::kCreate, "iv-1", "a")));
  ASSERT_OK_AND_ASSIGN(
      AuditEntry refused,
      this->store_->AppendAudit(Event(AuditAction::kRefused, "", "pin refused by gate")));
  EXPECT_EQ(refused.seq, 2);
  EXPECT_EQ(refused.event.message, "pin refused by gate");
  ASSERT_OK_AND_ASSIGN(head, this->store_->Head());
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->seq, 2);
  EXPECT_EQ(head->hash, refused.hash);
  EXPECT_OK(this->store_->VerifyAuditChain());
  EXPECT_THAT(this->All(), SizeIs(1));
}

// SQLite only: everything survives closing and reopening the file.
TEST(SqliteInterventionStoreTest, ReopenedDatabaseHoldsCommittedState) {
  SqliteFactory factory;
  std::vector<InterventionRecord> records;
  std::vector<AuditEntry> audit;
  {
    auto store = factory.Make();
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->Create(Record("iv-1"), Event(AuditAction::kCreate, "iv-1", "a")));
    ASSERT_OK(store->Revoke("iv-1", Event(AuditAction::kRevoke, "iv-1", "b")));
    ASSERT_OK(store->Create(Record("iv-2"), Event(AuditAction::kCreate, "iv-2", "c")));
    ASSERT_OK_AND_ASSIGN(records, store->LoadAll());
    ASSERT_OK_AND_ASSIGN(audit, store->ListAudit());
  }
  auto reopened = factory.Make();
  ASSERT_NE(reopened, nullptr);
  ASSERT_OK_AND_ASSIGN(auto records2, reopened->LoadAll());
  ASSERT_OK_AND_ASSIGN(auto audit2, reopened->ListAudit());
  EXPECT_EQ(records2, records);
  EXPECT_EQ(audit2, audit);
  EXPECT_OK(reopened->VerifyAuditChain());
}

TEST(SqliteInterventionStoreTest, UnmigratedDatabaseIsRefused) {
  std::string dir = testing::MakeTempDir("unmigrated");
  ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(dir + "/x.db"));
  EXPECT_THAT(SqliteInterventionStore::Open(std::move(db)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "OpenFeedgovDb"));
}

}  // namespace
}  // namespace feedgov
