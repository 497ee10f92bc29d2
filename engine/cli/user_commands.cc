// feedgov user show | set | tags | delete-tag | add-tag | not-interested |
//              why | about
//
// Every command opens the snapshot (catalog, labels, policy) and the state
// directory (<state_dir>/feedgov.db, which holds the users' settings next to
// the interventions), then acts through engine/user/user_controls.h.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"
#include "engine/common/status_macros.h"
#include "engine/governance/label_map.h"
#include "engine/runtime/open_engine.h"
#include "engine/runtime/state_dir.h"
#include "engine/service/services.h"
#include "engine/service/user_control_service.h"
#include "engine/user/user_controls.h"

namespace feedgov::cli {
namespace {

const FlagSpec kStateDir{"state-dir", "State directory (SQLite store)", "", true};
const FlagSpec kSnapshot{"snapshot", "Snapshot directory (catalog and labels)",
                         "", true};
const FlagSpec kUser{"user", "User id", "", true};
const FlagSpec kPolicy{"policy", "Policy pack",
                       DefaultPath("policies/cn-ecology.textproto")};
const FlagSpec kLabelMap{"label-map",
                         "Label map deciding which tags are never interests",
                         DefaultPath("policies/labelmaps/movielens.textproto")};

struct UserSession {
  std::unique_ptr<FeedEngine> engine;
  std::unique_ptr<StateDir> state;
  std::unique_ptr<UserControls> controls;
  UserId user = 0;
  ~UserSession() {
    if (engine != nullptr) engine->SetInterventionSource(nullptr);
  }
};

absl::StatusOr<std::unique_ptr<UserSession>> OpenUserSession(
    const ParsedFlags& f, const StateDirOptions& state_options) {
  auto s = std::make_unique<UserSession>();
  FEEDGOV_ASSIGN_OR_RETURN(s->user, f.Int("user"));
  if (s->user < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--user ", s->user, ": user ids are positive integers"));
  }
  OpenOptions o;
  o.snapshot_dir = f.Get("snapshot");
  o.policy_path = f.Get("policy");
  o.state_dir = f.Get("state-dir");
  FEEDGOV_ASSIGN_OR_RETURN(s->engine, OpenEngine(o));
  FEEDGOV_ASSIGN_OR_RETURN(s->state,
                           StateDir::Open(f.Get("state-dir"), s->engine.get(),
                                          &RealClock::Get(), state_options));
  FEEDGOV_ASSIGN_OR_RETURN(
      LabelMap map,
      LoadLabelMap(f.Get("label-map"), s->engine->policies().taxonomy()));
  FEEDGOV_ASSIGN_OR_RETURN(
      s->controls, UserControls::Create(s->engine.get(), std::move(map)));
  return s;
}

CommandSpec Spec(const std::string& name, const std::string& summary,
                 const std::string& usage_tail, std::vector<FlagSpec> extra) {
  CommandSpec spec{name, summary,
                   absl::StrCat("feedgov ", name,
                                " --state-dir DIR --snapshot DIR --user ID",
                                usage_tail),
                   {kStateDir, kSnapshot, kUser, kPolicy, kLabelMap}};
  for (FlagSpec& x : extra) spec.flags.push_back(std::move(x));
  return spec;
}

std::string Ids(const std::vector<ItemId>& ids) {
  return ids.empty() ? "(none)" : absl::StrJoin(ids, ", ");
}
std::string Strs(const std::vector<std::string>& v) {
  return v.empty() ? "(none)" : absl::StrJoin(v, ", ");
}

std::string FormatSettings(const UserSettings& s) {
  return absl::StrCat(
      "user ", s.user, "\n",
      "  personalization  ", s.personalization ? "on" : "off", "\n",
      "  minors mode      ", s.minors ? "on" : "off", "\n",
      "  deleted tags     ", Strs(s.deleted_tags), "\n",
      "  added tags       ", Strs(s.added_tags), "\n",
      "  muted authors    ", Strs(s.muted_authors), "\n",
      "  not interested   ", Ids(s.not_interested), "\n",
      "  see less         ", Ids(s.see_less), "\n");
}

absl::StatusOr<bool> OnOff(const std::string& flag, const std::string& v) {
  if (v == "on") return true;
  if (v == "off") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " '", v, "': want on or off"));
}

// The API verb (`feedgov client ...`) of each writing command; the others
// only read, and work beside a running server (StateDirAccess::kRead).
std::string ClientVerb(const std::string& command) {
  if (command == "user set") return "user-set";
  if (command == "user delete-tag") return "user-delete-tag";
  if (command == "user add-tag") return "user-add-tag";
  if (command == "user not-interested") return "not-interested";
  return "";
}

// Runs `body` with an opened session; prints its settings result.
template <typename Body>
int WithSession(const CommandSpec& spec, const Args& args, Body body) {
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  const std::string verb = ClientVerb(spec.name);
  StateDirOptions options;
  options.access =
      verb.empty() ? StateDirAccess::kRead : StateDirAccess::kWrite;
  options.command = spec.name;
  auto session = OpenUserSession(f, options);
  if (!session.ok()) {
    return Fail(spec.name, SuggestClient(session.status(), f.Get("state-dir"),
                                         verb, "TOKEN_FILE", args));
  }
  absl::Status s = body(f, **session);
  return s.ok() ? 0 : Fail(spec.name, s);
}

absl::Status PrintSettings(const absl::StatusOr<UserSettings>& s) {
  if (!s.ok()) return s.status();
  std::cout << FormatSettings(*s);
  return absl::OkStatus();
}

}  // namespace


int RunUserShow(const Args& args) {
  return WithSession(
      Spec("user show", "Print a user's stored controls.", "", {}), args,
      [](const ParsedFlags&, UserSession& s) {
        return PrintSettings(s.controls->Settings(s.user));
      });
}

int RunUserSet(const Args& args) {
  CommandSpec spec = Spec(
      "user set",
      "Change a user's controls; applies from the next request and survives "
      "restarts.",
      " [--personalization on|off] [--minors on|off] [--see-less ITEM] "
      "[--mute-author NAME]",
      {{"personalization", "on: personalized feed; off: the non-personalized "
                           "feed that does not use the profile", ""},
       {"minors", "on: minors mode (the pack's minors audience)", ""},
       {"see-less", "Item id: see less like this (its near neighbours are "
                    "downranked)", ""},
       {"mute-author", "Author whose items are not served to this user (personalized feed)", ""}});
  return WithSession(spec, args, [](const ParsedFlags& f, UserSession& s) {
    if (!f.Has("personalization") && !f.Has("minors") && !f.Has("see-less") &&
        !f.Has("mute-author")) {
      return absl::InvalidArgumentError(
          "nothing to set: give --personalization, --minors, --see-less or "
          "--mute-author");
    }
    absl::StatusOr<UserSettings> out = s.controls->Settings(s.user);
    if (f.Has("personalization")) {
      FEEDGOV_ASSIGN_OR_RETURN(bool on,
                               OnOff("personalization", f.Get("personalization")));
      out = s.controls->SetPersonalization(s.user, on);
      if (!out.ok()) return out.status();
    }
    if (f.Has("minors")) {
      FEEDGOV_ASSIGN_OR_RETURN(bool on, OnOff("minors", f.Get("minors")));
      out = s.controls->SetMinors(s.user, on);
      if (!out.ok()) return out.status();
    }
    if (f.Has("see-less")) {
      FEEDGOV_ASSIGN_OR_RETURN(int64_t item, f.Int("see-less"));
      out = s.controls->SeeLess(s.user, item);
      if (!out.ok()) return out.status();
    }
    if (f.Has("mute-author")) {
      out = s.controls->MuteAuthor(s.user, f.Get("mute-author"));
    }
    return PrintSettings(out);
  });
}

int RunUserTags(const Args& args) {
  CommandSpec spec = Spec(
      "user tags",
      "List the user's interest tags with weights: share of the user's "
      "rating mass on items carrying the tag (added tags first).",
      " [--top 20]", {{"top", "How many tags (0: all)", "20"}});
  return WithSession(spec, args, [](const ParsedFlags& f, UserSession& s) {
    FEEDGOV_ASSIGN_OR_RETURN(int64_t top, f.Int("top"));
    FEEDGOV_RETURN_IF_ERROR(service::CheckTagTop("--top", top));
    FEEDGOV_ASSIGN_OR_RETURN(auto tags, s.controls->InterestTags(
                                            s.user, static_cast<int>(top)));
    std::vector<std::vector<std::string>> rows;
    for (const InterestTag& t : tags) {
      rows.push_back({t.tag, absl::StrFormat("%.4f", t.weight),
                      absl::StrCat(t.items), t.added ? "added" : "derived"});
    }
    std::cout << FormatTable({"tag", "weight", "rated items", "source"}, rows);
    return absl::OkStatus();
  });
}

int RunUserDeleteTag(const Args& args) {
  CommandSpec spec = Spec(
      "user delete-tag",
      "Delete an interest tag: from the next request the profile is rebuilt "
      "without the items carrying it, and those items are downranked; the "
      "tag is not derived again until add-tag.",
      " --tag TAG", {{"tag", "Tag or genre, e.g. Drama", "", true}});
  return WithSession(spec, args, [](const ParsedFlags& f, UserSession& s) {
    return PrintSettings(s.controls->DeleteTag(s.user, f.Get("tag")));
  });
}

int RunUserAddTag(const Args& args) {
  CommandSpec spec = Spec(
      "user add-tag",
      "Add an interest tag (or undo its deletion). Tags mapping to illegal "
      "or bad labels are refused (Algo Provisions Art. 10).",
      " --tag TAG", {{"tag", "Tag or genre, e.g. Comedy", "", true}});
  return WithSession(spec, args, [](const ParsedFlags& f, UserSession& s) {
    return PrintSettings(s.controls->AddTag(s.user, f.Get("tag")));
  });
}

int RunUserNotInterested(const Args& args) {
  CommandSpec spec = Spec(
      "user not-interested",
      "Mark an item \"not interested\": it never returns to this user's "
      "personalized feed.",
      " --item ID", {{"item", "Item id", "", true}});
  return WithSession(spec, args, [](const ParsedFlags& f, UserSession& s) {
    FEEDGOV_ASSIGN_OR_RETURN(int64_t item, f.Int("item"));
    return PrintSettings(s.controls->NotInterested(s.user, item));
  });
}

int RunUserWhy(const Args& args) {
  CommandSpec spec = Spec(
      "user why",
      "Why is this item on the user's feed: reason codes, a plain sentence "
      "and the item's labels with their source, origin, confidence and raw "
      "score (re-runs the user's feed to find it).",
      " --item ID [--surface home]",
      {{"item", "Item id", "", true},
       {"surface", "Surface id declared by the policy pack", "home"}});
  return WithSession(spec, args, [](const ParsedFlags& f, UserSession& s) {
    FEEDGOV_ASSIGN_OR_RETURN(int64_t item, f.Int("item"));
    FEEDGOV_ASSIGN_OR_RETURN(Explanation e,
                             s.controls->Why(s.user, item, f.Get("surface")));
    std::cout << e.title << " (item " << e.item << ") at position "
              << e.position << " of `" << e.surface << "`\n"
              << "  reasons: " << absl::StrJoin(e.reason_names, ", ") << "\n"
              << "  " << e.sentence << "\n"
              << "  labels:\n"
              << FormatLabelProvenance(e.labels, 4);
    if (!e.awaiting_review.empty()) {
      std::cout << "  awaiting review: " << e.awaiting_review << "\n";
    }
    return absl::OkStatus();
  });
}

int RunUserAbout(const Args& args) {
  CommandSpec spec = Spec(
      "user about",
      "About this feed: main ranking parameters and their weights, the "
      "policy pack, and the user's options (DSA Art. 27).",
      "", {});
  return WithSession(spec, args, [](const ParsedFlags&, UserSession& s) {
    FEEDGOV_ASSIGN_OR_RETURN(std::string text, s.controls->AboutThisFeed(s.user));
    std::cout << text;
    return absl::OkStatus();
  });
}

}  // namespace feedgov::cli
