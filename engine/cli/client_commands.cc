// feedgov client <verb>: talk to a running `feedgov serve` over gRPC.
// Editor verbs (pin, suppress, boost, bury, revoke, interventions, audit)
// take the offline commands' flags (engine/cli/intervention_flags.h), so a
// state directory owned by a server never needs the offline path.
// User controls (UserControlService): user-show, user-set, user-tags,
// user-delete-tag, user-add-tag, not-interested, why, about; --user may be
// omitted with a user token (it acts for its own id).
// Every verb takes --server HOST:PORT and --token-file F (a file holding the
// bearer token printed by `feedgov token add`), and --tls-ca F for a TLS
// server. Positions are 1-based, as everywhere in the API.
#include <iostream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/cli/commands.h"
#include "engine/cli/intervention_flags.h"
#include "engine/cli/output.h"
#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "engine/common/time_util.h"
#include "engine/service/convert.h"
#include "engine/service/services.h"
#include "engine/service/user_control_service.h"
#include "feedgov/v1/admin_service.grpc.pb.h"
#include "feedgov/v1/catalog_service.grpc.pb.h"
#include "feedgov/v1/editor_service.grpc.pb.h"
#include "feedgov/v1/feed_service.grpc.pb.h"
#include "feedgov/v1/user_control_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace feedgov::cli {
namespace {

using service::FromGrpcStatus;

const FlagSpec kServer{"server", "Server address HOST:PORT", "", true};
const FlagSpec kTokenFile{"token-file", "File holding the bearer token", "", true};
const FlagSpec kTlsCa{"tls-ca", "PEM root certificate(s): connect with TLS", ""};

struct Connection {
  std::shared_ptr<grpc::Channel> channel;
  std::string token;

  // A context carrying the token, with a 30 s deadline.
  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }
};

absl::StatusOr<Connection> Connect(const ParsedFlags& f) {
  Connection c;
  auto token = ReadFile(f.Get("token-file"));
  if (!token.ok()) return Annotate(token.status(), "--token-file");
  c.token = std::string(absl::StripAsciiWhitespace(*token));
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (f.Has("tls-ca")) {
    auto ca = ReadFile(f.Get("tls-ca"));
    if (!ca.ok()) return Annotate(ca.status(), "--tls-ca");
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  c.channel = grpc::CreateChannel(f.Get("server"), creds);
  return c;
}

// Parses flags and connects; on failure sets *code and returns nullopt.
std::optional<Connection> Start(CommandSpec spec, const Args& args,
                                ParsedFlags* f, int* code) {
  spec.flags.insert(spec.flags.begin(), {kServer, kTokenFile, kTlsCa});
  if (!ParseOrExit(spec, args, f, code)) return std::nullopt;
  auto c = Connect(*f);
  if (!c.ok()) {
    *code = Fail(spec.name, c.status());
    return std::nullopt;
  }
  return *std::move(c);
}

std::string Usage(const std::string& verb, const std::string& rest) {
  return absl::StrCat("feedgov client ", verb,
                      " --server HOST:PORT --token-file F ", rest);
}

// The engine's view of a stored intervention the server returned, to
// describe it the way the offline commands do (1-based positions, the window
// in the zone it was entered in).
Intervention FromServer(const v1::Intervention& in) {
  absl::StatusOr<Intervention> iv = service::InterventionFromProto(
      in, absl::FromUnixMicros(in.start_unix_us()));
  Intervention out = iv.ok() ? *iv : Intervention();
  out.id = in.id();
  out.editor = in.editor();
  out.revoked = in.revoked();
  return out;
}

// feedgov client pin|suppress|boost|bury: the offline commands' flags
// (engine/cli/intervention_flags.h), sent as CreateIntervention, or as
// ReplaceIntervention with --replace.
int CreateIntervention(EditorVerb verb, const std::string& summary,
                       const Args& args) {
  const std::string verb_name = EditorVerbName(verb);
  const std::string command = "client " + verb_name;
  CommandSpec spec{command, summary, Usage(verb_name, EditorVerbUsage(verb)),
                   EditorVerbFlags(verb)};
  ParsedFlags f;
  int code = 0;
  auto c = Start(spec, args, &f, &code);
  if (!c) return code;
  auto write = EditorWriteFromFlags(verb, f, absl::Now());
  if (!write.ok()) return Fail(command, write.status());
  v1::Intervention iv;
  service::InterventionToProto(write->intervention, &iv);
  iv.clear_id();
  iv.clear_created_unix_us();
  if (!write->start_given) iv.clear_start_unix_us();  // The server's now.
  auto stub = v1::EditorService::NewStub(c->channel);
  v1::Intervention made;
  grpc::Status s;
  if (!write->replaces.empty()) {
    v1::ReplaceInterventionRequest req;
    req.set_replaces_id(write->replaces);
    *req.mutable_intervention() = iv;
    s = stub->ReplaceIntervention(c->Context().get(), req, &made);
  } else {
    v1::CreateInterventionRequest req;
    *req.mutable_intervention() = iv;
    s = stub->CreateIntervention(c->Context().get(), req, &made);
  }
  if (!s.ok()) return Fail(command, FromGrpcStatus(s));
  const Intervention shown = FromServer(made);
  std::cout << made.id() << ": " << DescribeIntervention(shown) << ", "
            << FormatWindow(shown) << " by " << made.editor()
            << (write->replaces.empty()
                    ? ""
                    : absl::StrCat(" (replaces ", write->replaces, ")"))
            << "\n";
  return 0;
}

const FlagSpec kReason{"reason", "Why (shown to compliance staff)", "", true};

}  // namespace

int RunClientRank(const Args& args) {
  CommandSpec spec{"client rank",
                   "FeedService.Rank: print one governed page (KEY = key slot).",
                   Usage("rank", "[--user ID] [--surface home] [--page-size 10] "
                                 "[--format table|json] [--no-personalization]"),
                   {{"user", "User id (omit: anonymous; with a user token, its own id)", ""},
                    {"surface", "Surface id", "home"},
                    {"page-size", "Items per page, 1 to 500", "10"},
                    {"page-token", "next_page_token of the previous page", ""},
                    {"format", "table or json", "table"},
                    {"minors", "Minors mode", "", false, true},
                    {"no-personalization", "Non-personalized feed", "", false, true}}};
  ParsedFlags f;
  int code = 0;
  auto c = Start(spec, args, &f, &code);
  if (!c) return code;
  v1::RankRequest req;
  req.set_surface(f.Get("surface"));
  if (f.Has("user")) {
    auto user = f.Int("user");
    if (!user.ok()) return Fail("client rank", user.status());
    req.set_user_id(*user);
  }
  auto size = f.Int32("page-size");
  if (!size.ok()) return Fail("client rank", size.status());
  req.set_page_size(static_cast<int32_t>(*size));
  req.set_page_token(f.Get("page-token"));
  req.set_minors(f.Bool("minors"));
  req.set_disable_personalization(f.Bool("no-personalization"));
  v1::RankResponse resp;
  grpc::Status s = v1::FeedService::NewStub(c->channel)
                       ->Rank(c->Context().get(), req, &resp);
  if (!s.ok()) return Fail("client rank", FromGrpcStatus(s));
  RankResponse page = service::RankResponseFromProto(resp);
  std::cout << (f.Get("format") == "json" ? FormatRankJson(page)
                                          : FormatRankTable(page));
  return 0;
}

int RunClientPin(const Args& args) {
  return CreateIntervention(
      EditorVerb::kPin,
      "EditorService.CreateIntervention (PIN): pin an item to a 1-based "
      "position. Refused when governance forbids it.",
      args);
}

int RunClientSuppress(const Args& args) {
  return CreateIntervention(
      EditorVerb::kSuppress,
      "EditorService.CreateIntervention (SUPPRESS_ITEM, SUPPRESS_AUTHOR or "
      "SUPPRESS_NEAR_DUPLICATES).",
      args);
}

int RunClientBoost(const Args& args) {
  return CreateIntervention(
      EditorVerb::kBoost,
      "EditorService.CreateIntervention (BOOST): multiply an item's score by a "
      "factor > 1.",
      args);
}

int RunClientBury(const Args& args) {
  return CreateIntervention(
      EditorVerb::kBury,
      "EditorService.CreateIntervention (BURY): multiply an item's score by a "
      "factor in (0, 1).",
      args);
}

int RunClientRevoke(const Args& args) {
  CommandSpec spec{"client revoke", "EditorService.RevokeIntervention.",
                   Usage("revoke", "--id ID --reason R"),
                   {{"id", "Intervention id", "", true}, kReason}};
  ParsedFlags f;
  int code = 0;
  auto c = Start(spec, args, &f, &code);
  if (!c) return code;
  v1::RevokeInterventionRequest req;
  req.set_id(f.Get("id"));
  req.set_reason(f.Get("reason"));
  v1::RevokeInterventionResponse resp;
  grpc::Status s = v1::EditorService::NewStub(c->channel)
                       ->RevokeIntervention(c->Context().get(), req, &resp);
  if (!s.ok()) return Fail("client revoke", FromGrpcStatus(s));
  std::cout << req.id() << ": revoked\n";
  return 0;
}

int RunClientInterventions(const Args& args) {
  CommandSpec spec{"client interventions", "EditorService.ListInterventions.",
                   Usage("interventions", "[--all]"),
                   {{"all", "Include revoked and ended", "", false, true}}};
  ParsedFlags f;
  int code = 0;
  auto c = Start(spec, args, &f, &code);
  if (!c) return code;
  v1::ListInterventionsRequest req;
  req.set_include_inactive(f.Bool("all"));
  v1::ListInterventionsResponse resp;
  grpc::Status s = v1::EditorService::NewStub(c->channel)
                       ->ListInterventions(c->Context().get(), req, &resp);
  if (!s.ok()) return Fail("client interventions", FromGrpcStatus(s));
  std::vector<std::vector<std::string>> rows;
  for (const v1::Intervention& iv : resp.interventions()) {
    const Intervention shown = FromServer(iv);
    // The server's state (ACTIVE, SCHEDULED, BLOCKED, ENDED, REVOKED) and,
    // for a blocked pin, why.
    std::string state = absl::AsciiStrToLower(iv.state());
    if (state.empty()) state = iv.revoked() ? "revoked" : "in force/scheduled";
    if (!iv.state_reason().empty()) absl::StrAppend(&state, ": ", iv.state_reason());
    rows.push_back({iv.id(), DescribeIntervention(shown), state,
                    FormatWindow(shown), iv.editor(), iv.reason(),
                    iv.article_ref()});
  }
  std::cout << FormatTable(
      {"id", "what", "state", "window (in its --zone, else UTC; end exclusive)", "editor",
       "reason", "article"},
      rows, 80);
  return 0;
}

int RunClientAudit(const Args& args) {
  CommandSpec spec{"client audit",
                   "EditorService.QueryAudit and VerifyAudit: print the audit "
                   "log and whether its hash chain is intact (exit 1 if not).",
                   Usage("audit", "[--from-seq N] [--limit 100]"),
                   {{"from-seq", "First seq", "0"}, {"limit", "Entries, 1 to 1000", "100"}}};
  ParsedFlags f;
  int code = 0;
  auto c = Start(spec, args, &f, &code);
  if (!c) return code;
  auto from = f.Int("from-seq");
  auto limit = f.Int32("limit");
  if (!from.ok()) return Fail("client audit", from.status());
  if (!limit.ok()) return Fail("client audit", limit.status());
  auto stub = v1::EditorService::NewStub(c->channel);
  v1::QueryAuditRequest req;
  req.set_from_seq(*from);
  req.set_limit(static_cast<int32_t>(*limit));
  v1::QueryAuditResponse resp;
  grpc::Status s = stub->QueryAudit(c->Context().get(), req, &resp);
  if (!s.ok()) return Fail("client audit", FromGrpcStatus(s));
  std::vector<std::vector<std::string>> rows;
  for (const v1::AuditEntry& e : resp.entries()) {
    rows.push_back({absl::StrCat(e.seq()),
                    FormatRfc3339Utc(absl::FromUnixMicros(e.time_unix_us())),
                    e.actor(), e.action(), e.intervention_id(), e.message(),
                    e.hash().substr(0, 12)});
  }
  std::cout << FormatTable({"seq", "time (UTC)", "actor", "action",
                            "intervention", "reason / message", "sha256"},
                           rows, 70);
  v1::VerifyAuditResponse verdict;
  s = stub->VerifyAudit(c->Context().get(), v1::VerifyAuditRequest(), &verdict);
  if (!s.ok()) return Fail("client audit", FromGrpcStatus(s));
  if (!verdict.ok()) {
    return Fail("client audit", absl::DataLossError(verdict.problem()));
  }
  std::cout << "audit log OK: " << verdict.entries()
            << " entries, hash chain intact\n";
  return 0;
}

int RunClientLabel(const Args& args) {
  CommandSpec spec{"client label",
                   "CatalogService.SetLabels: replace an item's labels "
                   "(reviewer decisions), effective on the next Rank.",
                   Usage("label", "--item ID --labels name[:confidence],... "
                                  "(empty clears)"),
                   {{"item", "Item id", "", true},
                    {"labels", "Comma-separated name[:confidence] (default 1)", ""}}};
  ParsedFlags f;
  int code = 0;
  auto c = Start(spec, args, &f, &code);
  if (!c) return code;
  auto item = f.Int("item");
  if (!item.ok()) return Fail("client label", item.status());
  v1::SetLabelsRequest req;
  v1::ItemLabels* il = req.add_items();
  il->set_item_id(*item);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (absl::string_view part :
       absl::StrSplit(f.Get("labels"), ',', absl::SkipEmpty())) {
    std::vector<std::string> kv = absl::StrSplit(part, ':');
    v1::ItemLabel* l = il->add_labels();
    l->set_name(kv[0]);
    float conf = 1.0f;
    if (kv.size() > 1 && !absl::SimpleAtof(kv[1], &conf)) {
      return Fail("client label", absl::InvalidArgumentError(absl::StrCat(
                                      "--labels: confidence '", kv[1],
                                      "' is not a number")));
    }
    l->set_confidence(conf);
    l->set_source(v1::LABEL_SOURCE_REVIEWER);
    l->set_time_unix_us(service::ApiMicros(now));
  }
  v1::SetLabelsResponse resp;
  grpc::Status s = v1::CatalogService::NewStub(c->channel)
                       ->SetLabels(c->Context().get(), req, &resp);
  if (!s.ok()) return Fail("client label", FromGrpcStatus(s));
  std::cout << "item " << *item << ": labels set to '" << f.Get("labels")
            << "'\n";
  return 0;
}

int RunClientStats(const Args& args) {
  CommandSpec spec{"client stats", "AdminService.Stats and Version.",
                   Usage("stats", ""), {}};
  ParsedFlags f;
  int code = 0;
  auto c = Start(spec, args, &f, &code);
  if (!c) return code;
  auto stub = v1::AdminService::NewStub(c->channel);
  v1::StatsResponse st;
  grpc::Status s = stub->Stats(c->Context().get(), v1::StatsRequest(), &st);
  if (!s.ok()) return Fail("client stats", FromGrpcStatus(s));
  v1::VersionResponse v;
  s = stub->Version(c->Context().get(), v1::VersionRequest(), &v);
  if (!s.ok()) return Fail("client stats", FromGrpcStatus(s));
  std::cout << "feedgov " << v.server_version() << " (" << v.api() << ")\n"
            << st.DebugString();
  return 0;
}

int RunClientReloadPolicy(const Args& args) {
  CommandSpec spec{"client reload-policy",
                   "AdminService.ReloadPolicy: atomically swap in the policy "
                   "pack (the server's --policy file, or --path); an invalid "
                   "pack is refused and the old one stays in force.",
                   Usage("reload-policy", "[--path F]"),
                   {{"path", "Policy file on the server", ""}}};
  ParsedFlags f;
  int code = 0;
  auto c = Start(spec, args, &f, &code);
  if (!c) return code;
  v1::ReloadPolicyRequest req;
  req.set_path(f.Get("path"));
  v1::ReloadPolicyResponse resp;
  grpc::Status s = v1::AdminService::NewStub(c->channel)
                       ->ReloadPolicy(c->Context().get(), req, &resp);
  if (!s.ok()) return Fail("client reload-policy", FromGrpcStatus(s));
  std::cout << "policy " << resp.policy_id() << " v" << resp.policy_version()
            << " in force\n";
  return 0;
}

// ---------------------------------------------------------------- User

namespace {

const FlagSpec kUserFlag{"user", "User id (omit with a user token: its own id)", ""};

// --user, or 0 ("the token's own user").
absl::StatusOr<int64_t> UserFlag(const ParsedFlags& f) {
  if (!f.Has("user")) return 0;
  return f.Int("user");
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& v) {
  return v.empty() ? "(none)" : absl::StrJoin(v, ", ");
}
std::string Joined(const google::protobuf::RepeatedField<int64_t>& v) {
  return v.empty() ? "(none)" : absl::StrJoin(v, ", ");
}

std::string FormatUserSettings(const v1::UserSettings& s) {
  return absl::StrCat(
      "user ", s.user_id(), "\n",
      "  personalization  ", s.personalization() ? "on" : "off", "\n",
      "  minors mode      ", s.minors() ? "on" : "off", "\n",
      "  deleted tags     ", Joined(s.deleted_tags()), "\n",
      "  added tags       ", Joined(s.added_tags()), "\n",
      "  muted authors    ", Joined(s.muted_authors()), "\n",
      "  not interested   ", Joined(s.not_interested_item_ids()), "\n",
      "  see less         ", Joined(s.see_less_item_ids()), "\n");
}

std::string FormatTags(const v1::ListTagsResponse& r) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::InterestTag& t : r.tags()) {
    rows.push_back({t.tag(), absl::StrFormat("%.4f", t.weight()),
                    absl::StrCat(t.rated_items()), t.origin()});
  }
  return absl::StrCat(FormatTable({"tag", "weight", "rated items", "origin"}, rows),
                      "deleted tags: ", Joined(r.deleted_tags()), "\n");
}

absl::StatusOr<bool> OnOffFlag(const ParsedFlags& f, const std::string& flag) {
  const std::string v = f.Get(flag);
  if (v == "on") return true;
  if (v == "off") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " '", v, "': want on or off"));
}

// Runs one UserControlService call: parse, connect, `body(stub, conn,
// flags, user)` returning absl::Status (printing on success).
template <typename Body>
int RunUserRpc(CommandSpec spec, const Args& args, Body body) {
  spec.flags.insert(spec.flags.begin(), kUserFlag);
  ParsedFlags f;
  int code = 0;
  auto c = Start(spec, args, &f, &code);
  if (!c) return code;
  auto user = UserFlag(f);
  if (!user.ok()) return Fail(spec.name, user.status());
  auto stub = v1::UserControlService::NewStub(c->channel);
  absl::Status s = body(*stub, *c, f, *user);
  return s.ok() ? 0 : Fail(spec.name, s);
}

std::string UserUsage(const std::string& verb, const std::string& rest) {
  return Usage(verb, absl::StrCat("[--user ID] ", rest));
}

}  // namespace

int RunClientUserShow(const Args& args) {
  CommandSpec spec{"client user-show", "UserControlService.GetSettings.",
                   UserUsage("user-show", ""), {}};
  return RunUserRpc(spec, args, [](v1::UserControlService::Stub& stub,
                                   const Connection& c, const ParsedFlags&,
                                   int64_t user) -> absl::Status {
    v1::GetSettingsRequest req;
    req.set_user_id(user);
    v1::UserSettings out;
    FEEDGOV_RETURN_IF_ERROR(
        FromGrpcStatus(stub.GetSettings(c.Context().get(), req, &out)));
    std::cout << FormatUserSettings(out);
    return absl::OkStatus();
  });
}

int RunClientUserSet(const Args& args) {
  CommandSpec spec{
      "client user-set",
      "UserControlService.SetSettings: change the given controls (durable; "
      "the next Rank for the user applies them).",
      UserUsage("user-set", "[--personalization on|off] [--minors on|off] "
                            "[--see-less ITEM] [--mute-author NAME]"),
      {{"personalization", "on or off", ""},
       {"minors", "on or off", ""},
       {"see-less", "Item id: see less like this", ""},
       {"mute-author", "Author whose items are not served to the user (personalized feed)", ""}}};
  return RunUserRpc(spec, args, [](v1::UserControlService::Stub& stub,
                                   const Connection& c, const ParsedFlags& f,
                                   int64_t user) -> absl::Status {
    v1::SetSettingsRequest req;
    req.set_user_id(user);
    if (f.Has("personalization")) {
      FEEDGOV_ASSIGN_OR_RETURN(bool on, OnOffFlag(f, "personalization"));
      req.set_personalization(on);
    }
    if (f.Has("minors")) {
      FEEDGOV_ASSIGN_OR_RETURN(bool on, OnOffFlag(f, "minors"));
      req.set_minors(on);
    }
    if (f.Has("see-less")) {
      FEEDGOV_ASSIGN_OR_RETURN(int64_t item, f.Int("see-less"));
      req.set_see_less_item_id(item);
    }
    if (f.Has("mute-author")) req.set_mute_author(f.Get("mute-author"));
    v1::UserSettings out;
    FEEDGOV_RETURN_IF_ERROR(
        FromGrpcStatus(stub.SetSettings(c.Context().get(), req, &out)));
    std::cout << FormatUserSettings(out);
    return absl::OkStatus();
  });
}

int RunClientUserTags(const Args& args) {
  CommandSpec spec{"client user-tags",
                   "UserControlService.ListTags: interest tags with weights "
                   "(share of the user's rating mass), added first.",
                   UserUsage("user-tags", "[--top 10]"),
                   {{"top", "How many tags (0: all)", "10"}}};
  return RunUserRpc(spec, args, [](v1::UserControlService::Stub& stub,
                                   const Connection& c, const ParsedFlags& f,
                                   int64_t user) -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(int64_t top, f.Int("top"));
    FEEDGOV_RETURN_IF_ERROR(service::CheckTagTop("--top", top));
    v1::ListTagsRequest req;
    req.set_user_id(user);
    req.set_top_n(static_cast<int32_t>(top));
    v1::ListTagsResponse out;
    FEEDGOV_RETURN_IF_ERROR(
        FromGrpcStatus(stub.ListTags(c.Context().get(), req, &out)));
    std::cout << FormatTags(out);
    return absl::OkStatus();
  });
}

int RunClientUserDeleteTag(const Args& args) {
  CommandSpec spec{"client user-delete-tag",
                   "UserControlService.DeleteTag: the tag stops shaping the "
                   "user's feed from the next Rank; prints the top 10 tags left.",
                   UserUsage("user-delete-tag", "--tag TAG"),
                   {{"tag", "Tag or genre, e.g. Drama", "", true}}};
  return RunUserRpc(spec, args, [](v1::UserControlService::Stub& stub,
                                   const Connection& c, const ParsedFlags& f,
                                   int64_t user) -> absl::Status {
    v1::DeleteTagRequest req;
    req.set_user_id(user);
    req.set_tag(f.Get("tag"));
    v1::ListTagsResponse out;
    FEEDGOV_RETURN_IF_ERROR(
        FromGrpcStatus(stub.DeleteTag(c.Context().get(), req, &out)));
    if (out.tags_size() > 10) out.mutable_tags()->DeleteSubrange(10, out.tags_size() - 10);
    std::cout << FormatTags(out);
    return absl::OkStatus();
  });
}

int RunClientUserAddTag(const Args& args) {
  CommandSpec spec{"client user-add-tag",
                   "UserControlService.AddTag: declare an interest (or undo a "
                   "deletion); tags of illegal/bad labels are refused.",
                   UserUsage("user-add-tag", "--tag TAG"),
                   {{"tag", "Tag or genre, e.g. Comedy", "", true}}};
  return RunUserRpc(spec, args, [](v1::UserControlService::Stub& stub,
                                   const Connection& c, const ParsedFlags& f,
                                   int64_t user) -> absl::Status {
    v1::AddTagRequest req;
    req.set_user_id(user);
    req.set_tag(f.Get("tag"));
    v1::ListTagsResponse out;
    FEEDGOV_RETURN_IF_ERROR(
        FromGrpcStatus(stub.AddTag(c.Context().get(), req, &out)));
    if (out.tags_size() > 10) out.mutable_tags()->DeleteSubrange(10, out.tags_size() - 10);
    std::cout << FormatTags(out);
    return absl::OkStatus();
  });
}

int RunClientNotInterested(const Args& args) {
  CommandSpec spec{"client not-interested",
                   "UserControlService.NotInterested: the item never returns "
                   "to the user's personalized feed.",
                   UserUsage("not-interested", "--item ID"),
                   {{"item", "Item id", "", true}}};
  return RunUserRpc(spec, args, [](v1::UserControlService::Stub& stub,
                                   const Connection& c, const ParsedFlags& f,
                                   int64_t user) -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(int64_t item, f.Int("item"));
    v1::NotInterestedRequest req;
    req.set_user_id(user);
    req.set_item_id(item);
    v1::NotInterestedResponse out;
    FEEDGOV_RETURN_IF_ERROR(
        FromGrpcStatus(stub.NotInterested(c.Context().get(), req, &out)));
    std::cout << "item " << item << " marked not interested ("
              << out.not_interested_count() << " item(s) in total)\n";
    return absl::OkStatus();
  });
}

int RunClientWhy(const Args& args) {
  CommandSpec spec{"client why",
                   "UserControlService.Why: reason codes, a plain sentence "
                   "and the labels with their provenance for an item on the "
                   "user's feed.",
                   UserUsage("why", "--item ID [--surface home]"),
                   {{"item", "Item id", "", true},
                    {"surface", "Surface id", "home"}}};
  return RunUserRpc(spec, args, [](v1::UserControlService::Stub& stub,
                                   const Connection& c, const ParsedFlags& f,
                                   int64_t user) -> absl::Status {
    FEEDGOV_ASSIGN_OR_RETURN(int64_t item, f.Int("item"));
    v1::WhyRequest req;
    req.set_user_id(user);
    req.set_item_id(item);
    req.set_surface(f.Get("surface"));
    v1::WhyResponse out;
    FEEDGOV_RETURN_IF_ERROR(FromGrpcStatus(stub.Why(c.Context().get(), req, &out)));
    std::vector<Label> labels;
    for (const v1::ItemLabel& l : out.labels()) {
      FEEDGOV_ASSIGN_OR_RETURN(Label label, service::LabelFromProto(l));
      labels.push_back(std::move(label));
    }
    std::cout << out.title() << " (item " << out.item_id() << ") at position "
              << out.position() << " of `" << out.surface() << "`\n"
              << "  reasons: " << absl::StrJoin(out.reasons(), ", ") << "\n"
              << "  " << out.sentence() << "\n"
              << "  labels:\n"
              << FormatLabelProvenance(labels, 4);
    if (!out.awaiting_review().empty()) {
      std::cout << "  awaiting review: " << out.awaiting_review() << "\n";
    }
    return absl::OkStatus();
  });
}

int RunClientAbout(const Args& args) {
  CommandSpec spec{"client about",
                   "UserControlService.AboutFeed: ranking parameters, policy "
                   "and the user's options (DSA Art. 27).",
                   UserUsage("about", ""), {}};
  return RunUserRpc(spec, args, [](v1::UserControlService::Stub& stub,
                                   const Connection& c, const ParsedFlags&,
                                   int64_t user) -> absl::Status {
    v1::AboutFeedRequest req;
    req.set_user_id(user);
    v1::AboutFeedResponse out;
    FEEDGOV_RETURN_IF_ERROR(
        FromGrpcStatus(stub.AboutFeed(c.Context().get(), req, &out)));
    std::cout << out.text();
    return absl::OkStatus();
  });
}

}  // namespace feedgov::cli
