#include "engine/catalog/snapshot.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "engine/ingest/movielens.h"
#include "engine/common/file_util.h"
#include "engine/common/sha256.h"
#include "engine/testing/fake_clock.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "feedgov/v1/snapshot.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

RowMatrixXf Random(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  RowMatrixXf m(rows, cols);
  for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}

bool SameBytes(const RowMatrixXf& a, const RowMatrixXf& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void ExpectSameItem(const Item& a, const Item& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.title, b.title);
  EXPECT_EQ(a.genres, b.genres);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.author, b.author);
  EXPECT_EQ(a.first_seen, b.first_seen);
  EXPECT_EQ(a.last_interaction, b.last_interaction);
  EXPECT_EQ(a.num_ratings, b.num_ratings);
  EXPECT_EQ(a.mean_rating, b.mean_rating);
  EXPECT_EQ(a.decayed_popularity, b.decayed_popularity);
}

void ExpectSameContents(const SnapshotContents& a, const SnapshotContents& b) {
  ASSERT_EQ(a.catalog->size(), b.catalog->size());
  for (Row r = 0; r < a.catalog->size(); ++r) ExpectSameItem(a.catalog->item(r), b.catalog->item(r));
  EXPECT_TRUE(SameBytes(a.catalog->embeddings(), b.catalog->embeddings()));
  EXPECT_EQ(a.catalog->reference_time(), b.catalog->reference_time());
  EXPECT_EQ(a.labels->version(), b.labels->version());
  EXPECT_EQ(a.labels->LabeledItems(), b.labels->LabeledItems());
  for (ItemId id : a.labels->LabeledItems()) EXPECT_EQ(a.labels->LabelsFor(id), b.labels->LabelsFor(id));
  ASSERT_EQ(a.users->size(), b.users->size());
  EXPECT_EQ(a.users->user_ids(), b.users->user_ids());
  EXPECT_TRUE(SameBytes(a.users->embeddings(), b.users->embeddings()));
  for (int32_t u = 0; u < a.users->size(); ++u) {
    ASSERT_TRUE(std::equal(a.users->interactions(u).begin(), a.users->interactions(u).end(),
                           b.users->interactions(u).begin(), b.users->interactions(u).end()))
        << "user row " << u;
  }
  EXPECT_EQ(a.index_factory, b.index_factory);
  EXPECT_EQ(a.index_bytes, b.index_bytes);
  EXPECT_EQ(a.model_config_text, b.model_config_text);
}

// A small synthetic snapshot; `tag` changes the contents so versions differ.
SnapshotContents SmallContents(int num_items, UnixSeconds reference_time) {
  std::vector<Item> items;
  for (int i = 0; i < num_items; ++i) {
    Item item;
    item.id = 100 + i;
    item.title = "t" + std::to_string(i);
    item.genres = {"Drama"};
    item.tags = {"a", "b c"};
    item.author = "auth";
    item.first_seen = 5 + i;
    item.last_interaction = 9 + i;
    item.num_ratings = i;
    item.mean_rating = 3.25f;
    item.decayed_popularity = 0.125f * i;
    items.push_back(item);
  }
  SnapshotContents c;
  c.catalog = *Catalog::Create(items, Random(num_items, 4, 1), reference_time);
  c.labels = *LabelTable::Empty()->WithLabels(
      {{100, {{"bad.gore_horror", 0.75f, LabelSource::kMapping, 11}}},
       {102, {{"good.science", 1.0f, LabelSource::kReviewer, 12},
              {"bad.x", 0.0f, LabelSource::kModel, 13}}}});
  c.users = *UserTable::Create({1, 2}, Random(2, 4, 2),
                               {{1, 100, 4.5f, 20}, {2, 101, 1.0f, 30}, {1, 102, 3.0f, 40}});
  c.index_factory = "Flat";
  c.index_bytes = std::string("\0\x01IxF", 5);
  c.model_config_text = "als { dim: 4 }\n";
  return c;
}

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

TEST(SnapshotTest, RoundTripsMovieLensBytesExactly) {
  ASSERT_OK_AND_ASSIGN(MovieLensData data,
                       ReadMovieLens(testing::DataDir("movielens_latest_small")));
  const int d = 16;
  SnapshotContents in;
  ASSERT_OK_AND_ASSIGN(in.catalog, Catalog::Create(data.items, Random(data.items.size(), d, 3),
                                                   data.reference_time));
  absl::flat_hash_set<UserId> seen;
  std::vector<UserId> users;
  for (const Interaction& r : data.ratings) {
    if (seen.insert(r.user).second) users.push_back(r.user);
  }
  ASSERT_OK_AND_ASSIGN(in.users, UserTable::Create(users, Random(users.size(), d, 4), data.ratings));
  ASSERT_OK_AND_ASSIGN(in.labels,
                       LabelTable::Empty()->WithLabels(1, {{"good.family", 0.5f, LabelSource::kMapping, 7}}));
  in.index_factory = "HNSW32";
  in.index_bytes = std::string(1000, 'x');
  in.model_config_text = "scoring { similarity_weight: 1 }\n";

  std::string dir = testing::MakeTempDir("snapshot_test") + "/snap";
  testing::FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  WriteSnapshotOptions options;
  options.clock = &clock;
  ASSERT_OK(WriteSnapshot(in, dir, options));
  ASSERT_OK_AND_ASSIGN(SnapshotContents out, ReadSnapshot(dir));
  ExpectSameContents(in, out);
  EXPECT_EQ(out.users->size(), 610);
  EXPECT_EQ(out.users->num_interactions(), 100836);

  // Manifest fields and the raw float file, checked independently.
  v1::SnapshotManifest m;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      *ReadFile(dir + "/MANIFEST.textproto"), &m));
  EXPECT_EQ(m.format_version(), 1);
  EXPECT_EQ(m.dim(), d);
  EXPECT_EQ(m.num_items(), 9742);
  EXPECT_EQ(m.num_users(), 610);
  EXPECT_EQ(m.num_interactions(), 100836);
  EXPECT_EQ(m.metric(), "inner_product_over_l2_normalized");
  EXPECT_EQ(m.index_factory(), "HNSW32");
  EXPECT_EQ(m.created_unix_s(), 1'800'000'000);
  ASSERT_OK_AND_ASSIGN(std::string raw, ReadFile(dir + "/item_embeddings.f32"));
  ASSERT_EQ(raw.size(), 9742u * d * 4);
  EXPECT_EQ(std::memcmp(raw.data(), in.catalog->embeddings().data(), raw.size()), 0);
  for (const v1::SnapshotFile& f : m.files()) {
    ASSERT_OK_AND_ASSIGN(std::string sha, Sha256FileHex(dir + "/" + f.name()));
    EXPECT_EQ(sha, f.sha256()) << f.name();
    EXPECT_EQ(static_cast<int64_t>(fs::file_size(dir + "/" + f.name())), f.bytes());
  }
  EXPECT_THAT(Entries(fs::path(dir).parent_path().string()), ElementsAre("snap"));
}

class SnapshotCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    parent_ = testing::MakeTempDir("snapshot_corrupt");
    dir_ = parent_ + "/snap";
    ASSERT_OK(WriteSnapshot(SmallContents(5, 1000), dir_));
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  void Rewrite(const std::string& name, const std::string& bytes) {
    std::ofstream(Path(name), std::ios::binary | std::ios::trunc) << bytes;
  }
  v1::SnapshotManifest Manifest() {
    v1::SnapshotManifest m;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(*ReadFile(Path("MANIFEST.textproto")), &m));
    return m;
  }
  void WriteManifest(const v1::SnapshotManifest& m) {
    std::string text;
    ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(m, &text));
    Rewrite("MANIFEST.textproto", text);
  }
  // Rewrites `name` with `bytes` and fixes its manifest entry, so only the
  // content checks can notice.
  void ReplaceConsistently(const std::string& name, const std::string& bytes) {
    Rewrite(name, bytes);
    v1::SnapshotManifest m = Manifest();
    for (auto& f : *m.mutable_files()) {
      if (f.name() == name) {
        f.set_bytes(bytes.size());
        f.set_sha256(Sha256Hex(bytes));
      }
    }
    WriteManifest(m);
  }
  std::string parent_, dir_;
};

const char* const kDataFiles[] = {"items.pb", "labels.pb", "item_embeddings.f32",
                                  "user_embeddings.f32", "users.pb", "index.faiss",
                                  "model_config.textproto"};

TEST_F(SnapshotCorruptionTest, FlippedByteInAnyFileIsDataLossNamingIt) {
  for (const char* name : kDataFiles) {
    SetUp();
    std::string bytes = *ReadFile(Path(name));
    ASSERT_FALSE(bytes.empty()) << name;
    bytes[bytes.size() / 2] ^= 0x20;
    Rewrite(name, bytes);
    EXPECT_THAT(ReadSnapshot(dir_),
                StatusIs(absl::StatusCode::kDataLoss, std::string(name) + ": sha256 is"));
  }
}

TEST_F(SnapshotCorruptionTest, TruncatedOrMissingFileIsDataLossNamingIt) {
  for (const char* name : kDataFiles) {
    SetUp();
    std::string bytes = *ReadFile(Path(name));
    Rewrite(name, bytes.substr(0, bytes.size() - 1));
    EXPECT_THAT(ReadSnapshot(dir_),
                StatusIs(absl::StatusCode::kDataLoss,
                         std::string(name) + ": is " + std::to_string(bytes.size() - 1) +
                             " bytes, manifest says " + std::to_string(bytes.size())));
  }
  SetUp();
  fs::remove(Path("users.pb"));
  EXPECT_THAT(ReadSnapshot(dir_), StatusIs(absl::StatusCode::kDataLoss, "users.pb: cannot open"));
}

TEST_F(SnapshotCorruptionTest, EditedManifestIsDetected) {
  v1::SnapshotManifest m = Manifest();
  m.set_num_items(6);
  WriteManifest(m);
  EXPECT_THAT(ReadSnapshot(dir_),
              StatusIs(absl::StatusCode::kDataLoss, "items.pb: 5 items, manifest says 6"));

  SetUp();
  m = Manifest();
  m.set_dim(8);
  WriteManifest(m);
  EXPECT_THAT(ReadSnapshot(dir_),
              StatusIs(absl::StatusCode::kDataLoss,
                       "item_embeddings.f32: 80 bytes, but manifest shape 5 x 8 float32 needs 160"));

  SetUp();
  m = Manifest();
  m.set_num_interactions(4);
  WriteManifest(m);
  EXPECT_THAT(ReadSnapshot(dir_),
              StatusIs(absl::StatusCode::kDataLoss, "users.pb: 3 interactions, manifest says 4"));

  SetUp();
  m = Manifest();
  m.mutable_files(0)->set_sha256(std::string(64, '0'));
  WriteManifest(m);
  EXPECT_THAT(ReadSnapshot(dir_), StatusIs(absl::StatusCode::kDataLoss, "items.pb: sha256 is"));

  SetUp();
  m = Manifest();
  m.mutable_files()->RemoveLast();
  WriteManifest(m);
  EXPECT_THAT(ReadSnapshot(dir_), StatusIs(absl::StatusCode::kDataLoss, "lists 6 files, want 7"));

  SetUp();
  m = Manifest();
  m.set_metric("l2");
  WriteManifest(m);
  EXPECT_THAT(ReadSnapshot(dir_), StatusIs(absl::StatusCode::kDataLoss, "metric 'l2'"));

  SetUp();
  m = Manifest();
  m.set_format_version(2);
  WriteManifest(m);
  EXPECT_THAT(ReadSnapshot(dir_),
              StatusIs(absl::StatusCode::kFailedPrecondition, "format_version 2 is not supported"));

  SetUp();
  Rewrite("MANIFEST.textproto", *ReadFile(Path("MANIFEST.textproto")) + "garbage {");
  EXPECT_THAT(ReadSnapshot(dir_),
              StatusIs(absl::StatusCode::kDataLoss,
                       "MANIFEST.textproto: not a valid SnapshotManifest textproto: "));
}

TEST_F(SnapshotCorruptionTest, ConsistentlyHashedButInvalidContentIsDataLoss) {
  // Embeddings that are not normalized.
  RowMatrixXf big = RowMatrixXf::Constant(5, 4, 3.0f);
  ReplaceConsistently("item_embeddings.f32",
                      std::string(reinterpret_cast<const char*>(big.data()), big.size() * 4));
  EXPECT_THAT(ReadSnapshot(dir_),
              StatusIs(absl::StatusCode::kDataLoss, "item_embeddings.f32: item 100 (row 0): embedding norm is 6"));

  SetUp();
  ReplaceConsistently("items.pb", "\xff\xff\xff");
  EXPECT_THAT(ReadSnapshot(dir_), StatusIs(absl::StatusCode::kDataLoss, "items.pb: not a valid"));

  SetUp();
  v1::SnapshotLabels labels;
  auto* item = labels.add_items();
  item->set_item_id(1);
  item->add_labels()->set_name("x");  // Source UNSPECIFIED.
  ReplaceConsistently("labels.pb", labels.SerializeAsString());
  EXPECT_THAT(ReadSnapshot(dir_),
              StatusIs(absl::StatusCode::kDataLoss, "labels.pb: item 1: label '"));
}

TEST(SnapshotReadTest, MissingSnapshotIsNotFound) {
  std::string dir = testing::MakeTempDir("snapshot_missing") + "/nothing";
  EXPECT_THAT(ReadSnapshot(dir), StatusIs(absl::StatusCode::kNotFound, "no snapshot at " + dir));
}

TEST(SnapshotWriteTest, ReplacesExistingSnapshotAndLeavesNoSiblings) {
  std::string parent = testing::MakeTempDir("snapshot_replace");
  std::string dir = parent + "/snap/";  // Trailing slash is accepted.
  ASSERT_OK(WriteSnapshot(SmallContents(5, 1000), dir));
  SnapshotContents v2 = SmallContents(7, 2000);
  ASSERT_OK(WriteSnapshot(v2, dir));
  ASSERT_OK_AND_ASSIGN(SnapshotContents out, ReadSnapshot(dir));
  ExpectSameContents(v2, out);
  EXPECT_THAT(Entries(parent), ElementsAre("snap"));
}

TEST(SnapshotWriteTest, FailureAtAnyStageLeavesPreviousSnapshotIntact) {
  std::string parent = testing::MakeTempDir("snapshot_fail");
  std::string dir = parent + "/snap";
  SnapshotContents v1 = SmallContents(5, 1000);
  ASSERT_OK(WriteSnapshot(v1, dir));
  const std::string stages[] = {"items.pb",    "labels.pb",          "item_embeddings.f32",
                                "user_embeddings.f32", "users.pb",   "index.faiss",
                                "model_config.textproto", "MANIFEST.textproto",
                                "old_moved_aside"};
  for (const std::string& stage : stages) {
    WriteSnapshotOptions options;
    std::vector<std::string> seen;
    options.fault_hook = [&](const std::string& s) {
      seen.push_back(s);
      return s == stage ? absl::InternalError("injected at " + s) : absl::OkStatus();
    };
    EXPECT_THAT(WriteSnapshot(SmallContents(7, 2000), dir, options),
                StatusIs(absl::StatusCode::kInternal, "injected at " + stage));
    EXPECT_EQ(seen.back(), stage);
    ASSERT_OK_AND_ASSIGN(SnapshotContents out, ReadSnapshot(dir));
    ExpectSameContents(v1, out);
    EXPECT_THAT(Entries(parent), ElementsAre("snap")) << stage;
  }
}

TEST(SnapshotWriteTest, FailureOnFirstWriteLeavesNothing) {
  std::string parent = testing::MakeTempDir("snapshot_first");
  WriteSnapshotOptions options;
  options.fault_hook = [](const std::string& s) {
    return s == "users.pb" ? absl::InternalError("boom") : absl::OkStatus();
  };
  EXPECT_THAT(WriteSnapshot(SmallContents(3, 1), parent + "/snap", options),
              StatusIs(absl::StatusCode::kInternal, "boom"));
  EXPECT_TRUE(Entries(parent).empty());
}

TEST(SnapshotWriteTest, RefusesToReplaceNonSnapshotDirectory) {
  std::string parent = testing::MakeTempDir("snapshot_foreign");
  fs::create_directory(parent + "/precious");
  std::ofstream(parent + "/precious/data.txt") << "keep me";
  EXPECT_THAT(WriteSnapshot(SmallContents(3, 1), parent + "/precious"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "is not a snapshot directory"));
  EXPECT_EQ(*ReadFile(parent + "/precious/data.txt"), "keep me");
  EXPECT_THAT(Entries(parent), ElementsAre("precious"));
}

TEST(SnapshotWriteTest, RejectsIncompleteOrMismatchedContents) {
  std::string dir = testing::MakeTempDir("snapshot_bad") + "/snap";
  SnapshotContents c = SmallContents(3, 1);
  c.labels = nullptr;
  EXPECT_THAT(WriteSnapshot(c, dir), StatusIs(absl::StatusCode::kInvalidArgument, "label table"));
  c = SmallContents(3, 1);
  c.users = *UserTable::Create({1}, Random(1, 3, 9), {});
  EXPECT_THAT(WriteSnapshot(c, dir),
              StatusIs(absl::StatusCode::kInvalidArgument, "user embeddings have dimension 3"));
}

}  // namespace
}  // namespace feedgov
