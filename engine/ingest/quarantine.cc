#include "engine/ingest/quarantine.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/common/utf8.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

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
  // Built as a protobuf Struct so every string is escaped as JSON requires.
  google::protobuf::Struct report;
  auto& fields = *report.mutable_fields();
  fields["rows_quarantined"].set_number_value(static_cast<double>(size()));
  auto& by_reason = *fields["by_reason"].mutable_struct_value()->mutable_fields();
  for (const auto& [reason, n] : counts_) {
    by_reason[reason].set_number_value(static_cast<double>(n));
  }
  auto* rows = fields["rows"].mutable_list_value();
  for (const QuarantinedRow& r : rows_) {
    auto& row = *rows->add_values()->mutable_struct_value()->mutable_fields();
    row["file"].set_string_value(r.file);
    row["line"].set_number_value(static_cast<double>(r.line));
    row["reason"].set_string_value(r.reason);
    row["message"].set_string_value(r.message);
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(report, &json, options);
  return json;
}

std::string Quarantine::Summary() const {
  if (rows_.empty()) return "";
  std::vector<std::string> parts;
  for (const auto& [reason, n] : counts_) parts.push_back(absl::StrCat(reason, " ", n));
  return absl::StrCat("quarantined ", size(), " rows: ", absl::StrJoin(parts, ", "));
}

}  // namespace feedgov
