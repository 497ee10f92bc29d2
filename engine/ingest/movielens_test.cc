#include "engine/ingest/movielens.h"

#include "engine/common/tags.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Item* FindItem(const MovieLensData& data, ItemId id) {
  for (const Item& item : data.items) {
    if (item.id == id) return &item;
  }
  return nullptr;
}

// Reads the real data set once per process; every test asserts it loaded
// (so a missing data set fails each test, never skips it).
class MovieLensSmallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static const std::string* dir =
        new std::string(testing::DataDir("movielens_latest_small"));
    static const absl::StatusOr<MovieLensData>* data =
        new absl::StatusOr<MovieLensData>(ReadMovieLens(*dir, MovieLensOptions{}));
    ASSERT_OK(*data);
    dir_ = dir;
    data_ = &data->value();
  }
  const std::string* dir_ = nullptr;
  const MovieLensData* data_ = nullptr;
};

TEST_F(MovieLensSmallTest, CountsMatchTheDataSetReadme) {
  EXPECT_EQ(data_->items.size(), 9742u);
  EXPECT_EQ(data_->ratings.size(), 100836u);
  EXPECT_EQ(data_->tag_applications.size(), 3683u);
}

TEST_F(MovieLensSmallTest, ToyStoryMatchesStatisticsComputedFromRawLines) {
  // Oracle: scan ratings.csv as plain text (no quoting occurs in it).
  std::ifstream in(*dir_ + "/ratings.csv");
  std::string line;
  std::getline(in, line);  // Header.
  int count = 0;
  double sum = 0.0, popularity = 0.0;
  int64_t first = INT64_MAX, last = 0, max_time = 0;
  std::vector<std::pair<double, int64_t>> toy;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    int64_t t = std::stoll(f[3]);
    max_time = std::max(max_time, t);
    if (f[1] != "1") continue;
    ++count;
    sum += std::stod(f[2]);
    first = std::min(first, t);
    last = std::max(last, t);
    toy.emplace_back(std::stod(f[2]), t);
  }
  // tags.csv for movie 1: (336, pixar, 1139045764), (474, pixar, 1137206825),
  // (567, fun, 1525286013); the latest tag time in the file is 1537098603.
  max_time = std::max<int64_t>(max_time, 1537098603);
  first = std::min<int64_t>(first, 1137206825);
  last = std::max<int64_t>(last, 1525286013);
  for (const auto& [rating, t] : toy) {
    popularity += std::pow(0.5, (max_time - t) / 86400.0 / 365.0);
  }

  const Item* item = FindItem(*data_, 1);
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->title, "Toy Story (1995)");
  EXPECT_THAT(item->genres,
              ElementsAre("Adventure", "Animation", "Children", "Comedy", "Fantasy"));
  EXPECT_THAT(item->tags, ElementsAre("fun", "pixar"));
  EXPECT_EQ(count, 215);
  EXPECT_EQ(item->num_ratings, count);
  EXPECT_NEAR(item->mean_rating, sum / count, 1e-5);
  EXPECT_EQ(item->first_seen, first);
  EXPECT_EQ(item->last_interaction, last);
  EXPECT_EQ(data_->reference_time, max_time);
  EXPECT_NEAR(item->decayed_popularity, popularity, 1e-3);
}

TEST_F(MovieLensSmallTest, QuotedTitlesKeepCommasAndQuotes) {
  const Item* president = FindItem(*data_, 11);
  ASSERT_NE(president, nullptr);
  EXPECT_EQ(president->title, "American President, The (1995)");
  EXPECT_THAT(president->genres, ElementsAre("Comedy", "Drama", "Romance"));
  const Item* sept11 = FindItem(*data_, 7789);
  ASSERT_NE(sept11, nullptr);
  EXPECT_EQ(sept11->title, "11'09\"01 - September 11 (2002)");
}

TEST_F(MovieLensSmallTest, NoGenresListedBecomesEmptyAndEveryItemIsConsistent) {
  int no_genres = 0;
  int64_t ratings = 0;
  for (const Item& item : data_->items) {
    if (item.genres.empty()) ++no_genres;
    ratings += item.num_ratings;
    EXPECT_LE(item.first_seen, item.last_interaction) << item.id;
    EXPECT_LE(item.last_interaction, data_->reference_time) << item.id;
    EXPECT_TRUE(std::is_sorted(item.tags.begin(), item.tags.end())) << item.id;
  }
  EXPECT_EQ(ratings, 100836);
  // Oracle: grep -c '(no genres listed)' movies.csv == 34.
  EXPECT_EQ(no_genres, 34);
  // The quoted tag """artsy""" of user 567 on movie 4552 keeps its quotes.
  const Item* item = FindItem(*data_, 4552);
  ASSERT_NE(item, nullptr);
  EXPECT_THAT(item->tags, ::testing::Contains("\"artsy\""));
}

TEST(NormalizeTagTest, LowercasesTrimsAndCollapsesWhitespace) {
  EXPECT_EQ(CanonicalTag("  Highly \t  Quotable "), "highly quotable");
  EXPECT_EQ(CanonicalTag("   "), "");
  EXPECT_EQ(CanonicalTag("Pixar"), "pixar");
}

// ---------------------------------------------------------------- small files

class MovieLensFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("movielens_test");
    Write("movies.csv",
          "movieId,title,genres\n"
          "10,\"Alpha, The\",Horror|Drama\n"
          "20,Beta,(no genres listed)\n"
          "30,Gamma,Comedy\n");
    Write("ratings.csv",
          "userId,movieId,rating,timestamp\n"
          "1,10,4.0,1000\n"
          "2,10,2.0,87400\n"   // 1000 + one day.
          "1,20,5.0,500\n");
    Write("tags.csv",
          "userId,movieId,tag,timestamp\n"
          "1,10,  Scary  Movie,200\n"
          "2,10,scary movie,300\n");
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(MovieLensFilesTest, ComputesStatisticsByHand) {
  MovieLensOptions options;
  options.popularity_half_life_days = 1.0;
  ASSERT_OK_AND_ASSIGN(MovieLensData data, ReadMovieLens(dir_, options));
  ASSERT_EQ(data.items.size(), 3u);
  EXPECT_EQ(data.reference_time, 87400);
  const Item& alpha = data.items[0];
  EXPECT_EQ(alpha.title, "Alpha, The");
  EXPECT_THAT(alpha.tags, ElementsAre("scary movie"));
  EXPECT_EQ(alpha.first_seen, 200);  // A tag precedes the first rating.
  EXPECT_EQ(alpha.last_interaction, 87400);
  EXPECT_EQ(alpha.num_ratings, 2);
  EXPECT_FLOAT_EQ(alpha.mean_rating, 3.0f);
  // Ages 1 day and 0 days with a 1-day half-life: 0.5 + 1.
  EXPECT_FLOAT_EQ(alpha.decayed_popularity, 1.5f);
  const Item& beta = data.items[1];
  EXPECT_THAT(beta.genres, IsEmpty());
  EXPECT_FLOAT_EQ(beta.decayed_popularity,
                  static_cast<float>(std::pow(0.5, (87400 - 500) / 86400.0)));
  // Gamma was never rated or tagged: earliest time in the data, no stats.
  const Item& gamma = data.items[2];
  EXPECT_EQ(gamma.first_seen, 200);
  EXPECT_EQ(gamma.last_interaction, 0);
  EXPECT_EQ(gamma.num_ratings, 0);
  EXPECT_EQ(gamma.mean_rating, 0.0f);
  EXPECT_EQ(gamma.decayed_popularity, 0.0f);
  EXPECT_EQ(data.ratings[1].user, 2);
  EXPECT_EQ(data.ratings[1].item, 10);
  EXPECT_EQ(data.ratings[1].rating, 2.0f);
  EXPECT_EQ(data.ratings[1].time, 87400);
  EXPECT_EQ(data.tag_applications[0],
            (TagApplication{1, 10, "  Scary  Movie", 200}));
}

struct BadCase {
  std::string file;
  std::string text;
  std::string message;
};

TEST_F(MovieLensFilesTest, MalformedLinesNameFileLineAndField) {
  const BadCase cases[] = {
      {"ratings.csv", "userId,movieId,rating,timestamp\n1,10,4.0,1\n1,10,7.5,2\n",
       "ratings.csv:3: field 'rating': '7.5' outside [0.5, 5.0]"},
      {"ratings.csv", "userId,movieId,rating,timestamp\n1,10,0.4,1\n",
       "ratings.csv:2: field 'rating': '0.4' outside [0.5, 5.0]"},
      {"ratings.csv", "userId,movieId,rating,timestamp\n1,10,four,1\n",
       "ratings.csv:2: field 'rating': 'four' is not a number"},
      {"ratings.csv", "userId,movieId,rating,timestamp\n1,10,nan,1\n",
       "ratings.csv:2: field 'rating': 'nan' is not a number"},
      {"ratings.csv", "userId,movieId,rating,timestamp\nx1,10,4,1\n",
       "ratings.csv:2: field 'userId': 'x1' is not an integer id >= 0"},
      {"ratings.csv", "userId,movieId,rating,timestamp\n1,99,4,1\n",
       "ratings.csv:2: field 'movieId': movie 99 is not in movies.csv"},
      {"ratings.csv", "userId,movieId,rating,timestamp\n1,10,4,yesterday\n",
       "ratings.csv:2: field 'timestamp': 'yesterday' is not Unix seconds"},
      {"ratings.csv", "userId,movieId,rating,timestamp\n1,10,4,-5\n",
       "ratings.csv:2: field 'timestamp': '-5' is not Unix seconds"},
      {"ratings.csv", "userId,movieId,rating,timestamp\n1,10,4\n",
       "ratings.csv:2: expected 4 fields (userId,movieId,rating,timestamp), got 3"},
      {"ratings.csv", "1,10,4.0,1\n",
       "ratings.csv:1: header: expected 'userId,movieId,rating,timestamp', got '1,10,4.0,1'"},
      {"ratings.csv", "", "ratings.csv:1: header: expected"},
      {"movies.csv", "movieId,title,genres\n10,A,Drama\n10,B,Drama\n",
       "movies.csv:3: field 'movieId': duplicate movie id 10"},
      {"movies.csv", "movieId,title,genres\n1.5,A,Drama\n",
       "movies.csv:2: field 'movieId': '1.5' is not an integer id >= 0"},
      {"movies.csv", "movieId,title,genres\n10,\"A, unterminated,Drama\n",
       "movies.csv:2: unterminated quoted field"},
      {"tags.csv", "userId,movieId,tag,timestamp\n1,10,  ,5\n",
       "tags.csv:2: field 'tag': empty tag"},
      {"tags.csv", "userId,movieId,tag,timestamp\n1,77,fun,5\n",
       "tags.csv:2: field 'movieId': movie 77 is not in movies.csv"},
      {"movies.csv", "movieId,title,genres\n10,Caf\xe9 (1999),Comedy\n",
       "movies.csv:2: field 'title': not valid UTF-8"},
      {"tags.csv", "userId,movieId,tag,timestamp\n1,10,na\xefve,5\n",
       "tags.csv:2: field 'tag': not valid UTF-8"},
  };
  for (const BadCase& c : cases) {
    SetUp();
    Write(c.file, c.text);
    EXPECT_THAT(ReadMovieLens(dir_), StatusIs(absl::StatusCode::kInvalidArgument, c.message))
        << c.file << ": " << c.text;
  }
}

TEST_F(MovieLensFilesTest, MissingFileIsNotFoundNamingThePath) {
  std::remove((dir_ + "/tags.csv").c_str());
  EXPECT_THAT(ReadMovieLens(dir_),
              StatusIs(absl::StatusCode::kNotFound, dir_ + "/tags.csv"));
}

TEST_F(MovieLensFilesTest, RejectsNonPositiveHalfLife) {
  MovieLensOptions options;
  options.popularity_half_life_days = 0;
  EXPECT_THAT(ReadMovieLens(dir_, options),
              StatusIs(absl::StatusCode::kInvalidArgument, "popularity_half_life_days"));
}

}  // namespace
}  // namespace feedgov
