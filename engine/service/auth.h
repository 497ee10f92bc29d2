// File: engine/service/auth.h
//
// Bearer-token authentication and role checks for the gRPC service.
//
// Tokens file (plain text, one token per line; '#' starts a comment):
//
//   <sha256-hex of the token> <role> <name> [<user id>]
//
//   e.g. 9f86d0...0a08 editor night-desk
//        2c26b4...7ae1 user app-user-1 1
//
// The file stores SHA-256 hashes, never tokens. Roles: feed-service,
// editor, moderator, admin, user; a user line must carry the bound user id,
// other roles must not. Names are [A-Za-z0-9._@-]{1,64} and are recorded as
// the actor of editor writes. `feedgov token add` appends lines.
//
// Tokens are "fgv_" followed by 64 lower-case hex chars (32 random bytes).
// A request carries "authorization: Bearer <token>".
//
// Thread-safety: TokenStore is thread-safe. Lookup() re-reads the file when
// its modification time or size changed (tokens added while the server runs
// apply without a restart); a file that became invalid (or unreadable)
// keeps the previous tokens in force, the error is returned by Refresh()
// and written once per version of the file to the log given to Open():
// "tokens file reload failed, previous tokens stay in force:
// tokens.txt:3: ...".
#ifndef FEEDGOV_ENGINE_SERVICE_AUTH_H_
#define FEEDGOV_ENGINE_SERVICE_AUTH_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "engine/common/types.h"

namespace feedgov::service {

enum class Role { kFeedService, kEditor, kModerator, kAdmin, kUser };

// "feed-service", "editor", "moderator", "admin", "user".
absl::string_view RoleName(Role role);
// Inverse; INVALID_ARGUMENT listing the valid names.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// Who is calling.
struct Principal {
  Role role = Role::kUser;
  std::string name;             // From the tokens file.
  std::optional<UserId> user;   // Set iff role == kUser.
};

// A token line, as parsed.
struct TokenEntry {
  std::string hash_hex;  // 64 lower-case hex chars.
  Principal principal;
};

// Parses a tokens file's text; `path` names errors:
// INVALID_ARGUMENT "tokens.txt:3: role 'x' unknown; want one of ...".
absl::StatusOr<std::vector<TokenEntry>> ParseTokensFile(const std::string& path,
                                                        absl::string_view text);

// Token syntax check ("fgv_" + 64 hex chars).
bool IsWellFormedToken(absl::string_view token);

// A fresh random token (OpenSSL RAND_bytes). INTERNAL if the RNG fails.
absl::StatusOr<std::string> GenerateToken();

// Appends a line for `token` to `path` (created with mode 0600 if missing),
// fsync'ed. INVALID_ARGUMENT for a bad name / role-user combination, or
// when `path` is a directory.
absl::Status AppendToken(const std::string& path, absl::string_view token,
                         const Principal& principal);

class TokenStore {
 public:
  // Loads `path`. NOT_FOUND / INVALID_ARGUMENT as ParseTokensFile. A failed
  // reload later is reported on `log` (not owned, outlives the store; null:
  // not reported), one line per version of the file.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Open(
      const std::string& path, std::ostream* log = nullptr);
  // From entries already parsed (tests); never re-reads a file.
  static std::unique_ptr<TokenStore> FromEntries(std::vector<TokenEntry> entries);

  // Authenticates the value of the `authorization` header (empty when the
  // header is absent). The scheme "Bearer" is matched case-insensitively
  // (RFC 7235 section 2.1, RFC 6750), the token exactly.
  // UNAUTHENTICATED: "missing bearer token" (absent), "malformed token" (not
  // "Bearer <well-formed token>"), "unknown token".
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization);

  // Re-reads the file if it changed. Error: the file is unreadable or
  // invalid (previous tokens stay in force).
  absl::Status Refresh();

 private:
  TokenStore() = default;
  absl::Status LoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::string path_;  // Empty: fixed entries.
  std::ostream* log_ = nullptr;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Principal> by_hash_ ABSL_GUARDED_BY(mu_);
  int64_t mtime_ns_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t size_ ABSL_GUARDED_BY(mu_) = -1;
  // The version of the file the last failed load saw, and its error: the
  // same broken file is neither parsed nor reported again.
  int64_t failed_mtime_ns_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t failed_size_ ABSL_GUARDED_BY(mu_) = -1;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace feedgov::service

#endif  // FEEDGOV_ENGINE_SERVICE_AUTH_H_
