#include "engine/ingest/quarantine.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/json.h"
#include "engine/common/utf8.h"

namespace feedgov {

absl::Status QuarantineOptions::Validate() const {
  if (max_rows < 0 || max_rows > 10'000'000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "QuarantineOptions.max_rows = ", max_rows, " outside [0, 10000000]"));
  }
  return absl::OkStatus();
}

absl::Status Quarantine::Add(absl::string_view file, int64_t line,
                             absl::string_view reason,
                             const absl::Status& error) {
  if (options_.strict) return error;
  std::string message(error.message());
  // The report is JSON: a row's raw bytes may not be UTF-8.
  for (size_t bad; (bad = FirstInvalidUtf8(message)) != absl::string_view::npos;)
    message[bad] = '?';
  rows_.push_back(QuarantinedRow{std::string(file), line, std::string(reason),
                                 std::move(message)});
  ++counts_[std::string(reason)];
  if (size() > options_.max_rows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "too many bad rows: ", size(), " set aside, at most ",
        options_.max_rows, " (--max-bad-rows); the last: ", error.message()));
  }
  return absl::OkStatus();
}


std::string Quarantine::ReportJson() const {
  // Fixed key order, rows in file order: reports diff cleanly.
  std::string json =
      absl::StrCat("{\n  \"rows_quarantined\": ", size(), ",\n  \"by_reason\": {");
  const char* sep = "\n";
  for (const auto& [reason, n] : counts_) {
    absl::StrAppend(&json, sep, "    ", JsonString(reason), ": ", n);
    sep = ",\n";
  }
  absl::StrAppend(&json, counts_.empty() ? "},\n" : "\n  },\n", "  \"rows\": [");
  sep = "\n";
  for (const QuarantinedRow& r : rows_) {
    absl::StrAppend(&json, sep, "    {\"file\": ", JsonString(r.file),
                    ", \"line\": ", r.line, ", \"reason\": ", JsonString(r.reason),
                    ", \"message\": ", JsonString(r.message), "}");
    sep = ",\n";
  }
  absl::StrAppend(&json, rows_.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return json;
}

std::string Quarantine::Summary() const {
  if (rows_.empty()) return "";
  std::vector<std::string> parts;
  for (const auto& [reason, n] : counts_) parts.push_back(absl::StrCat(reason, " ", n));
  return absl::StrCat("quarantined ", size(), " rows: ", absl::StrJoin(parts, ", "));
}

}  // namespace feedgov
