#include "engine/response/page_token.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/common/sha256.h"

namespace feedgov {
namespace {

constexpr size_t kTagBytes = 16;

// HMAC-SHA-256 of the serialized state, truncated to 128 bits (RFC 2104
// section 5 allows truncation to at least half the output).
std::string Tag(absl::string_view key, absl::string_view payload) {
  return HmacSha256(key, payload).substr(0, kTagBytes);
}

// The tag of tokens issued before HMAC (SHA-256 of key || state, truncated
// to 128 bits, which also rules out length extension). Still accepted so
// that chains in flight survive an upgrade; never issued.
std::string LegacyTag(absl::string_view key, absl::string_view payload) {
  return absl::HexStringToBytes(Sha256Hex(absl::StrCat(key, payload)))
      .substr(0, kTagBytes);
}

// Constant-time comparison of two tags of kTagBytes.
bool SameTag(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed page token: ", why,
                   "; pass the next_page_token of the previous response "
                   "unchanged, or an empty token for the first page"));
}

}  // namespace

std::string EncodePageToken(const v1::PageTokenState& state,
                            absl::string_view key) {
  std::string payload = state.SerializeAsString();
  return absl::WebSafeBase64Escape(absl::StrCat(payload, Tag(key, payload)));
}

absl::StatusOr<v1::PageTokenState> DecodePageToken(absl::string_view token,
                                                   absl::string_view key) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return Malformed("not base64url");
  if (raw.size() < kTagBytes) return Malformed("too short");
  absl::string_view payload(raw.data(), raw.size() - kTagBytes);
  absl::string_view tag(raw.data() + payload.size(), kTagBytes);
  if (!SameTag(Tag(key, payload), tag) && !SameTag(LegacyTag(key, payload), tag)) {
    return Malformed("integrity check failed");
  }
  v1::PageTokenState state;
  if (!state.ParseFromString(std::string(payload))) {
    return Malformed("undecodable state");
  }
  if (state.format_version() != 1) return Malformed("unknown format version");
  return state;
}

}  // namespace feedgov
