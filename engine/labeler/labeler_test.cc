// Unit tests of the labeler building blocks against reference
// implementations and hand-computed values.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/labeler/calibration.h"
#include "engine/labeler/dataset.h"
#include "engine/labeler/metrics.h"
#include "engine/labeler/text.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {


// The Platt objective (negative log-likelihood with Platt's targets), the
// reference the fitted parameters must minimize.
double PlattObjective(const std::vector<double>& s, const std::vector<bool>& y, double a,
                      double b) {
  double n1 = 0;
  for (bool v : y) n1 += v;
  const double n0 = y.size() - n1;
  const double hi = (n1 + 1) / (n1 + 2), lo = 1 / (n0 + 2);
  double f = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const double p = 1 / (1 + std::exp(a * s[i] + b));
    const double t = y[i] ? hi : lo;
    f -= t * std::log(p) + (1 - t) * std::log(1 - p);
  }
  return f;
}

std::unique_ptr<bool[]> Bools(const std::vector<bool>& v) {
  std::unique_ptr<bool[]> b(new bool[v.size()]);
  for (size_t i = 0; i < v.size(); ++i) b[i] = v[i];
  return b;
}

TEST(PlattTest, RecoversTheGeneratingLogisticAndMinimizesTheObjective) {
  // Scores drawn uniformly in [-4, 4]; outcome ~ Bernoulli(1/(1+exp(-2 s + 0.5))).
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-4, 4);
  std::vector<double> s;
  std::vector<bool> y;
  for (int i = 0; i < 20000; ++i) {
    const double x = u(rng);
    s.push_back(x);
    y.push_back(std::uniform_real_distribution<double>(0, 1)(rng) <
                1 / (1 + std::exp(-2 * x + 0.5)));
  }
  auto yb = Bools(y);
  ASSERT_OK_AND_ASSIGN(PlattScaling fit, FitPlatt(s, absl::MakeConstSpan(yb.get(), y.size())));
  EXPECT_NEAR(fit.a, -2.0, 0.1);
  EXPECT_NEAR(fit.b, 0.5, 0.1);
  // Brute-force reference: no point of a fine grid around the fit is lower.
  const double at_fit = PlattObjective(s, y, fit.a, fit.b);
  for (double da = -0.05; da <= 0.05; da += 0.01) {
    for (double db = -0.05; db <= 0.05; db += 0.01) {
      EXPECT_LE(at_fit, PlattObjective(s, y, fit.a + da, fit.b + db) + 1e-6);
    }
  }
}

TEST(PlattTest, HandComputedSeparableCaseStaysFinite) {
  // Perfectly separable data: Platt's smoothed targets keep a finite fit.
  std::vector<double> s = {-2, -1, 1, 2};
  std::vector<bool> y = {false, false, true, true};
  auto yb = Bools(y);
  ASSERT_OK_AND_ASSIGN(PlattScaling fit, FitPlatt(s, absl::MakeConstSpan(yb.get(), 4)));
  EXPECT_TRUE(std::isfinite(fit.a) && std::isfinite(fit.b));
  EXPECT_LT(fit.a, 0);
  // Targets are 3/4 and 1/4: the symmetric optimum puts p(0) at 1/2 (b = 0).
  EXPECT_NEAR(fit.b, 0.0, 1e-6);
  EXPECT_GT(fit.Apply(2), 0.7);
  EXPECT_LT(fit.Apply(-2), 0.3);
}

TEST(PlattTest, RefusesBadInput) {
  std::vector<double> s = {0, 1};
  bool one_class[] = {true, true};
  EXPECT_THAT(FitPlatt(s, one_class).status(), StatusIs(absl::StatusCode::kInvalidArgument, ""));
  std::vector<double> nan = {0, std::nan("")};
  bool two[] = {true, false};
  EXPECT_THAT(FitPlatt(nan, two).status(), StatusIs(absl::StatusCode::kInvalidArgument, ""));
  bool three[] = {true, false, true};
  EXPECT_THAT(FitPlatt(s, three).status(), StatusIs(absl::StatusCode::kInvalidArgument, ""));
}

TEST(PlattTest, ApplyIsStableAtExtremes) {
  PlattScaling p{-1, 0};
  EXPECT_DOUBLE_EQ(p.Apply(0), 0.5);
  EXPECT_NEAR(p.Apply(1000), 1.0, 1e-12);
  EXPECT_NEAR(p.Apply(-1000), 0.0, 1e-12);
  EXPECT_TRUE(std::isfinite(Logit(0.0)) && std::isfinite(Logit(1.0)));
}

TEST(EceTest, HandComputedEqualMassBins) {
  // 4 examples, 2 bins of 2 (sorted by p): {0.1, 0.3} with outcomes {0, 1}
  // -> |0.2 - 0.5| = 0.3; {0.6, 0.8} with {1, 1} -> |0.7 - 1| = 0.3.
  // ECE = 0.5 * 0.3 + 0.5 * 0.3 = 0.3.
  std::vector<double> p = {0.8, 0.1, 0.6, 0.3};
  bool y[] = {true, false, true, true};
  EXPECT_NEAR(ExpectedCalibrationError(p, y, 2), 0.3, 1e-12);
  // One bin: |mean p - mean y| = |0.45 - 0.75|.
  EXPECT_NEAR(ExpectedCalibrationError(p, y, 1), 0.3, 1e-12);
  EXPECT_EQ(ExpectedCalibrationError({}, {}, 10), 0.0);
}

TEST(EceTest, PerfectlyCalibratedProbabilitiesHaveSmallEce) {
  std::mt19937_64 rng(5);
  std::vector<double> p;
  std::vector<bool> y;
  for (int i = 0; i < 50000; ++i) {
    const double q = std::uniform_real_distribution<double>(0, 1)(rng);
    p.push_back(q);
    y.push_back(std::uniform_real_distribution<double>(0, 1)(rng) < q);
  }
  auto yb = Bools(y);
  EXPECT_LT(ExpectedCalibrationError(p, absl::MakeConstSpan(yb.get(), y.size())), 0.01);
  // Overconfident by squaring the odds: clearly miscalibrated.
  std::vector<double> over;
  for (double q : p) over.push_back(q * q / (q * q + (1 - q) * (1 - q)));
  EXPECT_GT(ExpectedCalibrationError(over, absl::MakeConstSpan(yb.get(), y.size())), 0.05);
}

TEST(RocAucTest, MatchesPairCountingReferenceWithTies) {
  std::mt19937_64 rng(9);
  std::vector<double> s;
  std::vector<bool> y;
  for (int i = 0; i < 400; ++i) {
    s.push_back(static_cast<double>(rng() % 20));  // Many ties.
    y.push_back(rng() % 3 == 0);
  }
  double pairs = 0, wins = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    for (size_t j = 0; j < s.size(); ++j) {
      if (y[i] && !y[j]) {
        pairs += 1;
        wins += s[i] > s[j] ? 1 : (s[i] == s[j] ? 0.5 : 0);
      }
    }
  }
  auto yb = Bools(y);
  EXPECT_NEAR(RocAuc(s, absl::MakeConstSpan(yb.get(), y.size())), wins / pairs, 1e-12);
}

TEST(ThresholdTest, HandComputed) {
  // Positives at 0.9, 0.8, 0.4, 0.2; negatives at 0.7, 0.3, 0.1.
  std::vector<double> s = {0.9, 0.8, 0.4, 0.2, 0.7, 0.3, 0.1};
  bool y[] = {true, true, true, true, false, false, false};
  // Recall >= 0.75 needs 3 of 4 positives: threshold 0.4.
  EXPECT_DOUBLE_EQ(HighRecallThreshold(s, y, 0.75), 0.4);
  EXPECT_DOUBLE_EQ(HighRecallThreshold(s, y, 1.0), 0.2);
  // Precision >= 0.99: only {0.9, 0.8} (2/2); at 0.7 it is 2/3.
  EXPECT_DOUBLE_EQ(HighPrecisionThreshold(s, y, 0.99), 0.8);
  // Precision >= 0.6: at 0.4, 3/4 = 0.75; at 0.3, 3/5 = 0.6; at 0.2, 4/6.
  EXPECT_DOUBLE_EQ(HighPrecisionThreshold(s, y, 0.6), 0.2);
  // No threshold reaches the target: NaN ("none"), never a made-up 1.0.
  std::vector<double> inverted = {0.9, 0.1};
  bool pos_low[] = {false, true};
  EXPECT_TRUE(std::isnan(HighPrecisionThreshold(inverted, pos_low, 0.99)));
}

TEST(BootstrapTest, IntervalBracketsTheMeanAndIsDeterministic) {
  std::vector<double> v;
  for (int i = 0; i < 1000; ++i) v.push_back(i % 2);
  auto mean = [&](absl::Span<const int64_t> idx) {
    double s = 0;
    for (int64_t i : idx) s += v[i];
    return s / idx.size();
  };
  Interval a = BootstrapInterval(1000, mean, 500, 1);
  Interval b = BootstrapInterval(1000, mean, 500, 1);
  EXPECT_EQ(a.low, b.low);
  EXPECT_LT(a.low, 0.5);
  EXPECT_GT(a.high, 0.5);
  // Normal approximation: 1.96 * sqrt(0.25 / 1000) = 0.031.
  EXPECT_NEAR(a.high - a.low, 0.062, 0.015);
}

TEST(LanguageTest, RoutesEnglishChineseAndNothingElse) {
  EXPECT_EQ(DetectLanguage("You Won't Believe What This Cat Did Next").code, "en");
  EXPECT_EQ(DetectLanguage("Senate approves the budget after a long debate").code, "en");
  EXPECT_EQ(DetectLanguage("说这些。四川人是不是只有喝西北风才健康啊").code, "zh");
  EXPECT_EQ(DetectLanguage("【网友爆料】9月10日下午1点48分 http://t.cn/abc").code, "zh");
  EXPECT_EQ(DetectLanguage("Le gouvernement a présenté son budget pour l'année prochaine").code, "");
  EXPECT_EQ(DetectLanguage("Die Regierung hat heute den neuen Haushalt vorgestellt").code, "");
  EXPECT_EQ(DetectLanguage("これは日本語の文章です").code, "");
  EXPECT_EQ(DetectLanguage("한국어 문장입니다").code, "");
  EXPECT_EQ(DetectLanguage("").code, "");
  EXPECT_EQ(DetectLanguage("12345 !!!").code, "");
  // Invalid UTF-8 never crashes and is not Chinese.
  EXPECT_NE(DetectLanguage("\xff\xfe\xc3").code, "zh");
}

TEST(TokensTest, EnglishNormalization) {
  EXPECT_EQ(LabelerTokens("RT @bob: 21 Cats &amp; Dogs!! http://t.co/x", "en"),
            "rt <user> : <num> cats & dogs ! ! <url>");
  EXPECT_EQ(LabelerTokens("Don't MP3s", "en"), "don't mp3s");
}

TEST(TokensTest, ChineseCharactersAndNormalizedRuns) {
  EXPECT_EQ(LabelerTokens("四川人 ABC，9月 @杂谈五味 http://t.cn/zj", "zh"),
            "四 川 人 abc ， <num> 月 <user> <url>");
}

TEST(TokensTest, LongTextIsClippedAtACharacterBoundary) {
  std::string t;
  while (t.size() < kMaxLabelerTextBytes + 10) t += "好";
  const std::string tokens = LabelerTokens(t, "zh");
  EXPECT_LE(tokens.size(), kMaxLabelerTextBytes / 3 * 4);
  EXPECT_EQ(tokens.substr(tokens.size() - 3), "好");
}

feedgov::v1::LabelerConfig Config(const std::string& text) {
  feedgov::v1::LabelerConfig c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c));
  return c;
}

TEST(DatasetTest, ReadsDavidsonAndNamesBadRowsByFileLineAndField) {
  const std::string dir = testing::MakeTempDir("davidson");
  feedgov::v1::LabelerConfig c = Config(R"pb(
    name: "d" format: LABELER_DATA_FORMAT_DAVIDSON_CSV
    class { name: "hate" label: "bad.group_discrimination" }
    class { name: "offensive" label: "bad.vulgar" } class { name: "neither" })pb");
  {
    std::ofstream out(dir + "/labeled_data.csv");
    out << ",count,hate_speech,offensive_language,neither,class,tweet\n"
        << "0,3,0,0,3,2,\"multi\nline\"\n"
        << "1,3,3,0,0,0,plain\n";
  }
  ASSERT_OK_AND_ASSIGN(auto rows, ReadLabeledFolder(c, dir));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].text, "multi\nline");
  EXPECT_EQ(rows[0].label, 2);
  EXPECT_EQ(rows[1].label, 0);
  EXPECT_EQ(rows[1].where, "labeled_data.csv:4");
  {
    std::ofstream out(dir + "/labeled_data.csv", std::ios::app);
    out << "2,3,0,0,3,7,bad class\n";
  }
  EXPECT_THAT(ReadLabeledFolder(c, dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "labeled_data.csv:5: field 'class' is '7'; expected one of 0, 1, 2"));
  EXPECT_THAT(ReadLabeledFolder(c, dir + "/missing").status(),
              StatusIs(absl::StatusCode::kNotFound, "labeled_data.csv"));
}

TEST(DatasetTest, WeiboTsvRejectsAnUnknownLabel) {
  const std::string dir = testing::MakeTempDir("weibo");
  feedgov::v1::LabelerConfig c = Config(R"pb(
    name: "w" format: LABELER_DATA_FORMAT_WEIBO_TSV
    class { name: "rumor" label: "illegal.rumors" } class { name: "non_rumor" })pb");
  std::ofstream(dir + "/weibo_ced_microblogs.tsv") << "idx\tlabel\ttext\n1\trumor\t谣言\n2\tmaybe\t不知道\n";
  EXPECT_THAT(ReadLabeledFolder(c, dir).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "weibo_ced_microblogs.tsv:3: field 'label' is 'maybe'"));
}

TEST(SplitTest, DisjointStratifiedSeededAndIdenticalTextsOnOneSide) {
  std::vector<LabeledText> rows;
  for (int i = 0; i < 1000; ++i) {
    rows.push_back({absl::StrCat("text ", i % 800), i % 800 < 200 ? 0 : 1, ""});
  }
  DataParts a = SplitRows(rows, 2, 0.7, 0.15, 42);
  DataParts b = SplitRows(rows, 2, 0.7, 0.15, 42);
  DataParts c = SplitRows(rows, 2, 0.7, 0.15, 43);
  EXPECT_EQ(a.train.size() + a.calibrate.size() + a.validate.size(), 1000u);
  auto texts = [](const std::vector<LabeledText>& p) {
    std::set<std::string> s;
    for (const auto& r : p) s.insert(r.text);
    return s;
  };
  const auto tr = texts(a.train), ca = texts(a.calibrate), va = texts(a.validate);
  for (const auto& t : ca) EXPECT_FALSE(tr.count(t)) << t;
  for (const auto& t : va) EXPECT_FALSE(tr.count(t) || ca.count(t)) << t;
  // 200 distinct class-0 texts, 600 class-1: 70/15/15 of each.
  auto count = [](const std::set<std::string>& s, int cls) {
    int n = 0;
    for (const auto& t : s) n += (std::stoi(t.substr(5)) < 200) == (cls == 0);
    return n;
  };
  EXPECT_EQ(count(tr, 0), 140);
  EXPECT_EQ(count(tr, 1), 420);
  EXPECT_EQ(count(ca, 0), 30);
  EXPECT_EQ(count(va, 1), 90);
  EXPECT_EQ(texts(b.validate), va);
  EXPECT_NE(texts(c.validate), va);
}

}  // namespace
}  // namespace feedgov
