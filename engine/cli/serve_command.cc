// feedgov serve | token add
//
// `serve` runs the gRPC server (engine/service/server.h) until SIGTERM or
// SIGINT, then shuts down gracefully: it stops accepting calls, lets calls
// in flight finish within --grace-seconds, and exits 0.
#include <filesystem>
#include <pthread.h>
#include <signal.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "engine/cli/commands.h"
#include "engine/labeler/labeler_set.h"
#include "engine/service/relabeler.h"
#include "engine/runtime/open_engine.h"
#include "engine/runtime/state_dir.h"
#include "engine/service/auth.h"
#include "engine/service/server.h"

namespace feedgov::cli {

int RunServe(const Args& args) {
  CommandSpec spec{
      "serve",
      "Serve the feedgov.v1 gRPC API (Feed, Catalog, Editor, UserControl, "
      "Admin services, health, reflection) over a snapshot and a state "
      "directory. Rank for a user applies that user's stored controls. Each "
      "request "
      "is logged to stderr (method, role, code, ms). Port 0 picks a free port; "
      "the address is printed on stdout as 'listening on HOST:PORT'. SIGTERM "
      "or SIGINT: graceful shutdown, exit 0.",
      "feedgov serve --snapshot DIR --state-dir DIR --tokens FILE "
      "[--policy FILE] [--policy-dir DIR] [--taxonomy FILE] [--label-map FILE] "
      "[--listen 127.0.0.1:8443] [--threads N] [--max-queued-calls N] "
      "[--idle-threads N] [--grace-seconds S] [--tls-cert F --tls-key F] "
      "[--labelers MODELS_DIR] "
      "[--allow-insecure-remote]",
      {{"snapshot", "Snapshot directory written by `feedgov ingest`", "", true},
       {"state-dir", "State directory (SQLite: interventions, audit, users' "
        "controls)", "", true},
       {"tokens", "Tokens file (SHA-256 hashes, roles; see docs/operations.md)",
        "", true},
       {"policy", "Policy pack", DefaultPath("policies/cn-ecology.textproto")},
       {"policy-dir", "AdminService.ReloadPolicy reads only files inside "
        "this directory (default: the directory of --policy)", ""},
       {"taxonomy", "Label taxonomy", DefaultPath("policies/labels.textproto")},
       {"label-map", "Label map deciding which interest tags are never "
        "stored (illegal/bad labels; user controls)",
        DefaultPath("policies/labelmaps/movielens.textproto")},
       {"listen", "host:port (port 0: any free port)", "127.0.0.1:8443"},
       {"threads", "Rank calls running at once, 1 to 256; more Rank calls "
        "wait in a FIFO queue (other RPCs have their own lane of 2)", "4"},
       {"max-queued-calls", "Calls that may wait for a slot, per lane, 0 to "
        "4096; beyond that a call gets RESOURCE_EXHAUSTED (server busy)",
        "1024"},
       {"idle-threads", "gRPC threads kept waiting for calls when idle, 1 to "
        "4096; set it at least to the calls usually in flight, or each call "
        "beyond it starts and ends a thread", "128"},
       {"tls-cert", "PEM certificate chain (enables TLS)", ""},
       {"tls-key", "PEM private key", ""},
       {"allow-insecure-remote",
        "Allow plaintext on a non-loopback address (TLS proxy in front)", "",
        false, true},
       {"grace-seconds", "Time calls in flight get to finish on shutdown, "
        "0 to 3600 seconds", "10"},
       {"labelers", "Trained text labelers (feedgov labeler train --models DIR): "
        "UpsertItems labels items' text; a changed labeler version relabels "
        "stored items in the background", ""}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  // The labelers first: a bad --labelers fails before anything is opened.
  std::shared_ptr<const LabelerSet> labelers;
  if (f.Has("labelers")) {
    absl::StatusOr<std::shared_ptr<const LabelerSet>> set = LabelerSet::Load(f.Get("labelers"));
    if (!set.ok()) return Fail("serve", set.status());
    labelers = *std::move(set);
    std::cout << "labelers: " << labelers->labelers().size() << " from " << f.Get("labelers")
              << std::endl;
  }
  auto threads = f.Int32("threads");
  if (!threads.ok()) return Fail("serve", threads.status());
  auto queued = f.Int32("max-queued-calls");
  if (!queued.ok()) return Fail("serve", queued.status());
  auto idle = f.Int32("idle-threads");
  if (!idle.ok()) return Fail("serve", idle.status());
  auto grace = f.Double("grace-seconds");
  if (!grace.ok()) return Fail("serve", grace.status());
  if (!(*grace >= 0 && *grace <= 3600)) {  // Also refuses NaN.
    return Fail("serve", absl::InvalidArgumentError(absl::StrCat(
                             "--grace-seconds ", *grace, " outside [0, 3600]")));
  }
  service::ServerOptions so;
  so.listen = f.Get("listen");
  so.threads = static_cast<int>(*threads);
  so.max_queued_calls = static_cast<int>(*queued);
  so.idle_threads = static_cast<int>(*idle);
  so.tls_cert_path = f.Get("tls-cert");
  so.tls_key_path = f.Get("tls-key");
  so.allow_insecure_remote = f.Bool("allow-insecure-remote");
  absl::Status valid = so.Validate();
  if (!valid.ok()) return Fail("serve", valid);

  // Every thread started from here on (engine, gRPC) inherits the mask, so
  // the signals are only ever delivered to sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto tokens = service::TokenStore::Open(f.Get("tokens"), &std::cerr);
  if (!tokens.ok()) return Fail("serve", tokens.status());
  OpenOptions o;
  o.snapshot_dir = f.Get("snapshot");
  o.policy_path = f.Get("policy");
  o.taxonomy_path = f.Get("taxonomy");
  o.state_dir = f.Get("state-dir");
  auto engine = OpenEngine(o);
  if (!engine.ok()) return Fail("serve", engine.status());
  if (labelers != nullptr) {
    // A label outside the taxonomy would make every UpsertItems of the
    // labeler's language, and the relabeling pass, fail in the writer.
    std::vector<std::string> names;
    for (const auto& e : (*engine)->taxonomy().entries()) names.push_back(e.name);
    absl::Status known = CheckLabelerLabels(*labelers, names);
    if (!known.ok()) return Fail("serve", known);
  }
  // The server owns the state directory while it runs (LOCK, see
  // engine/runtime/state_dir_lock.h): a second server, or an offline write,
  // is refused naming this one.
  auto state =
      StateDir::Open(f.Get("state-dir"), engine->get(), &RealClock::Get(),
                     {StateDirAccess::kWrite, "serve"});
  if (!state.ok()) return Fail("serve", state.status());
  // Windows start and end with no write to notice them: record expiries
  // and pins blocked or placed again by a suppression's window every 5 s.
  absl::Status recorder = (*state)->StartRecorder(absl::Seconds(5));
  if (!recorder.ok()) return Fail("serve", recorder);
  std::cerr << "feedgov serve: replayed " << (*state)->replayed_journal_entries()
            << " catalog journal entries from " << f.Get("state-dir")
            << std::endl;

  service::ServiceDeps deps;
  deps.engine = engine->get();
  deps.state = state->get();
  deps.tokens = tokens->get();
  deps.policy_path = f.Get("policy");
  deps.policy_dir = f.Get("policy-dir");
  deps.label_map_path = f.Get("label-map");
  deps.log = &std::cerr;
  deps.labelers = labelers;
  auto server = service::FeedgovServer::Start(so, deps);
  if (!server.ok()) return Fail("serve", server.status());
  std::unique_ptr<service::BackgroundRelabeler> relabeler;
  if (deps.labelers != nullptr) {
    relabeler = std::make_unique<service::BackgroundRelabeler>(
        (*server)->services().gate(), deps.labelers,
        (std::filesystem::path(f.Get("state-dir")) / "labelers.applied").string(),
        &std::cerr);
  }
  absl::Status recorded = (*state)->lock()->SetAddress((*server)->address());
  if (!recorded.ok()) return Fail("serve", recorded);
  std::cout << "listening on " << (*server)->address()
            << (so.tls_cert_path.empty() ? "" : " (TLS)") << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "feedgov serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
            << ": shutting down (calls in flight get " << *grace << " s)"
            << std::endl;
  relabeler.reset();  // Stops after its current batch.
  (*server)->Shutdown(absl::Seconds(*grace));
  server->reset();
  std::cerr << "feedgov serve: stopped" << std::endl;
  return 0;
}

int RunTokenAdd(const Args& args) {
  CommandSpec spec{
      "token add",
      "Generate a random bearer token, print it once on stdout, and append its "
      "SHA-256 hash with the role (and the bound user id for role user) to the "
      "tokens file. The token itself is not stored.",
      "feedgov token add --tokens FILE --role "
      "feed-service|editor|moderator|admin|user [--name N] [--user ID]",
      {{"tokens", "Tokens file (created with mode 0600 if missing)", "", true},
       {"role", "feed-service, editor, moderator, admin or user", "", true},
       {"name", "Name recorded as the actor (default: role or user-ID)", ""},
       {"user", "User id a user token is bound to (role user only)", ""}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto role = service::ParseRole(f.Get("role"));
  if (!role.ok()) return Fail("token add", role.status());
  service::Principal p;
  p.role = *role;
  if (f.Has("user")) {
    auto user = f.Int("user");
    if (!user.ok()) return Fail("token add", user.status());
    p.user = *user;
  }
  p.name = f.Has("name") ? f.Get("name")
           : p.user      ? absl::StrCat("user-", *p.user)
                         : std::string(service::RoleName(p.role));
  auto token = service::GenerateToken();
  if (!token.ok()) return Fail("token add", token.status());
  absl::Status s = service::AppendToken(f.Get("tokens"), *token, p);
  if (!s.ok()) return Fail("token add", s);
  std::cout << *token << "\n";
  return 0;
}

}  // namespace feedgov::cli
