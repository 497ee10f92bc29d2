// File: engine/response/page_token.h
//
// Opaque page tokens. A token carries the whole state of a token chain (the
// items already served, the next absolute position, the positive-quota
// progress), so the next page is computed by re-ranking and excluding what
// was served: within one chain no item is served twice and none is skipped,
// even if the catalog, labels or interventions change between pages.
//
// Encoding: base64url( serialized PageTokenState || first 16 bytes of
// HMAC-SHA-256(key, serialized) ) (RFC 2104). The tag detects corruption and
// tampering by callers that do not know the key (the deployment's secret).
// Tokens issued by earlier versions (tag: first 16 bytes of SHA-256(key ||
// serialized)) are still accepted, so chains in flight survive an upgrade.
// Tags are compared in constant time.
//
// Thread-safety: free functions, no shared state.
#ifndef FEEDGOV_ENGINE_RESPONSE_PAGE_TOKEN_H_
#define FEEDGOV_ENGINE_RESPONSE_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "feedgov/v1/page_token.pb.h"

namespace feedgov {

// Longest chain a token may describe; beyond it the chain ends
// (OUT_OF_RANGE), which bounds the token size (~10 bytes per item).
inline constexpr int kMaxItemsPerChain = 5000;

std::string EncodePageToken(const v1::PageTokenState& state,
                            absl::string_view key);

// INVALID_ARGUMENT "malformed page token" when it does not decode, fails the
// tag check, or has an unknown format version.
absl::StatusOr<v1::PageTokenState> DecodePageToken(absl::string_view token,
                                                   absl::string_view key);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_RESPONSE_PAGE_TOKEN_H_
