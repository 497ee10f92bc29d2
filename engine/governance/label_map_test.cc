// The MovieLens label map on real movies (shared data, read in place).
#include "engine/governance/label_map.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

struct Movie {
  std::vector<std::string> genres;
  std::set<std::string> tags;
};

// Splits one CSV line, honouring double quotes.
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::map<int64_t, Movie> ReadMovies() {
  const std::string dir = ::feedgov::testing::DataDir("movielens_latest_small");
  std::map<int64_t, Movie> movies;
  std::ifstream m(dir + "/movies.csv");
  std::string line;
  std::getline(m, line);
  while (std::getline(m, line)) {
    auto f = SplitCsv(line);
    if (f.size() < 3) continue;
    movies[std::stoll(f[0])].genres = absl::StrSplit(f[2], '|');
  }
  std::ifstream t(dir + "/tags.csv");
  std::getline(t, line);
  while (std::getline(t, line)) {
    auto f = SplitCsv(line);
    if (f.size() < 4) continue;
    std::string tag(absl::StripAsciiWhitespace(absl::AsciiStrToLower(f[2])));
    movies[std::stoll(f[1])].tags.insert(tag);
  }
  return movies;
}

class MovieLensLabelMap : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = ::feedgov::testing::SourceDir() + "/policies/";
    auto tax = Taxonomy::Load(dir + "labels.textproto");
    ASSERT_OK(tax);
    taxonomy_ = new Taxonomy(*tax);
    auto map = LoadLabelMap(dir + "labelmaps/movielens.textproto", *tax);
    ASSERT_OK(map);
    map_ = new LabelMap(*std::move(map));
    movies_ = new std::map<int64_t, Movie>(ReadMovies());
  }
  static std::map<std::string, float> LabelsOf(int64_t id) {
    const Movie& m = movies_->at(id);
    std::vector<std::string> tags(m.tags.begin(), m.tags.end());
    std::map<std::string, float> out;
    for (const Label& l : MapLabels(*map_, m.genres, tags, 1234)) {
      EXPECT_EQ(l.source, LabelSource::kMapping);
      EXPECT_EQ(l.origin, "label_map:movielens");  // The map's id.
      EXPECT_EQ(l.time, 1234);
      out[l.name] = l.confidence;
    }
    return out;
  }
  static Taxonomy* taxonomy_;
  static LabelMap* map_;
  static std::map<int64_t, Movie>* movies_;
};
Taxonomy* MovieLensLabelMap::taxonomy_ = nullptr;
LabelMap* MovieLensLabelMap::map_ = nullptr;
std::map<int64_t, Movie>* MovieLensLabelMap::movies_ = nullptr;

TEST_F(MovieLensLabelMap, HorrorMovieGetsGoreHorror) {
  // 1258: The Shining (1980), genre Horror.
  auto labels = LabelsOf(1258);
  ASSERT_TRUE(labels.contains("bad.gore_horror"));
  EXPECT_GE(labels["bad.gore_horror"], 0.6f);
}

TEST_F(MovieLensLabelMap, DocumentaryGetsPositiveBelowTheQuotaThreshold) {
  // 77: Nico Icon (1995), genre Documentary, no tags mapping to bad labels.
  // Genre alone is weak evidence: 0.4 < cn-ecology positive_threshold 0.5,
  // so the quota never forces an unreviewed documentary into a key slot.
  auto labels = LabelsOf(77);
  EXPECT_EQ(labels, (std::map<std::string, float>{
                        {"positive.taste_responsibility", 0.4f}}));
}

TEST_F(MovieLensLabelMap, DrugTagGetsMinorUnsafeImitation) {
  // 147: The Basketball Diaries (1995), tagged "heroin" in tags.csv.
  ASSERT_TRUE(movies_->at(147).tags.contains("heroin"));
  EXPECT_FLOAT_EQ(LabelsOf(147).at("bad.minor_unsafe_imitation"), 0.7f);
}

TEST_F(MovieLensLabelMap, ToyStoryGetsNoBadLabel) {
  for (const auto& [name, conf] : LabelsOf(1)) {
    EXPECT_NE(taxonomy_->Find(name)->label_class, LabelClass::kBad) << name;
  }
}

TEST_F(MovieLensLabelMap, EveryGenreAndTagHitMatchesBruteForceMaximum) {
  // Oracle: recompute max confidence per label from the map's raw buckets.
  int horror = 0, documentary = 0;
  for (const auto& [id, m] : *movies_) {
    std::map<std::string, float> expected;
    for (const std::string& g : m.genres) {
      auto it = map_->by_genre.find(absl::AsciiStrToLower(g));
      if (it == map_->by_genre.end()) continue;
      for (const auto& [n, c] : it->second) expected[n] = std::max(expected[n], c);
    }
    for (const std::string& t : m.tags) {
      auto it = map_->by_tag.find(t);
      if (it == map_->by_tag.end()) continue;
      for (const auto& [n, c] : it->second) expected[n] = std::max(expected[n], c);
    }
    ASSERT_EQ(LabelsOf(id), expected) << id;
    for (const std::string& g : m.genres) {
      if (g == "Horror") {
        ++horror;
        EXPECT_TRUE(expected.contains("bad.gore_horror")) << id;
      }
      if (g == "Documentary") {
        ++documentary;
        EXPECT_TRUE(expected.contains("positive.taste_responsibility")) << id;
      }
    }
  }
  EXPECT_EQ(horror, 978);  // Genre counts of movies.csv.
  EXPECT_EQ(documentary, 440);
}

TEST_F(MovieLensLabelMap, EveryMappedTagOccursInTheData) {
  std::set<std::string> all_tags;
  for (const auto& [id, m] : *movies_) all_tags.insert(m.tags.begin(), m.tags.end());
  for (const auto& [tag, hits] : map_->by_tag) {
    EXPECT_TRUE(all_tags.contains(tag)) << tag;
  }
}

TEST(LabelMapErrors, UnknownLabelNamesFileAndLine) {
  const std::string dir = ::feedgov::testing::SourceDir() + "/policies/";
  auto tax = Taxonomy::Load(dir + "labels.textproto");
  ASSERT_OK(tax);
  EXPECT_THAT(ParseLabelMap("m.textproto",
                            "id: \"m\"\n"
                            "entry { genre: \"Horror\" label: \"bad.gore_horror\" "
                            "confidence: 0.6 }\n"
                            "entry { tag: \"gore\"\n label: \"bad.splatter\" "
                            "confidence: 0.6 }\n",
                            *tax),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.textproto:4: entry 2: label 'bad.splatter' is not in "
                       "the taxonomy"));
  EXPECT_THAT(ParseLabelMap("m.textproto",
                            "id: \"m\"\nentry { tag: \"Gore\" label: "
                            "\"bad.gore_horror\" confidence: 0.6 }\n",
                            *tax),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.textproto:2: entry 1: tag 'Gore' is not normalized"));
  // Found by fuzz/label_map_fuzzer.cc: lower-case and trimmed, but with a
  // whitespace run inside, which no item tag (CanonicalTag) can equal.
  for (const char* tag : {"bloody  gore", "bloody\tgore"}) {
    EXPECT_THAT(
        ParseLabelMap("m.textproto",
                      absl::StrCat("id: \"m\"\nentry { tag: \"", tag,
                                   "\" label: \"bad.gore_horror\" "
                                   "confidence: 0.6 }\n"),
                      *tax),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 "not normalized (lower-case, trimmed, inner whitespace one "
                 "space: 'bloody gore')"))
        << tag;
  }
  EXPECT_THAT(ParseLabelMap("m.textproto",
                            "id: \"m\"\nentry { tag: \"gore\" label: "
                            "\"bad.gore_horror\" confidence: 1.2 }\n",
                            *tax),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "entry 1: confidence 1.2 outside (0, 1]"));
}

}  // namespace
}  // namespace feedgov
