#include "engine/ingest/csv_reader.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace feedgov {
namespace {

constexpr int kEof = std::char_traits<char>::eof();

}  // namespace

CsvReader::CsvReader(std::istream* in, std::string name)
    : buf_(in->rdbuf()), in_(in), name_(std::move(name)) {}

absl::Status CsvReader::Error(int64_t line, const std::string& what) const {
  return absl::InvalidArgumentError(absl::StrCat(name_, ":", line, ": ", what));
}

bool CsvReader::SkipBadLine() {
  if (!bad_line_) return false;
  bad_line_ = false;
  for (int c = buf_->sbumpc(); c != kEof; c = buf_->sbumpc()) {
    if (c == '\n') {
      ++next_line_;
      break;
    }
  }
  return true;
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>* fields) {
  fields->clear();
  bad_line_ = false;
  if (buf_ == nullptr || !in_->good()) return false;
  // Skip completely empty lines.
  int c = buf_->sgetc();
  while (c == '\n' || c == '\r') {
    buf_->sbumpc();
    if (c == '\r' && buf_->sgetc() == '\n') c = buf_->sbumpc();
    if (c == '\n') ++next_line_;  // Lines count LFs (see the header).
    c = buf_->sgetc();
  }
  if (c == kEof) return false;
  record_line_ = next_line_;
  std::string field;
  bool quoted = false;       // Current field started with a quote.
  bool after_quote = false;  // Inside a quoted field, the closing quote seen.
  bool field_started = false;
  while (true) {
    c = buf_->sbumpc();
    if (c == kEof) {
      if (quoted && !after_quote) {
        return Error(record_line_, "unterminated quoted field");
      }
      fields->push_back(std::move(field));
      return true;
    }
    char ch = static_cast<char>(c);
    if (quoted && !after_quote) {
      if (ch == '"') {
        if (buf_->sgetc() == '"') {
          buf_->sbumpc();
          field.push_back('"');
        } else {
          after_quote = true;
        }
      } else {
        if (ch == '\n') ++next_line_;
        field.push_back(ch);
      }
      continue;
    }
    if (ch == ',') {
      fields->push_back(std::move(field));
      field.clear();
      quoted = after_quote = field_started = false;
      continue;
    }
    if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && buf_->sgetc() == '\n') {
        ch = static_cast<char>(buf_->sbumpc());
      }
      if (ch == '\n') ++next_line_;
      fields->push_back(std::move(field));
      return true;
    }
    if (after_quote) {
      bad_line_ = true;
      return Error(next_line_, absl::StrCat("unexpected character '", std::string(1, ch),
                                            "' after closing quote in field ",
                                            fields->size() + 1));
    }
    if (ch == '"') {
      if (field_started) {
        bad_line_ = true;
        return Error(next_line_, absl::StrCat("quote inside unquoted field ",
                                              fields->size() + 1));
      }
      quoted = true;
      field_started = true;
      continue;
    }
    field_started = true;
    field.push_back(ch);
  }
}

}  // namespace feedgov
