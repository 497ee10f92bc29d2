// File: engine/common/utf8.h
//
// UTF-8 validation (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
// Text that reaches protobuf string fields must be valid UTF-8, so input
// files are checked where they are read and refused with their location.
#ifndef FEEDGOV_ENGINE_COMMON_UTF8_H_
#define FEEDGOV_ENGINE_COMMON_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace feedgov {

// Byte offset of the first invalid sequence in `s`, or npos when valid.
size_t FirstInvalidUtf8(absl::string_view s);

inline bool IsValidUtf8(absl::string_view s) {
  return FirstInvalidUtf8(s) == absl::string_view::npos;
}

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_UTF8_H_
