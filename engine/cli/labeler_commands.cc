// `feedgov labeler train|list|eval` and `feedgov label` (docs/labelers.md).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "engine/cli/commands.h"
#include "engine/common/file_util.h"
#include "engine/common/json.h"
#include "engine/common/sha256.h"
#include "engine/common/utf8.h"
#include "engine/governance/taxonomy.h"
#include "engine/labeler/dataset.h"
#include "engine/labeler/labeler_set.h"
#include "engine/labeler/metrics.h"
#include "engine/labeler/trainer.h"

namespace feedgov::cli {
namespace {

std::string DefaultModels() {
  const char* env = std::getenv("FEEDGOV_LABELER_DIR");
  return env != nullptr && *env != '\0' ? env : DefaultPath("out/labelers");
}

// "none" for a threshold no value reaches (NaN).
std::string Threshold(double v) {
  return std::isnan(v) ? std::string("none") : absl::StrFormat("%.3f", v);
}
std::string Rate(double v) {
  return std::isnan(v) ? std::string("-") : absl::StrFormat("%.4f", v);
}
std::string DefaultDataRoot() {
  const char* env = std::getenv("FEEDGOV_DATA_DIR");
  return env != nullptr && *env != '\0' ? env : DefaultPath("../shared/data");
}

const FlagSpec kModelsFlag{"models",
                           "Labeler models directory (env FEEDGOV_LABELER_DIR)",
                           DefaultModels()};
const FlagSpec kConfigFlag{"config", "Labeler configs (text proto)",
                           DefaultPath("models/labelers.textproto")};
const FlagSpec kTaxonomy{"taxonomy", "Label taxonomy", DefaultPath("policies/labels.textproto")};

absl::StatusOr<feedgov::v1::LabelerConfigs> Configs(const ParsedFlags& f) {
  absl::StatusOr<Taxonomy> tax = Taxonomy::Load(f.Get("taxonomy"));
  if (!tax.ok()) return tax.status();
  std::vector<std::string> names;
  for (const auto& e : tax->entries()) names.push_back(e.name);
  return LoadLabelerConfigs(f.Get("config"), names);
}

const feedgov::v1::LabelerConfig* FindConfig(const feedgov::v1::LabelerConfigs& c,
                                             const std::string& name) {
  for (const auto& l : c.labeler()) {
    if (l.name() == name) return &l;
  }
  return nullptr;
}

std::string Known(const feedgov::v1::LabelerConfigs& c) {
  std::vector<std::string> n;
  for (const auto& l : c.labeler()) n.push_back(l.name());
  return absl::StrJoin(n, ", ");
}

std::string LabelsJson(const LabelingResult& r, int64_t line) {
  std::string out = absl::StrCat("{", line > 0 ? absl::StrCat("\"line\": ", line, ", ") : "",
                                 "\"language\": ", JsonString(r.language.code),
                                 ", \"detected\": ", JsonString(r.language.detected),
                                 ", \"labels\": [");
  for (size_t i = 0; i < r.labels.size(); ++i) {
    const Label& l = r.labels[i];
    absl::StrAppend(&out, i ? ", " : "", "{\"name\": ", JsonString(l.name),
                    ", \"probability\": ", absl::StrFormat("%.4f", l.confidence),
                    ", \"raw_score\": ", absl::StrFormat("%.4f", l.score),
                    ", \"origin\": ", JsonString(l.origin), "}");
  }
  absl::StrAppend(&out, "], \"probabilities\": [");
  for (size_t i = 0; i < r.scores.size(); ++i) {
    const auto& s = r.scores[i];
    absl::StrAppend(&out, i ? ", " : "", "{\"labeler\": ", JsonString(s.labeler->name()),
                    ", \"version\": ", JsonString(s.labeler->version()),
                    ", \"label\": ", JsonString(s.label), ", \"probability\": ",
                    absl::StrFormat("%.4f", s.probability), "}");
  }
  absl::StrAppend(&out, "], \"labelers\": [");
  for (size_t i = 0; i < r.labelers.size(); ++i) {
    absl::StrAppend(&out, i ? ", " : "", JsonString(r.labelers[i]->origin()));
  }
  absl::StrAppend(&out, "]}");
  return out;
}

void PrintEvalText(const feedgov::v1::EvalResult& r) {
  std::cout << absl::StrFormat(
      "n=%d  accuracy %.4f [%.4f, %.4f]  macro-F1 %.4f  ROC-AUC %.4f  ECE %.4f [%.4f, %.4f]\n",
      r.n(), r.accuracy(), r.accuracy_low(), r.accuracy_high(), r.macro_f1(), r.roc_auc(),
      r.ece(), r.ece_low(), r.ece_high());
  std::cout << absl::StrFormat("%-14s %-26s %7s %9s %7s %7s %15s %7s %7s\n", "class", "label",
                               "support", "precision", "recall", "F1", "F1 95%", "AUC", "ECE");
  for (const auto& c : r.class_()) {
    std::cout << absl::StrFormat(
        "%-14s %-26s %7d %9.4f %7.4f %7.4f [%.3f, %.3f] %7.4f %7.4f\n", c.name(),
        c.label().empty() ? "-" : c.label(), c.support(), c.precision(), c.recall(), c.f1(),
        c.f1_low(), c.f1_high(), c.roc_auc(), c.ece());
  }
  for (const auto& c : r.class_()) {
    if (c.label().empty()) continue;
    std::cout << absl::StrFormat(
        "%s: key-slot (high-recall) threshold %s -> recall %s; elsewhere (high-precision) "
        "threshold %s -> precision %s\n",
        c.label(), Threshold(c.high_recall_threshold()), Rate(c.recall_at_high_recall()),
        Threshold(c.high_precision_threshold()), Rate(c.precision_at_high_precision()));
  }
}

}  // namespace

int RunLabelerTrain(const Args& args) {
  CommandSpec spec{
      "labeler train",
      "Train the built-in labelers (all, or --labeler NAME) from the public data; "
      "a model whose data, config and code are unchanged is reused from --models.",
      "feedgov labeler train [--labeler NAME] [--data-root DIR] [--models DIR] [--force]",
      {{"labeler", "Train only this labeler", ""},
       {"data-root", "Folder holding the labelers' data folders (env FEEDGOV_DATA_DIR)",
        DefaultDataRoot()},
       kModelsFlag,
       kConfigFlag,
       kTaxonomy,
       {"force", "Retrain even when a cached version exists", "", false, true}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  absl::StatusOr<feedgov::v1::LabelerConfigs> configs = Configs(f);
  if (!configs.ok()) return Fail("labeler train", configs.status());
  std::vector<const feedgov::v1::LabelerConfig*> selected;
  if (f.Has("labeler")) {
    const auto* c = FindConfig(*configs, f.Get("labeler"));
    if (c == nullptr) {
      return Fail("labeler train", absl::NotFoundError(absl::StrCat(
                                       "--labeler: no labeler '", f.Get("labeler"),
                                       "'; configured: ", Known(*configs))));
    }
    selected.push_back(c);
  } else {
    for (const auto& c : configs->labeler()) selected.push_back(&c);
  }
  TrainOptions o;
  o.data_root = f.Get("data-root");
  o.models_dir = f.Get("models");
  o.force = f.Bool("force");
  o.progress = [](const std::string& s) { std::cerr << "labeler train: " << s << "\n"; };
  for (const auto* c : selected) {
    absl::StatusOr<TrainResult> r = TrainLabeler(*c, o);
    if (!r.ok()) return Fail("labeler train", r.status());
    const auto& v = r->manifest.validation();
    std::cout << absl::StrFormat(
        "%-18s %s %s  validate n=%d accuracy %.4f macro-F1 %.4f ECE %.4f  %s\n", c->name(),
        r->manifest.version(), r->cached ? "cached " : "trained", v.n(), v.accuracy(),
        v.macro_f1(), v.ece(), r->dir);
  }
  return 0;
}

int RunLabelerList(const Args& args) {
  CommandSpec spec{"labeler list",
                   "List the trained labelers in use: name, version, language, labels, "
                   "the ../shared/data/ folder it was trained from, validation accuracy.",
                   "feedgov labeler list [--models DIR]",
                   {kModelsFlag}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  absl::StatusOr<std::shared_ptr<const LabelerSet>> set = LabelerSet::Load(f.Get("models"));
  if (!set.ok()) return Fail("labeler list", set.status());
  std::cout << absl::StrFormat("%-18s %-12s %-4s %-36s %-44s %s\n", "name", "version", "lang",
                               "labels", "trained from", "validate accuracy / macro-F1 / ECE");
  for (const auto& l : (*set)->labelers()) {
    const auto& v = l->manifest().validation();
    std::cout << absl::StrFormat("%-18s %-12s %-4s %-36s %-44s %.4f / %.4f / %.4f (n=%d)\n",
                                 l->name(), l->version(), l->language(),
                                 absl::StrJoin(l->LabelNames(), ","),
                                 absl::StrCat("../shared/data/", l->manifest().data_dir()),
                                 v.accuracy(), v.macro_f1(), v.ece(), v.n());
  }
  return 0;
}

int RunLabelerEval(const Args& args) {
  CommandSpec spec{
      "labeler eval",
      "Evaluate a trained labeler on a folder in the format of the folder it was "
      "trained from (every row of every data file present): accuracy, macro-F1, "
      "per-class precision/recall/F1, ROC-AUC, ECE (10 equal-mass bins).",
      "feedgov labeler eval --labeler NAME --data DIR [--models DIR] [--format text|json]",
      {{"labeler", "Labeler name", "", true},
       {"data", "Folder of labeled data in the labeler's format", "", true},
       kModelsFlag,
       {"format", "text or json", "text"}}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  if (f.Get("format") != "text" && f.Get("format") != "json") {
    std::cerr << "feedgov labeler eval: --format: '" << f.Get("format")
              << "'; expected text or json\n";
    return 2;
  }
  absl::StatusOr<std::shared_ptr<const LabelerSet>> set =
      LabelerSet::Load(f.Get("models"), {f.Get("labeler")});
  if (!set.ok()) return Fail("labeler eval", set.status());
  const TextLabeler& l = *(*set)->labelers().front();
  // The folder it was trained from? Then only its validate part is fair.
  bool own_folder = false;
  for (const std::string& file : FormatFiles(l.manifest().config().format())) {
    const std::string path = (std::filesystem::path(f.Get("data")) / file).string();
    if (!std::filesystem::exists(path)) continue;
    absl::StatusOr<std::string> h = Sha256FileHex(path);
    if (!h.ok()) return Fail("labeler eval", h.status());
    for (const std::string& trained : l.manifest().data_file()) {
      own_folder = own_folder || trained == absl::StrCat(file, " ", *h);
    }
  }
  absl::StatusOr<std::vector<LabeledText>> rows;
  std::string part = f.Get("data");
  if (own_folder) {
    std::cerr << "labeler eval: " << f.Get("data") << " holds the data " << l.name()
              << " was trained from; scoring its validate part only (the train and "
                 "calibrate parts would flatter it)\n";
    absl::StatusOr<DataParts> parts = LoadParts(l.manifest().config(), f.Get("data"));
    if (!parts.ok()) return Fail("labeler eval", parts.status());
    rows = std::move(parts->validate);
    part = absl::StrCat(f.Get("data"), " (validate part)");
  } else {
    rows = ReadLabeledFolder(l.manifest().config(), f.Get("data"));
  }
  if (!rows.ok()) return Fail("labeler eval", rows.status());
  // A class without rows still counts in macro-F1 (as 0) and ROC-AUC (as
  // 0.5): the numbers are then not comparable with a full split's.
  std::vector<int64_t> support(l.manifest().class__size(), 0);
  for (const auto& r : *rows) support[r.label]++;
  for (int c = 0; c < l.manifest().class__size(); ++c) {
    if (support[c] == 0) {
      std::cerr << "feedgov labeler eval: warning: " << f.Get("data") << " has no '"
                << l.manifest().class_(c).name()
                << "' rows; macro-F1 counts that class as 0 and its ROC-AUC as 0.5\n";
    }
  }
  Predictions p;
  for (const auto& r : *rows) {
    std::vector<double> q = l.Calibrate(l.RawProbabilities(LabelerTokens(r.text, l.language())));
    p.truth.push_back(r.label);
    p.predicted.push_back(l.Decide(q));
    p.prob.push_back(std::move(q));
  }
  const feedgov::v1::EvalResult r =
      Evaluate(part, l.manifest().class_(), p, &l.manifest().validation());
  if (f.Get("format") == "json") {
    std::string json = EvalResultJson(r);
    json.insert(1, absl::StrCat("\"labeler\": ", JsonString(l.name()), ", \"version\": ",
                                JsonString(l.version()), ", "));
    std::cout << json << "\n";
  } else {
    std::cout << l.name() << " " << l.version() << " on " << part << "\n";
    PrintEvalText(r);
  }
  return 0;
}

int RunLabel(const Args& args) {
  CommandSpec spec{
      "label",
      "Label texts with the built-in labelers: --text \"...\" or --input FILE (one text "
      "per line). Prints JSON Lines: language, labels (probability, raw score, origin "
      "labeler@version), every labeler's probability, the labelers that read it.",
      "feedgov label (--text TEXT | --input FILE) [--models DIR] [--language en|zh] "
      "[--format json|text]",
      {{"text", "One text", ""},
       {"input", "File with one text per line ('-' = stdin)", ""},
       {"language", "Force the route (en, zh); default: detect", ""},
       {"format", "json (JSON Lines; with --input each line has its input line number) or "
                  "text (one line per text: language, then label=probability from 0.5)",
        "json"},
       kModelsFlag}};
  ParsedFlags f;
  int code;
  if (!ParseOrExit(spec, args, &f, &code)) return code;
  if (f.Has("text") == f.Has("input")) {
    std::cerr << "feedgov label: give exactly one of --text and --input\n";
    return 2;
  }
  const std::string format = f.Get("format");
  if (format != "json" && format != "text") {
    std::cerr << "feedgov label: --format: '" << format << "'; expected json or text\n";
    return 2;
  }
  const std::string lang = f.Get("language");
  if (!lang.empty() && lang != "en" && lang != "zh") {
    std::cerr << "feedgov label: --language: '" << lang << "'; expected en or zh\n";
    return 2;
  }
  absl::StatusOr<std::shared_ptr<const LabelerSet>> set = LabelerSet::Load(f.Get("models"));
  if (!set.ok()) return Fail("label", set.status());
  const UnixSeconds now = absl::ToUnixSeconds(absl::Now());
  auto print = [&](const std::string& text, int64_t line) {
    const LabelingResult r = (*set)->LabelText(text, now, lang);
    if (format == "json") {
      std::cout << LabelsJson(r, line) << "\n";
      return;
    }
    std::string labels;
    for (const Label& l : r.labels) {
      if (l.confidence >= 0.5f) absl::StrAppend(&labels, " ", l.name, "=", absl::StrFormat("%.2f", l.confidence));
    }
    std::cout << absl::StrFormat("%-3s %-32s %s\n", r.language.code.empty() ? "-" : r.language.code,
                                 labels.empty() ? " (no label >= 0.5)" : labels,
                                 text.size() > 60 ? absl::StrCat(Utf8Prefix(text, 57), "...") : text);
  };
  if (f.Has("text")) {
    print(f.Get("text"), 0);
    return 0;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (f.Get("input") != "-") {
    // A directory opens as a stream that reads nothing: say so instead of
    // labelling zero texts.
    std::error_code ec;
    if (std::filesystem::is_directory(f.Get("input"), ec)) {
      return Fail("label", absl::InvalidArgumentError(absl::StrCat(
                               "--input: ", f.Get("input"), " is a directory, not a file")));
    }
    file.open(f.Get("input"), std::ios::binary);
    if (!file) {
      return Fail("label", absl::NotFoundError(absl::StrCat("cannot open ", f.Get("input"))));
    }
    in = &file;
  }
  std::string line;
  int64_t n = 0;
  while (std::getline(*in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    print(line, n);
  }
  if (in->bad()) {
    return Fail("label", absl::DataLossError(absl::StrCat(
                             "--input: read error after line ", n, " of ", f.Get("input"))));
  }
  return 0;
}

}  // namespace feedgov::cli
