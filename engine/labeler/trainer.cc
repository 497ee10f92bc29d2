#include "engine/labeler/trainer.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "engine/common/file_util.h"
#include "engine/common/json.h"
#include "engine/common/sha256.h"
#include "engine/common/status_macros.h"
#include "engine/governance/text_proto.h"
#include "engine/labeler/dataset.h"
#include "engine/labeler/labeler.h"
#include "engine/labeler/metrics.h"
#include "engine/labeler/text.h"
#include "fasttext/fasttext.h"
#include "google/protobuf/text_format.h"

namespace feedgov {
namespace {

namespace fs = std::filesystem;
using feedgov::v1::LabelerConfig;
using governance_internal::FieldLine;
using governance_internal::NestedTree;
using governance_internal::ParseInfoTree;

template <typename T>
T Or(T v, T fallback) {
  return v != T{} ? v : fallback;
}

absl::Status Range(const std::string& where, const char* field, double v, double lo,
                   double hi) {
  if (v >= lo && v <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": ", field, " is ", v, "; expected [", lo, ", ", hi, "]"));
}

absl::Status ValidateConfig(const LabelerConfig& c, const std::string& where,
                            const std::vector<std::string>& taxonomy) {
  if (c.name().empty() || c.name().size() > 64 ||
      c.name().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": name '", c.name(), "' must be 1-64 of [a-z0-9_]"));
  }
  if (c.language() != "en" && c.language() != "zh") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": language '", c.language(), "'; expected en or zh"));
  }
  if (c.data_dir().empty() || c.data_dir().find("..") != std::string::npos ||
      c.data_dir().find('/') != std::string::npos || c.data_dir()[0] == '.') {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": data_dir '", c.data_dir(),
        "' must be a folder name under the data root (no '/', not starting with '.')"));
  }
  const std::vector<std::string> want = FormatClasses(c.format());
  if (want.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": format is required"));
  }
  std::set<std::string> have;
  for (const auto& k : c.class_()) {
    have.insert(k.name());
    if (!k.label().empty() && !taxonomy.empty() &&
        std::find(taxonomy.begin(), taxonomy.end(), k.label()) == taxonomy.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": class '", k.name(), "' maps to '", k.label(), "', not a taxonomy label"));
    }
  }
  if (have != std::set<std::string>(want.begin(), want.end()) ||
      static_cast<size_t>(c.class__size()) != want.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": classes must be exactly ", absl::StrJoin(want, ", "), " (each once)"));
  }
  bool any_label = false;
  for (int i = 0; i < c.class__size(); ++i) {
    const auto& k = c.class_(i);
    any_label = any_label || !k.label().empty();
    for (int j = 0; j < i; ++j) {
      if (!k.label().empty() && c.class_(j).label() == k.label()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": classes '", c.class_(j).name(), "' and '", k.name(), "' both map to '",
            k.label(), "' (every text would carry it)"));
      }
    }
  }
  if (!any_label) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": no class maps to a label"));
  }
  const auto& f = c.fasttext();
  FEEDGOV_RETURN_IF_ERROR(Range(where, "fasttext.dim", Or(f.dim(), 50), 4, 300));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "fasttext.epoch", Or(f.epoch(), 10), 1, 200));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "fasttext.lr", Or(f.lr(), 0.5f), 1e-6, 2));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "fasttext.word_ngrams", Or(f.word_ngrams(), 2), 1, 5));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "fasttext.minn", f.minn(), 0, 10));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "fasttext.maxn", f.maxn(), f.minn(), 10));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "fasttext.bucket", Or(f.bucket(), 200000), 1000, 10000000));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "fasttext.min_count", Or(f.min_count(), 1), 1, 1000));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "train_fraction", Or(c.train_fraction(), 0.7f), 0.05, 0.9));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "calibrate_fraction", Or(c.calibrate_fraction(), 0.15f), 0.05, 0.5));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "train_fraction + calibrate_fraction",
                                Or(c.train_fraction(), 0.7f) + Or(c.calibrate_fraction(), 0.15f), 0, 0.95));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "emit_threshold", Or(c.emit_threshold(), 0.05f), 0, 1));
  FEEDGOV_RETURN_IF_ERROR(Range(where, "oversample", Or(c.oversample(), 1), 1, 20));
  for (const auto& e : c.extra_train()) {
    if (have.count(e.as_class()) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": extra_train as_class '", e.as_class(), "' is not a class of the labeler"));
    }
    FEEDGOV_RETURN_IF_ERROR(Range(where, "extra_train.take_fraction", Or(e.take_fraction(), 1.0f), 1e-6, 1));
    FEEDGOV_RETURN_IF_ERROR(Range(where, "extra_train.max_rows", e.max_rows(), 0, 1000000));
    if (e.data_dir().empty() || e.file().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": extra_train needs data_dir and file"));
    }
  }
  return absl::OkStatus();
}

void Say(const TrainOptions& o, const std::string& s) {
  if (o.progress) o.progress(s);
}

// Writes the fastText training file: "__label__<class> <tokens>" per row,
// minority classes repeated, shuffled with the config's seed.
absl::Status WriteTrainingFile(const LabelerConfig& c, const std::vector<LabeledText>& rows,
                               const std::string& path) {
  std::vector<int64_t> per_class(c.class__size(), 0);
  for (const auto& r : rows) per_class[r.label]++;
  const int64_t largest = *std::max_element(per_class.begin(), per_class.end());
  const int over = Or(c.oversample(), 1);
  std::vector<std::string> lines;
  lines.reserve(rows.size());
  for (const auto& r : rows) {
    const std::string tokens = LabelerTokens(r.text, c.language());
    const std::string line = absl::StrCat("__label__", c.class_(r.label).name(), " ", tokens);
    // Classes with under half the largest class's rows are repeated.
    const int times = per_class[r.label] * 2 < largest ? over : 1;
    for (int k = 0; k < times; ++k) lines.push_back(line);
  }
  std::mt19937_64 rng(c.seed() ^ 0x5eedULL);
  std::shuffle(lines.begin(), lines.end(), rng);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("write ", path));
  return absl::OkStatus();
}

Predictions Predict(const TextLabeler& l, const std::vector<LabeledText>& rows) {
  Predictions p;
  for (const auto& r : rows) {
    std::vector<double> q = l.Calibrate(l.RawProbabilities(LabelerTokens(r.text, l.language())));
    p.truth.push_back(r.label);
    p.predicted.push_back(l.Decide(q));
    p.prob.push_back(std::move(q));
  }
  return p;
}

double MacroF1(const Predictions& p, int nc) {
  double sum = 0;
  for (int c = 0; c < nc; ++c) {
    double tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < p.truth.size(); ++i) {
      const bool t = p.truth[i] == c, y = p.predicted[i] == c;
      tp += t && y;
      fp += !t && y;
      fn += t && !y;
    }
    sum += tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
  }
  return sum / nc;
}

// Multi-class: per-class weights for the decision, by coordinate ascent of
// macro-F1 on the calibrate part (weights in [0.25, 4]). Binary: 1, 1 (the
// calibrated probability at 0.5 decides).
std::vector<double> TuneDecisionWeights(const std::vector<std::vector<double>>& prob,
                                        const std::vector<int>& truth, int nc) {
  std::vector<double> w(nc, 1.0);
  if (nc <= 2) return w;
  auto score = [&](const std::vector<double>& ws) {
    Predictions p;
    p.truth = truth;
    for (const auto& q : prob) {
      int best = 0;
      for (int c = 1; c < nc; ++c) {
        if (ws[c] * q[c] > ws[best] * q[best]) best = c;
      }
      p.predicted.push_back(best);
    }
    return MacroF1(p, nc);
  };
  double best = score(w);
  for (int round = 0; round < 3; ++round) {
    for (int c = 0; c < nc; ++c) {
      for (double v = 0.25; v <= 4.0001; v *= 1.1892071150027210667) {  // 2^(1/4)
        std::vector<double> t = w;
        t[c] = v;
        const double s = score(t);
        if (s > best + 1e-12) {
          best = s;
          w = t;
        }
      }
    }
  }
  return w;
}

absl::Status SyncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  const bool ok = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("fsync ", path, ": ", std::strerror(err)));
  return absl::OkStatus();
}

// Moves the finished version directory `tmp` to `dir`. Another trainer of
// the same version (same cache key: same data, config and code) may have
// published `dir` meanwhile, or --force retrains the version in use: then
// the two are exchanged in one step (renameat2 RENAME_EXCHANGE), so a
// reader that follows CURRENT always finds a complete model, and the old
// one, now at `tmp`, goes with the temporary directory.
absl::Status Publish(const fs::path& tmp, const fs::path& dir) {
  std::error_code ec;
  fs::rename(tmp, dir, ec);  // rename(2): onto nothing or an empty directory.
  if (!ec) return absl::OkStatus();
  if (ec != std::errc::directory_not_empty && ec != std::errc::file_exists) {
    return absl::InternalError(absl::StrCat("rename to ", dir.string(), ": ", ec.message()));
  }
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
    return absl::OkStatus();
  }
  const int err = errno;
  if (err != EINVAL && err != ENOSYS) {
    return absl::InternalError(
        absl::StrCat("exchange ", tmp.string(), " and ", dir.string(), ": ", std::strerror(err)));
  }
  // A file system without RENAME_EXCHANGE: move the old version aside and
  // this one in (readers may miss the model between the two renames).
  const fs::path old = fs::path(tmp.string() + "-old");
  fs::rename(dir, old, ec);
  if (ec) return absl::InternalError(absl::StrCat("rename ", dir.string(), ": ", ec.message()));
  fs::rename(tmp, dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("rename to ", dir.string(), ": ", ec.message()));
  fs::remove_all(old, ec);
  return absl::OkStatus();
}

// Removes ".tmp-<version>-<pid>-<n>" directories under `base` left by
// trainers that died (SIGKILL, power loss) before their cleanup ran: those
// whose process no longer exists. Each holds a model of about 40 MB.
void RemoveAbandonedTemporaries(const fs::path& base) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(base, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(".tmp-", 0) != 0) continue;
    std::vector<std::string> parts = absl::StrSplit(name, '-');
    int pid = 0;
    if (parts.size() < 3 || !absl::SimpleAtoi(parts[2], &pid) || pid <= 0) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove_all(e.path(), ignored);
    }
  }
}

}  // namespace

absl::StatusOr<feedgov::v1::LabelerConfigs> LoadLabelerConfigs(
    const std::string& path, const std::vector<std::string>& taxonomy_labels) {
  feedgov::v1::LabelerConfigs configs;
  ParseInfoTree tree;
  FEEDGOV_RETURN_IF_ERROR(governance_internal::ParseTextProtoFile(path, &configs, &tree));
  std::set<std::string> names;
  for (int i = 0; i < configs.labeler_size(); ++i) {
    const std::string where =
        absl::StrCat(path, ":", FieldLine(&tree, configs, "labeler", i, 1));
    FEEDGOV_RETURN_IF_ERROR(ValidateConfig(configs.labeler(i), where, taxonomy_labels));
    if (!names.insert(configs.labeler(i).name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": labeler '", configs.labeler(i).name(), "' appears twice"));
    }
  }
  if (configs.labeler_size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no labeler"));
  }
  return configs;
}

absl::StatusOr<std::string> LabelerCacheKey(const LabelerConfig& config,
                                            const std::string& data_dir) {
  std::string material = absl::StrCat(kLabelerCodeVersion, "\n");
  std::string serialized;
  google::protobuf::TextFormat::PrintToString(config, &serialized);
  absl::StrAppend(&material, serialized, "\n");
  int found = 0;
  for (const std::string& f : FormatFiles(config.format())) {
    const std::string path = (fs::path(data_dir) / f).string();
    if (!fs::exists(path)) continue;
    ++found;
    FEEDGOV_ASSIGN_OR_RETURN(std::string h, Sha256FileHex(path));
    absl::StrAppend(&material, f, " ", h, "\n");
  }
  if (found == 0) {
    return absl::NotFoundError(absl::StrCat(
        data_dir, ": none of ", absl::StrJoin(FormatFiles(config.format()), ", "),
        " (labeler ", config.name(), ")"));
  }
  for (const auto& e : config.extra_train()) {
    const std::string path = (fs::path(data_dir).parent_path() / e.data_dir() / e.file()).string();
    FEEDGOV_ASSIGN_OR_RETURN(std::string h, Sha256FileHex(path));
    absl::StrAppend(&material, e.data_dir(), "/", e.file(), " ", h, "\n");
  }
  return Sha256Hex(material);
}

absl::StatusOr<TrainResult> TrainLabeler(const LabelerConfig& config,
                                         const TrainOptions& options) {
  const std::string data_dir = (fs::path(options.data_root) / config.data_dir()).string();
  FEEDGOV_ASSIGN_OR_RETURN(std::string key, LabelerCacheKey(config, data_dir));
  const std::string version = key.substr(0, 12);
  const fs::path base = fs::path(options.models_dir) / config.name();
  const fs::path dir = base / version;
  TrainResult result;
  result.dir = dir.string();
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", base.string(), ": ", ec.message()));
  if (!options.force && fs::exists(dir / "labeler.textproto") && fs::exists(dir / "model.bin")) {
    absl::StatusOr<std::unique_ptr<const TextLabeler>> cached = TextLabeler::Load(dir.string());
    if (cached.ok()) {
      Say(options, absl::StrCat(config.name(), ": cached version ", version, " (", dir.string(), ")"));
      result.cached = true;
      result.manifest = (*cached)->manifest();
      FEEDGOV_RETURN_IF_ERROR(WriteFileAtomic((base / "CURRENT").string(), version + "\n"));
      return result;
    }
    Say(options, absl::StrCat(config.name(), ": cached version unreadable (",
                              cached.status().message(), "); retraining"));
  }
  Say(options, absl::StrCat(config.name(), ": reading ", data_dir));
  FEEDGOV_ASSIGN_OR_RETURN(DataParts parts, LoadParts(config, data_dir));
  const int nc = config.class__size();
  for (const auto* part : {&parts.train, &parts.calibrate, &parts.validate}) {
    std::vector<int> seen(nc, 0);
    for (const auto& r : *part) seen[r.label]++;
    for (int c = 0; c < nc; ++c) {
      if (seen[c] == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "labeler ", config.name(), ": a part of ", data_dir, " has no '",
            config.class_(c).name(), "' rows (", parts.train.size(), " train, ",
            parts.calibrate.size(), " calibrate, ", parts.validate.size(), " validate)"));
      }
    }
  }
  int64_t extra_rows = 0;
  for (const auto& e : config.extra_train()) {
    FEEDGOV_ASSIGN_OR_RETURN(std::vector<LabeledText> rows,
                             ReadExtraTrainRows(config, e, options.data_root));
    Say(options, absl::StrFormat("%s: %d extra train rows from %s/%s as '%s'", config.name(),
                                 rows.size(), e.data_dir(), e.file(), e.as_class()));
    extra_rows += static_cast<int64_t>(rows.size());
    for (auto& r : rows) parts.train.push_back(std::move(r));
  }
  Say(options, absl::StrFormat("%s: %d train, %d calibrate, %d validate rows", config.name(),
                               parts.train.size(), parts.calibrate.size(), parts.validate.size()));
  RemoveAbandonedTemporaries(base);
  static std::atomic<int64_t> next_tmp{0};
  const fs::path tmp =
      base / absl::StrCat(".tmp-", version, "-", getpid(), "-", next_tmp.fetch_add(1));
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", tmp.string(), ": ", ec.message()));
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{tmp};
  const std::string train_file = (tmp / "train.txt").string();
  FEEDGOV_RETURN_IF_ERROR(WriteTrainingFile(config, parts.train, train_file));

  fasttext::Args args;
  const auto& f = config.fasttext();
  args.input = train_file;
  args.output = (tmp / "model").string();
  args.model = fasttext::model_name::sup;
  args.loss = fasttext::loss_name::softmax;
  args.dim = Or(f.dim(), 50);
  args.epoch = Or(f.epoch(), 10);
  args.lr = Or(f.lr(), 0.5f);
  args.wordNgrams = Or(f.word_ngrams(), 2);
  args.minn = f.minn();
  args.maxn = f.maxn();
  args.bucket = Or(f.bucket(), 200000);
  args.minCount = Or(f.min_count(), 1);
  args.thread = 1;  // Deterministic.
  args.seed = static_cast<int>(config.seed() & 0x7fffffff);
  args.verbose = 0;
  auto model = std::make_shared<fasttext::FastText>();
  int last_reported = -1;
  const absl::Time t0 = absl::Now();
  try {
    model->train(args, [&](float progress, float, double, double, int64_t) {
      const int quarter = static_cast<int>(progress * 4);
      if (quarter > last_reported && quarter < 4) {
        last_reported = quarter;
        Say(options, absl::StrFormat("%s: training, %d%% of %d epochs", config.name(),
                                     quarter * 25, args.epoch));
      }
    });
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("labeler ", config.name(), ": fastText: ", e.what()));
  }
  Say(options, absl::StrFormat("%s: trained in %.1f s", config.name(),
                               absl::ToDoubleSeconds(absl::Now() - t0)));

  // Calibrate on the calibrate part only.
  feedgov::v1::LabelerManifest m;
  m.set_name(config.name());
  m.set_version(version);
  m.set_language(config.language());
  m.set_data_dir(config.data_dir());
  m.set_cache_key(key);
  m.set_trained_at_unix_s(absl::ToUnixSeconds(absl::Now()));
  *m.mutable_class_() = config.class_();
  m.set_emit_threshold(Or(config.emit_threshold(), 0.05f));
  m.set_train_rows(static_cast<int64_t>(parts.train.size()));
  m.set_extra_train_rows(extra_rows);
  for (const std::string& f : FormatFiles(config.format())) {
    const std::string path = (fs::path(data_dir) / f).string();
    if (!fs::exists(path)) continue;
    FEEDGOV_ASSIGN_OR_RETURN(std::string h, Sha256FileHex(path));
    m.add_data_file(absl::StrCat(f, " ", h));
  }
  m.set_calibrate_rows(static_cast<int64_t>(parts.calibrate.size()));
  m.set_validate_rows(static_cast<int64_t>(parts.validate.size()));
  *m.mutable_config() = config;
  m.set_code_version(kLabelerCodeVersion);
  {
    // Identity calibration to read raw probabilities through the runtime.
    feedgov::v1::LabelerManifest raw = m;
    for (int c = 0; c < nc; ++c) {
      auto* p = raw.add_platt();
      p->set_a(-1);
      p->set_b(0);
      raw.add_decision_weight(1);
    }
    FEEDGOV_ASSIGN_OR_RETURN(std::unique_ptr<const TextLabeler> l,
                             TextLabeler::FromModel(model, raw));
    std::vector<std::vector<double>> cal_raw;
    for (const auto& r : parts.calibrate) {
      cal_raw.push_back(l->RawProbabilities(LabelerTokens(r.text, config.language())));
    }
    const int fitted = nc == 2 ? 1 : nc;
    for (int c = 0; c < nc; ++c) {
      auto* p = m.add_platt();
      if (c >= fitted) {  // Binary: the second class is the complement.
        p->set_a(-1);
        p->set_b(0);
        continue;
      }
      std::vector<double> s;
      std::unique_ptr<bool[]> y(new bool[cal_raw.size()]);
      for (size_t i = 0; i < cal_raw.size(); ++i) {
        s.push_back(Logit(cal_raw[i][c]));
        y[i] = parts.calibrate[i].label == c;
      }
      FEEDGOV_ASSIGN_OR_RETURN(PlattScaling fit,
                               FitPlatt(s, absl::MakeConstSpan(y.get(), cal_raw.size())));
      p->set_a(fit.a);
      p->set_b(fit.b);
    }
    std::vector<std::vector<double>> cal_q;
    std::vector<int> truth;
    feedgov::v1::LabelerManifest calibrated = m;
    for (int c = 0; c < nc; ++c) calibrated.add_decision_weight(1);
    FEEDGOV_ASSIGN_OR_RETURN(std::unique_ptr<const TextLabeler> lc,
                             TextLabeler::FromModel(model, calibrated));
    for (size_t i = 0; i < cal_raw.size(); ++i) {
      cal_q.push_back(lc->Calibrate(cal_raw[i]));
      truth.push_back(parts.calibrate[i].label);
    }
    for (double w : TuneDecisionWeights(cal_q, truth, nc)) m.add_decision_weight(w);
  }
  FEEDGOV_ASSIGN_OR_RETURN(std::unique_ptr<const TextLabeler> labeler,
                           TextLabeler::FromModel(model, m));
  Say(options, absl::StrCat(config.name(), ": evaluating on the validate part"));
  const feedgov::v1::EvalResult on_cal =
      Evaluate("calibrate", config.class_(), Predict(*labeler, parts.calibrate), nullptr);
  *m.mutable_validation() =
      Evaluate("validate", config.class_(), Predict(*labeler, parts.validate), &on_cal);

  try {
    model->saveModel((tmp / "model.bin").string());
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("save ", (tmp / "model.bin").string(), ": ", e.what()));
  }
  fs::remove(train_file, ec);
  std::string text;
  google::protobuf::TextFormat::PrintToString(m, &text);
  FEEDGOV_RETURN_IF_ERROR(WriteFileAtomic(
      (tmp / "labeler.textproto").string(),
      absl::StrCat("# feedgov.v1.LabelerManifest (engine/proto/feedgov/v1/labeler.proto)\n", text)));
  FEEDGOV_RETURN_IF_ERROR(
      WriteFileAtomic((tmp / "eval.json").string(), EvalResultJson(m.validation()) + "\n"));
  for (const char* f : {"model.bin", "labeler.textproto", "eval.json"}) {
    FEEDGOV_RETURN_IF_ERROR(SyncFile((tmp / f).string()));
  }
  FEEDGOV_RETURN_IF_ERROR(SyncDirectory(tmp.string()));
  FEEDGOV_RETURN_IF_ERROR(Publish(tmp, dir));
  FEEDGOV_RETURN_IF_ERROR(SyncDirectory(base.string()));
  FEEDGOV_RETURN_IF_ERROR(WriteFileAtomic((base / "CURRENT").string(), version + "\n"));
  const auto& v = m.validation();
  Say(options, absl::StrFormat("%s: calibrate accuracy %.4f, macro-F1 %.4f", config.name(),
                               on_cal.accuracy(), on_cal.macro_f1()));
  Say(options, absl::StrFormat("%s: version %s: validate accuracy %.4f [%.4f, %.4f], macro-F1 %.4f, "
                               "ECE %.4f [%.4f, %.4f], n=%d",
                               config.name(), version, v.accuracy(), v.accuracy_low(),
                               v.accuracy_high(), v.macro_f1(), v.ece(), v.ece_low(),
                               v.ece_high(), v.n()));
  result.manifest = std::move(m);
  return result;
}

std::string EvalResultJson(const feedgov::v1::EvalResult& r) {
  // NaN (no threshold reaches its target) is JSON null.
  auto num = [](double v) {
    return std::isfinite(v) ? absl::StrFormat("%.6g", v) : std::string("null");
  };
  std::string out = absl::StrCat(
      "{\"part\": ", JsonString(r.part()), ", \"n\": ", r.n(), ", \"accuracy\": ", num(r.accuracy()),
      ", \"accuracy_interval\": [", num(r.accuracy_low()), ", ", num(r.accuracy_high()),
      "], \"macro_f1\": ", num(r.macro_f1()), ", \"roc_auc\": ", num(r.roc_auc()),
      ", \"ece\": ", num(r.ece()), ", \"ece_interval\": [", num(r.ece_low()), ", ",
      num(r.ece_high()), "], \"classes\": [");
  for (int i = 0; i < r.class__size(); ++i) {
    const auto& c = r.class_(i);
    absl::StrAppend(
        &out, i ? ", " : "", "{\"name\": ", JsonString(c.name()), ", \"label\": ",
        JsonString(c.label()), ", \"support\": ", c.support(), ", \"precision\": ",
        num(c.precision()), ", \"recall\": ", num(c.recall()), ", \"f1\": ", num(c.f1()),
        ", \"f1_interval\": [", num(c.f1_low()), ", ", num(c.f1_high()), "], \"roc_auc\": ",
        num(c.roc_auc()), ", \"ece\": ", num(c.ece()), ", \"high_recall_threshold\": ",
        num(c.high_recall_threshold()), ", \"recall_at_high_recall\": ",
        num(c.recall_at_high_recall()), ", \"high_precision_threshold\": ",
        num(c.high_precision_threshold()), ", \"precision_at_high_precision\": ",
        num(c.precision_at_high_precision()), "}");
  }
  absl::StrAppend(&out, "]}");
  return out;
}

}  // namespace feedgov
