// Bad input to the labelers: malformed data folders, corrupted model
// directories, edited manifests and CURRENT files, hostile configs, texts
// that fastText would read as labels, and trainers racing each other on one
// models directory. Every case ends in an error naming what was wrong (or
// in a correct result), never in a crash, a hang or a half-written model.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "engine/labeler/dataset.h"
#include "engine/labeler/fixture.h"
#include "engine/labeler/labeler_set.h"
#include "engine/labeler/text.h"
#include "engine/labeler/trainer.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

feedgov::v1::LabelerConfigs Configs() {
  feedgov::v1::LabelerConfigs c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(FixtureLabelerConfigs(), &c));
  return c;
}

feedgov::v1::LabelerConfig ConfigNamed(const std::string& name) {
  const feedgov::v1::LabelerConfigs configs = Configs();
  for (const auto& c : configs.labeler()) {
    if (c.name() == name) return c;
  }
  ADD_FAILURE() << "no fixture config " << name;
  return {};
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// ---------------------------------------------------------------------------
// Data folders.

TEST(DataFolderTest, ByteOrderMarkIsSkippedInEveryFormat) {
  const std::string dir = testing::MakeTempDir("bom");
  // Weibo: a BOM before the first header column.
  WriteAll(dir + "/weibo_ced_microblogs.tsv",
           "\xEF\xBB\xBFlabel\ttext\nrumor\t\xE7\xBD\x91\xE5\x8F\x8B\nnon-rumor\tok\n");
  ASSERT_OK_AND_ASSIGN(std::vector<LabeledText> rows,
                       ReadLabeledFolder(ConfigNamed("rumor_zh"), dir));
  EXPECT_EQ(rows.size(), 2u);
  // Clickbait: the BOM is not part of the first headline.
  WriteAll(dir + "/clickbait_data.txt", "\xEF\xBB\xBFYou Won't Believe It\nTen Cats\n");
  ASSERT_OK_AND_ASSIGN(rows, ReadLabeledFolder(ConfigNamed("clickbait_en"), dir));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].text, "You Won't Believe It");
}

TEST(DataFolderTest, FolderWithoutRowsIsAnErrorNamingIt) {
  const std::string dir = testing::MakeTempDir("norows");
  WriteAll(dir + "/labeled_data.csv", ",count,class,tweet\r\n\r\n");
  EXPECT_THAT(ReadLabeledFolder(ConfigNamed("hate_offensive_en"), dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "no labeled rows"));
}

TEST(DataFolderTest, MalformedRowsNameFileLineAndField) {
  const std::string dir = testing::MakeTempDir("malformed");
  const auto davidson = ConfigNamed("hate_offensive_en");
  // A quoted newline is part of the text: the bad row is on line 4.
  WriteAll(dir + "/labeled_data.csv",
           ",count,class,tweet\n0,3,1,\"two\nlines\"\n1,3,x,bad\n");
  EXPECT_THAT(ReadLabeledFolder(davidson, dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "labeled_data.csv:4: field 'class' is 'x'"));
  // A text over 1 MiB.
  WriteAll(dir + "/labeled_data.csv",
           absl::StrCat(",count,class,tweet\n0,3,1,", std::string(2 << 20, 'a'), "\n"));
  EXPECT_THAT(ReadLabeledFolder(davidson, dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "labeled_data.csv:2: field 'tweet' over 1 MiB"));
  // NUL bytes and invalid UTF-8 are text like any other.
  const char kRow[] = ",count,class,tweet\n0,3,1,a\0b \xFF\xC3\n";
  WriteAll(dir + "/labeled_data.csv", std::string(kRow, sizeof(kRow) - 1));
  ASSERT_OK_AND_ASSIGN(std::vector<LabeledText> rows, ReadLabeledFolder(davidson, dir));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text.size(), 6u);
}

// ---------------------------------------------------------------------------
// Texts fastText would read as labels.

TEST(TokensTest, NoTokenIsAFastTextLabel) {
  for (const char* lang : {"en", "zh"}) {
    const std::string tokens =
        LabelerTokens("Senate passes __label__spam bill __LABEL__x ok__label__", lang);
    EXPECT_THAT(tokens, Not(HasSubstr(" __label__"))) << lang << ": " << tokens;
    EXPECT_NE(tokens.rfind("__label__", 0), 0u) << lang;
    EXPECT_THAT(LabelerTokens("__label__spam", lang), Not(::testing::StartsWith("__label__")));
  }
}

class HardeningTrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = testing::MakeTempDir("hard_data");
    models_ = testing::MakeTempDir("hard_models");
    ASSERT_OK(WriteLabelerFixtures(data_, FixtureOptions{}));
  }
  TrainOptions Options() const {
    TrainOptions o;
    o.data_root = data_;
    o.models_dir = models_;
    return o;
  }
  // Trains clickbait_en and returns its version directory.
  std::string TrainClickbait() {
    absl::StatusOr<TrainResult> r = TrainLabeler(ConfigNamed("clickbait_en"), Options());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->dir : "";
  }
  std::string data_, models_;
};

TEST_F(HardeningTrainTest, TrainingRowThatLooksLikeAFastTextLabelTrains) {
  std::ofstream(data_ + "/clickbait/non_clickbait_data.txt", std::ios::app)
      << "Senate passes __label__spam bill\n__label__clickbait\n";
  ASSERT_OK_AND_ASSIGN(TrainResult r, TrainLabeler(ConfigNamed("clickbait_en"), Options()));
  ASSERT_OK_AND_ASSIGN(auto set, LabelerSet::Load(models_));
  EXPECT_EQ(set->Find("clickbait_en")->version(), r.manifest.version());
}

// ---------------------------------------------------------------------------
// Corrupted model files.

TEST_F(HardeningTrainTest, TruncatedOrGarbageModelFileIsAClearError) {
  const std::string dir = TrainClickbait();
  const std::string model = dir + "/model.bin";
  const std::string good = ReadAll(model);
  ASSERT_GT(good.size(), 200000u);
  // Cut in the header, the arguments, the dictionary, the matrices, and
  // one byte short. Before the check, fastText span forever in its
  // dictionary reader or divided by a zero bucket count.
  for (size_t size : {size_t{0}, size_t{4}, size_t{8}, size_t{40}, size_t{64}, size_t{70},
                      size_t{100}, size_t{1000}, good.size() / 2, good.size() - 1}) {
    WriteAll(model, good.substr(0, size));
    EXPECT_THAT(TextLabeler::Load(dir).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, "model.bin"))
        << "cut at " << size;
  }
  WriteAll(model, good + "x");
  EXPECT_THAT(TextLabeler::Load(dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "after the model"));
  std::string garbage(100000, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 7919 % 251);
  WriteAll(model, garbage);
  EXPECT_THAT(TextLabeler::Load(dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "model.bin"));
  WriteAll(model, good);
  EXPECT_OK(TextLabeler::Load(dir).status());
}

TEST_F(HardeningTrainTest, ModelFileWithBadArgumentsOrWeightsIsRefused) {
  const std::string dir = TrainClickbait();
  const std::string model = dir + "/model.bin";
  const std::string good = ReadAll(model);
  auto put_i32 = [](std::string& s, size_t at, int32_t v) { std::memcpy(&s[at], &v, 4); };
  // Args start at byte 8: dim, ws, epoch, minCount, neg, wordNgrams, loss,
  // model, bucket, ...
  std::string zero_bucket = good;
  put_i32(zero_bucket, 8 + 8 * 4, 0);  // Word n-grams hash into 0 buckets.
  WriteAll(model, zero_bucket);
  EXPECT_THAT(TextLabeler::Load(dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "bucket"));
  std::string huge_dim = good;
  put_i32(huge_dim, 8, 1 << 30);
  WriteAll(model, huge_dim);
  EXPECT_THAT(TextLabeler::Load(dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "dim"));
  // A NaN in the output matrix (the file's last floats) would give NaN
  // probabilities, and every labelled item would be dropped (fail closed).
  std::string nan = good;
  const float q = std::nanf("");
  std::memcpy(&nan[nan.size() - 4], &q, 4);
  WriteAll(model, nan);
  EXPECT_THAT(TextLabeler::Load(dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "not finite"));
}

// ---------------------------------------------------------------------------
// Edited manifests.

class ManifestEditTest : public HardeningTrainTest {
 protected:
  void SetUp() override {
    HardeningTrainTest::SetUp();
    dir_ = TrainClickbait();
    manifest_ = ReadAll(dir_ + "/labeler.textproto");
  }
  // The manifest with `from` (which must occur) replaced by `to`.
  absl::Status LoadWith(const std::string& from, const std::string& to) {
    const size_t at = manifest_.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    std::string edited = manifest_;
    if (at != std::string::npos) edited.replace(at, from.size(), to);
    WriteAll(dir_ + "/labeler.textproto", edited);
    absl::Status s = LabelerSet::Load(models_).status();
    WriteAll(dir_ + "/labeler.textproto", manifest_);
    return s;
  }
  // The manifest with the rest of the line starting at `prefix` replaced.
  absl::Status LoadWithLine(const std::string& prefix, const std::string& rest) {
    const size_t at = manifest_.find(prefix);
    EXPECT_NE(at, std::string::npos) << prefix;
    if (at == std::string::npos) return absl::OkStatus();
    const size_t end = manifest_.find('\n', at + prefix.size());
    return LoadWith(manifest_.substr(at, end - at), prefix + rest);
  }
  std::string dir_, manifest_;
};

TEST_F(ManifestEditTest, ValuesOutsideTheirRangeAreRefused) {
  EXPECT_THAT(LoadWithLine("platt {\n  a: ", "nan"),
              StatusIs(absl::StatusCode::kInvalidArgument, "platt"));
  EXPECT_THAT(LoadWith("emit_threshold: 0.05", "emit_threshold: -1"),
              StatusIs(absl::StatusCode::kInvalidArgument, "emit_threshold"));
  EXPECT_THAT(LoadWith("decision_weight: 1\n", "decision_weight: inf\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "decision_weight"));
  EXPECT_THAT(LoadWith("language: \"en\"", "language: \"fr\""),
              StatusIs(absl::StatusCode::kInvalidArgument, "language 'fr'"));
  EXPECT_OK(LabelerSet::Load(models_).status());
}

TEST_F(ManifestEditTest, ClassesMustBeTheModelsLabelsEachWithItsOwnLabel) {
  // A class the model has no output for.
  EXPECT_THAT(
      LoadWith("class {\n  name: \"not_clickbait\"\n}\n",
               "class {\n  name: \"not_clickbait\"\n}\nclass {\n  name: \"extra\"\n  label: "
               "\"bad.vulgar\"\n}\nplatt {\n  a: -1\n}\ndecision_weight: 1\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, "'extra'"));
  // Both classes emitting one label: every text would carry it.
  EXPECT_THAT(LoadWith("class {\n  name: \"not_clickbait\"\n}\n",
                       "class {\n  name: \"not_clickbait\"\n  label: \"bad.clickbait\"\n}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "bad.clickbait"));
}

TEST_F(ManifestEditTest, NameAndVersionMustMatchTheFolderAndCurrent) {
  EXPECT_THAT(LoadWith("name: \"clickbait_en\"\nversion", "name: \"evil name@x\"\nversion"),
              StatusIs(absl::StatusCode::kInvalidArgument, "clickbait_en"));
  EXPECT_THAT(LoadWith("version: \"", "version: \"0"),
              StatusIs(absl::StatusCode::kInvalidArgument, "CURRENT"));
}

TEST_F(ManifestEditTest, SyntaxErrorNamesTheLine) {
  EXPECT_THAT(LoadWith("emit_threshold", "garbage {{ emit_threshold"),
              StatusIs(absl::StatusCode::kInvalidArgument, "no field named \"garbage\""));
}

TEST_F(HardeningTrainTest, CurrentMustNameAVersionFolder) {
  TrainClickbait();
  const std::string current = models_ + "/clickbait_en/CURRENT";
  for (const char* bad : {"..\n", ".\n", "../clickbait_en/x\n", "\n", "a b\n"}) {
    WriteAll(current, bad);
    EXPECT_THAT(LabelerSet::Load(models_).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, "CURRENT"))
        << bad;
  }
  WriteAll(current, "0123456789ab\n");
  EXPECT_THAT(LabelerSet::Load(models_).status(),
              StatusIs(absl::StatusCode::kNotFound, "0123456789ab"));
}

TEST_F(HardeningTrainTest, TwoFoldersHoldingOneLabelerAreRefused) {
  const std::string dir = TrainClickbait();
  fs::create_directories(models_ + "/copy");
  fs::copy(dir, models_ + "/copy/" + fs::path(dir).filename().string());
  WriteAll(models_ + "/copy/CURRENT", fs::path(dir).filename().string() + "\n");
  EXPECT_THAT(LabelerSet::Load(models_).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "copy"));
}

TEST_F(HardeningTrainTest, LabelsOutsideTheTaxonomyAreFoundBeforeAnyItemIsLabelled) {
  TrainClickbait();
  ASSERT_OK_AND_ASSIGN(auto set, LabelerSet::Load(models_));
  EXPECT_OK(CheckLabelerLabels(*set, {"bad.clickbait", "bad.vulgar"}));
  EXPECT_THAT(CheckLabelerLabels(*set, {"bad.vulgar"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "clickbait_en emits 'bad.clickbait'"));
}

// ---------------------------------------------------------------------------
// Configs.

TEST_F(HardeningTrainTest, ConfigWithTwoClassesOnOneLabelOrADataPathIsRefused) {
  const std::string path = models_ + "/bad.textproto";
  WriteAll(path, absl::StrReplaceAll(FixtureLabelerConfigs(),
                                     {{"class { name: \"not_clickbait\" }",
                                       "class { name: \"not_clickbait\" label: "
                                       "\"bad.clickbait\" }"}}));
  EXPECT_THAT(LoadLabelerConfigs(path, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "'clickbait' and 'not_clickbait' both map to 'bad.clickbait'"));
  WriteAll(path, absl::StrReplaceAll(FixtureLabelerConfigs(),
                                     {{"data_dir: \"clickbait\"", "data_dir: \"/etc\""}}));
  EXPECT_THAT(LoadLabelerConfigs(path, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "data_dir"));
}

// ---------------------------------------------------------------------------
// Trainers racing on one models directory.

TEST_F(HardeningTrainTest, ConcurrentTrainersOfOneVersionAllSucceed) {
  const auto config = ConfigNamed("clickbait_en");
  std::vector<absl::Status> results(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] { results[i] = TrainLabeler(config, Options()).status(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : results) EXPECT_OK(s);
  EXPECT_OK(LabelerSet::Load(models_).status());
  // Nothing temporary is left behind.
  for (const auto& e : fs::directory_iterator(models_ + "/clickbait_en")) {
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
  }
}

TEST_F(HardeningTrainTest, ForcedRetrainNeverHidesTheCurrentModelFromReaders) {
  TrainClickbait();
  TrainOptions forced = Options();
  forced.force = true;
  std::atomic<bool> done{false};
  std::thread trainer([&] {
    for (int i = 0; i < 6; ++i) EXPECT_OK(TrainLabeler(ConfigNamed("clickbait_en"), forced).status());
    done = true;
  });
  int loads = 0;
  while (!done.load()) {
    absl::Status s = LabelerSet::Load(models_).status();
    if (!s.ok()) {
      ADD_FAILURE() << s << " after " << loads << " loads";
      break;
    }
    ++loads;
  }
  trainer.join();
  EXPECT_GT(loads, 0);
}

}  // namespace
}  // namespace feedgov
