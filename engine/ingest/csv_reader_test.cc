#include "engine/ingest/csv_reader.h"

#include <sstream>
#include <string>
#include <vector>

#include "engine/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Reads every record of `text`; fails the test on error.
std::vector<std::vector<std::string>> ReadAll(const std::string& text,
                                              std::vector<int64_t>* lines = nullptr) {
  std::istringstream in(text);
  CsvReader reader(&in, "t.csv");
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&fields);
    EXPECT_OK(got);
    if (!got.ok() || !*got) break;
    out.push_back(fields);
    if (lines) lines->push_back(reader.line());
  }
  return out;
}

absl::Status FirstError(const std::string& text) {
  std::istringstream in(text);
  CsvReader reader(&in, "t.csv");
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&fields);
    if (!got.ok()) return got.status();
    if (!*got) return absl::OkStatus();
  }
}

TEST(CsvReaderTest, SplitsPlainFieldsAndKeepsEmptyOnes) {
  EXPECT_THAT(ReadAll("a,b,,c\n,\n"),
              ElementsAre(ElementsAre("a", "b", "", "c"), ElementsAre("", "")));
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasDoubledQuotesAndNewlines) {
  std::vector<int64_t> lines;
  auto records = ReadAll(
      "11,\"American President, The (1995)\",Comedy\n"
      "7789,\"11'09\"\"01 - September 11 (2002)\",Drama\n"
      "1,\"two\nlines\",x\n"
      "2,\"\",y\n",
      &lines);
  EXPECT_THAT(records,
              ElementsAre(ElementsAre("11", "American President, The (1995)", "Comedy"),
                          ElementsAre("7789", "11'09\"01 - September 11 (2002)", "Drama"),
                          ElementsAre("1", "two\nlines", "x"), ElementsAre("2", "", "y")));
  // The third record spans lines 3-4, so the fourth starts on line 5.
  EXPECT_THAT(lines, ElementsAre(1, 2, 3, 5));
}

TEST(CsvReaderTest, AcceptsCrlfMissingFinalNewlineAndSkipsEmptyLines) {
  std::vector<int64_t> lines;
  EXPECT_THAT(ReadAll("a,b\r\n\r\n\nc,d", &lines),
              ElementsAre(ElementsAre("a", "b"), ElementsAre("c", "d")));
  EXPECT_THAT(lines, ElementsAre(1, 4));
}

// Found by fuzz/csv_reader_fuzzer.cc: a lone CR ended a record and counted
// as a line outside quotes but not inside them, so line numbers drifted
// from the LF lines an editor shows. Lines count LFs only.
TEST(CsvReaderTest, LoneCrEndsARecordButLinesCountLfs) {
  std::vector<int64_t> lines;
  EXPECT_THAT(ReadAll("a\rb\r\rc\n\"x\ry\"\nd\r\ne", &lines),
              ElementsAre(ElementsAre("a"), ElementsAre("b"), ElementsAre("c"),
                          ElementsAre("x\ry"), ElementsAre("d"),
                          ElementsAre("e")));
  EXPECT_THAT(lines, ElementsAre(1, 1, 1, 2, 3, 4));
  EXPECT_THAT(FirstError("a\rb\nc\rd\"e\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.csv:2: quote inside unquoted field 1"));
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) { EXPECT_THAT(ReadAll(""), IsEmpty()); }

TEST(CsvReaderTest, RejectsUnterminatedQuoteWithRecordLine) {
  EXPECT_THAT(FirstError("a,b\nc,\"open\n\nmore"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.csv:2: unterminated quoted field"));
}

TEST(CsvReaderTest, RejectsTextAfterClosingQuote) {
  EXPECT_THAT(FirstError("x\n\"ab\"c,d\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.csv:2: unexpected character 'c' after closing quote in field 1"));
}

TEST(CsvReaderTest, RejectsQuoteInsideUnquotedField) {
  EXPECT_THAT(FirstError("a,b\"c\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.csv:1: quote inside unquoted field 2"));
}

}  // namespace
}  // namespace feedgov
