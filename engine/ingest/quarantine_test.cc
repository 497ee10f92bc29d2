// Bulk file ingests set bad rows aside instead of dying (Hardening issue):
// hand-made files with known bad rows, checked row by row against the
// expected reasons and lines; strict mode and the bad-row limit fail the
// whole ingest and write nothing.
#include "engine/ingest/quarantine.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/catalog/snapshot.h"
#include "engine/common/file_util.h"
#include "engine/ingest/ingest.h"
#include "engine/ingest/items_jsonl.h"
#include "engine/ingest/movielens.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::feedgov::testing::MakeTempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// movies.csv lines 2-4 good; line 5 a duplicate id; line 6 a 10 MiB title.
// ratings.csv: lines 2-5 good; 6 NaN; 7 +Inf; 8 7.5; 9 bad timestamp;
// 10 too few fields; 11 a movie that does not exist.
std::string MovieLensDir() {
  const std::string dir = MakeTempDir("feedgov_quarantine_ml");
  Write(dir + "/movies.csv",
        "movieId,title,genres\n1,One (1999),Drama\n2,Two (2000),Comedy\n"
        "3,Three (2001),Drama|Comedy\n2,Again,Drama\n9," +
            std::string(10 << 20, 't') + ",Drama\n");
  Write(dir + "/ratings.csv",
        "userId,movieId,rating,timestamp\n1,1,4.0,1000\n1,2,3.5,1001\n"
        "2,1,5.0,1002\n2,3,2.0,1003\n3,1,NaN,1004\n3,2,inf,1005\n"
        "3,3,7.5,1006\n3,1,4,yesterday\n3,1\n3,42,4.0,1007\n");
  Write(dir + "/tags.csv", "userId,movieId,tag,timestamp\n1,1,Fun,1000\n");
  return dir;
}

TEST(MovieLensQuarantine, SetsBadRowsAsideNamingEachOne) {
  const std::string dir = MovieLensDir();
  Quarantine q;
  ASSERT_OK_AND_ASSIGN(MovieLensData data, ReadMovieLens(dir, {}, &q));
  EXPECT_EQ(data.items.size(), 3u);
  EXPECT_EQ(data.ratings.size(), 4u);
  EXPECT_THAT(q.counts(),
              ElementsAre(Pair("duplicate_movieId", 1), Pair("field_count", 1),
                          Pair("item_limits", 1), Pair("rating", 3),
                          Pair("timestamp", 1), Pair("unknown_movie", 1)));
  std::vector<std::string> where;
  for (const QuarantinedRow& r : q.rows())
    where.push_back(absl::StrCat(r.file, ":", r.line, " ", r.reason));
  EXPECT_THAT(where, ElementsAre("movies.csv:5 duplicate_movieId",
                                 "movies.csv:6 item_limits",
                                 "ratings.csv:6 rating", "ratings.csv:7 rating",
                                 "ratings.csv:8 rating",
                                 "ratings.csv:9 timestamp",
                                 "ratings.csv:10 field_count",
                                 "ratings.csv:11 unknown_movie"));
  EXPECT_THAT(q.rows()[3].message,
              HasSubstr("ratings.csv:7: field 'rating': 'inf' is not a number"));
  // Without a quarantine (strict): the first bad row is the error.
  EXPECT_THAT(ReadMovieLens(dir), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "movies.csv:5: field 'movieId': "
                                           "duplicate movie id 2"));
}

// A stray quote spoils one line: that line is set aside, the next read
// (found by review: it stopped the whole ingest). An unterminated quote
// makes the rest of the file one field: still fatal.
TEST(MovieLensQuarantine, ALineWithAStrayQuoteIsSetAside) {
  const std::string dir = MakeTempDir("feedgov_quarantine_csv");
  Write(dir + "/movies.csv", "movieId,title,genres\n1,One,Drama\n2,Two,Drama\n");
  Write(dir + "/ratings.csv",
        "userId,movieId,rating,timestamp\n1,1,4.0,1000\n1,2\"x,4.0,1001\n"
        "2,\"1\"z,3.0,1002\n2,2,3.0,1003\n");
  Write(dir + "/tags.csv", "userId,movieId,tag,timestamp\n");
  Quarantine q;
  ASSERT_OK_AND_ASSIGN(MovieLensData data, ReadMovieLens(dir, {}, &q));
  ASSERT_EQ(data.ratings.size(), 2u);
  EXPECT_EQ(data.ratings[1].time, 1003);
  std::vector<std::string> where;
  for (const QuarantinedRow& r : q.rows())
    where.push_back(absl::StrCat(r.file, ":", r.line, " ", r.reason));
  EXPECT_THAT(where, ElementsAre("ratings.csv:3 csv_syntax",
                                 "ratings.csv:4 csv_syntax"));
  Write(dir + "/ratings.csv",
        "userId,movieId,rating,timestamp\n1,1,4.0,1000\n1,\"2,4.0,1001\n"
        "2,2,3.0,1003\n");
  Quarantine q2;
  EXPECT_THAT(ReadMovieLens(dir, {}, &q2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unterminated quoted field"));
}

TEST(MovieLensQuarantine, IngestWritesGoodItemsAndAReportOrFailsWhenStrict) {
  const std::string dir = MovieLensDir();
  const std::string out = MakeTempDir("feedgov_quarantine_out") + "/snap";
  IngestOptions o;
  o.data_dir = dir;
  o.out_dir = out;
  ASSERT_OK(RunIngest(o));
  ASSERT_OK_AND_ASSIGN(SnapshotContents snap, ReadSnapshot(out));
  EXPECT_EQ(snap.catalog->size(), 3);
  std::ifstream report(out + ".quarantine.json");
  std::string json((std::istreambuf_iterator<char>(report)),
                   std::istreambuf_iterator<char>());
  EXPECT_THAT(json, HasSubstr("\"rows_quarantined\": 8"));
  EXPECT_THAT(json, HasSubstr("\"unknown_movie\": 1"));
  EXPECT_THAT(json, HasSubstr("ratings.csv:11: field 'movieId'"));

  const std::string strict_out = out + "-strict";
  o.out_dir = strict_out;
  o.quarantine.strict = true;
  EXPECT_THAT(RunIngest(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                     "movies.csv:5"));
  EXPECT_FALSE(std::filesystem::exists(strict_out));
  o.quarantine.strict = false;
  o.quarantine.max_rows = 7;  // 8 bad rows.
  EXPECT_THAT(RunIngest(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                     "too many bad rows: 8 set aside, at most 7"));
  EXPECT_FALSE(std::filesystem::exists(strict_out));
  // The refused ingest still reports the rows it set aside.
  EXPECT_TRUE(std::filesystem::exists(strict_out + ".quarantine.json"));
  // A clean ingest to the first output removes the earlier report.
  Write(dir + "/movies.csv", "movieId,title,genres\n1,One (1999),Drama\n");
  Write(dir + "/ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,1000\n");
  o.out_dir = out;
  o.quarantine.max_rows = 10;
  ASSERT_OK(RunIngest(o));
  EXPECT_FALSE(std::filesystem::exists(out + ".quarantine.json"));
}

TEST(ItemsJsonlQuarantine, BadVectorsAndFieldsAreSetAsideGoodItemsServed) {
  const std::string dir = MakeTempDir("feedgov_quarantine_jsonl");
  const std::string path = dir + "/items.jsonl";
  Write(path,
        R"({"itemId": "1", "title": "a", "embedding": [1, 0, 0], "firstSeenUnixUs": "1700000000123456"}
{"itemId": "2", "title": "b", "embedding": [0, 1, 0], "labels": [{"name": "bad.vulgar", "confidence": 0.8, "source": "LABEL_SOURCE_MODEL"}]}
{"itemId": "3", "embedding": ["NaN", 1, 0]}
{"itemId": "4", "embedding": ["Infinity", 1, 0]}
{"itemId": "5", "embedding": [0, 0, 0]}
{"itemId": "6", "embedding": [1, 0]}
{"itemId": "7", "embedding": [1, 0, 0
{"itemId": "1", "embedding": [1, 1, 0]}
{"itemId": "-8", "embedding": [1, 1, 0]}
{"itemId": "9", "embedding": [1, 1, 0], "labels": [{"name": "no.such", "source": "LABEL_SOURCE_MODEL"}]}

{"itemId": "10", "embedding": [0, 0, 1], "colour": "red"}
{"itemId": "11", "embedding": [0, 0, 1]}
)");
  ASSERT_OK_AND_ASSIGN(Taxonomy taxonomy,
                       Taxonomy::Load(DefaultPath(
                           "policies/labels.textproto")));
  Quarantine q;
  ASSERT_OK_AND_ASSIGN(ItemsFile file, ReadItemsJsonl(path, taxonomy, &q));
  std::vector<ItemId> ids;
  for (const Item& i : file.items) ids.push_back(i.id);
  EXPECT_THAT(ids, ElementsAre(1, 2, 11));
  EXPECT_EQ(file.reference_time, 1700000000);
  EXPECT_EQ(file.labels.at(2).size(), 1u);
  std::vector<std::string> where;
  for (const QuarantinedRow& r : q.rows())
    where.push_back(absl::StrCat(r.line, " ", r.reason));
  EXPECT_THAT(where, ElementsAre("3 embedding_non_finite",
                                 "4 embedding_non_finite",
                                 "5 embedding_zero_norm", "6 embedding_dim",
                                 "7 malformed_json", "8 duplicate_id",
                                 "9 item_limits", "10 label",
                                 "12 malformed_json"));
  EXPECT_THAT(ReadItemsJsonl(path, taxonomy, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "items.jsonl:3: item 3: embedding[0] is NaN"));
  // The snapshot holds the good items only, and serves them.
  IngestOptions o;
  o.items_path = path;
  o.out_dir = dir + "/snap";
  ASSERT_OK(RunIngest(o));
  ASSERT_OK_AND_ASSIGN(SnapshotContents snap, ReadSnapshot(o.out_dir));
  EXPECT_EQ(snap.catalog->size(), 3);
  EXPECT_EQ(snap.users->size(), 0);
  EXPECT_TRUE(std::filesystem::exists(o.out_dir + ".quarantine.json"));
}

// A line longer than the limit is set aside without being held in memory,
// and the rows after it are still read (found by review: a 800 MB line
// lost the rest of the file).
TEST(ItemsJsonlQuarantine, AnOverlongLineIsSetAsideAndReadingGoesOn) {
  const std::string dir = MakeTempDir("feedgov_quarantine_long");
  const std::string path = dir + "/items.jsonl";
  Write(path, R"({"itemId": "1", "embedding": [1, 0]})"
              "\n" + std::string(kMaxJsonlLineBytes + 10, 'x') + "\n" +
              R"({"itemId": "2", "embedding": [0, 1]})"
              "\n" + R"({"itemId": "3", "embedding": [1, 1]})");  // No final \n.
  ASSERT_OK_AND_ASSIGN(Taxonomy taxonomy,
                       Taxonomy::Load(DefaultPath("policies/labels.textproto")));
  Quarantine q;
  ASSERT_OK_AND_ASSIGN(ItemsFile file, ReadItemsJsonl(path, taxonomy, &q));
  ASSERT_EQ(file.items.size(), 3u);
  EXPECT_EQ(file.items[2].id, 3);
  ASSERT_EQ(q.size(), 1);
  EXPECT_EQ(q.rows()[0].line, 2);
  EXPECT_EQ(q.rows()[0].reason, "line_too_long");
  EXPECT_THAT(q.rows()[0].message,
              HasSubstr(absl::StrCat("line of ", kMaxJsonlLineBytes + 10,
                                     " bytes, at most ", kMaxJsonlLineBytes)));
}

}  // namespace
}  // namespace feedgov
