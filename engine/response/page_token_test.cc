// Page-token tags: HMAC-SHA-256 round trip, tampering and a wrong key are
// refused, tokens of the earlier SHA-256(key || state) format still decode.
#include "engine/response/page_token.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/common/sha256.h"
#include "engine/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

v1::PageTokenState State() {
  v1::PageTokenState st;
  st.set_format_version(1);
  st.set_surface("home");
  st.set_has_user(true);
  st.set_user_id(42);
  st.set_next_position(20);
  for (int i = 1; i <= 20; ++i) st.add_served_item_ids(1000 + i);
  return st;
}

std::string Raw(const std::string& token) {
  std::string raw;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  return raw;
}

TEST(PageTokenTest, RoundTripsAndTagIsTruncatedHmac) {
  const v1::PageTokenState st = State();
  const std::string token = EncodePageToken(st, "secret");
  ASSERT_OK_AND_ASSIGN(v1::PageTokenState back, DecodePageToken(token, "secret"));
  EXPECT_EQ(back.SerializeAsString(), st.SerializeAsString());
  // Oracle: the tag is the first 16 bytes of HMAC-SHA-256(key, state).
  const std::string payload = st.SerializeAsString();
  EXPECT_EQ(Raw(token), payload + HmacSha256("secret", payload).substr(0, 16));
}

TEST(PageTokenTest, TamperedTokenOrWrongKeyIsMalformed) {
  const std::string token = EncodePageToken(State(), "secret");
  EXPECT_THAT(DecodePageToken(token, "other"),
              StatusIs(absl::StatusCode::kInvalidArgument, "integrity check failed"));
  std::string raw = Raw(token);
  raw[3] ^= 1;  // One bit of the state.
  EXPECT_THAT(DecodePageToken(absl::WebSafeBase64Escape(raw), "secret"),
              StatusIs(absl::StatusCode::kInvalidArgument, "integrity check failed"));
  EXPECT_THAT(DecodePageToken("not base64 !", "secret"),
              StatusIs(absl::StatusCode::kInvalidArgument, "not base64url"));
}

TEST(PageTokenTest, TokensOfTheEarlierTagFormatStillDecode) {
  const v1::PageTokenState st = State();
  const std::string payload = st.SerializeAsString();
  const std::string legacy_tag =
      absl::HexStringToBytes(Sha256Hex(absl::StrCat("secret", payload)))
          .substr(0, 16);
  const std::string legacy = absl::WebSafeBase64Escape(payload + legacy_tag);
  ASSERT_OK_AND_ASSIGN(v1::PageTokenState back, DecodePageToken(legacy, "secret"));
  EXPECT_EQ(back.next_position(), 20);
  EXPECT_THAT(DecodePageToken(legacy, "other"),
              StatusIs(absl::StatusCode::kInvalidArgument, "integrity check failed"));
}

}  // namespace
}  // namespace feedgov
