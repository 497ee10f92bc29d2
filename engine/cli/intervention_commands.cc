// feedgov pin | unpin | suppress | unsuppress | boost | bury | revoke |
//         interventions list | audit list | audit verify
//
// Positions on the command line are 1-based (what an editor sees); they are
// stored 0-based. Window flags: engine/cli/intervention_flags.h (shared with
// `feedgov client`). Writes take the state directory's lock and are refused
// while a server owns it (naming the `feedgov client` command to use); the
// listing and audit commands only read and work beside a running server.
#include <filesystem>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/cli/commands.h"
#include "engine/cli/intervention_flags.h"
#include "engine/cli/output.h"
#include "engine/common/status_macros.h"
#include "engine/common/time_util.h"
#include "engine/runtime/open_engine.h"
#include "engine/runtime/state_dir.h"
#include "engine/runtime/state_dir_lock.h"

namespace feedgov::cli {
namespace {

const FlagSpec kStateDir{"state-dir", "State directory (SQLite store)", "", true};
const FlagSpec kSnapshot{"snapshot", "Snapshot directory (catalog and labels)",
                         "", true};
const FlagSpec kPolicy{"policy", "Policy pack the write is checked against",
                       DefaultPath("policies/cn-ecology.textproto")};
const FlagSpec kEditor{"editor", "Editor id (who asks)", "", true};
const FlagSpec kReason{"reason", "Why (shown to compliance staff)", "", true};
constexpr char kEditorToken[] = "EDITOR_TOKEN_FILE";

// An engine (for the write gate) and the state directory attached to it.
struct Session {
  std::unique_ptr<FeedEngine> engine;
  std::unique_ptr<StateDir> state;
};

absl::StatusOr<Session> OpenSession(const ParsedFlags& f, bool with_engine,
                                    const StateDirOptions& options) {
  Session s;
  if (!with_engine) {
    // Reading, verifying and revoking need existing state: never create an
    // empty database that would then "verify OK".
    const std::string db = f.Get("state-dir") + "/feedgov.db";
    std::error_code ec;
    if (!std::filesystem::exists(db, ec) || std::filesystem::file_size(db, ec) == 0) {
      return absl::NotFoundError(absl::StrCat(
          "no feedgov state in ", f.Get("state-dir"), " (", db,
          " is missing or empty)"));
    }
  }
  if (options.access == StateDirAccess::kWrite) {
    // Refuse before the snapshot is loaded (a second or more) when a live
    // owner holds the directory; StateDir::Open checks again, atomically.
    auto owner = FindStateDirOwner(f.Get("state-dir"));
    if (!owner.ok()) return owner.status();
    if (owner->has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("state dir ", f.Get("state-dir"), " is owned by ",
                       DescribeStateDirOwner(**owner)));
    }
  }
  if (with_engine) {
    OpenOptions o;
    o.snapshot_dir = f.Get("snapshot");
    o.policy_path = f.Get("policy");
    auto engine = OpenEngine(o);
    if (!engine.ok()) return engine.status();
    s.engine = *std::move(engine);
  }
  auto state = StateDir::Open(f.Get("state-dir"), s.engine.get(),
                              &RealClock::Get(), options);
  if (!state.ok()) return state.status();
  s.state = *std::move(state);
  return s;
}

// Opens the state directory as its owner for `command`; a refusal because a
// server owns it names the client command to use instead.
absl::StatusOr<Session> OpenForWrite(const std::string& command,
                                     const std::string& client_verb,
                                     const ParsedFlags& f, const Args& args,
                                     bool with_engine) {
  auto session = OpenSession(f, with_engine, {StateDirAccess::kWrite, command});
  if (!session.ok()) {
    return SuggestClient(session.status(), f.Get("state-dir"), client_verb,
                         kEditorToken, args);
  }
  return session;
}

absl::StatusOr<Session> OpenForRead(const std::string& command,
                                    const ParsedFlags& f) {
  return OpenSession(f, /*with_engine=*/false,
                     {StateDirAccess::kRead, command});
}

int Create(EditorVerb verb, const std::string& summary, const Args& args) {
  const std::string command = EditorVerbName(verb);
  CommandSpec spec{command,
                   summary,
                   absl::StrCat("feedgov ", command,
                                " --state-dir DIR --snapshot DIR --editor E ",
                                EditorVerbUsage(verb)),
                   {kStateDir, kSnapshot, kPolicy, kEditor}};
  for (FlagSpec& flag : EditorVerbFlags(verb)) spec.flags.push_back(flag);
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto write = EditorWriteFromFlags(verb, f, RealClock::Get().Now());
  if (!write.ok()) return Fail(command, write.status());
  write->intervention.editor = f.Get("editor");
  auto session = OpenForWrite(command, command, f, args, /*with_engine=*/true);
  if (!session.ok()) return Fail(command, session.status());
  InterventionManager& m = session->state->interventions();
  absl::StatusOr<Intervention> made =
      write->replaces.empty() ? m.Create(write->intervention)
                              : m.Replace(write->replaces, write->intervention);
  if (!made.ok()) return Fail(command, made.status());
  std::cout << made->id << ": " << DescribeIntervention(*made) << ", "
            << FormatWindow(*made)
            << (write->replaces.empty()
                    ? ""
                    : absl::StrCat(" (replaces ", write->replaces, ")"))
            << "\n";
  return 0;
}

bool IsSuppression(InterventionKind kind) {
  return kind == InterventionKind::kSuppressItem ||
         kind == InterventionKind::kSuppressAuthor ||
         kind == InterventionKind::kSuppressNearDuplicates;
}

// `unpin` revokes only pins, `unsuppress` only suppressions, `revoke`
// anything.
int Revoke(const std::string& command, const Args& args,
           bool (*accepts)(InterventionKind)) {
  CommandSpec spec{command,
                   absl::StrCat("Revoke an intervention (it stops applying on "
                                "the next request); recorded in the audit log."),
                   absl::StrCat("feedgov ", command,
                                " --state-dir DIR --id ID --editor E --reason R"),
                   {kStateDir, {"id", "Intervention id", "", true}, kEditor, kReason}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto session =
      OpenForWrite(command, "revoke", f, args, /*with_engine=*/false);
  if (!session.ok()) return Fail(command, session.status());
  InterventionManager& m = session->state->interventions();
  const std::string id = f.Get("id");
  for (const Intervention& iv : m.List(/*include_inactive=*/true)) {
    if (iv.id != id) continue;
    if (!accepts(iv.kind)) {
      return Fail(command, absl::InvalidArgumentError(absl::StrCat(
                               id, " is a ", InterventionKindName(iv.kind),
                               ", not something `", command, "` revokes")));
    }
  }
  absl::Status s = m.Revoke(id, f.Get("editor"), f.Get("reason"));
  if (!s.ok()) return Fail(command, s);
  std::cout << id << ": revoked\n";
  return 0;
}

}  // namespace

int RunPin(const Args& args) {
  return Create(EditorVerb::kPin,
                "Pin an item to a position of a surface for a time window. "
                "Refused when policy forbids the item there (illegal anywhere; "
                "bad in a key slot) or another pin holds the position (unless "
                "--replace names it).",
                args);
}

int RunUnpin(const Args& args) {
  return Revoke("unpin", args,
                [](InterventionKind k) { return k == InterventionKind::kPin; });
}

int RunSuppress(const Args& args) {
  return Create(EditorVerb::kSuppress,
                "Suppress an item, every item of an author, or the near "
                "duplicates of an item (cosine >= threshold, also items added "
                "later), on one surface or all.",
                args);
}

int RunUnsuppress(const Args& args) {
  return Revoke("unsuppress", args, IsSuppression);
}

int RunRevoke(const Args& args) {
  return Revoke("revoke", args, [](InterventionKind) { return true; });
}

int RunBoost(const Args& args) {
  return Create(EditorVerb::kBoost,
                "Multiply an item's score by a factor > 1 on a surface or all.",
                args);
}

int RunBury(const Args& args) {
  return Create(EditorVerb::kBury,
                "Multiply an item's score by a factor in (0, 1) on a surface "
                "or all.",
                args);
}

int RunInterventionsList(const Args& args) {
  CommandSpec spec{"interventions list",
                   "List interventions in force or scheduled (--all: also "
                   "revoked and ended ones).",
                   "feedgov interventions list --state-dir DIR [--all]",
                   {kStateDir, {"all", "Include revoked and ended", "", false, true}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto session = OpenForRead("interventions list", f);
  if (!session.ok()) return Fail("interventions list", session.status());
  std::vector<std::vector<std::string>> rows;
  for (const InterventionWithState& w :
       session->state->interventions().ListWithState(f.Bool("all"))) {
    const Intervention& iv = w.intervention;
    std::string state = absl::AsciiStrToLower(InterventionStateName(w.state));
    if (!w.why.empty()) absl::StrAppend(&state, ": ", w.why);
    rows.push_back({iv.id, std::string(InterventionKindName(iv.kind)), state,
                    DescribeIntervention(iv), FormatWindow(iv), iv.editor,
                    iv.reason, iv.article_ref});
  }
  std::cout << FormatTable(
      {"id", "kind", "state", "what", "window (in its --zone, else UTC; end exclusive)",
       "editor", "reason", "article"},
      rows, 80);
  return 0;
}

int RunAuditList(const Args& args) {
  CommandSpec spec{"audit list",
                   "Print the append-only audit log of interventions: every "
                   "create, replace, revoke, expiry and refused attempt.",
                   "feedgov audit list --state-dir DIR",
                   {kStateDir}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto session = OpenForRead("audit list", f);
  if (!session.ok()) return Fail("audit list", session.status());
  auto entries = session->state->intervention_store().ListAudit();
  if (!entries.ok()) return Fail("audit list", entries.status());
  std::vector<std::vector<std::string>> rows;
  for (const AuditEntry& e : *entries) {
    rows.push_back({absl::StrCat(e.seq), FormatRfc3339Utc(e.event.time),
                    e.event.actor, std::string(AuditActionName(e.event.action)),
                    e.event.intervention_id, e.event.message,
                    e.hash.substr(0, 12)});
  }
  std::cout << FormatTable({"seq", "time (UTC)", "actor", "action",
                            "intervention", "reason / message", "sha256"},
                           rows, 70);
  return 0;
}

int RunAuditVerify(const Args& args) {
  CommandSpec spec{"audit verify",
                   "Verify the audit log: SHA-256 hash chain and that every "
                   "stored intervention matches its audit entry. Reports the "
                   "first edited, reordered or deleted entry; exits 1 then.",
                   "feedgov audit verify --state-dir DIR",
                   {kStateDir}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto session = OpenForRead("audit verify", f);
  if (!session.ok()) return Fail("audit verify", session.status());
  absl::Status s = session->state->interventions().VerifyAudit();
  if (!s.ok()) return Fail("audit verify", s);
  auto entries = session->state->intervention_store().ListAudit();
  std::cout << "audit log OK: " << (entries.ok() ? entries->size() : 0)
            << " entries, hash chain intact\n";
  return 0;
}

}  // namespace feedgov::cli
