// File: engine/common/sha256.h
//
// SHA-256 (FIPS 180-4) via OpenSSL libcrypto. Used for snapshot content
// checksums and the audit-log hash chain. Thread-safe.
#ifndef FEEDGOV_ENGINE_COMMON_SHA256_H_
#define FEEDGOV_ENGINE_COMMON_SHA256_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace feedgov {

// Lower-case hex digest (64 chars) of `data`.
std::string Sha256Hex(absl::string_view data);

// Lower-case hex digest of the file at `path`, streamed.
// Errors: NOT_FOUND if it cannot be opened, DATA_LOSS on a read error.
absl::StatusOr<std::string> Sha256FileHex(const std::string& path);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_SHA256_H_
