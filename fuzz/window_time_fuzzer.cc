// Fuzz target: window times as editors write them (ParseWindowTime,
// engine/common/time_util.h). Input: "<text>\0<zone>\0<bound>" (missing
// parts empty; bound 's' or anything else for kEnd).
// Properties: errors are INVALID_ARGUMENT naming the field ("--start" /
// "--end") or "--zone"; a parsed time, formatted back in its zone at second
// precision and parsed again (now with an explicit offset), is the same
// instant (truncated to the second) - a window shown to an editor reads
// back as the window stored.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "engine/common/time_util.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> parts =
      absl::StrSplit(input, absl::MaxSplits('\0', 2));
  parts.resize(3);
  const WindowBound bound =
      parts[2] == "s" ? WindowBound::kStart : WindowBound::kEnd;
  const absl::string_view field = bound == WindowBound::kStart ? "--start" : "--end";
  absl::StatusOr<absl::Time> t = ParseWindowTime(field, parts[0], parts[1], bound);
  if (!t.ok()) {
    FEEDGOV_FUZZ_CHECK(t.status().code() == absl::StatusCode::kInvalidArgument);
    const absl::string_view m = t.status().message();
    FEEDGOV_FUZZ_CHECK(absl::StartsWith(m, field) || absl::StartsWith(m, "--zone"));
    return 0;
  }
  const std::string shown = FormatRfc3339InZone(*t, parts[1]);
  absl::StatusOr<absl::Time> again =
      ParseWindowTime(field, shown, parts[1], bound);
  FEEDGOV_FUZZ_CHECK(again.ok());
  // Second precision: ToUnixSeconds floors, as the display does.
  FEEDGOV_FUZZ_CHECK(*again == absl::FromUnixSeconds(absl::ToUnixSeconds(*t)));
  return 0;
}
