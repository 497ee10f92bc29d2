#include <iostream>

#include "engine/cli/commands.h"

namespace feedgov::cli {

bool ParseOrExit(const CommandSpec& spec, const Args& args, ParsedFlags* out,
                 int* exit_code) {
  auto parsed = ParseFlags(spec, args);
  if (parsed.ok()) {
    *out = *std::move(parsed);
    return true;
  }
  if (absl::IsNotFound(parsed.status())) {  // --help
    std::cout << parsed.status().message();
    *exit_code = 0;
  } else {
    std::cerr << "feedgov " << spec.name << ": " << parsed.status().message()
              << "\n";
    *exit_code = 2;
  }
  return false;
}

int Fail(const std::string& command, const absl::Status& status) {
  std::cerr << "feedgov " << command << ": "
            << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  return 1;
}

}  // namespace feedgov::cli
