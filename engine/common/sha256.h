// File: engine/common/sha256.h
//
// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104) via OpenSSL libcrypto.
// Used for snapshot content checksums, the audit-log hash chain and the
// page-token tag. Thread-safe; the digest is fetched from the provider once
// per process, not per call (an implicit fetch per call cost ~10 us).
#ifndef FEEDGOV_ENGINE_COMMON_SHA256_H_
#define FEEDGOV_ENGINE_COMMON_SHA256_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace feedgov {

// Lower-case hex digest (64 chars) of `data`.
std::string Sha256Hex(absl::string_view data);

// HMAC-SHA-256 of `data` under `key`: 32 raw bytes.
std::string HmacSha256(absl::string_view key, absl::string_view data);

// Lower-case hex digest of the file at `path`, streamed.
// Errors: NOT_FOUND if it cannot be opened, DATA_LOSS on a read error.
absl::StatusOr<std::string> Sha256FileHex(const std::string& path);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_SHA256_H_
