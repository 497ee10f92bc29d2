// Training, caching, loading and routing of labelers on the seeded fixture
// (fixture.h): the whole pipeline from data folder to labels with
// provenance, deterministic.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/labeler/fixture.h"
#include "engine/labeler/labeler_set.h"
#include "engine/labeler/trainer.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

namespace fs = std::filesystem;

feedgov::v1::LabelerConfigs Configs() {
  feedgov::v1::LabelerConfigs c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(FixtureLabelerConfigs(), &c));
  return c;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LabelerTrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = testing::MakeTempDir("labeler_data");
    models_ = testing::MakeTempDir("labeler_models");
    ASSERT_OK(WriteLabelerFixtures(data_, FixtureOptions{}));
  }
  TrainOptions Options() const {
    TrainOptions o;
    o.data_root = data_;
    o.models_dir = models_;
    return o;
  }
  std::string data_, models_;
};

TEST_F(LabelerTrainTest, EveryFormatTrainsCalibratesAndValidatesOnItsOwnParts) {
  FixtureOptions big;
  big.rows_per_class = 1500;  // ECE over ~500 validate rows is not noise.
  ASSERT_OK(WriteLabelerFixtures(data_, big));
  const feedgov::v1::LabelerConfigs configs = Configs();
  for (const auto& c : configs.labeler()) {
    ASSERT_OK_AND_ASSIGN(TrainResult r, TrainLabeler(c, Options()));
    const auto& m = r.manifest;
    EXPECT_FALSE(r.cached);
    // 5% of fixture labels are flipped: a working pipeline is right on
    // nearly every other row, and its probabilities are calibrated.
    EXPECT_GE(m.validation().accuracy(), 0.88) << c.name();
    EXPECT_LE(m.validation().ece(), 0.05) << c.name();
    EXPECT_GT(m.validation().roc_auc(), 0.9) << c.name();
    EXPECT_EQ(m.train_rows() + m.calibrate_rows() + m.validate_rows(),
              1500 * c.class__size()) << c.name();
    EXPECT_EQ(m.validation().n(), m.validate_rows());
    EXPECT_TRUE(fs::exists(fs::path(r.dir) / "eval.json"));
    EXPECT_EQ(ReadAll((fs::path(models_) / c.name() / "CURRENT").string()), m.version() + "\n");
  }
}

TEST_F(LabelerTrainTest, SameDataConfigAndCodeGiveTheSameModelAndReuseIt) {
  const feedgov::v1::LabelerConfig c = Configs().labeler(0);
  ASSERT_OK_AND_ASSIGN(TrainResult first, TrainLabeler(c, Options()));
  const std::string bytes = ReadAll(first.dir + "/model.bin");
  ASSERT_OK_AND_ASSIGN(TrainResult again, TrainLabeler(c, Options()));
  EXPECT_TRUE(again.cached);
  EXPECT_EQ(again.dir, first.dir);
  TrainOptions forced = Options();
  forced.force = true;
  ASSERT_OK_AND_ASSIGN(TrainResult retrained, TrainLabeler(c, forced));
  EXPECT_FALSE(retrained.cached);
  EXPECT_EQ(ReadAll(retrained.dir + "/model.bin"), bytes);  // Deterministic.
  // Other data: another version beside the first, which becomes CURRENT.
  FixtureOptions other;
  other.seed = 99;
  ASSERT_OK(WriteLabelerFixtures(data_, other));
  ASSERT_OK_AND_ASSIGN(TrainResult v2, TrainLabeler(c, Options()));
  EXPECT_NE(v2.manifest.version(), first.manifest.version());
  EXPECT_TRUE(fs::exists(first.dir));
  ASSERT_OK_AND_ASSIGN(auto set, LabelerSet::Load(models_));
  EXPECT_EQ(set->Find(c.name())->version(), v2.manifest.version());
}

TEST_F(LabelerTrainTest, LabelsCarryProvenanceAndGoOnlyToTheTextsLanguage) {
  const feedgov::v1::LabelerConfigs configs = Configs();
  for (const auto& c : configs.labeler()) ASSERT_OK(TrainLabeler(c, Options()).status());
  ASSERT_OK_AND_ASSIGN(auto set, LabelerSet::Load(models_));
  ASSERT_EQ(set->labelers().size(), 4u);
  const UnixSeconds now = 1700000000;
  LabelingResult en = set->LabelText("21 Celebrities You Won't Believe Exist", now);
  EXPECT_EQ(en.language.code, "en");
  ASSERT_EQ(en.labelers.size(), 2u);
  for (const auto* l : en.labelers) EXPECT_EQ(l->language(), "en");
  const Label* cb = nullptr;
  for (const auto& l : en.labels) {
    if (l.name == "bad.clickbait") cb = &l;
  }
  ASSERT_NE(cb, nullptr);
  EXPECT_GT(cb->confidence, 0.8f);
  EXPECT_EQ(cb->source, LabelSource::kModel);
  EXPECT_EQ(cb->time, now);
  EXPECT_EQ(cb->origin, absl::StrCat("labeler:clickbait_en@", set->Find("clickbait_en")->version()));
  EXPECT_GE(cb->score, 0.0f);
  EXPECT_LE(cb->score, 1.0f);
  // The calibrated probability is the Platt map of the raw score.
  const TextLabeler* l = set->Find("clickbait_en");
  const auto q = l->Calibrate(l->RawProbabilities(LabelerTokens(
      "21 Celebrities You Won't Believe Exist", "en")));
  EXPECT_NEAR(cb->confidence, q[0], 1e-6);

  LabelingResult zh = set->LabelText("紧急扩散！成都发生爆炸，请转告家人", now);
  EXPECT_EQ(zh.language.code, "zh");
  ASSERT_EQ(zh.labelers.size(), 2u);
  bool rumor = false;
  for (const auto& x : zh.labels) rumor = rumor || (x.name == "illegal.rumors" && x.confidence > 0.8f);
  EXPECT_TRUE(rumor);

  LabelingResult fr = set->LabelText("Le conseil municipal a voté le budget annuel", now);
  EXPECT_EQ(fr.language.code, "");
  EXPECT_TRUE(fr.labelers.empty());
  EXPECT_TRUE(fr.labels.empty());
  // A forced route reads the text as that language.
  EXPECT_EQ(set->LabelText("Le conseil", now, "en").labelers.size(), 2u);
}

TEST_F(LabelerTrainTest, VectorizedForwardPassMatchesFastTextsPredict) {
  const feedgov::v1::LabelerConfigs configs = Configs();
  for (const auto& c : configs.labeler()) ASSERT_OK(TrainLabeler(c, Options()).status());
  ASSERT_OK_AND_ASSIGN(auto set, LabelerSet::Load(models_));
  const std::vector<std::string> texts = {
      "21 Celebrities You Won't Believe Exist", "Senate approves budget in Ohio",
      "shut up you clown lol", "紧急扩散！成都发生爆炸", "北京今天举行运动会",
      "", "unseen words only zzqx", "@someone http://x.y 123"};
  for (const auto& l : set->labelers()) {
    for (const auto& t : texts) {
      const std::string tokens = LabelerTokens(t, l->language());
      const std::vector<double> fast = l->RawProbabilities(tokens);
      const std::vector<double> ref = l->RawProbabilitiesReference(tokens);
      ASSERT_EQ(fast.size(), ref.size());
      double sum = 0;
      for (size_t c = 0; c < fast.size(); ++c) {
        EXPECT_NEAR(fast[c], ref[c], 1e-5) << l->name() << " '" << t << "' class " << c;
        sum += fast[c];
      }
      EXPECT_NEAR(sum, 1.0, 1e-9);
    }
  }
}

TEST_F(LabelerTrainTest, ConfigErrorsNameTheLineAndTheField) {
  const std::string path = models_ + "/bad.textproto";
  std::ofstream(path) << "labeler {\n  name: \"x\"\n  language: \"fr\"\n}\n";
  EXPECT_THAT(LoadLabelerConfigs(path, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "bad.textproto:1: language 'fr'"));
  std::ofstream(path) << FixtureLabelerConfigs() << "labeler { name: \"clickbait_en\" }\n";
  EXPECT_THAT(LoadLabelerConfigs(path, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "language ''"));
  std::string wrong_label = FixtureLabelerConfigs();
  wrong_label.replace(wrong_label.find("bad.clickbait"), 13, "bad.clickbai");
  std::ofstream(path) << wrong_label;
  EXPECT_THAT(LoadLabelerConfigs(path, {"bad.clickbait"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a taxonomy label"));
  EXPECT_OK(LoadLabelerConfigs(testing::SourceDir() + "/models/labelers.textproto", {}).status());
}

TEST_F(LabelerTrainTest, MissingModelsSayHowToTrain) {
  EXPECT_THAT(LabelerSet::Load(models_ + "/none").status(),
              StatusIs(absl::StatusCode::kNotFound, "feedgov labeler train"));
}

TEST_F(LabelerTrainTest, EvalJsonHasTheDocumentedKeys) {
  const feedgov::v1::LabelerConfigs configs = Configs();
  ASSERT_OK_AND_ASSIGN(TrainResult r, TrainLabeler(configs.labeler(1), Options()));
  const std::string json = EvalResultJson(r.manifest.validation());
  for (const char* key : {"\"accuracy\": ", "\"macro_f1\": ", "\"roc_auc\": ", "\"ece\": ",
                          "\"classes\": [", "\"name\": \"hate\"", "\"f1\": "}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
  }
}

}  // namespace
}  // namespace feedgov
