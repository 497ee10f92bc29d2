// File: engine/cli/flags.h
//
// Minimal per-subcommand flag parsing for the `feedgov` binary:
// "--name value", "--name=value" and boolean "--name". Each subcommand
// declares its flags (name, help, default, required); unknown flags,
// missing values and missing required flags are errors naming the flag.
#ifndef FEEDGOV_ENGINE_CLI_FLAGS_H_
#define FEEDGOV_ENGINE_CLI_FLAGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace feedgov::cli {

struct FlagSpec {
  std::string name;           // Without dashes, e.g. "page-size".
  std::string help;
  std::string default_value;  // Used when absent and not required.
  bool required = false;
  bool boolean = false;       // Takes no value; present means "true".
};

struct CommandSpec {
  std::string name;     // e.g. "rank" or "policy lint".
  std::string summary;  // One line.
  std::string usage;    // e.g. "feedgov rank --snapshot DIR [--user ID] ...".
  std::vector<FlagSpec> flags;
  bool allow_positional = false;
};

class ParsedFlags {
 public:
  const std::string& Get(const std::string& name) const;
  bool Has(const std::string& name) const;  // Given explicitly.
  bool Bool(const std::string& name) const;
  // INVALID_ARGUMENT "--page-size: 'x' is not an integer".
  absl::StatusOr<int64_t> Int(const std::string& name) const;
  // As Int, for flags stored in 32 bits; also INVALID_ARGUMENT
  // "--threads: 4294967296 does not fit in 32 bits" (never wrapped).
  absl::StatusOr<int32_t> Int32(const std::string& name) const;
  absl::StatusOr<double> Double(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend absl::StatusOr<ParsedFlags> ParseFlags(const CommandSpec&,
                                                const std::vector<std::string>&);
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> given_;
  std::vector<std::string> positional_;
};

// Returns the parsed flags. If "--help" or "-h" is present, returns
// NOT_FOUND whose message is the help text (callers print it, exit 0).
absl::StatusOr<ParsedFlags> ParseFlags(const CommandSpec& spec,
                                       const std::vector<std::string>& args);

std::string HelpText(const CommandSpec& spec);

}  // namespace feedgov::cli

#endif  // FEEDGOV_ENGINE_CLI_FLAGS_H_
