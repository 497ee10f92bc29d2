// feedgov ingest | eval | rank | policy lint
#include <filesystem>
#include <iostream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/ingest/movielens.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"
#include "engine/common/status_macros.h"
#include "engine/common/time_util.h"
#include "engine/governance/lint.h"
#include "engine/model/als.h"
#include "engine/model/eval.h"
#include "engine/model/model_config.h"
#include "engine/ingest/ingest.h"
#include "engine/runtime/open_engine.h"
#include "engine/runtime/state_dir.h"

namespace feedgov::cli {
namespace {

const FlagSpec kPolicyFlag{"policy", "Policy pack (text proto)",
                           DefaultPath("policies/cn-ecology.textproto")};
const FlagSpec kTaxonomyFlag{"taxonomy", "Label taxonomy",
                             DefaultPath("policies/labels.textproto")};
const FlagSpec kModelFlag{"model-config", "Model config (text proto)",
                          DefaultPath("models/default.textproto")};

}  // namespace

int RunIngest(const Args& args) {
  CommandSpec spec{
      "ingest",
      "Read a MovieLens-format directory (ratings.csv, movies.csv, tags.csv), "
      "train implicit ALS embeddings, label items with the label map, build the "
      "FAISS index and write a snapshot (atomically: a failed ingest leaves "
      "nothing behind). Or, with --items, read a JSON Lines file of items "
      "carrying their own embeddings and labels (feedgov.v1.CatalogItem per "
      "line). Bad rows are set aside and reported (<out>.quarantine.json) "
      "unless --strict. With --labelers, the built-in text labelers label "
      "every item's title and tags (docs/labelers.md).",
      "feedgov ingest (--data DIR | --items FILE.jsonl) --out SNAPSHOT_DIR "
      "[--labelers MODELS_DIR] [--strict] [--max-bad-rows N] [--model-config F]",
      {{"data", "MovieLens-format input directory", ""},
       {"items", "JSON Lines file of items with embeddings", ""},
       {"out", "Snapshot directory to write (replaced atomically)", "", true},
       {"strict", "Fail on the first bad row instead of setting it aside", "",
        false, true},
       {"max-bad-rows", "Most rows set aside before the ingest fails", "10000"},
       {"quarantine-report", "Where the report of set-aside rows goes",
        "<out>.quarantine.json"},
       kModelFlag,
       kTaxonomyFlag,
       {"label-map", "Label map from genres/tags to labels",
        DefaultPath("policies/labelmaps/movielens.textproto")},
       {"labelers", "Trained labelers to label items with (feedgov labeler train --models DIR)",
        ""}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  IngestOptions o;
  if (f.Has("labelers")) {
    absl::StatusOr<std::shared_ptr<const LabelerSet>> set = LabelerSet::Load(f.Get("labelers"));
    if (!set.ok()) return Fail("ingest", set.status());
    o.labelers = *std::move(set);
  }
  o.data_dir = f.Get("data");
  o.items_path = f.Get("items");
  o.out_dir = f.Get("out");
  o.quarantine.strict = f.Bool("strict");
  if (!absl::SimpleAtoi(f.Get("max-bad-rows"), &o.quarantine.max_rows) ||
      o.quarantine.max_rows < 0 || o.quarantine.max_rows > 10'000'000) {
    return Fail("ingest", absl::InvalidArgumentError(absl::StrCat(
                              "--max-bad-rows: '", f.Get("max-bad-rows"),
                              "' is not an integer in [0, 10000000]")));
  }
  if (f.Get("quarantine-report") != "<out>.quarantine.json")
    o.quarantine_report_path = f.Get("quarantine-report");
  o.model_config_path = f.Get("model-config");
  o.taxonomy_path = f.Get("taxonomy");
  o.label_map_path = f.Get("label-map");
  o.progress = &std::cout;
  absl::Status s = RunIngest(o);
  return s.ok() ? 0 : Fail("ingest", s);
}

int RunEval(const Args& args) {
  CommandSpec spec{
      "eval",
      "Split each user's ratings by time (latest 20% held out), train on the "
      "rest, and print Recall@k and NDCG@k for ALS, popularity and random.",
      "feedgov eval --data DIR [--model-config F] [--k 20]",
      {{"data", "MovieLens-format input directory", "", true},
       kModelFlag,
       {"k", "Cut-off k", "20"},
       {"holdout", "Fraction of each user's latest ratings held out", "0.2"}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  auto k = f.Int32("k");
  auto holdout = f.Double("holdout");
  if (!k.ok()) return Fail("eval", k.status());
  if (!holdout.ok()) return Fail("eval", holdout.status());
  auto config = LoadModelConfig(f.Get("model-config"));
  if (!config.ok()) return Fail("eval", config.status());
  auto data = ReadMovieLens(f.Get("data"));
  if (!data.ok()) return Fail("eval", data.status());
  auto report = RunOfflineEval(data->ratings, AlsOptions::FromConfig(config->als()),
                               static_cast<int>(*k), *holdout);
  if (!report.ok()) return Fail("eval", report.status());
  std::cout << FormatEvalTable(*report);
  return 0;
}

int RunRank(const Args& args) {
  CommandSpec spec{
      "rank",
      "Print one page of a surface's feed for a user: retrieval, scoring, "
      "governance (policy pack), editor interventions (--state-dir).",
      "feedgov rank --snapshot DIR [--user ID] [--surface home] "
      "[--page-size 20] [--page-token T] [--format table|json] [--policy F] "
      "[--state-dir DIR] [--minors] [--no-personalization] [--now T]",
      {{"snapshot", "Snapshot directory written by `feedgov ingest`", "", true},
       {"user", "User id (omit for an anonymous, non-personalized feed)", ""},
       {"surface", "Surface id declared by the policy pack", "home"},
       {"page-size", "Items per page, 1 to 500", "20"},
       {"page-token", "next_page_token of the previous page", ""},
       {"format", "table or json", "table"},
       kPolicyFlag,
       kTaxonomyFlag,
       {"state-dir", "State directory with interventions and, with --user, "
        "that user's stored controls (SQLite)", ""},
       {"minors", "Minors mode (the pack's minors audience)", "", false, true},
       {"no-personalization", "Serve the non-personalized feed", "", false,
        true},
       {"now", "Rank as of this instant, RFC 3339 (intervention windows, "
        "page tokens); default: the wall clock", ""}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  const std::string format = f.Get("format");
  std::optional<FixedClock> fixed;
  if (f.Has("now")) {
    auto now = ParseRfc3339(f.Get("now"));
    if (!now.ok()) {
      return Fail("rank", Annotate(now.status(), "--now"));
    }
    fixed.emplace(*now);
  }
  const Clock* clock = fixed ? static_cast<const Clock*>(&*fixed) : &RealClock::Get();
  if (format != "table" && format != "json") {
    return Fail("rank", absl::InvalidArgumentError(absl::StrCat(
                            "--format '", format, "': want table or json")));
  }
  RankRequest req;
  req.surface = f.Get("surface");
  if (f.Has("user")) {
    auto user = f.Int("user");
    if (!user.ok()) return Fail("rank", user.status());
    if (*user < 1) {
      return Fail("rank", absl::InvalidArgumentError(absl::StrCat(
                              "--user ", *user, ": user ids are positive integers")));
    }
    req.user = *user;
  }
  auto page_size = f.Int32("page-size");
  if (!page_size.ok()) return Fail("rank", page_size.status());
  req.page_size = static_cast<int>(*page_size);
  req.page_token = f.Get("page-token");
  req.minors = f.Bool("minors");
  req.disable_personalization = f.Bool("no-personalization");

  OpenOptions o;
  o.snapshot_dir = f.Get("snapshot");
  o.policy_path = f.Get("policy");
  o.taxonomy_path = f.Get("taxonomy");
  o.state_dir = f.Get("state-dir");
  o.clock = clock;
  auto engine = OpenEngine(o);
  if (!engine.ok()) return Fail("rank", engine.status());
  std::unique_ptr<StateDir> state;
  if (f.Has("state-dir")) {
    // Reads only: works beside a running server (docs/operations.md).
    auto opened = StateDir::Open(f.Get("state-dir"), engine->get(), clock,
                                 {StateDirAccess::kRead, "rank"});
    if (!opened.ok()) return Fail("rank", opened.status());
    state = *std::move(opened);
  }
  // With --state-dir the engine applies the user's stored controls (User
  // controls issue); --minors and --no-personalization can only make the
  // request stricter.
  auto page = (*engine)->Rank(req);
  if (!page.ok()) return Fail("rank", page.status());
  std::cout << (format == "json" ? FormatRankJson(*page) : FormatRankTable(*page));
  return 0;
}

int RunPolicyLint(const Args& args) {
  CommandSpec spec{"policy lint",
                   "Validate a policy pack: syntax, labels, surfaces, key "
                   "slots, thresholds, contradictions, coverage. Exits "
                   "non-zero with the error (file:line) on an invalid pack.",
                   "feedgov policy lint FILE [--taxonomy F]",
                   {kTaxonomyFlag},
                   /*allow_positional=*/true};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  if (f.positional().size() != 1) {
    std::cerr << "feedgov policy lint: expected exactly one FILE\n";
    return 2;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(f.positional()[0], ec)) {
    return Fail("policy lint",
                absl::InvalidArgumentError(absl::StrCat(
                    f.positional()[0],
                    " is a directory; lint takes a policy pack file (e.g. "
                    "policies/cn-ecology.textproto)")));
  }
  absl::Status s = LintPolicyFile(f.positional()[0], f.Get("taxonomy"));
  if (!s.ok()) return Fail("policy lint", s);
  std::cout << f.positional()[0] << ": OK\n";
  return 0;
}

}  // namespace feedgov::cli
