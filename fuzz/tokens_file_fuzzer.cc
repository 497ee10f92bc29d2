// Fuzz target: the bearer-tokens file parser (ParseTokensFile,
// engine/service/auth.h). Input: a tokens file's text.
// Properties of a file that parses: every hash is 64 lower-case hex chars
// and unique; a user line carries a user id >= 1 and other roles none;
// names are [A-Za-z0-9._@-]{1,64}; the entries written back in the
// documented line format parse to the same entries; a store made of them
// authenticates no malformed or unknown token.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/service/auth.h"
#include "fuzz/fuzz_util.h"

namespace feedgov::fuzz {
namespace {

using service::Role;
using service::TokenEntry;

bool NameOk(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
          c == '_' || c == '@' || c == '-')) {
      return false;
    }
  }
  return true;
}

void CheckEntries(const std::vector<TokenEntry>& entries) {
  std::set<std::string> hashes;
  for (const TokenEntry& e : entries) {
    FEEDGOV_FUZZ_CHECK(e.hash_hex.size() == 64);
    for (char c : e.hash_hex) {
      FEEDGOV_FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
    FEEDGOV_FUZZ_CHECK(hashes.insert(e.hash_hex).second);
    FEEDGOV_FUZZ_CHECK(NameOk(e.principal.name));
    FEEDGOV_FUZZ_CHECK(e.principal.user.has_value() ==
                       (e.principal.role == Role::kUser));
    if (e.principal.user) FEEDGOV_FUZZ_CHECK(*e.principal.user >= 1);
  }
}

std::string Write(const std::vector<TokenEntry>& entries) {
  std::string out = "# written back\n";
  for (const TokenEntry& e : entries) {
    absl::StrAppend(&out, e.hash_hex, " ", service::RoleName(e.principal.role),
                    " ", e.principal.name);
    if (e.principal.user) absl::StrAppend(&out, " ", *e.principal.user);
    out.push_back('\n');
  }
  return out;
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto entries = service::ParseTokensFile("tokens.txt", text);
  if (!entries.ok()) {
    FEEDGOV_FUZZ_CHECK(entries.status().code() ==
                       absl::StatusCode::kInvalidArgument);
    FEEDGOV_FUZZ_CHECK(
        absl::StartsWith(entries.status().message(), "tokens.txt:"));
    return 0;
  }
  fuzz::CheckEntries(*entries);
  auto again = service::ParseTokensFile("again.txt", fuzz::Write(*entries));
  FEEDGOV_FUZZ_CHECK(again.ok());
  FEEDGOV_FUZZ_CHECK(again->size() == entries->size());
  for (size_t i = 0; i < entries->size(); ++i) {
    const auto& a = (*entries)[i];
    const auto& b = (*again)[i];
    FEEDGOV_FUZZ_CHECK(a.hash_hex == b.hash_hex &&
                       a.principal.role == b.principal.role &&
                       a.principal.name == b.principal.name &&
                       a.principal.user == b.principal.user);
  }
  auto store = service::TokenStore::FromEntries(*std::move(entries));
  FEEDGOV_FUZZ_CHECK(!store->Authenticate("").ok());
  FEEDGOV_FUZZ_CHECK(!store->Authenticate(absl::StrCat("Bearer ", text)).ok() ||
                     service::IsWellFormedToken(text));
  return 0;
}
