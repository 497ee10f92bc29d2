// Tokens file parsing, token generation, authentication outcomes and
// pick-up of tokens appended while the store is open.
#include "engine/service/auth.h"

#include <fstream>
#include <sstream>

#include "engine/common/sha256.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov::service {
namespace {

const std::string kHash(64, 'a');

TEST(TokensFileTest, ParsesRolesNamesAndUsers) {
  ASSERT_OK_AND_ASSIGN(auto entries, ParseTokensFile("t", absl::StrCat(
      "# comment\n\n", kHash, " editor night-desk\n",
      std::string(64, 'b'), " user app-7 7  # bound to user 7\n")));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].principal.role, Role::kEditor);
  EXPECT_EQ(entries[0].principal.name, "night-desk");
  EXPECT_FALSE(entries[0].principal.user.has_value());
  EXPECT_EQ(entries[1].principal.user, 7);
}

TEST(TokensFileTest, ErrorsNameFileLineAndProblem) {
  EXPECT_THAT(ParseTokensFile("t.txt", absl::StrCat("\n", kHash, " root x\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, "t.txt:2: role 'root' unknown"));
  EXPECT_THAT(ParseTokensFile("t", "abc editor x\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "t:1: hash must be 64"));
  EXPECT_THAT(ParseTokensFile("t", kHash + " user x\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "needs the bound user id"));
  EXPECT_THAT(ParseTokensFile("t", kHash + " admin x 5\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "only role user"));
  EXPECT_THAT(ParseTokensFile("t", kHash + " user u -4\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "t:1: user id -4 must be >= 1"));
  EXPECT_THAT(ParseTokensFile("t", kHash + " user u 0\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "t:1: user id 0 must be >= 1"));
  EXPECT_THAT(ParseTokensFile("t", kHash + " " + std::string(100000, 'r') + " x\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "(100000 bytes)"));
  EXPECT_THAT(ParseTokensFile("t", kHash + " admin x\n" + kHash + " editor y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "t:2: duplicate"));
}

TEST(TokensFileTest, AppendRefusesNonPositiveUserIds) {
  const std::string path =
      ::feedgov::testing::MakeTempDir("feedgov_tokens") + "/tokens.txt";
  const std::string token = "fgv_" + std::string(64, '2');
  EXPECT_THAT(AppendToken(path, token, {Role::kUser, "user--4", -4}),
              StatusIs(absl::StatusCode::kInvalidArgument, "user id -4 must be >= 1"));
  EXPECT_OK(AppendToken(path, token, {Role::kUser, "user-4", 4}));
}

TEST(TokensFileTest, ADirectoryIsNamedNotOpened) {
  const std::string dir = ::feedgov::testing::MakeTempDir("feedgov_tokens_dir");
  EXPECT_THAT(AppendToken(dir, "fgv_" + std::string(64, '2'),
                          {Role::kAdmin, "ops", std::nullopt}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       dir + " is a directory, not a tokens file"));
  EXPECT_THAT(TokenStore::Open(dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       dir + " is a directory, not a file"));
}

TEST(TokenTest, GeneratedTokensAreWellFormedAndDistinct) {
  ASSERT_OK_AND_ASSIGN(std::string a, GenerateToken());
  ASSERT_OK_AND_ASSIGN(std::string b, GenerateToken());
  EXPECT_TRUE(IsWellFormedToken(a));
  EXPECT_EQ(a.size(), 68u);
  EXPECT_NE(a, b);
  EXPECT_FALSE(IsWellFormedToken("fgv_" + std::string(64, 'G')));
  EXPECT_FALSE(IsWellFormedToken(std::string(64, 'a')));
}

TEST(TokenStoreTest, AuthenticateOutcomes) {
  const std::string token = "fgv_" + std::string(64, '1');
  TokenEntry e;
  e.hash_hex = Sha256Hex(token);
  e.principal = {Role::kModerator, "mod", std::nullopt};
  auto store = TokenStore::FromEntries({e});
  ASSERT_OK_AND_ASSIGN(Principal p, store->Authenticate("Bearer " + token));
  EXPECT_EQ(p.role, Role::kModerator);
  EXPECT_THAT(store->Authenticate(""),
              StatusIs(absl::StatusCode::kUnauthenticated, "missing bearer token"));
  EXPECT_THAT(store->Authenticate(token),
              StatusIs(absl::StatusCode::kUnauthenticated, "malformed token"));
  EXPECT_THAT(store->Authenticate("Bearer " + token + "x"),
              StatusIs(absl::StatusCode::kUnauthenticated, "malformed token"));
  EXPECT_THAT(store->Authenticate("Bearer fgv_" + std::string(64, '2')),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown token"));
}

// RFC 7235 section 2.1 / RFC 6750: the auth scheme is case-insensitive.
TEST(TokenStoreTest, BearerSchemeIsCaseInsensitive) {
  const std::string token = "fgv_" + std::string(64, '1');
  TokenEntry e;
  e.hash_hex = Sha256Hex(token);
  e.principal = {Role::kEditor, "ed", std::nullopt};
  auto store = TokenStore::FromEntries({e});
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER ", "bEaReR "}) {
    absl::StatusOr<Principal> p = store->Authenticate(scheme + token);
    ASSERT_TRUE(p.ok()) << scheme << ": " << p.status();
    EXPECT_EQ(p->name, "ed");
  }
  // The token itself is not case-folded, and other schemes stay refused.
  EXPECT_THAT(store->Authenticate("Bearer fgv_" + std::string(64, 'A')),
              StatusIs(absl::StatusCode::kUnauthenticated, "malformed token"));
  EXPECT_THAT(store->Authenticate("Basic " + token),
              StatusIs(absl::StatusCode::kUnauthenticated, "malformed token"));
  EXPECT_THAT(store->Authenticate("Bearer" + token),
              StatusIs(absl::StatusCode::kUnauthenticated, "malformed token"));
}

// A reload that finds a malformed line keeps the previous tokens and logs
// the error with file:line, once per change of the file.
TEST(TokenStoreTest, MalformedReloadKeepsTokensAndLogsFileLine) {
  const std::string path =
      ::feedgov::testing::MakeTempDir("feedgov_tokens") + "/tokens.txt";
  ASSERT_OK_AND_ASSIGN(std::string first, GenerateToken());
  ASSERT_OK(AppendToken(path, first, {Role::kAdmin, "ops", std::nullopt}));
  std::ostringstream log;
  ASSERT_OK_AND_ASSIGN(auto store, TokenStore::Open(path, &log));
  {
    std::ofstream out(path, std::ios::app);
    out << "nothex editor x\n";
  }
  EXPECT_OK(store->Authenticate("Bearer " + first));  // Old tokens in force.
  EXPECT_OK(store->Authenticate("Bearer " + first));
  const std::string want = absl::StrCat(
      "tokens file reload failed, previous tokens stay in force: ", path,
      ":2: hash must be 64 lower-case hex chars");
  EXPECT_THAT(log.str(), ::testing::HasSubstr(want));
  // Logged once for this version of the file, not once per request.
  EXPECT_EQ(log.str().find(want), log.str().rfind(want)) << log.str();
}

TEST(TokenStoreTest, AppendedTokensApplyWithoutRestartAndHashesOnlyAreStored) {
  const std::string path =
      ::feedgov::testing::MakeTempDir("feedgov_tokens") + "/tokens.txt";
  ASSERT_OK_AND_ASSIGN(std::string first, GenerateToken());
  ASSERT_OK(AppendToken(path, first, {Role::kAdmin, "ops", std::nullopt}));
  ASSERT_OK_AND_ASSIGN(auto store, TokenStore::Open(path));
  EXPECT_OK(store->Authenticate("Bearer " + first));
  ASSERT_OK_AND_ASSIGN(std::string second, GenerateToken());
  EXPECT_THAT(store->Authenticate("Bearer " + second),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown token"));
  ASSERT_OK(AppendToken(path, second, {Role::kUser, "u9", 9}));
  ASSERT_OK_AND_ASSIGN(Principal p, store->Authenticate("Bearer " + second));
  EXPECT_EQ(p.user, 9);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text.find(first), std::string::npos);
  EXPECT_NE(text.find(Sha256Hex(second) + " user u9 9"), std::string::npos);
  EXPECT_THAT(AppendToken(path, second, {Role::kUser, "u9", std::nullopt}),
              StatusIs(absl::StatusCode::kInvalidArgument, "user id"));
}

}  // namespace
}  // namespace feedgov::service
