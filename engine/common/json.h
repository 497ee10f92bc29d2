// File: engine/common/json.h
//
// JSON text for the few places that write it by hand (the audit log's
// canonical intervention JSON, whose bytes are hash-chained; CLI JSON
// output; the ingest quarantine report).
//
// Thread-safety: pure function.
#ifndef FEEDGOV_ENGINE_COMMON_JSON_H_
#define FEEDGOV_ENGINE_COMMON_JSON_H_

#include <string>

#include "absl/strings/string_view.h"

namespace feedgov {

// `s` as a JSON string literal with the escapes RFC 8259 requires (\" and
// \\ and \n \r \t), other bytes below 0x20 as \u00XX (lower-case hex); every other
// byte unchanged (`s` should be valid UTF-8). The output is stable: audit
// hashes depend on it.
std::string JsonString(absl::string_view s);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_JSON_H_
