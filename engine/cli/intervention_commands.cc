// feedgov pin | unpin | suppress | unsuppress | boost | bury |
//         interventions list | audit list | audit verify
//
// Positions on the command line are 1-based (what an editor sees); they are
// stored 0-based. Times are RFC 3339 with any offset and stored in UTC.
#include <filesystem>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"
#include "engine/common/status_macros.h"
#include "engine/common/time_util.h"
#include "engine/runtime/open_engine.h"
#include "engine/runtime/state_dir.h"

namespace feedgov::cli {
namespace {

const FlagSpec kStateDir{"state-dir", "State directory (SQLite store)", "", true};
const FlagSpec kSnapshot{"snapshot", "Snapshot directory (catalog and labels)",
                         "", true};
const FlagSpec kPolicy{"policy", "Policy pack the write is checked against",
                       DefaultPath("policies/cn-ecology.textproto")};
const FlagSpec kEditor{"editor", "Editor id (who asks)", "", true};
const FlagSpec kReason{"reason", "Why (shown to compliance staff)", "", true};
const FlagSpec kArticle{"article", "Legal basis, e.g. 'Gov. Art. 11'", ""};
const FlagSpec kStart{"start", "Window start, RFC 3339 (default: now)", ""};
const FlagSpec kEnd{"end", "Window end (exclusive), RFC 3339 (default: none)", ""};

// An engine (for the write gate) and the state directory attached to it.
struct Session {
  std::unique_ptr<FeedEngine> engine;
  std::unique_ptr<StateDir> state;
};

absl::StatusOr<Session> OpenSession(const ParsedFlags& f, bool with_engine) {
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
  if (with_engine) {
    OpenOptions o;
    o.snapshot_dir = f.Get("snapshot");
    o.policy_path = f.Get("policy");
    auto engine = OpenEngine(o);
    if (!engine.ok()) return engine.status();
    s.engine = *std::move(engine);
  }
  auto state = StateDir::Open(f.Get("state-dir"), s.engine.get(),
                              &RealClock::Get());
  if (!state.ok()) return state.status();
  s.state = *std::move(state);
  return s;
}

// Window, editor, reason and article from the flags.
absl::Status FillCommon(const ParsedFlags& f, Intervention& iv) {
  iv.editor = f.Get("editor");
  iv.reason = f.Get("reason");
  iv.article_ref = f.Get("article");
  iv.start = RealClock::Get().Now();
  if (f.Has("start")) {
    auto t = ParseRfc3339(f.Get("start"));
    if (!t.ok()) return Annotate(t.status(), "--start");
    iv.start = *t;
  }
  if (f.Has("end")) {
    auto t = ParseRfc3339(f.Get("end"));
    if (!t.ok()) return Annotate(t.status(), "--end");
    iv.end = *t;
  }
  return absl::OkStatus();
}

std::string Window(const Intervention& iv) {
  return absl::StrCat(FormatRfc3339Utc(iv.start), " .. ",
                      iv.end == absl::InfiniteFuture() ? std::string("(no end)")
                                                        : FormatRfc3339Utc(iv.end));
}

std::string Describe(const Intervention& iv) {
  std::string what;
  switch (iv.kind) {
    case InterventionKind::kPin:
      what = absl::StrFormat("pin item %d at position %d", iv.item_id,
                             iv.position + 1);
      break;
    case InterventionKind::kSuppressItem:
      what = absl::StrFormat("suppress item %d", iv.item_id);
      break;
    case InterventionKind::kSuppressAuthor:
      what = absl::StrFormat("suppress author '%s'", iv.author);
      break;
    case InterventionKind::kSuppressNearDuplicates:
      what = absl::StrFormat("suppress near duplicates of item %d (cosine >= %.3f)",
                             iv.item_id, iv.cosine_threshold);
      break;
    case InterventionKind::kBoost:
      what = absl::StrFormat("boost item %d x%.3f", iv.item_id, iv.factor);
      break;
    case InterventionKind::kBury:
      what = absl::StrFormat("bury item %d x%.3f", iv.item_id, iv.factor);
      break;
  }
  return absl::StrCat(what, " on ", iv.surface.empty() ? "all surfaces"
                                                         : "surface " + iv.surface);
}

int Create(const std::string& command, const ParsedFlags& f, Intervention iv) {
  absl::Status s = FillCommon(f, iv);
  if (!s.ok()) return Fail(command, s);
  auto session = OpenSession(f, /*with_engine=*/true);
  if (!session.ok()) return Fail(command, session.status());
  InterventionManager& m = session->state->interventions();
  absl::StatusOr<Intervention> made =
      f.Has("replace") ? m.Replace(f.Get("replace"), iv) : m.Create(iv);
  if (!made.ok()) return Fail(command, made.status());
  std::cout << made->id << ": " << Describe(*made) << ", " << Window(*made)
            << (f.Has("replace") ? absl::StrCat(" (replaces ", f.Get("replace"), ")")
                                 : "")
            << "\n";
  return 0;
}

absl::StatusOr<ItemId> ItemFlag(const ParsedFlags& f, const std::string& name) {
  auto v = f.Int(name);
  if (!v.ok()) return v.status();
  return *v;
}

int Revoke(const std::string& command, const Args& args,
           InterventionKind expected) {
  CommandSpec spec{command,
                   absl::StrCat("Revoke an intervention (it stops applying on "
                                "the next request); recorded in the audit log."),
                   absl::StrCat("feedgov ", command,
                                " --state-dir DIR --id ID --editor E --reason R"),
                   {kStateDir, {"id", "Intervention id", "", true}, kEditor, kReason}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto session = OpenSession(f, /*with_engine=*/false);
  if (!session.ok()) return Fail(command, session.status());
  InterventionManager& m = session->state->interventions();
  const std::string id = f.Get("id");
  for (const Intervention& iv : m.List(/*include_inactive=*/true)) {
    if (iv.id != id) continue;
    bool is_suppress = iv.kind == InterventionKind::kSuppressItem ||
                       iv.kind == InterventionKind::kSuppressAuthor ||
                       iv.kind == InterventionKind::kSuppressNearDuplicates;
    bool ok = expected == InterventionKind::kPin
                  ? iv.kind == InterventionKind::kPin
                  : is_suppress;
    if (!ok) {
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
  CommandSpec spec{
      "pin",
      "Pin an item to a position of a surface for a time window. Refused when "
      "policy forbids the item there (illegal anywhere; bad in a key slot) or "
      "another pin holds the position (unless --replace names it).",
      "feedgov pin --state-dir DIR --snapshot DIR --item ID --position N "
      "[--surface home] --editor E --reason R [--start T] [--end T] "
      "[--replace ID]",
      {kStateDir, kSnapshot, kPolicy,
       {"item", "Item id to pin", "", true},
       {"position", "1-based position on the surface", "", true},
       {"surface", "Surface id", "home"},
       kEditor, kReason, kArticle, kStart, kEnd,
       {"replace", "Id of the pin this one replaces", ""}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  Intervention iv;
  iv.kind = InterventionKind::kPin;
  auto item = ItemFlag(f, "item");
  auto position = f.Int32("position");
  if (!item.ok()) return Fail("pin", item.status());
  if (!position.ok()) return Fail("pin", position.status());
  if (*position < 1 || *position > kMaxPinPosition) {
    return Fail("pin", absl::InvalidArgumentError(absl::StrCat(
                           "--position ", *position, " outside [1, ",
                           kMaxPinPosition, "]")));
  }
  iv.item_id = *item;
  iv.position = static_cast<int>(*position - 1);
  iv.surface = f.Get("surface");
  return Create("pin", f, iv);
}

int RunUnpin(const Args& args) {
  return Revoke("unpin", args, InterventionKind::kPin);
}

int RunSuppress(const Args& args) {
  CommandSpec spec{
      "suppress",
      "Suppress an item, every item of an author, or the near duplicates of an "
      "item (cosine >= threshold, also items added later), on one surface or "
      "all.",
      "feedgov suppress --state-dir DIR --snapshot DIR (--item ID | --author A "
      "| --near-duplicates-of ID --threshold X) [--surface S] --editor E "
      "--reason R [--start T] [--end T]",
      {kStateDir, kSnapshot, kPolicy,
       {"item", "Item id to suppress", ""},
       {"author", "Author whose items to suppress", ""},
       {"near-duplicates-of", "Seed item id for near-duplicate suppression", ""},
       {"threshold", "Cosine threshold in (0, 1] for near duplicates", "0.95"},
       {"surface", "Surface id (default: all surfaces)", ""},
       kEditor, kReason, kArticle, kStart, kEnd}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  int given = f.Has("item") + f.Has("author") + f.Has("near-duplicates-of");
  if (given != 1) {
    return Fail("suppress", absl::InvalidArgumentError(
                                "give exactly one of --item, --author, "
                                "--near-duplicates-of"));
  }
  Intervention iv;
  iv.surface = f.Get("surface");
  if (f.Has("author")) {
    iv.kind = InterventionKind::kSuppressAuthor;
    iv.author = f.Get("author");
  } else {
    bool near = f.Has("near-duplicates-of");
    auto item = ItemFlag(f, near ? "near-duplicates-of" : "item");
    if (!item.ok()) return Fail("suppress", item.status());
    iv.item_id = *item;
    iv.kind = near ? InterventionKind::kSuppressNearDuplicates
                   : InterventionKind::kSuppressItem;
    if (near) {
      auto t = f.Double("threshold");
      if (!t.ok()) return Fail("suppress", t.status());
      iv.cosine_threshold = *t;
    }
  }
  return Create("suppress", f, iv);
}

int RunUnsuppress(const Args& args) {
  return Revoke("unsuppress", args, InterventionKind::kSuppressItem);
}

namespace {

int BoostOrBury(const std::string& command, const Args& args, bool boost) {
  CommandSpec spec{
      command,
      boost ? "Multiply an item's score by a factor > 1 on a surface or all."
            : "Multiply an item's score by a factor in (0, 1) on a surface or all.",
      absl::StrCat("feedgov ", command,
                   " --state-dir DIR --snapshot DIR --item ID --factor X "
                   "[--surface S] --editor E --reason R [--start T] [--end T]"),
      {kStateDir, kSnapshot, kPolicy,
       {"item", "Item id", "", true},
       {"factor", boost ? "Score factor > 1" : "Score factor in (0, 1)", "", true},
       {"surface", "Surface id (default: all surfaces)", ""},
       kEditor, kReason, kArticle, kStart, kEnd}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto item = ItemFlag(f, "item");
  auto factor = f.Double("factor");
  if (!item.ok()) return Fail(command, item.status());
  if (!factor.ok()) return Fail(command, factor.status());
  Intervention iv;
  iv.kind = boost ? InterventionKind::kBoost : InterventionKind::kBury;
  iv.item_id = *item;
  iv.factor = *factor;
  iv.surface = f.Get("surface");
  return Create(command, f, iv);
}

}  // namespace

int RunBoost(const Args& args) { return BoostOrBury("boost", args, true); }
int RunBury(const Args& args) { return BoostOrBury("bury", args, false); }

int RunInterventionsList(const Args& args) {
  CommandSpec spec{"interventions list",
                   "List interventions in force or scheduled (--all: also "
                   "revoked and ended ones).",
                   "feedgov interventions list --state-dir DIR [--all]",
                   {kStateDir, {"all", "Include revoked and ended", "", false, true}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto session = OpenSession(f, /*with_engine=*/false);
  if (!session.ok()) return Fail("interventions list", session.status());
  std::vector<std::vector<std::string>> rows;
  for (const InterventionWithState& w :
       session->state->interventions().ListWithState(f.Bool("all"))) {
    const Intervention& iv = w.intervention;
    std::string state = absl::AsciiStrToLower(InterventionStateName(w.state));
    if (!w.why.empty()) absl::StrAppend(&state, ": ", w.why);
    rows.push_back({iv.id, std::string(InterventionKindName(iv.kind)), state,
                    Describe(iv), Window(iv), iv.editor, iv.reason,
                    iv.article_ref});
  }
  std::cout << FormatTable({"id", "kind", "state", "what", "window (UTC)",
                            "editor", "reason", "article"},
                           rows, 60);
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
  auto session = OpenSession(f, /*with_engine=*/false);
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
  auto session = OpenSession(f, /*with_engine=*/false);
  if (!session.ok()) return Fail("audit verify", session.status());
  absl::Status s = session->state->interventions().VerifyAudit();
  if (!s.ok()) return Fail("audit verify", s);
  auto entries = session->state->intervention_store().ListAudit();
  std::cout << "audit log OK: " << (entries.ok() ? entries->size() : 0)
            << " entries, hash chain intact\n";
  return 0;
}

}  // namespace feedgov::cli
