// The state directory keeps catalog and label writes across a restart
// (catalog journal), and a write whose journal append fails is not applied.
#include "engine/runtime/state_dir.h"

#include "engine/common/file_util.h"
#include "engine/runtime/open_engine.h"

#include "engine/governance/policy_loader.h"
#include "engine/governance/taxonomy.h"
#include "engine/retrieval/synthetic.h"
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

}  // namespace
}  // namespace feedgov
