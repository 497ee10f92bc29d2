#include <filesystem>

#include "engine/common/file_util.h"
#include "engine/common/sha256.h"
#include "engine/common/time_util.h"
#include "engine/common/utf8.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

TEST(Sha256, MatchesFipsVector) {
  // FIPS 180-4 example "abc".
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HmacSha256, MatchesRfc4231Vectors) {
  auto hex = [](const std::string& raw) {
    return absl::BytesToHexString(raw);
  };
  // RFC 4231 test case 2 (key shorter than the block).
  EXPECT_EQ(hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6 (key longer than the block: hashed first).
  EXPECT_EQ(hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key "
                           "First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Switching keys back and forth (each thread caches its last keyed
  // context) still gives each key's own MAC.
  EXPECT_EQ(hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_NE(HmacSha256("Jeff", "what do ya want for nothing?"),
            HmacSha256("Jefe", "what do ya want for nothing?"));
}

TEST(Rfc3339, OffsetsAreConvertedToUtc) {
  auto beijing = ParseRfc3339("2026-11-30T18:00:00+08:00");
  auto new_york = ParseRfc3339("2026-11-30T05:00:00-05:00");
  ASSERT_TRUE(beijing.ok());
  ASSERT_TRUE(new_york.ok());
  EXPECT_EQ(FormatRfc3339Utc(*beijing), "2026-11-30T10:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(*new_york), "2026-11-30T10:00:00Z");
  EXPECT_EQ(*beijing, *new_york);
}

TEST(Rfc3339, RejectsTimeWithoutOffset) {
  auto t = ParseRfc3339("2026-11-30 18:00");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
}

// Window times as editors write them (ParseWindowTime). Oracles computed by
// hand: New York is UTC-5 (EST) until 2027-03-14 02:00 local, UTC-4 (EDT)
// until 2027-11-07 02:00 local; Shanghai is UTC+8 all year.
absl::Time Utc(const std::string& rfc3339) { return *ParseRfc3339(rfc3339); }

TEST(WindowTime, Rfc3339OffsetsWinAndNeedNoZone) {
  auto t = ParseWindowTime("--start", "2027-01-01T09:00:00+08:00", "",
                           WindowBound::kStart);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc("2027-01-01T01:00:00Z"));
  // The offset fixes the instant even when a zone is given (for display).
  t = ParseWindowTime("--end", "2027-01-01T09:00:00+08:00", "America/New_York",
                      WindowBound::kEnd);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, Utc("2027-01-01T01:00:00Z"));
}

TEST(WindowTime, LocalTimesAreReadInTheZoneOnBothSidesOfDst) {
  struct Case {
    const char* local;
    const char* utc;
  } cases[] = {
      {"2027-01-15T09:00", "2027-01-15T14:00:00Z"},     // EST, -5.
      {"2027-07-01T09:00:00", "2027-07-01T13:00:00Z"},  // EDT, -4.
      {"2027-03-14T01:30", "2027-03-14T06:30:00Z"},     // Just before the gap.
      {"2027-03-14T03:30", "2027-03-14T07:30:00Z"},     // Just after it.
      {"2027-11-07T00:30", "2027-11-07T04:30:00Z"},     // Before the fold.
      {"2027-11-07T02:30", "2027-11-07T07:30:00Z"},     // After it.
  };
  for (const Case& c : cases) {
    auto t = ParseWindowTime("--start", c.local, "America/New_York",
                             WindowBound::kStart);
    ASSERT_TRUE(t.ok()) << c.local << ": " << t.status();
    EXPECT_EQ(*t, Utc(c.utc)) << c.local;
  }
}

TEST(WindowTime, DatesAreWholeDaysInTheZone) {
  auto start = ParseWindowTime("--start", "2027-01-01", "Asia/Shanghai",
                               WindowBound::kStart);
  auto end = ParseWindowTime("--end", "2027-01-31", "Asia/Shanghai",
                             WindowBound::kEnd);
  ASSERT_TRUE(start.ok()) << start.status();
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*start, Utc("2026-12-31T16:00:00Z"));
  // --end 2027-01-31 includes all of Jan 31: exclusive end at Feb 1 00:00
  // Shanghai = 2027-01-31T16:00:00Z = 1801411200 s (20849 days + 16 h).
  EXPECT_EQ(*end, Utc("2027-01-31T16:00:00Z"));
  EXPECT_EQ(absl::ToUnixSeconds(*end), 1801411200);
  // A date in New York on the day DST starts: the day still starts at
  // 00:00 EST, and ends at 00:00 EDT the next day (a 23-hour day).
  auto ny_start = ParseWindowTime("--start", "2027-03-14", "America/New_York",
                                  WindowBound::kStart);
  auto ny_end = ParseWindowTime("--end", "2027-03-14", "America/New_York",
                                WindowBound::kEnd);
  ASSERT_TRUE(ny_start.ok() && ny_end.ok());
  EXPECT_EQ(*ny_start, Utc("2027-03-14T05:00:00Z"));
  EXPECT_EQ(*ny_end, Utc("2027-03-15T04:00:00Z"));
  EXPECT_EQ(*ny_end - *ny_start, absl::Hours(23));
}

TEST(WindowTime, GapTimesAreRefusedNamingTheJump) {
  auto t = ParseWindowTime("--start", "2027-03-14T02:30", "America/New_York",
                           WindowBound::kStart);
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("--start"), std::string::npos);
  EXPECT_NE(t.status().message().find("2027-03-14T02:30 does not exist in "
                                      "America/New_York"),
            std::string::npos)
      << t.status();
  EXPECT_NE(t.status().message().find("2027-03-14T03:00:00-04:00"),
            std::string::npos)
      << t.status();
}

TEST(WindowTime, AmbiguousTimesAreRefusedNamingBothInstants) {
  auto t = ParseWindowTime("--end", "2027-11-07T01:30", "America/New_York",
                           WindowBound::kEnd);
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("--end: 2027-11-07T01:30 is ambiguous"),
            std::string::npos)
      << t.status();
  EXPECT_NE(t.status().message().find("2027-11-07T01:30:00-04:00"),
            std::string::npos);
  EXPECT_NE(t.status().message().find("2027-11-07T01:30:00-05:00"),
            std::string::npos);
  // Either spelled with its offset is accepted.
  EXPECT_EQ(*ParseWindowTime("--end", "2027-11-07T01:30:00-05:00",
                             "America/New_York", WindowBound::kEnd),
            Utc("2027-11-07T06:30:00Z"));
}

// Found by fuzzing: year 220 in New York is local mean time, -4:56:02, an
// offset RFC 3339 cannot show. Windows are schedules: 1970 to 2100.
TEST(WindowTime, TimesOutsideTheScheduleRangeAreRefused) {
  for (const char* text : {"220-03-14T02:30", "1969-12-31T18:59", "2100-01-02"}) {
    auto t = ParseWindowTime("--end", text, "America/New_York", WindowBound::kEnd);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(t.status().message().find("is outside 1970-01-01 .. 2100-01-01"),
              std::string::npos)
        << t.status();
  }
  EXPECT_TRUE(ParseWindowTime("--start", "1970-01-01T00:00:00Z", "",
                              WindowBound::kStart)
                  .ok());
  // Monrovia kept -0:44:30 until 1972: shown in UTC, not with a wrong offset.
  EXPECT_EQ(FormatRfc3339InZone(absl::FromUnixSeconds(0), "Africa/Monrovia"),
            "1970-01-01T00:00:00Z");
}

TEST(WindowTime, BadZonesAndTextsNameFieldAndValue) {
  auto unknown = ParseWindowTime("--start", "2027-01-01", "Mars/Olympus_Mons",
                                 WindowBound::kStart);
  ASSERT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find(
                "--zone: unknown time zone 'Mars/Olympus_Mons'"),
            std::string::npos)
      << unknown.status();
  // Names are IANA names, never paths, nor host-dependent files of the
  // zoneinfo directory (found by review).
  for (const char* host : {"localtime", "posixrules", "Factory",
                           "posix/Asia/Shanghai", "right/UTC"}) {
    EXPECT_FALSE(LoadIanaZone("time_zone", host).ok()) << host;
  }
  EXPECT_TRUE(LoadIanaZone("time_zone", "UTC").ok());
  EXPECT_FALSE(LoadIanaZone("time_zone", "../../etc/passwd").ok());
  EXPECT_FALSE(LoadIanaZone("time_zone", "").ok());
  EXPECT_TRUE(LoadIanaZone("time_zone", "UTC").ok());
  auto no_zone =
      ParseWindowTime("--start", "2027-01-01T09:00", "", WindowBound::kStart);
  ASSERT_EQ(no_zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_zone.status().message().find("--start: '2027-01-01T09:00' has "
                                            "no UTC offset"),
            std::string::npos)
      << no_zone.status();
  auto garbage = ParseWindowTime("--end", "next tuesday", "Asia/Shanghai",
                                 WindowBound::kEnd);
  ASSERT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.status().message().find("--end: 'next tuesday'"),
            std::string::npos)
      << garbage.status();
}

TEST(WindowTime, FormatsInTheZoneItWasEnteredIn) {
  EXPECT_EQ(FormatRfc3339InZone(Utc("2027-01-31T16:00:00Z"), "Asia/Shanghai"),
            "2027-02-01T00:00:00+08:00");
  EXPECT_EQ(
      FormatRfc3339InZone(Utc("2027-07-01T13:00:00Z"), "America/New_York"),
      "2027-07-01T09:00:00-04:00");
  EXPECT_EQ(FormatRfc3339InZone(Utc("2027-07-01T13:00:00Z"), ""),
            "2027-07-01T13:00:00Z");
}

TEST(WriteFileAtomic, ReplacesContentsWhole) {
  auto dir = std::filesystem::temp_directory_path() / "feedgov_common_test";
  std::filesystem::create_directories(dir);
  std::string path = (dir / "f.txt").string();
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "second").ok());
  auto got = ReadFile(path);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "second");
  std::filesystem::remove_all(dir);
}

TEST(ReadFile, ADirectoryIsNamedNotRead) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / "feedgov_common_readdir").string();
  std::filesystem::create_directories(dir);
  absl::StatusOr<std::string> got = ReadFile(dir);
  EXPECT_EQ(got.status(), absl::InvalidArgumentError(
                              dir + " is a directory, not a file"));
  std::filesystem::remove_all(dir);
}

TEST(CheckWritableOutputDir, AcceptsNewEmptyOrMarkedAndNamesEverythingElse) {
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / "feedgov_common_outdir";
  fs::remove_all(base);
  fs::create_directories(base / "empty");
  fs::create_directories(base / "snap");
  fs::create_directories(base / "other");
  ASSERT_TRUE(WriteFileAtomic((base / "snap/MARK").string(), "x").ok());
  ASSERT_TRUE(WriteFileAtomic((base / "other/notes").string(), "x").ok());
  ASSERT_TRUE(WriteFileAtomic((base / "file").string(), "x").ok());
  auto check = [&](const std::string& rel) {
    return CheckWritableOutputDir((base / rel).string(), "MARK");
  };
  EXPECT_TRUE(check("new").ok());
  EXPECT_TRUE(check("empty").ok());
  EXPECT_TRUE(check("snap").ok());
  EXPECT_TRUE(check("snap/").ok());
  const std::string b = base.string();
  EXPECT_EQ(check("missing/new"),
            absl::NotFoundError("output " + b + "/missing/new: parent directory " +
                                b + "/missing does not exist"));
  EXPECT_EQ(check("file/new"),
            absl::InvalidArgumentError("output " + b + "/file/new: " + b +
                                       "/file is not a directory"));
  EXPECT_EQ(check("file"),
            absl::InvalidArgumentError("output " + b +
                                       "/file exists and is not a directory; "
                                       "not replacing it"));
  EXPECT_EQ(check("other"),
            absl::FailedPreconditionError(
                "output " + b + "/other is a directory with other contents "
                "(no MARK); not replacing it"));
  EXPECT_EQ(CheckWritableOutputDir("", "MARK"),
            absl::InvalidArgumentError("output path is empty"));
  fs::remove_all(base);
}

TEST(Utf8, AcceptsValidAndLocatesTheFirstInvalidSequence) {
  EXPECT_TRUE(IsValidUtf8("Amélie (2001) 天使爱美丽 🎬"));
  EXPECT_EQ(FirstInvalidUtf8("Caf\xe9 (1999)"), 3u);        // Latin-1 é.
  EXPECT_EQ(FirstInvalidUtf8("ab\xc0\xaf"), 2u);           // Overlong '/'.
  EXPECT_EQ(FirstInvalidUtf8("\xed\xa0\x80"), 0u);         // Surrogate.
  EXPECT_EQ(FirstInvalidUtf8("\xf4\x90\x80\x80"), 0u);     // > U+10FFFF.
  EXPECT_EQ(FirstInvalidUtf8("ok\xe6\x97"), 2u);           // Truncated.
  EXPECT_EQ(FirstInvalidUtf8("\xff\xfe"), 0u);
}

}  // namespace
}  // namespace feedgov
