#include "engine/service/auth.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/common/file_util.h"
#include "engine/common/sha256.h"
#include "engine/service/convert.h"

namespace feedgov::service {
namespace {

constexpr absl::string_view kTokenPrefix = "fgv_";
constexpr absl::string_view kRoleNames[] = {"feed-service", "editor",
                                            "moderator", "admin", "user"};

bool IsLowerHex(absl::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '@' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

absl::Status CheckPrincipal(const Principal& p) {
  if (!IsValidName(p.name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "name '", Echo(p.name), "' must be 1 to 64 chars of [A-Za-z0-9._@-]"));
  }
  if (p.role == Role::kUser && !p.user.has_value()) {
    return absl::InvalidArgumentError("role user needs the bound user id");
  }
  if (p.user.has_value() && *p.user < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("user id ", *p.user, " must be >= 1"));
  }
  if (p.role != Role::kUser && p.user.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "only role user takes a user id, not ", RoleName(p.role)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view RoleName(Role role) {
  return kRoleNames[static_cast<int>(role)];
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (int i = 0; i < 5; ++i) {
    if (name == kRoleNames[i]) return static_cast<Role>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("role '", Echo(name), "' unknown; want one of ",
                   absl::StrJoin(kRoleNames, ", ")));
}

absl::StatusOr<std::vector<TokenEntry>> ParseTokensFile(const std::string& path,
                                                        absl::string_view text) {
  std::vector<TokenEntry> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (f.empty()) continue;
    auto fail = [&](const std::string& what) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": ", what));
    };
    if (f.size() < 3 || f.size() > 4) {
      return fail("want '<sha256-hex> <role> <name> [<user id>]'");
    }
    TokenEntry e;
    e.hash_hex = std::string(f[0]);
    if (!IsLowerHex(e.hash_hex, 64)) {
      return fail("hash must be 64 lower-case hex chars (SHA-256 of the token)");
    }
    auto role = ParseRole(f[1]);
    if (!role.ok()) return fail(std::string(role.status().message()));
    e.principal.role = *role;
    e.principal.name = std::string(f[2]);
    if (f.size() == 4) {
      int64_t user = 0;
      if (!absl::SimpleAtoi(f[3], &user)) {
        return fail(absl::StrCat("user id '", Echo(f[3]), "' is not an integer"));
      }
      e.principal.user = user;
    }
    absl::Status s = CheckPrincipal(e.principal);
    if (!s.ok()) return fail(std::string(s.message()));
    for (const TokenEntry& prev : out) {
      if (prev.hash_hex == e.hash_hex) return fail("duplicate token hash");
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool IsWellFormedToken(absl::string_view token) {
  return absl::StartsWith(token, kTokenPrefix) &&
         IsLowerHex(token.substr(kTokenPrefix.size()), 64);
}

absl::StatusOr<std::string> GenerateToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("RAND_bytes failed: no entropy");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(kTokenPrefix);
  for (unsigned char b : bytes) {
    token.push_back(kHex[b >> 4]);
    token.push_back(kHex[b & 15]);
  }
  return token;
}

absl::Status AppendToken(const std::string& path, absl::string_view token,
                         const Principal& principal) {
  if (!IsWellFormedToken(token)) {
    return absl::InvalidArgumentError("malformed token");
  }
  absl::Status s = CheckPrincipal(principal);
  if (!s.ok()) return s;
  std::string line = absl::StrCat(Sha256Hex(token), " ", RoleName(principal.role),
                                  " ", principal.name);
  if (principal.user) absl::StrAppend(&line, " ", *principal.user);
  line.push_back('\n');
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EISDIR) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is a directory, not a tokens file"));
  }
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", path, " for append: ",
                                            std::strerror(errno)));
  }
  bool ok = ::write(fd, line.data(), line.size()) ==
                static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(
    const std::string& path, std::ostream* log) {
  std::unique_ptr<TokenStore> store(new TokenStore);
  store->path_ = path;
  store->log_ = log;
  absl::MutexLock lock(&store->mu_);
  absl::Status s = store->LoadLocked();
  if (!s.ok()) return s;
  return store;
}

std::unique_ptr<TokenStore> TokenStore::FromEntries(
    std::vector<TokenEntry> entries) {
  std::unique_ptr<TokenStore> store(new TokenStore);
  absl::MutexLock lock(&store->mu_);
  for (TokenEntry& e : entries) {
    store->by_hash_[e.hash_hex] = std::move(e.principal);
  }
  return store;
}

absl::Status TokenStore::LoadLocked() {
  struct stat st;
  int64_t mtime_ns = -2;  // The version "missing".
  int64_t size = -2;
  absl::Status status;
  if (::stat(path_.c_str(), &st) != 0) {
    status =
        absl::NotFoundError(absl::StrCat("tokens file ", path_, " not found"));
  } else {
    mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    size = st.st_size;
    if (mtime_ns == mtime_ns_ && size == size_) return absl::OkStatus();
    if (mtime_ns == failed_mtime_ns_ && size == failed_size_) return failed_;
    absl::StatusOr<std::string> text = ReadFile(path_);
    absl::StatusOr<std::vector<TokenEntry>> entries =
        text.ok() ? ParseTokensFile(path_, *text) : text.status();
    if (entries.ok()) {
      by_hash_.clear();
      for (TokenEntry& e : *entries) by_hash_[e.hash_hex] = std::move(e.principal);
      mtime_ns_ = mtime_ns;
      size_ = size;
      failed_mtime_ns_ = failed_size_ = -1;
      failed_ = absl::OkStatus();
      return absl::OkStatus();
    }
    status = entries.status();
  }
  const bool reported = mtime_ns == failed_mtime_ns_ && size == failed_size_;
  failed_mtime_ns_ = mtime_ns;
  failed_size_ = size;
  failed_ = status;
  // A reload (tokens were loaded before) that fails: say so once.
  if (log_ != nullptr && mtime_ns_ != -1 && !reported) {
    *log_ << "tokens file reload failed, previous tokens stay in force: "
          << status.message() << std::endl;
  }
  return status;
}

absl::Status TokenStore::Refresh() {
  absl::MutexLock lock(&mu_);
  if (path_.empty()) return absl::OkStatus();
  return LoadLocked();
}

absl::StatusOr<Principal> TokenStore::Authenticate(
    absl::string_view authorization) {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "missing bearer token: send metadata 'authorization: Bearer <token>'");
  }
  // The scheme is case-insensitive (RFC 7235 section 2.1); the token is not.
  constexpr absl::string_view kBearer = "bearer ";
  if (!absl::StartsWithIgnoreCase(authorization, kBearer) ||
      !IsWellFormedToken(authorization.substr(kBearer.size()))) {
    return absl::UnauthenticatedError("malformed token");
  }
  const std::string hash = Sha256Hex(authorization.substr(kBearer.size()));
  (void)Refresh();  // A broken file keeps the previous tokens in force.
  absl::MutexLock lock(&mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return absl::UnauthenticatedError("unknown token");
  return it->second;
}

}  // namespace feedgov::service
