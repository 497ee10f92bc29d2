// Fuzz target: page-token decoding (DecodePageToken,
// engine/response/page_token.h).
// The input is used twice:
//  1. as a token from a caller: it decodes only if its tag is right, which
//     random bytes almost never are; whatever decodes re-encodes to a token
//     that decodes to the same state;
//  2. as the serialized state inside a correctly tagged token (the fuzzer
//     cannot forge HMAC tags, so this is how it reaches the state parser):
//     it decodes iff it parses as a PageTokenState of format version 1;
//     the decoded state re-encodes to exactly the same token when its
//     serialization is canonical, and always re-encodes to a token that
//     decodes to the same state; a token with any byte changed, or under
//     another key, is rejected as malformed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "engine/common/sha256.h"
#include "engine/response/page_token.h"
#include "feedgov/v1/page_token.pb.h"
#include "fuzz/fuzz_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace feedgov::fuzz {
namespace {

constexpr absl::string_view kKey = "fuzz-page-token-key";

bool Same(const v1::PageTokenState& a, const v1::PageTokenState& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

void CheckMalformed(const absl::StatusOr<v1::PageTokenState>& s) {
  FEEDGOV_FUZZ_CHECK(!s.ok());
  FEEDGOV_FUZZ_CHECK(s.status().code() == absl::StatusCode::kInvalidArgument);
  FEEDGOV_FUZZ_CHECK(
      absl::StartsWith(s.status().message(), "malformed page token"));
}

void CheckRoundTrip(const v1::PageTokenState& state) {
  const std::string token = EncodePageToken(state, kKey);
  absl::StatusOr<v1::PageTokenState> back = DecodePageToken(token, kKey);
  FEEDGOV_FUZZ_CHECK(back.ok());
  FEEDGOV_FUZZ_CHECK(Same(*back, state));
  FEEDGOV_FUZZ_CHECK(EncodePageToken(*back, kKey) == token);
  CheckMalformed(DecodePageToken(token, "another key"));
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  using fuzz::kKey;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  // 1. The input as a token.
  absl::StatusOr<v1::PageTokenState> direct = DecodePageToken(input, kKey);
  if (direct.ok()) {
    FEEDGOV_FUZZ_CHECK(direct->format_version() == 1);
    fuzz::CheckRoundTrip(*direct);
  } else {
    fuzz::CheckMalformed(direct);
  }

  // 2. The input as the state of a correctly tagged token.
  const std::string payload(input);
  const std::string tag = HmacSha256(kKey, payload).substr(0, 16);
  const std::string token = absl::WebSafeBase64Escape(payload + tag);
  absl::StatusOr<v1::PageTokenState> decoded = DecodePageToken(token, kKey);
  v1::PageTokenState parsed;
  const bool parses = parsed.ParseFromString(payload);
  FEEDGOV_FUZZ_CHECK(decoded.ok() == (parses && parsed.format_version() == 1));
  if (!decoded.ok()) {
    fuzz::CheckMalformed(decoded);
    return 0;
  }
  FEEDGOV_FUZZ_CHECK(fuzz::Same(*decoded, parsed));
  fuzz::CheckRoundTrip(*decoded);
  if (decoded->SerializeAsString() == payload) {
    FEEDGOV_FUZZ_CHECK(EncodePageToken(*decoded, kKey) == token);
  }
  // Tampering: change one byte of the decoded bytes (payload or tag).
  std::string raw = payload + tag;
  raw[size % raw.size()] ^= 0x01;
  fuzz::CheckMalformed(DecodePageToken(absl::WebSafeBase64Escape(raw), kKey));
  return 0;
}
