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
