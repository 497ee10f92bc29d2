#include "bench/bench_world.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/label_table.h"
#include "engine/catalog/user_table.h"
#include "engine/common/status_macros.h"
#include "engine/model/model_config.h"
#include "engine/runtime/open_engine.h"
#include "engine/retrieval/retriever.h"
#include "engine/retrieval/synthetic.h"
#include "feedgov/v1/model_config.pb.h"
#include "google/protobuf/text_format.h"

namespace feedgov::bench {
namespace {

constexpr UnixSeconds kReferenceTime = 1700000000;  // 2023-11-14.
constexpr char kIllegal[] = "illegal.rumors";
constexpr char kBad[] = "bad.clickbait";
constexpr char kPositive[] = "positive.core_values";

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) from (seed, stream, i).
double Unit(uint64_t seed, uint64_t stream, uint64_t i) {
  return (Mix(seed * 0x100000001B3ull ^ (stream << 56) ^ i) >> 11) * 0x1.0p-53;
}

class Stopwatch {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

void Log(std::ostream* log, const std::string& line) {
  if (log != nullptr) *log << "[bench_world] " << line << std::endl;
}

Label MakeLabel(const char* name, float confidence) {
  Label l;
  l.name = name;
  l.confidence = confidence;
  l.source = LabelSource::kModel;
  l.time = kReferenceTime;
  return l;
}

std::vector<Item> MakeItems(const WorldOptions& o) {
  std::vector<Item> items(o.items);
  for (int32_t r = 0; r < o.items; ++r) {
    Item& it = items[r];
    it.id = r + 1;
    it.title = absl::StrCat("item ", it.id);
    const double age_days = 5 * 365 * Unit(o.seed, 1, r);
    it.first_seen = kReferenceTime - static_cast<UnixSeconds>(age_days * 86400);
    it.last_interaction = kReferenceTime;
    // Heavy-tailed popularity (Pareto, alpha ~1.2).
    const double u = std::max(1e-9, Unit(o.seed, 2, r));
    it.decayed_popularity = static_cast<float>(std::pow(u, -1.0 / 1.2) - 1.0);
    it.num_ratings = static_cast<int32_t>(it.decayed_popularity * 3);
    it.mean_rating = it.num_ratings > 0 ? 3.5f : 0.0f;
  }
  return items;
}

absl::StatusOr<std::string> ModelConfigText(const WorldOptions& o) {
  FEEDGOV_ASSIGN_OR_RETURN(v1::ModelConfig config,
                           LoadModelConfig(DefaultPath("models/default.textproto")));
  config.mutable_als()->set_dim(o.dim);
  auto* r = config.mutable_retrieval();
  r->set_large_factory(o.large_factory);
  r->set_hnsw_min_items(o.hnsw_min_items);
  r->set_hnsw_ef_search(o.ef_search);
  r->set_hnsw_ef_construction(o.ef_construction);
  std::string text;
  google::protobuf::TextFormat::PrintToString(config, &text);
  return text;
}

}  // namespace

absl::Status WorldOptions::Validate() const {
  auto range = [](const char* field, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) {
      return absl::InvalidArgumentError(
          absl::StrCat("WorldOptions.", field, " = ", v, " outside [", lo, ", ",
                       hi, "]"));
    }
    return absl::OkStatus();
  };
  FEEDGOV_RETURN_IF_ERROR(range("items", items, 100, 1e7));
  FEEDGOV_RETURN_IF_ERROR(range("dim", dim, 1, 1024));
  FEEDGOV_RETURN_IF_ERROR(range("users", users, 1, 1e6));
  FEEDGOV_RETURN_IF_ERROR(range("history", history, 0, 1000));
  FEEDGOV_RETURN_IF_ERROR(range("illegal_fraction", illegal_fraction, 0, 1));
  FEEDGOV_RETURN_IF_ERROR(range("bad_fraction", bad_fraction, 0, 1));
  FEEDGOV_RETURN_IF_ERROR(range("positive_fraction", positive_fraction, 0, 1));
  FEEDGOV_RETURN_IF_ERROR(range("illegal+bad+positive fractions",
                                illegal_fraction + bad_fraction + positive_fraction,
                                0, 1));
  return absl::OkStatus();
}

std::string WorldOptions::CacheKey() const {
  return absl::StrCat("n", items, "-d", dim, "-u", users, "-h", history, "-s",
                      seed, "-i", illegal_fraction, "-b", bad_fraction, "-p",
                      positive_fraction, "-", large_factory, "-m", hnsw_min_items,
                      "-c", ef_construction);
}

int LabelClassOf(const WorldOptions& o, Row row) {
  const double u = Unit(o.seed, 3, row);
  if (u < o.illegal_fraction) return 1;
  if (u < o.illegal_fraction + o.bad_fraction) return 2;
  if (u < o.illegal_fraction + o.bad_fraction + o.positive_fraction) return 3;
  return 0;
}

WorldOptions BenchWorldOptions(int32_t items) {
  WorldOptions o;
  o.items = items;
  o.users = std::min(1000, std::max(1, items / 10));
  if (items >= kCheapBuildMinItems) o.ef_construction = 40;
  return o;
}

absl::StatusOr<SnapshotContents> MakeWorld(const WorldOptions& o,
                                           std::ostream* log) {
  FEEDGOV_RETURN_IF_ERROR(o.Validate());
  Stopwatch total;
  RowMatrixXf emb = MakeClusteredEmbeddings(o.items, o.dim,
                                            std::max(1, o.items / 100), o.seed);
  RowMatrixXf user_emb = MakeQueriesNear(emb, o.users, o.seed + 1);
  Log(log, absl::StrFormat("embeddings %d x %d in %.1fs", o.items, o.dim,
                           total.Seconds()));
  FEEDGOV_ASSIGN_OR_RETURN(
      auto catalog, Catalog::Create(MakeItems(o), std::move(emb), kReferenceTime));

  absl::flat_hash_map<ItemId, std::vector<Label>> labels;
  for (Row r = 0; r < o.items; ++r) {
    switch (LabelClassOf(o, r)) {
      case 1: labels[r + 1] = {MakeLabel(kIllegal, 0.9f)}; break;
      case 2: labels[r + 1] = {MakeLabel(kBad, 0.8f)}; break;
      case 3: labels[r + 1] = {MakeLabel(kPositive, 0.9f)}; break;
      default: break;
    }
  }
  FEEDGOV_ASSIGN_OR_RETURN(auto label_table, LabelTable::Create(std::move(labels), 1));

  std::vector<UserId> user_ids(o.users);
  std::vector<Interaction> history;
  history.reserve(static_cast<size_t>(o.users) * o.history);
  for (int32_t u = 0; u < o.users; ++u) {
    user_ids[u] = u + 1;
    for (int32_t h = 0; h < o.history; ++h) {
      Interaction x;
      x.user = u + 1;
      x.item = 1 + static_cast<ItemId>(Unit(o.seed, 4, uint64_t(u) * 1000 + h) *
                                       o.items);
      x.rating = 4.0f;
      x.time = kReferenceTime - 86400 * (h + 1);
      history.push_back(x);
    }
  }
  FEEDGOV_ASSIGN_OR_RETURN(auto users,
                           UserTable::Create(user_ids, std::move(user_emb), history));

  RetrieverOptions ropts;
  ropts.large_factory = o.large_factory;
  ropts.hnsw_min_items = o.hnsw_min_items;
  ropts.ef_search = o.ef_search;
  ropts.ef_construction = o.ef_construction;
  ropts.deterministic_build = false;
  Stopwatch build;
  FEEDGOV_ASSIGN_OR_RETURN(auto retriever,
                           Retriever::Build(catalog->embeddings(), ropts));
  Log(log, absl::StrFormat("index %s over %d items built in %.1fs",
                           retriever->factory(), o.items, build.Seconds()));

  SnapshotContents out;
  out.catalog = catalog;
  out.labels = label_table;
  out.users = users;
  out.index_factory = retriever->factory();
  FEEDGOV_ASSIGN_OR_RETURN(out.index_bytes, retriever->Serialize());
  FEEDGOV_ASSIGN_OR_RETURN(out.model_config_text, ModelConfigText(o));
  Log(log, absl::StrFormat("world ready in %.1fs", total.Seconds()));
  return out;
}

absl::StatusOr<std::string> EnsureWorldSnapshot(const WorldOptions& o,
                                                const std::string& cache_dir,
                                                std::ostream* log) {
  FEEDGOV_RETURN_IF_ERROR(o.Validate());
  std::error_code ec;
  std::filesystem::create_directories(cache_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("create ", cache_dir, ": ", ec.message()));
  }
  const std::string dir = absl::StrCat(cache_dir, "/", o.CacheKey());
  if (std::filesystem::exists(dir + "/" + kSnapshotManifestName)) {
    Log(log, "using cached snapshot " + dir);
    return dir;
  }
  FEEDGOV_ASSIGN_OR_RETURN(SnapshotContents world, MakeWorld(o, log));
  Stopwatch write;
  FEEDGOV_RETURN_IF_ERROR(WriteSnapshot(world, dir));
  Log(log, absl::StrFormat("snapshot written to %s in %.1fs", dir, write.Seconds()));
  return dir;
}

absl::StatusOr<std::unique_ptr<FeedEngine>> OpenWorldEngine(
    const std::string& snapshot_dir, const std::string& policy_path,
    const Clock* clock) {
  OpenOptions oo;
  oo.snapshot_dir = snapshot_dir;
  oo.policy_path = policy_path;
  oo.clock = clock;
  return OpenEngine(oo);
}

std::shared_ptr<const InterventionSnapshot> MakeInterventions(
    const WorldOptions& o, const std::string& surface, int pins,
    int suppressions) {
  std::vector<Intervention> out;
  int next_id = 1;
  auto base = [&](InterventionKind kind, ItemId item) {
    Intervention iv;
    iv.id = absl::StrFormat("iv-%06d", next_id++);
    iv.kind = kind;
    iv.item_id = item;
    iv.surface = surface;
    iv.editor = "bench";
    iv.reason = "benchmark";
    iv.created = absl::UnixEpoch();
    iv.start = absl::UnixEpoch();
    iv.end = absl::InfiniteFuture();
    return iv;
  };
  // Servable, key-slot-allowed rows (unlabeled or positive), spread over the
  // catalog with a stride so pins and suppressions touch distinct rows.
  const int needed = pins + suppressions;
  const int stride = std::max(1, o.items / std::max(1, 2 * needed));
  int taken = 0;
  for (Row r = 7; r < o.items && taken < needed; r += stride) {
    const int cls = LabelClassOf(o, r);
    if (cls != 0 && cls != 3) continue;
    if (taken < pins) {
      Intervention iv = base(InterventionKind::kPin, r + 1);
      iv.position = 3 + 10 * taken;  // 3, 13, 23, ...: two on page one.
      out.push_back(iv);
    } else {
      out.push_back(base(InterventionKind::kSuppressItem, r + 1));
    }
    ++taken;
  }
  return std::make_shared<const InterventionSnapshot>(std::move(out));
}

std::vector<ItemLabelsUpdate> MakeSelectiveLabels(const WorldOptions& o,
                                                  double keep_fraction) {
  const int every = std::max(1, static_cast<int>(std::lround(1.0 / keep_fraction)));
  std::vector<ItemLabelsUpdate> out;
  out.reserve(o.items);
  for (Row r = 0; r < o.items; ++r) {
    if (r % every == 0) continue;
    out.push_back({r + 1, {MakeLabel(kIllegal, 0.9f)}});
  }
  return out;
}

namespace {
int64_t StatusField(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      std::istringstream ss(line.substr(prefix.size()));
      int64_t kb = -1;
      ss >> kb;
      return kb < 0 ? -1 : kb * 1024;
    }
  }
  return -1;
}
}  // namespace

int64_t PeakRssBytes() { return StatusField("VmHWM"); }
int64_t CurrentRssBytes() { return StatusField("VmRSS"); }

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

}  // namespace feedgov::bench
