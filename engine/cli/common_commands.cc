#include <iostream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/cli/commands.h"
#include "engine/runtime/state_dir_lock.h"

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

namespace {

// Single-quoted for a POSIX shell when it holds anything but
// [A-Za-z0-9_./:@,+=-].
std::string ShellWord(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        std::string("_./:@,+=-").find(c) == std::string::npos) {
      plain = false;
    }
  }
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

absl::Status SuggestClient(const absl::Status& status,
                           const std::string& state_dir,
                           const std::string& client_verb,
                           const std::string& token_hint, const Args& args) {
  if (status.code() != absl::StatusCode::kFailedPrecondition ||
      !absl::StrContains(status.message(), "is owned by a running server")) {
    return status;
  }
  absl::StatusOr<std::optional<StateDirOwner>> owner =
      FindStateDirOwner(state_dir);
  if (!owner.ok() || !owner->has_value() || !(*owner)->is_server() ||
      (*owner)->address.empty()) {
    return status;
  }
  static const std::set<std::string> kOfflineOnly = {
      "state-dir", "snapshot", "policy", "taxonomy", "label-map", "editor"};
  std::string rest;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    bool inline_value = false;
    if (absl::StartsWith(name, "--")) {
      name = name.substr(2);
      size_t eq = name.find('=');
      inline_value = eq != std::string::npos;
      if (inline_value) name = name.substr(0, eq);
      if (kOfflineOnly.count(name) > 0) {
        if (!inline_value && i + 1 < args.size()) ++i;  // Skip its value.
        continue;
      }
    }
    absl::StrAppend(&rest, " ", ShellWord(args[i]));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      status.message(), "; use: feedgov client ", client_verb, " --server ",
      (*owner)->address, " --token-file ", token_hint, rest));
}

}  // namespace feedgov::cli
