// The state directory keeps catalog and label writes across a restart
// (catalog journal), and a write whose journal append fails is not applied.
#include "engine/runtime/state_dir.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "engine/governance/policy_loader.h"
#include "engine/governance/taxonomy.h"
#include "engine/intervention/intervention.h"
#include "engine/retrieval/synthetic.h"
#include "engine/runtime/open_engine.h"
#include "engine/store/schema.h"
#include "engine/store/sqlite_db.h"
#include "engine/testing/fake_clock.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

constexpr int kItems = 300;
constexpr int kDim = 8;

// A small synthetic snapshot: items 1..300, one user (id 7).
SnapshotContents MakeSnapshot() {
  RowMatrixXf emb = MakeClusteredEmbeddings(kItems, kDim, 5, 42);
  std::vector<Item> items;
  for (int i = 0; i < kItems; ++i) {
    Item it;
    it.id = i + 1;
    it.title = "item " + std::to_string(i + 1);
    it.first_seen = 1000;
    it.decayed_popularity = static_cast<float>(kItems - i);
    items.push_back(it);
  }
  SnapshotContents s;
  s.catalog = *Catalog::Create(items, emb, 2000);
  s.labels = LabelTable::Empty();
  RowMatrixXf user = emb.row(0);
  s.users = *UserTable::Create({7}, user, {});
  return s;
}

std::unique_ptr<FeedEngine> MakeEngine(const Clock* clock) {
  std::string root = testing::SourceDir();
  auto taxonomy = Taxonomy::Load(root + "/policies/labels.textproto");
  EXPECT_OK(taxonomy);
  auto registry = std::make_shared<PolicyRegistry>(*std::move(taxonomy));
  EXPECT_OK(registry->Reload(root + "/policies/permissive.textproto"));
  EngineOptions options;
  auto engine = FeedEngine::Create(MakeSnapshot(), registry, options, clock);
  EXPECT_OK(engine);
  return *std::move(engine);
}

std::vector<ItemId> Page(const FeedEngine& engine, int size) {
  RankRequest req;
  req.surface = "home";
  req.page_size = size;
  auto page = engine.Rank(req);
  EXPECT_OK(page);
  std::vector<ItemId> ids;
  for (const RankedItem& r : page->items) ids.push_back(r.item_id);
  return ids;
}

TEST(StateDir, CatalogAndLabelWritesSurviveRestart) {
  testing::FakeClock clock;
  std::string dir = testing::MakeTempDir("statedir");
  const Label illegal{"illegal.rumors", 1.0f,
                      LabelSource::kReviewer, 5};
  {
    auto engine = MakeEngine(&clock);
    ASSERT_OK_AND_ASSIGN(auto state, StateDir::Open(dir, engine.get(), &clock));
    // A new, very popular item; item 1 (the most popular) marked illegal;
    // item 2 deleted.
    Item fresh;
    fresh.id = 9001;
    fresh.title = "breaking";
    fresh.first_seen = 2000;
    fresh.decayed_popularity = 1e6f;
    RowMatrixXf emb = RowMatrixXf::Ones(1, kDim);
    ASSERT_OK(engine->UpsertItems({fresh}, emb, {}));
    ASSERT_OK(engine->UpdateLabels({{1, {illegal}}}));
    ASSERT_OK(engine->DeleteItems({2}));
  }
  auto engine = MakeEngine(&clock);
  // Without the state directory the snapshot alone is served.
  std::vector<ItemId> before = Page(*engine, 3);
  EXPECT_EQ(before, (std::vector<ItemId>{1, 2, 3}));
  ASSERT_OK_AND_ASSIGN(auto state, StateDir::Open(dir, engine.get(), &clock));
  EXPECT_EQ(state->replayed_journal_entries(), 3);
  EXPECT_EQ(Page(*engine, 3), (std::vector<ItemId>{9001, 3, 4}));
  EXPECT_EQ(engine->labels()->LabelsFor(1), std::vector<Label>{illegal});
}

TEST(StateDir, WriteIsNotAppliedWhenTheCommitHookFails) {
  testing::FakeClock clock;
  auto engine = MakeEngine(&clock);
  engine->SetCommitHook([](const CatalogWrite&) {
    return absl::UnavailableError("disk full");
  });
  const Label illegal{"illegal.rumors", 1.0f,
                      LabelSource::kReviewer, 5};
  EXPECT_THAT(engine->UpdateLabels({{1, {illegal}}}),
              StatusIs(absl::StatusCode::kUnavailable, "disk full"));
  EXPECT_TRUE(engine->labels()->LabelsFor(1).empty());
  EXPECT_THAT(engine->DeleteItems({1}),
              StatusIs(absl::StatusCode::kUnavailable, "disk full"));
  EXPECT_EQ(Page(*engine, 1), std::vector<ItemId>{1});
}

TEST(FeedEngineCatalogWrites, DeleteIsOnceAndUpsertRevives) {
  testing::FakeClock clock;
  auto engine = MakeEngine(&clock);
  EXPECT_THAT(engine->DeleteItems({5, 5}),
              StatusIs(absl::StatusCode::kInvalidArgument, "appears twice"));
  ASSERT_OK(engine->DeleteItems({1}));
  EXPECT_THAT(engine->DeleteItems({1}),
              StatusIs(absl::StatusCode::kNotFound, "unknown item 1"));
  EXPECT_THAT(engine->UpdateLabels({{1, {}}}),
              StatusIs(absl::StatusCode::kNotFound, "item 1 was deleted"));
  EXPECT_EQ(Page(*engine, 1), std::vector<ItemId>{2});
  // Upserting a deleted item serves it again.
  Item back = engine->catalog()->item(*engine->catalog()->FindRow(1));
  RowMatrixXf emb = RowMatrixXf::Map(engine->catalog()->embedding(0).data(), 1, kDim);
  ASSERT_OK(engine->UpsertItems({back}, emb, {}));
  EXPECT_EQ(Page(*engine, 1), std::vector<ItemId>{1});
}

TEST(PageTokenKey, IsCreatedOnceAndMalformedKeysAreRefused) {
  std::string dir = testing::MakeTempDir("tokenkey");
  ASSERT_OK_AND_ASSIGN(std::string first, LoadOrCreatePageTokenKey(dir));
  ASSERT_OK_AND_ASSIGN(std::string again, LoadOrCreatePageTokenKey(dir));
  EXPECT_EQ(first.size(), 64u);
  EXPECT_EQ(first, again);  // Tokens survive a restart.
  std::string other = testing::MakeTempDir("tokenkey");
  ASSERT_OK_AND_ASSIGN(std::string second, LoadOrCreatePageTokenKey(other));
  EXPECT_NE(first, second);  // Each deployment has its own secret.
  ASSERT_OK(WriteFileAtomic(dir + "/page_token.key", "not-hex\n"));
  EXPECT_THAT(LoadOrCreatePageTokenKey(dir),
              StatusIs(absl::StatusCode::kDataLoss, "page_token.key"));
}

Intervention Boost(ItemId item, absl::Time start, absl::Time end) {
  Intervention iv;
  iv.kind = InterventionKind::kBoost;
  iv.item_id = item;
  iv.factor = 2.0;
  iv.editor = "ed";
  iv.reason = "test";
  iv.start = start;
  iv.end = end;
  return iv;
}

// Issue 13 item 1: one owner per state directory.
TEST(StateDirOwnership, SecondWriterIsRefusedNamingTheOwner) {
  testing::FakeClock clock;
  const std::string dir = testing::MakeTempDir("statedir_owner");
  auto engine = MakeEngine(&clock);
  ASSERT_OK_AND_ASSIGN(auto owner,
                       StateDir::Open(dir, engine.get(), &clock,
                                      {StateDirAccess::kWrite, "serve"}));
  ASSERT_OK(owner->lock()->SetAddress("127.0.0.1:9"));
  auto second =
      StateDir::Open(dir, nullptr, &clock, {StateDirAccess::kWrite, "revoke"});
  EXPECT_THAT(second.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("state dir ", dir,
                                    " is owned by a running server (pid ")));
  owner.reset();
  // Released with the owner.
  EXPECT_OK(
      StateDir::Open(dir, nullptr, &clock, {StateDirAccess::kWrite, "revoke"})
          .status());
}

TEST(StateDirOwnership, ReaderBesideTheOwnerSeesCommittedRowsAndWritesNothing) {
  testing::FakeClock clock;
  const std::string dir = testing::MakeTempDir("statedir_reader");
  auto engine = MakeEngine(&clock);
  ASSERT_OK_AND_ASSIGN(auto owner, StateDir::Open(dir, engine.get(), &clock));
  // One boost in force, one whose window ends in a minute.
  ASSERT_OK(owner->interventions()
                .Create(Boost(5, clock.Now(), absl::InfiniteFuture()))
                .status());
  ASSERT_OK(owner->interventions()
                .Create(Boost(6, clock.Now(), clock.Now() + absl::Minutes(1)))
                .status());
  clock.Advance(absl::Minutes(2));
  ASSERT_OK_AND_ASSIGN(auto reader,
                       StateDir::Open(dir, nullptr, &clock,
                                      {StateDirAccess::kRead, "audit verify"}));
  EXPECT_TRUE(reader->read_only());
  EXPECT_EQ(reader->interventions().List(/*include_inactive=*/true).size(), 2u);
  EXPECT_OK(reader->interventions().VerifyAudit());
  // The ended boost's EXPIRE entry is left to the owner.
  ASSERT_OK_AND_ASSIGN(auto entries, reader->intervention_store().ListAudit());
  EXPECT_EQ(entries.size(), 2u);
  // A write through the reader fails (SQLite is open read-only) and
  // leaves nothing behind.
  EXPECT_FALSE(reader->interventions()
                   .Create(Boost(7, clock.Now(), absl::InfiniteFuture()))
                   .ok());
  ASSERT_OK_AND_ASSIGN(entries, reader->intervention_store().ListAudit());
  EXPECT_EQ(entries.size(), 2u);
  // The owner's writes go on, ids and all (the reader took nothing).
  ASSERT_OK_AND_ASSIGN(Intervention next,
                       owner->interventions().Create(
                           Boost(8, clock.Now(), absl::InfiniteFuture())));
  EXPECT_EQ(next.id, "iv-000003");
  reader.reset();
  owner.reset();
  // With no owner a reader opens as before, holding the lock; the owner's
  // write above recorded the expiry the reader had left.
  ASSERT_OK_AND_ASSIGN(
      reader,
      StateDir::Open(dir, nullptr, &clock, {StateDirAccess::kRead, "audit"}));
  EXPECT_FALSE(reader->read_only());
  ASSERT_OK_AND_ASSIGN(entries, reader->intervention_store().ListAudit());
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[2].event.action, AuditAction::kExpire);
  EXPECT_EQ(entries[2].event.intervention_id, "iv-000002");
  EXPECT_OK(reader->interventions().VerifyAudit());
}

// Issue 13 item 6: a state directory written before the time_zone column
// (schema 3) still opens; its interventions read as UTC and its audit chain
// and row checks still verify; new rows carry their zone.
TEST(StateDirMigration, DatabaseWithoutTimeZoneColumnOpensAndVerifies) {
  testing::FakeClock clock;
  const std::string dir = testing::MakeTempDir("statedir_v3");
  {
    ASSERT_OK_AND_ASSIGN(
        auto db, SqliteDb::Open(absl::StrCat(dir, "/", kFeedgovDbFileName)));
    ASSERT_OK(ApplyMigrations(*db, FeedgovMigrations().subspan(0, 3)));
    Intervention old = Boost(5, clock.Now(), absl::InfiniteFuture());
    old.id = "iv-000001";
    old.created = clock.Now();
    AuditEvent e;
    e.time = clock.Now();
    e.actor = "ed";
    e.action = AuditAction::kCreate;
    e.intervention_id = old.id;
    e.after = SerializeIntervention(old);
    e.message = "test";
    const AuditEntry entry = ChainAuditEntry(nullptr, e);
    ASSERT_OK(db->WriteTransaction([&]() -> absl::Status {
      const std::string us = absl::StrCat(absl::ToUnixMicros(clock.Now()));
      FEEDGOV_RETURN_IF_ERROR(db->Exec(absl::StrCat(
          "INSERT INTO interventions VALUES ('iv-000001', 'BOOST', 5, '', '', "
          "0, 2.0, 0.0, 'ed', 'test', '', ",
          us, ", ", us, ", NULL, 0, 0)")));
      return db->Exec(absl::StrCat("INSERT INTO audit_log VALUES (1, ", us,
                                   ", 'ed', 'CREATE', "
                                   "'iv-000001', '', '",
                                   entry.event.after, "', 'test', '",
                                   entry.prev_hash, "', '", entry.hash, "')"));
    }));
  }
  auto engine = MakeEngine(&clock);
  ASSERT_OK_AND_ASSIGN(auto state, StateDir::Open(dir, engine.get(), &clock));
  std::vector<Intervention> list = state->interventions().List(true);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].time_zone, "");
  EXPECT_OK(state->interventions().VerifyAudit());
  Intervention zoned = Boost(6, clock.Now(), absl::InfiniteFuture());
  zoned.time_zone = "Asia/Shanghai";
  ASSERT_OK(state->interventions().Create(zoned).status());
  state.reset();
  ASSERT_OK_AND_ASSIGN(state, StateDir::Open(dir, engine.get(), &clock));
  list = state->interventions().List(true);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].time_zone, "Asia/Shanghai");
  EXPECT_OK(state->interventions().VerifyAudit());
  ASSERT_OK_AND_ASSIGN(auto entries, state->intervention_store().ListAudit());
  EXPECT_NE(entries.back().event.after.find("\"time_zone\":\"Asia/Shanghai\""),
            std::string::npos);
}

}  // namespace
}  // namespace feedgov
