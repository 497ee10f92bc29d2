// The feedgov binary: one entry point, one subcommand per task.
#include <iostream>

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/strings/str_format.h"
#include "engine/cli/commands.h"

namespace feedgov::cli {
namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Args&);
};

constexpr Command kCommands[] = {
    {"ingest", "Build a snapshot from a MovieLens-format directory or a JSON Lines file of items with embeddings", RunIngest},
    {"eval", "Offline evaluation: Recall@20 / NDCG@20 of ALS, popularity, random", RunEval},
    {"rank", "Print one ranked, governed page of a surface for a user", RunRank},
    {"policy lint", "Validate a policy pack", RunPolicyLint},
    {"labeler train", "Train the built-in text labelers (cached by data, config and code)", RunLabelerTrain},
    {"labeler list", "List the trained labelers: version, language, labels, data folder", RunLabelerList},
    {"labeler eval", "Evaluate a labeler on a folder of labeled data (accuracy, F1, AUC, ECE)", RunLabelerEval},
    {"label", "Label texts with the built-in labelers (JSON Lines out)", RunLabel},
    {"pin", "Pin an item to a position of a surface for a time window", RunPin},
    {"unpin", "Revoke a pin", RunUnpin},
    {"suppress", "Suppress an item, an author or an item's near duplicates", RunSuppress},
    {"unsuppress", "Revoke a suppression", RunUnsuppress},
    {"boost", "Raise an item's score by a factor > 1", RunBoost},
    {"bury", "Lower an item's score by a factor in (0, 1)", RunBury},
    {"revoke", "Revoke any intervention", RunRevoke},
    {"interventions list", "List interventions in force or scheduled", RunInterventionsList},
    {"audit list", "Print the intervention audit log", RunAuditList},
    {"audit verify", "Verify the audit log's SHA-256 hash chain", RunAuditVerify},
    {"serve", "Serve the feedgov.v1 gRPC API", RunServe},
    {"token add", "Create a bearer token and append its hash to a tokens file", RunTokenAdd},
    {"client rank", "API: one ranked page (FeedService.Rank)", RunClientRank},
    {"client pin", "API: pin an item (EditorService)", RunClientPin},
    {"client suppress", "API: suppress an item, author or near duplicates (EditorService)", RunClientSuppress},
    {"client boost", "API: raise an item's score (EditorService)", RunClientBoost},
    {"client bury", "API: lower an item's score (EditorService)", RunClientBury},
    {"client revoke", "API: revoke an intervention (EditorService)", RunClientRevoke},
    {"client interventions", "API: list interventions (EditorService)", RunClientInterventions},
    {"client audit", "API: audit log and chain verification (EditorService)", RunClientAudit},
    {"client label", "API: set an item's labels (CatalogService)", RunClientLabel},
    {"client stats", "API: server stats and version (AdminService)", RunClientStats},
    {"client reload-policy", "API: reload the policy pack (AdminService)", RunClientReloadPolicy},
    {"client user-show", "API: a user's controls (UserControlService)", RunClientUserShow},
    {"client user-set", "API: personalization / minors on|off, see less, mute", RunClientUserSet},
    {"client user-tags", "API: a user's interest tags with weights", RunClientUserTags},
    {"client user-delete-tag", "API: delete an interest tag", RunClientUserDeleteTag},
    {"client user-add-tag", "API: add an interest tag (or undo a deletion)", RunClientUserAddTag},
    {"client not-interested", "API: mark an item not interested", RunClientNotInterested},
    {"client why", "API: why an item is on a user's feed", RunClientWhy},
    {"client about", "API: about this feed (parameters, policy, options)", RunClientAbout},
    {"user show", "Show a user's controls (personalization, minors, tags, ...)", RunUserShow},
    {"user set", "Set personalization / minors mode, see less, mute an author", RunUserSet},
    {"user tags", "List a user's interest tags with weights", RunUserTags},
    {"user delete-tag", "Delete an interest tag (not derived again)", RunUserDeleteTag},
    {"user add-tag", "Add an interest tag (or undo a deletion)", RunUserAddTag},
    {"user not-interested", "Mark an item not interested (never returns)", RunUserNotInterested},
    {"user why", "Why an item is on a user's feed", RunUserWhy},
    {"user about", "About this feed: ranking parameters and the user's options", RunUserAbout},
};

void PrintUsage(std::ostream& out) {
  out << "feedgov: recommendation-feed governance engine\n\n"
         "Usage: feedgov <command> [flags]   (feedgov <command> --help)\n\n"
         "Commands:\n";
  for (const Command& c : kCommands) {
    out << absl::StrFormat("  %-20s %s\n", c.name, c.summary);
  }
}

}  // namespace
}  // namespace feedgov::cli

int main(int argc, char** argv) {
  using namespace feedgov::cli;
  // Abseil's lock-order graph (deadlock detection) is a debugging aid: it
  // takes a process-wide lock on every Mutex acquisition, which the
  // server's threads contend for. Tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" ||
      args[0] == "help") {
    PrintUsage(std::cout);
    return args.empty() ? 2 : 0;
  }
  for (const Command& c : kCommands) {
    std::string name = c.name;
    size_t words = name.find(' ') == std::string::npos ? 1 : 2;
    if (args.size() < words) continue;
    std::string given = words == 1 ? args[0] : args[0] + " " + args[1];
    if (given == name) {
      return c.run(Args(args.begin() + words, args.end()));
    }
  }
  // A group word alone ("feedgov labeler", "feedgov client --help"): its
  // commands.
  bool group = false;
  for (const Command& c : kCommands) {
    const std::string name = c.name;
    if (name.rfind(args[0] + " ", 0) == 0) {
      if (!group) std::cout << "feedgov " << args[0] << " commands:\n";
      group = true;
      std::cout << absl::StrFormat("  %-24s %s\n", c.name, c.summary);
    }
  }
  if (group) {
    const bool help = args.size() > 1 && (args[1] == "--help" || args[1] == "-h");
    if (!help && args.size() > 1) {
      std::cerr << "feedgov: unknown command '" << args[0] << " " << args[1] << "'\n";
    }
    return help || args.size() == 1 ? (help ? 0 : 2) : 2;
  }
  std::cerr << "feedgov: unknown command '" << args[0] << "'\n\n";
  PrintUsage(std::cerr);
  return 2;
}
