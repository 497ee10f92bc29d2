// File: engine/common/utf8.h
//
// UTF-8 validation (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
// Text that reaches protobuf string fields must be valid UTF-8, so input
// files are checked where they are read and refused with their location.
#ifndef FEEDGOV_ENGINE_COMMON_UTF8_H_
#define FEEDGOV_ENGINE_COMMON_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace feedgov {

// Byte offset of the first invalid sequence in `s`, or npos when valid.
size_t FirstInvalidUtf8(absl::string_view s);

inline bool IsValidUtf8(absl::string_view s) {
  return FirstInvalidUtf8(s) == absl::string_view::npos;
}

// The first at most `max` bytes of `s`, not splitting a UTF-8 character.
absl::string_view Utf8Prefix(absl::string_view s, size_t max);

// Longest caller-supplied value quoted in an error message.
inline constexpr size_t kMaxEchoBytes = 64;

// `value` for quoting in an error message: unchanged up to kMaxEchoBytes,
// else its first kMaxEchoBytes bytes (cut at a UTF-8 character boundary)
// + "… (N bytes)". Every error that echoes a caller's value uses it.
std::string Echo(absl::string_view value);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_UTF8_H_
