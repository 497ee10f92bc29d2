// File: engine/ingest/quarantine.h
//
// The rows a file ingest set aside instead of failing (Hardening issue):
// a bulk file with a few bad rows (a NaN rating, an Inf or zero-norm
// embedding, a malformed field, an item outside catalog/item_limits.h)
// still gives a snapshot of the good rows, plus a report that counts each
// reason and names each row (file:line). A strict ingest fails on the first
// bad row instead, and so does any ingest once more than max_rows rows
// were set aside (a file that is mostly garbage is not a catalog).
// API batches (CatalogService) stay all or nothing; this is for files.
//
// Thread-compatible.
#ifndef FEEDGOV_ENGINE_INGEST_QUARANTINE_H_
#define FEEDGOV_ENGINE_INGEST_QUARANTINE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace feedgov {

struct QuarantineOptions {
  // Fail on the first bad row (its error, with file:line) instead.
  bool strict = false;
  // Most rows set aside before the ingest fails; [0, 10'000'000].
  int64_t max_rows = 10000;

  absl::Status Validate() const;
};

struct QuarantinedRow {
  std::string file;    // File name, e.g. "ratings.csv".
  int64_t line = 0;    // 1-based line (line 1 is a CSV header).
  std::string reason;  // Stable code, e.g. "rating", "embedding_non_finite".
  std::string message; // The row's error, e.g. "ratings.csv:17: field ...".
};

class Quarantine {
 public:
  explicit Quarantine(QuarantineOptions options = {}) : options_(options) {}

  // Sets the row aside. Returns `error` itself when strict, and
  // INVALID_ARGUMENT "too many bad rows ..." once more than max_rows rows
  // are set aside; OK otherwise (the caller skips the row).
  absl::Status Add(absl::string_view file, int64_t line,
                   absl::string_view reason, const absl::Status& error);

  int64_t size() const { return static_cast<int64_t>(rows_.size()); }
  const std::vector<QuarantinedRow>& rows() const { return rows_; }
  // Rows per reason, ordered by reason.
  const std::map<std::string, int64_t>& counts() const { return counts_; }

  // The report as JSON: {"rows_quarantined": N, "by_reason": {...},
  // "rows": [{"file", "line", "reason", "message"}, ...]}.
  std::string ReportJson() const;
  // One line: "quarantined 3 rows: rating 2, timestamp 1" ("" when none).
  std::string Summary() const;

 private:
  const QuarantineOptions options_;
  std::vector<QuarantinedRow> rows_;
  std::map<std::string, int64_t> counts_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INGEST_QUARANTINE_H_
