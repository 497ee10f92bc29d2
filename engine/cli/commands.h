// File: engine/cli/commands.h
//
// The `feedgov` subcommands. Each takes the arguments after its name and
// returns the process exit code: 0 on success, 1 on a refused or failed
// operation (the error is printed to stderr), 2 on a usage error.
#ifndef FEEDGOV_ENGINE_CLI_COMMANDS_H_
#define FEEDGOV_ENGINE_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/cli/flags.h"
#include "engine/rank/feed_engine.h"
#include "engine/runtime/state_dir.h"

namespace feedgov::cli {

using Args = std::vector<std::string>;

int RunIngest(const Args& args);
int RunEval(const Args& args);
int RunRank(const Args& args);
int RunPolicyLint(const Args& args);
int RunLabelerTrain(const Args& args);
int RunLabelerList(const Args& args);
int RunLabelerEval(const Args& args);
int RunLabel(const Args& args);
// Interventions (Manual intervention issue).
int RunPin(const Args& args);
int RunUnpin(const Args& args);
int RunSuppress(const Args& args);
int RunUnsuppress(const Args& args);
int RunBoost(const Args& args);
int RunBury(const Args& args);
int RunRevoke(const Args& args);
int RunInterventionsList(const Args& args);
int RunAuditList(const Args& args);
int RunAuditVerify(const Args& args);
// gRPC server and clients (gRPC service issue): serve_command.cc,
// client_commands.cc.
int RunServe(const Args& args);
int RunTokenAdd(const Args& args);
int RunClientRank(const Args& args);
int RunClientPin(const Args& args);
int RunClientSuppress(const Args& args);
int RunClientBoost(const Args& args);
int RunClientBury(const Args& args);
int RunClientRevoke(const Args& args);
int RunClientInterventions(const Args& args);
int RunClientAudit(const Args& args);
int RunClientLabel(const Args& args);
int RunClientStats(const Args& args);
int RunClientReloadPolicy(const Args& args);
int RunClientUserShow(const Args& args);
int RunClientUserSet(const Args& args);
int RunClientUserTags(const Args& args);
int RunClientUserDeleteTag(const Args& args);
int RunClientUserAddTag(const Args& args);
int RunClientNotInterested(const Args& args);
int RunClientWhy(const Args& args);
int RunClientAbout(const Args& args);
// User controls (User controls issue), user_commands.cc.
int RunUserShow(const Args& args);
int RunUserSet(const Args& args);
int RunUserTags(const Args& args);
int RunUserDeleteTag(const Args& args);
int RunUserAddTag(const Args& args);
int RunUserNotInterested(const Args& args);
int RunUserWhy(const Args& args);
int RunUserAbout(const Args& args);

// Shared plumbing: parse, print help on --help (exit 0), print usage errors
// (exit 2). Returns nullopt-equivalent via `exit_code` when the caller must
// stop.
bool ParseOrExit(const CommandSpec& spec, const Args& args, ParsedFlags* out,
                 int* exit_code);
// Prints "feedgov <command>: <message>" to stderr and returns 1.
int Fail(const std::string& command, const absl::Status& status);

// For an offline write refused because a running server owns `state_dir`
// (engine/runtime/state_dir_lock.h): `status` with the command to use
// instead appended, "; use: feedgov client <client_verb> --server ADDR
// --token-file <token_hint> <args>", where args are `args` without the
// offline-only flags (--state-dir, --snapshot, --policy, --taxonomy,
// --label-map, and --editor: through the API the token's name is the
// editor). Any other status is returned unchanged.
absl::Status SuggestClient(const absl::Status& status,
                           const std::string& state_dir,
                           const std::string& client_verb,
                           const std::string& token_hint, const Args& args);

}  // namespace feedgov::cli

#endif  // FEEDGOV_ENGINE_CLI_COMMANDS_H_
