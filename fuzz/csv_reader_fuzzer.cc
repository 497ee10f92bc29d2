// Fuzz target: the RFC 4180 CSV reader (CsvReader, engine/ingest/
// csv_reader.h). Input: a CSV file's bytes.
// Properties: reading ends (a record or end of input each call, or an
// error naming "<name>:<line>:"); record lines (which count LFs) never
// decrease and never pass the input's LF count + 1, and records that start
// after an LF start on a later line; a file read without error, written back
// with every field quoted, reads back to the same records.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/ingest/csv_reader.h"
#include "fuzz/fuzz_util.h"

namespace feedgov::fuzz {
namespace {

using Records = std::vector<std::vector<std::string>>;

// All records of `text`, or an error.
absl::StatusOr<Records> ReadAll(const std::string& text) {
  std::istringstream in(text);
  CsvReader reader(&in, "fuzz.csv");
  const int64_t lines =
      1 + static_cast<int64_t>(std::count(text.begin(), text.end(), '\n'));
  Records records;
  int64_t last_line = 0;
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&fields);
    if (!got.ok()) {
      FEEDGOV_FUZZ_CHECK(got.status().code() ==
                         absl::StatusCode::kInvalidArgument);
      FEEDGOV_FUZZ_CHECK(absl::StartsWith(got.status().message(), "fuzz.csv:"));
      return got.status();
    }
    if (!*got) return records;
    FEEDGOV_FUZZ_CHECK(!fields.empty());
    FEEDGOV_FUZZ_CHECK(reader.line() >= std::max<int64_t>(last_line, 1) &&
                       reader.line() <= lines);
    last_line = reader.line();
    records.push_back(fields);
    FEEDGOV_FUZZ_CHECK(records.size() <= text.size());
  }
}

std::string WriteQuoted(const Records& records) {
  std::string out;
  for (const auto& record : records) {
    for (size_t i = 0; i < record.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.push_back('"');
      for (char c : record[i]) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
      }
      out.push_back('"');
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<fuzz::Records> records = fuzz::ReadAll(text);
  if (!records.ok()) return 0;
  absl::StatusOr<fuzz::Records> again =
      fuzz::ReadAll(fuzz::WriteQuoted(*records));
  FEEDGOV_FUZZ_CHECK(again.ok());
  FEEDGOV_FUZZ_CHECK(*again == *records);
  return 0;
}
