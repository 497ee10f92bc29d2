#include "engine/intervention/intervention_manager.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/common/time_util.h"
#include "engine/store/memory_intervention_store.h"
#include "engine/store/schema.h"
#include "engine/store/sqlite_intervention_store.h"
#include "engine/testing/fake_clock.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::feedgov::testing::FakeClock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

absl::Time T(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_OK(t);
  return t.ok() ? *t : absl::InfinitePast();
}

Intervention Pin(const std::string& surface, int position, ItemId item,
                 absl::Time start, absl::Time end) {
  Intervention iv;
  iv.kind = InterventionKind::kPin;
  iv.surface = surface;
  iv.position = position;
  iv.item_id = item;
  iv.editor = "alice";
  iv.reason = "editorial pick";
  iv.article_ref = "Gov. Art. 11";
  iv.start = start;
  iv.end = end;
  return iv;
}

Intervention Boost(ItemId item, double factor) {
  Intervention iv = Pin("", 0, item, T("2026-11-30T00:00:00Z"),
                        absl::InfiniteFuture());
  iv.kind = InterventionKind::kBoost;
  iv.factor = factor;
  return iv;
}

// Owns the store a manager runs on; Reopen() drops and reopens it (for the
// SQLite backend this closes and reopens the database file).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual InterventionStore& Store() = 0;
  virtual void Reopen() = 0;
};

class MemoryStoreBackend : public Backend {
 public:
  InterventionStore& Store() override { return store_; }
  void Reopen() override {}  // Memory: the object is the durability.
 private:
  MemoryInterventionStore store_;
};

class SqliteStoreBackend : public Backend {
 public:
  SqliteStoreBackend() { Reopen(); }
  InterventionStore& Store() override { return *store_; }
  void Reopen() override {
    store_.reset();
    auto db = OpenFeedgovDb(dir_);
    EXPECT_OK(db);
    auto store = SqliteInterventionStore::Open(*db);
    EXPECT_OK(store);
    store_ = std::move(*store);
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_ = testing::MakeTempDir("intervention_manager_test");
  std::unique_ptr<InterventionStore> store_;
};

template <typename B>
class InterventionManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenManager(AllowAllGate()); }

  void OpenManager(WriteGate gate) {
    manager_.reset();
    auto m = InterventionManager::Open(backend_.Store(), clock_, std::move(gate));
    ASSERT_OK(m);
    manager_ = std::move(*m);
  }

  std::vector<AuditEntry> Audit() {
    auto a = backend_.Store().ListAudit();
    EXPECT_OK(a);
    return a.ok() ? *a : std::vector<AuditEntry>{};
  }

  ActiveSet ActiveNow(absl::string_view surface) {
    return manager_->snapshot()->Active(clock_.Now(), surface);
  }

  FakeClock clock_{T("2026-11-30T07:00:00Z")};
  B backend_;
  std::unique_ptr<InterventionManager> manager_;
};

using Backends = ::testing::Types<MemoryStoreBackend, SqliteStoreBackend>;
TYPED_TEST_SUITE(InterventionManagerTest, Backends);

TYPED_TEST(InterventionManagerTest, CreateAssignsIdTimeAndPublishesBeforeReturn) {
  ASSERT_OK_AND_ASSIGN(
      Intervention iv,
      this->manager_->Create(Pin("home", 0, 42, T("2026-11-30T07:00:00Z"),
                                 absl::InfiniteFuture())));
  EXPECT_EQ(iv.id, "iv-000001");
  EXPECT_EQ(iv.created, this->clock_.Now());
  EXPECT_THAT(this->ActiveNow("home").pins,
              ElementsAre(Pair(0, ActivePin{42, "iv-000001"})));
  auto audit = this->Audit();
  ASSERT_THAT(audit, SizeIs(1));
  EXPECT_EQ(audit[0].event.action, AuditAction::kCreate);
  EXPECT_EQ(audit[0].event.actor, "alice");
  EXPECT_EQ(audit[0].event.message, "editorial pick");
  EXPECT_EQ(audit[0].event.after, SerializeIntervention(iv));
  ASSERT_OK_AND_ASSIGN(Intervention second, this->manager_->Create(Boost(7, 2)));
  EXPECT_EQ(second.id, "iv-000002");
}

// Existing pin: surface "home", position 0, item 42, [10:00Z, 12:00Z); now
// 07:00Z. Each row is a fresh request against it.
struct ConflictCase {
  const char* name;
  Intervention request;
  bool allowed;
  const char* message;  // Substring when refused.
};

TYPED_TEST(InterventionManagerTest, ConflictMatrix) {
  const absl::Time s = T("2026-11-30T10:00:00Z"), e = T("2026-11-30T12:00:00Z");
  const ConflictCase cases[] = {
      {"same surface+position, overlapping",
       Pin("home", 0, 7, T("2026-11-30T11:00:00Z"), T("2026-11-30T13:00:00Z")),
       false, "pin conflicts with existing pin iv-000001"},
      {"same surface+position, identical window", Pin("home", 0, 7, s, e),
       false, "replace iv-000001 to supersede it"},
      {"same surface+position, open-ended covering",
       Pin("home", 0, 7, T("2026-11-30T07:00:00Z"), absl::InfiniteFuture()),
       false, "iv-000001"},
      {"same surface+position, touching after (end is exclusive)",
       Pin("home", 0, 7, e, T("2026-11-30T14:00:00Z")), true, ""},
      {"same surface+position, touching before",
       Pin("home", 0, 7, T("2026-11-30T08:00:00Z"), s), true, ""},
      {"different surface", Pin("discover", 0, 7, s, e), true, ""},
      {"all-surfaces pin overlaps home", Pin("", 0, 7, s, e), false,
       "iv-000001"},
      {"same surface, other position, other item", Pin("home", 1, 7, s, e),
       true, ""},
      {"same item at another position", Pin("home", 5, 42, s, e), false,
       "item 42 is already pinned by iv-000001"},
  };
  for (const ConflictCase& c : cases) {
    SCOPED_TRACE(c.name);
    TypeParam backend;
    auto manager =
        InterventionManager::Open(backend.Store(), this->clock_, AllowAllGate());
    ASSERT_OK(manager);
    ASSERT_OK((*manager)->Create(Pin("home", 0, 42, s, e)));
    auto result = (*manager)->Create(c.request);
    auto audit = backend.Store().ListAudit();
    ASSERT_OK(audit);
    if (c.allowed) {
      EXPECT_OK(result);
      EXPECT_THAT((*manager)->List(false), SizeIs(2));
      EXPECT_EQ(audit->back().event.action, AuditAction::kCreate);
    } else {
      EXPECT_THAT(result,
                  StatusIs(absl::StatusCode::kFailedPrecondition, c.message));
      EXPECT_THAT((*manager)->List(false), SizeIs(1));
      ASSERT_THAT(*audit, SizeIs(2));
      EXPECT_EQ(audit->back().event.action, AuditAction::kRefused);
      EXPECT_THAT(audit->back().event.message, HasSubstr(c.message));
      EXPECT_THAT(audit->back().event.after, HasSubstr("\"item_id\":"));
    }
  }
}

TYPED_TEST(InterventionManagerTest, ExplicitReplaceIsAllowedAndAuditedBeforeAfter) {
  const absl::Time s = T("2026-11-30T10:00:00Z"), e = T("2026-11-30T12:00:00Z");
  ASSERT_OK_AND_ASSIGN(Intervention old, this->manager_->Create(Pin("home", 0, 42, s, e)));
  Intervention next = Pin("home", 0, 7, s, e);
  next.editor = "bob";
  next.reason = "breaking news";
  ASSERT_OK_AND_ASSIGN(Intervention replaced,
                       this->manager_->Replace(old.id, next));
  EXPECT_EQ(replaced.id, "iv-000002");
  this->clock_.Set(T("2026-11-30T11:00:00Z"));
  EXPECT_THAT(this->ActiveNow("home").pins,
              ElementsAre(Pair(0, ActivePin{7, "iv-000002"})));
  auto audit = this->Audit();
  ASSERT_THAT(audit, SizeIs(2));
  const AuditEvent& ev = audit[1].event;
  EXPECT_EQ(ev.action, AuditAction::kReplace);
  EXPECT_EQ(ev.actor, "bob");
  EXPECT_EQ(ev.intervention_id, "iv-000002");
  EXPECT_EQ(ev.before, SerializeIntervention(old));
  EXPECT_EQ(ev.after, SerializeIntervention(replaced));
  EXPECT_EQ(ev.message, "breaking news");
  auto all = this->manager_->List(true);
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_TRUE(all[0].revoked);
  EXPECT_THAT(this->manager_->List(false), ElementsAre(replaced));
  EXPECT_OK(this->manager_->VerifyAudit());
}

TYPED_TEST(InterventionManagerTest, ReplaceOfUnknownOrRevokedWritesNothing) {
  Intervention p = Pin("home", 0, 42, T("2026-11-30T10:00:00Z"),
                       absl::InfiniteFuture());
  EXPECT_THAT(this->manager_->Replace("iv-000009", p),
              StatusIs(absl::StatusCode::kNotFound, "iv-000009"));
  ASSERT_OK_AND_ASSIGN(Intervention old, this->manager_->Create(p));
  ASSERT_OK(this->manager_->Revoke(old.id, "alice", "mistake"));
  EXPECT_THAT(this->manager_->Replace(old.id, p),
              StatusIs(absl::StatusCode::kFailedPrecondition, "is revoked"));
  EXPECT_THAT(this->Audit(), SizeIs(2));  // CREATE, REVOKE.
}

TYPED_TEST(InterventionManagerTest, ReplacementStillConflictsWithThirdPins) {
  const absl::Time s = T("2026-11-30T10:00:00Z"), e = T("2026-11-30T12:00:00Z");
  ASSERT_OK_AND_ASSIGN(Intervention a, this->manager_->Create(Pin("home", 0, 1, s, e)));
  ASSERT_OK(this->manager_->Create(Pin("home", 1, 2, s, e)));
  EXPECT_THAT(this->manager_->Replace(a.id, Pin("home", 1, 3, s, e)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "iv-000002"));
  auto audit = this->Audit();
  EXPECT_EQ(audit.back().event.action, AuditAction::kRefused);
  EXPECT_EQ(audit.back().event.intervention_id, a.id);
  EXPECT_FALSE(this->manager_->List(true)[0].revoked);
}

TYPED_TEST(InterventionManagerTest, PinWindowFollowsTheClockAcrossOffsets) {
  // 10:00Z-12:00Z written in two different offsets.
  ASSERT_OK(this->manager_->Create(Pin("home", 2, 42,
                                       T("2026-11-30T18:00:00+08:00"),
                                       T("2026-11-30T07:00:00-05:00"))));
  this->clock_.Set(T("2026-11-30T09:59:59.999999Z"));
  EXPECT_THAT(this->ActiveNow("home").pins, IsEmpty());
  this->clock_.Set(T("2026-11-30T05:00:00-05:00"));  // == start
  EXPECT_THAT(this->ActiveNow("home").pins,
              ElementsAre(Pair(2, ActivePin{42, "iv-000001"})));
  this->clock_.Set(T("2026-11-30T11:30:00Z"));
  EXPECT_THAT(this->ActiveNow("home").pins, SizeIs(1));
  this->clock_.Set(T("2026-11-30T20:00:00+08:00"));  // == end
  EXPECT_THAT(this->ActiveNow("home").pins, IsEmpty());
}

TYPED_TEST(InterventionManagerTest, GateRefusalIsReturnedAndAudited) {
  std::vector<Intervention> seen;
  this->OpenManager([&seen](const Intervention& iv,
                            const InterventionSnapshot&) -> absl::Status {
    seen.push_back(iv);
    if (iv.item_id == 999) return absl::NotFoundError("unknown item 999");
    return absl::OkStatus();
  });
  Intervention bad = Pin("home", 0, 999, T("2026-11-30T10:00:00Z"),
                         absl::InfiniteFuture());
  EXPECT_THAT(this->manager_->Create(bad),
              StatusIs(absl::StatusCode::kNotFound, "unknown item 999"));
  ASSERT_THAT(seen, SizeIs(1));
  EXPECT_EQ(seen[0].id, "");
  EXPECT_EQ(seen[0].created, this->clock_.Now());
  auto audit = this->Audit();
  ASSERT_THAT(audit, SizeIs(1));
  EXPECT_EQ(audit[0].event.action, AuditAction::kRefused);
  EXPECT_EQ(audit[0].event.actor, "alice");
  EXPECT_EQ(audit[0].event.message, "unknown item 999");
  EXPECT_THAT(audit[0].event.after, HasSubstr("\"item_id\":999"));
  EXPECT_THAT(this->manager_->List(true), IsEmpty());
  // The refused request did not consume an id.
  bad.item_id = 5;
  ASSERT_OK_AND_ASSIGN(Intervention ok, this->manager_->Create(bad));
  EXPECT_EQ(ok.id, "iv-000001");
  EXPECT_OK(this->manager_->VerifyAudit());
}

TYPED_TEST(InterventionManagerTest, GateSeesTheCurrentInterventions) {
  std::vector<std::string> seen_ids;
  this->OpenManager([&seen_ids](const Intervention&,
                                const InterventionSnapshot& current) {
    seen_ids.clear();
    for (const Intervention& iv : current.interventions())
      seen_ids.push_back(iv.id);
    return absl::OkStatus();
  });
  const absl::Time start = T("2026-11-30T10:00:00Z");
  ASSERT_OK(this->manager_->Create(Pin("home", 0, 5, start, absl::InfiniteFuture())));
  ASSERT_OK(this->manager_->Create(Pin("home", 1, 6, start, absl::InfiniteFuture())));
  EXPECT_THAT(seen_ids, ElementsAre("iv-000001"));
  // A replace does not see the intervention it supersedes.
  ASSERT_OK(this->manager_->Replace(
      "iv-000001", Pin("home", 0, 7, start, absl::InfiniteFuture())));
  EXPECT_THAT(seen_ids, ElementsAre("iv-000002"));
}

// A pin that stops being placed is recorded once (BLOCKED, with why), shown
// as BLOCKED by ListWithState, remembered across a reopen, and recorded
// once more when it is placed again (UNBLOCKED).
TYPED_TEST(InterventionManagerTest, PinStateChangesAreAuditedOnce) {
  const absl::Time start = this->clock_.Now();
  ASSERT_OK(this->manager_->Create(Pin("home", 0, 5, start, absl::InfiniteFuture())));
  ASSERT_OK(this->manager_->Create(Pin("home", 1, 6, start, absl::InfiniteFuture())));
  auto blocked = std::make_shared<std::set<ItemId>>();
  auto check = [blocked](const Intervention& pin, const InterventionSnapshot&,
                         absl::Time) {
    return blocked->contains(pin.item_id)
               ? absl::StrCat("item ", pin.item_id, " was deleted")
               : std::string();
  };
  ASSERT_OK(this->manager_->SetPinCheck(check));
  EXPECT_EQ(*this->manager_->RecordPinStates(), 0);
  blocked->insert(5);
  EXPECT_EQ(*this->manager_->RecordPinStates(), 1);
  EXPECT_EQ(*this->manager_->RecordPinStates(), 0);  // Once.
  auto audit = this->Audit();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back().event.action, AuditAction::kBlocked);
  EXPECT_EQ(audit.back().event.actor, "system");
  EXPECT_EQ(audit.back().event.intervention_id, "iv-000001");
  EXPECT_EQ(audit.back().event.message, "item 5 was deleted");
  auto listed = this->manager_->ListWithState(false);
  ASSERT_THAT(listed, SizeIs(2));
  EXPECT_EQ(listed[0].state, InterventionState::kBlocked);
  EXPECT_EQ(listed[0].why, "item 5 was deleted");
  EXPECT_EQ(listed[1].state, InterventionState::kActive);
  // Reopened: the recorded state is read back, nothing is recorded again.
  this->OpenManager(AllowAllGate());
  ASSERT_OK(this->manager_->SetPinCheck(check));
  EXPECT_EQ(this->Audit().size(), audit.size());
  EXPECT_EQ(this->manager_->ListWithState(false)[0].state,
            InterventionState::kBlocked);
  blocked->clear();
  EXPECT_EQ(*this->manager_->RecordPinStates(), 1);
  EXPECT_EQ(this->Audit().back().event.action, AuditAction::kUnblocked);
  EXPECT_EQ(this->manager_->ListWithState(false)[0].state,
            InterventionState::kActive);
  // A write re-evaluates the pins itself.
  blocked->insert(6);
  ASSERT_OK(this->manager_->Revoke("iv-000001", "alice", "done"));
  EXPECT_EQ(this->Audit().back().event.action, AuditAction::kBlocked);
  EXPECT_EQ(this->Audit().back().event.intervention_id, "iv-000002");
  EXPECT_OK(this->manager_->VerifyAudit());
  EXPECT_EQ(this->manager_->ListWithState(true)[0].state,
            InterventionState::kRevoked);
}

TYPED_TEST(InterventionManagerTest, NullGateIsRejected) {
  EXPECT_THAT(InterventionManager::Open(this->backend_.Store(), this->clock_,
                                        WriteGate()),
              StatusIs(absl::StatusCode::kInvalidArgument, "gate is null"));
}

TYPED_TEST(InterventionManagerTest, MalformedRequestsWriteNothing) {
  Intervention no_reason = Pin("home", 0, 1, T("2026-11-30T10:00:00Z"),
                               absl::InfiniteFuture());
  no_reason.reason = "";
  EXPECT_THAT(this->manager_->Create(no_reason),
              StatusIs(absl::StatusCode::kInvalidArgument, "intervention.reason"));
  Intervention past = Pin("home", 0, 1, T("2026-11-29T10:00:00Z"),
                          T("2026-11-30T06:59:59Z"));
  EXPECT_THAT(this->manager_->Create(past),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "intervention.end: the window already ended"));
  Intervention bad_boost = Boost(3, 0.9);
  EXPECT_THAT(this->manager_->Create(bad_boost),
              StatusIs(absl::StatusCode::kInvalidArgument, "intervention.factor"));
  EXPECT_THAT(this->manager_->Revoke("iv-000001", "alice", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "revoke.reason"));
  EXPECT_THAT(this->manager_->List(true), IsEmpty());
  EXPECT_THAT(this->Audit(), IsEmpty());
  EXPECT_THAT(this->manager_->snapshot()->interventions(), IsEmpty());
}

TYPED_TEST(InterventionManagerTest, RevokeStopsApplyingAtOnceAndIsAudited) {
  ASSERT_OK_AND_ASSIGN(Intervention b, this->manager_->Create(Boost(9, 3)));
  EXPECT_THAT(this->ActiveNow("home").score_factors, ElementsAre(Pair(9, 3.0)));
  ASSERT_OK(this->manager_->Revoke(b.id, "carol", "campaign cancelled"));
  EXPECT_THAT(this->ActiveNow("home").score_factors, IsEmpty());
  EXPECT_THAT(this->manager_->Revoke(b.id, "carol", "again"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "already revoked"));
  EXPECT_THAT(this->manager_->Revoke("iv-404", "carol", "x"),
              StatusIs(absl::StatusCode::kNotFound, "iv-404"));
  auto audit = this->Audit();
  ASSERT_THAT(audit, SizeIs(2));
  EXPECT_EQ(audit[1].event.action, AuditAction::kRevoke);
  EXPECT_EQ(audit[1].event.actor, "carol");
  EXPECT_EQ(audit[1].event.message, "campaign cancelled");
  EXPECT_EQ(audit[1].event.before, SerializeIntervention(b));
  EXPECT_THAT(audit[1].event.after, HasSubstr("\"revoked\":true"));
}

TYPED_TEST(InterventionManagerTest, ExpiryIsRecordedOnceLazilyAndOnDemand) {
  ASSERT_OK(this->manager_->Create(Pin("home", 0, 1, T("2026-11-30T07:00:00Z"),
                                       T("2026-11-30T08:00:00Z"))));
  ASSERT_OK(this->manager_->Create(Pin("home", 1, 2, T("2026-11-30T07:00:00Z"),
                                       T("2026-11-30T09:00:00Z"))));
  this->clock_.Set(T("2026-11-30T07:59:59Z"));
  ASSERT_OK_AND_ASSIGN(int n, this->manager_->RecordExpirations());
  EXPECT_EQ(n, 0);
  this->clock_.Set(T("2026-11-30T08:00:00Z"));  // end of the first, exactly
  ASSERT_OK_AND_ASSIGN(n, this->manager_->RecordExpirations());
  EXPECT_EQ(n, 1);
  ASSERT_OK_AND_ASSIGN(n, this->manager_->RecordExpirations());
  EXPECT_EQ(n, 0);
  auto audit = this->Audit();
  ASSERT_THAT(audit, SizeIs(3));
  EXPECT_EQ(audit[2].event.action, AuditAction::kExpire);
  EXPECT_EQ(audit[2].event.actor, "system");
  EXPECT_EQ(audit[2].event.intervention_id, "iv-000001");
  EXPECT_EQ(audit[2].event.message, "window ended at 2026-11-30T08:00:00Z");
  // The second one expires; the next write records it before its own entry.
  this->clock_.Set(T("2026-11-30T10:00:00Z"));
  ASSERT_OK(this->manager_->Create(Boost(5, 2)));
  audit = this->Audit();
  ASSERT_THAT(audit, SizeIs(5));
  EXPECT_EQ(audit[3].event.action, AuditAction::kExpire);
  EXPECT_EQ(audit[3].event.intervention_id, "iv-000002");
  EXPECT_EQ(audit[4].event.action, AuditAction::kCreate);
  EXPECT_THAT(this->manager_->List(false), SizeIs(1));
  EXPECT_THAT(this->manager_->List(true), SizeIs(3));
  EXPECT_OK(this->manager_->VerifyAudit());
}

TYPED_TEST(InterventionManagerTest, ReopenRecoversEveryInterventionAndTheActiveSet) {
  const absl::Time s = T("2026-11-30T10:00:00Z");
  ASSERT_OK(this->manager_->Create(Pin("home", 0, 42, s, absl::InfiniteFuture())));
  ASSERT_OK(this->manager_->Create(Pin("", 3, 43, s, T("2026-12-01T00:00:00Z"))));
  Intervention sup = Pin("home", 0, 50, s, absl::InfiniteFuture());
  sup.kind = InterventionKind::kSuppressItem;
  ASSERT_OK(this->manager_->Create(sup));
  Intervention author = sup;
  author.kind = InterventionKind::kSuppressAuthor;
  author.author = "Studio X";
  ASSERT_OK(this->manager_->Create(author));
  ASSERT_OK_AND_ASSIGN(Intervention boost, this->manager_->Create(Boost(60, 1.5)));
  ASSERT_OK(this->manager_->Revoke(boost.id, "alice", "enough"));
  ASSERT_OK(this->manager_->Create(Boost(61, 4)));
  this->clock_.Set(T("2026-11-30T11:00:00Z"));
  ActiveSet before = this->ActiveNow("home");
  std::vector<Intervention> listed = this->manager_->List(true);

  this->manager_.reset();
  this->backend_.Reopen();
  this->OpenManager(AllowAllGate());
  ActiveSet after = this->ActiveNow("home");
  EXPECT_EQ(after.pins, before.pins);
  EXPECT_EQ(after.suppressed_items, before.suppressed_items);
  EXPECT_EQ(after.suppressed_authors, before.suppressed_authors);
  EXPECT_EQ(after.score_factors, before.score_factors);
  EXPECT_EQ(after.intervention_ids, before.intervention_ids);
  EXPECT_THAT(after.pins, ElementsAre(Pair(0, ActivePin{42, "iv-000001"}),
                                      Pair(3, ActivePin{43, "iv-000002"})));
  EXPECT_EQ(this->manager_->List(true), listed);
  ASSERT_OK_AND_ASSIGN(Intervention next, this->manager_->Create(Boost(70, 2)));
  EXPECT_EQ(next.id, "iv-000007");
  // Conflict checks also see recovered pins.
  EXPECT_THAT(this->manager_->Create(Pin("home", 0, 8, s, absl::InfiniteFuture())),
              StatusIs(absl::StatusCode::kFailedPrecondition, "iv-000001"));
}

TYPED_TEST(InterventionManagerTest, OpenRecordsExpirationsThatHappenedWhileDown) {
  ASSERT_OK(this->manager_->Create(Pin("home", 0, 1, T("2026-11-30T07:00:00Z"),
                                       T("2026-11-30T08:00:00Z"))));
  this->manager_.reset();
  this->backend_.Reopen();
  this->clock_.Set(T("2026-12-01T00:00:00Z"));
  this->OpenManager(AllowAllGate());
  auto audit = this->Audit();
  ASSERT_THAT(audit, SizeIs(2));
  EXPECT_EQ(audit[1].event.action, AuditAction::kExpire);
  EXPECT_EQ(audit[1].event.time, T("2026-12-01T00:00:00Z"));
  EXPECT_THAT(this->manager_->snapshot()->interventions(), IsEmpty());
}

// A store whose next write fails, to check the manager changes nothing.
class FailingStore final : public InterventionStore {
 public:
  explicit FailingStore(InterventionStore& base) : base_(base) {}
  absl::StatusOr<AuditEntry> Create(const InterventionRecord& r,
                                    const AuditEvent& a) override {
    if (fail_) return absl::UnavailableError("disk on fire");
    return base_.Create(r, a);
  }
  absl::StatusOr<AuditEntry> Replace(absl::string_view id,
                                     const InterventionRecord& r,
                                     const AuditEvent& a) override {
    if (fail_) return absl::UnavailableError("disk on fire");
    return base_.Replace(id, r, a);
  }
  absl::StatusOr<AuditEntry> Revoke(absl::string_view id,
                                    const AuditEvent& a) override {
    if (fail_) return absl::UnavailableError("disk on fire");
    return base_.Revoke(id, a);
  }
  absl::StatusOr<std::vector<AuditEntry>> RecordExpirations(
      absl::Span<const std::string> ids,
      absl::Span<const AuditEvent> a) override {
    return base_.RecordExpirations(ids, a);
  }
  absl::StatusOr<AuditEntry> AppendAudit(const AuditEvent& a) override {
    return base_.AppendAudit(a);
  }
  absl::StatusOr<std::vector<InterventionRecord>> LoadAll() const override {
    return base_.LoadAll();
  }
  absl::StatusOr<std::vector<AuditEntry>> ListAudit() const override {
    return base_.ListAudit();
  }
  bool fail_ = false;

 private:
  InterventionStore& base_;
};

TYPED_TEST(InterventionManagerTest, StoreFailureLeavesManagerStateUnchanged) {
  FailingStore store(this->backend_.Store());
  ASSERT_OK_AND_ASSIGN(auto manager, InterventionManager::Open(
                                         store, this->clock_, AllowAllGate()));
  ASSERT_OK_AND_ASSIGN(Intervention b, manager->Create(Boost(1, 2)));
  auto snap = manager->snapshot();
  store.fail_ = true;
  EXPECT_THAT(manager->Create(Boost(2, 2)),
              StatusIs(absl::StatusCode::kUnavailable, "disk on fire"));
  EXPECT_THAT(manager->Replace(b.id, Boost(3, 2)),
              StatusIs(absl::StatusCode::kUnavailable, "disk on fire"));
  EXPECT_THAT(manager->Revoke(b.id, "alice", "x"),
              StatusIs(absl::StatusCode::kUnavailable, "disk on fire"));
  EXPECT_EQ(manager->snapshot(), snap);
  EXPECT_THAT(manager->List(true), ElementsAre(b));
  store.fail_ = false;
  ASSERT_OK_AND_ASSIGN(Intervention c, manager->Create(Boost(2, 2)));
  EXPECT_EQ(c.id, "iv-000002");
}

TYPED_TEST(InterventionManagerTest, ConcurrentReadersSeeMonotonicSnapshots) {
  constexpr int kWrites = 40;
  std::atomic<bool> done{false};
  std::atomic<int> violations{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      size_t last = 0;
      while (!done.load()) {
        auto snap = this->manager_->snapshot();
        size_t n = snap->Active(this->clock_.Now(), "home").score_factors.size();
        if (n < last) violations.fetch_add(1);
        last = n;
      }
    });
  }
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_OK(this->manager_->Create(Boost(1000 + i, 2)));
    EXPECT_EQ(this->ActiveNow("home").score_factors.size(),
              static_cast<size_t>(i + 1));
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(violations.load(), 0);
}

// SQLite only: a row inserted with the sqlite3 CLI, bypassing the audit log,
// is caught by VerifyAudit (the hash chain alone cannot see it).
TEST(InterventionManagerSqliteTest, VerifyAuditCatchesRowsInsertedBehindIt) {
  SqliteStoreBackend backend;
  FakeClock clock(T("2026-11-30T07:00:00Z"));
  {
    ASSERT_OK_AND_ASSIGN(auto m, InterventionManager::Open(backend.Store(), clock,
                                                           AllowAllGate()));
    ASSERT_OK(m->Create(Boost(1, 2)));
    ASSERT_OK(m->VerifyAudit());
  }
  std::string script = backend.dir() + "/insert.sql";
  ASSERT_OK(WriteFileAtomic(
      script,
      "INSERT INTO interventions (id, kind, item_id, author, surface, position,"
      " factor, cosine_threshold, editor, reason, article_ref,"
      " created_unix_micros, start_unix_micros, end_unix_micros) VALUES"
      " ('iv-000002', 'PIN', 666, '', 'home', 0, 1.0, 0.0, 'mallory', 'x', '',"
      " 0, 0, NULL);"));
  std::string cmd = absl::StrCat("/usr/bin/sqlite3 -bail '", backend.dir(),
                                 "/feedgov.db' < '", script, "'");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  backend.Reopen();
  ASSERT_OK_AND_ASSIGN(auto m, InterventionManager::Open(backend.Store(), clock,
                                                         AllowAllGate()));
  EXPECT_OK(backend.Store().VerifyAuditChain());
  EXPECT_THAT(m->VerifyAudit(),
              StatusIs(absl::StatusCode::kDataLoss,
                       "intervention iv-000002: stored without a "
                       "CREATE/REPLACE audit entry"));
}


// SQLite only: revoking or deleting a row behind the audit log (as an
// attacker with the sqlite3 CLI would) is reported; replaces and revokes the
// log does record are not (no false alarm).
TEST(InterventionManagerSqliteTest, VerifyAuditCatchesRevokeOrDeleteBehindIt) {
  for (const char* tamper :
       {"UPDATE interventions SET revoked = 1 WHERE id = 'iv-000001';",
        "DROP TRIGGER IF EXISTS interventions_no_delete;"
        " DELETE FROM interventions WHERE id = 'iv-000001';"}) {
    SCOPED_TRACE(tamper);
    SqliteStoreBackend backend;
    FakeClock clock(T("2026-11-30T07:00:00Z"));
    {
      ASSERT_OK_AND_ASSIGN(auto m, InterventionManager::Open(
                                       backend.Store(), clock, AllowAllGate()));
      ASSERT_OK(m->Create(Boost(1, 2)));
      ASSERT_OK_AND_ASSIGN(Intervention second, m->Create(Boost(3, 2)));
      ASSERT_OK(m->Replace(second.id, Boost(4, 2)));
      ASSERT_OK_AND_ASSIGN(Intervention third, m->Create(Boost(5, 2)));
      ASSERT_OK(m->Revoke(third.id, "ed", "done"));
      ASSERT_OK(m->VerifyAudit());  // Logged revokes and replaces are fine.
    }
    std::string script = backend.dir() + "/tamper.sql";
    ASSERT_OK(WriteFileAtomic(script, tamper));
    std::string cmd = absl::StrCat("/usr/bin/sqlite3 -bail '", backend.dir(),
                                   "/feedgov.db' < '", script, "' 2>/dev/null");
    ASSERT_EQ(std::system(cmd.c_str()), 0);  // Triggers allow revoked=1.
    backend.Reopen();
    ASSERT_OK_AND_ASSIGN(auto m, InterventionManager::Open(backend.Store(), clock,
                                                           AllowAllGate()));
    for (const Intervention& iv : m->List(true)) {
      EXPECT_FALSE(iv.id == "iv-000001" && !iv.revoked) << "tamper not applied";
    }
    EXPECT_THAT(m->VerifyAudit(), StatusIs(absl::StatusCode::kDataLoss,
                                           "intervention iv-000001:"));
  }
}

}  // namespace
}  // namespace feedgov
