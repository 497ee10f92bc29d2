// File: engine/ingest/csv_reader.h
//
// A streaming RFC 4180 CSV reader: comma-separated fields, optional double
// quotes around a field, "" inside a quoted field for one quote, and commas,
// CR and LF allowed inside quoted fields. Records end with LF, CRLF or a
// lone CR (old Mac files); the last record may lack a terminator. Completely
// empty lines (zero characters) are skipped; a line holding only spaces is a
// record with one field. Line numbers (line(), error messages) count LFs, as
// editors and `sed -n` do: records ended by lone CRs share a line number.
//
// Thread-compatible: one reader per stream, not shared between threads.
#ifndef FEEDGOV_ENGINE_INGEST_CSV_READER_H_
#define FEEDGOV_ENGINE_INGEST_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace feedgov {

class CsvReader {
 public:
  // Reads from `in`, which is borrowed and must outlive the reader. `name`
  // (e.g. "ratings.csv") prefixes error messages.
  CsvReader(std::istream* in, std::string name);

  // Reads the next record into `*fields` (cleared first). Returns true when a
  // record was read, false at end of input.
  // Errors: INVALID_ARGUMENT "<name>:<line>: ..." for an unterminated quoted
  // field or a character other than ',' / end of line after a closing quote
  // or a quote inside an unquoted field.
  absl::StatusOr<bool> Next(std::vector<std::string>* fields);

  // After an error of Next() that concerns one line (a stray quote, a
  // character after a closing quote), skips the rest of that physical line
  // so that Next() goes on with the following one (a file ingest sets the
  // record aside). False, and nothing skipped, after other errors (an
  // unterminated quoted field swallowed the rest of the input) or none.
  bool SkipBadLine();

  // 1-based physical line on which the last record returned by Next()
  // started (a quoted field may span several lines). 0 before any record.
  int64_t line() const { return record_line_; }

  const std::string& name() const { return name_; }

 private:
  absl::Status Error(int64_t line, const std::string& what) const;

  std::streambuf* buf_;
  std::istream* in_;
  std::string name_;
  int64_t next_line_ = 1;  // Physical line of the next unread character.
  bool bad_line_ = false;  // The last Next() failed within one line.
  int64_t record_line_ = 0;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INGEST_CSV_READER_H_
