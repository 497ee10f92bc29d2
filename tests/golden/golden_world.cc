// golden_world: writes the seeded synthetic world of the golden-page test
// (tests/golden/golden_pages.py, fixtures/golden/README.md) as a regular
// snapshot directory.
//
//   golden_world --out DIR [--seed 20261206]
//
// The world is a pure function of the seed: a SplitMix64 generator, only
// +, -, *, / and sqrt on the values it draws (no <random> distributions,
// whose output the C++ standard leaves to the library), so the same seed
// writes the same catalog, labels, users and index on every machine.
//
//   2,000 items (ids 1000, 1003, ...), d = 16, 20 clusters; 50 authors
//   (every 7th item has none); genres and tags from small fixed sets;
//   first_seen within three years of the reference time; a heavy-tailed
//   decayed popularity, lower for labeled items.
//   Labels by a hash of the row: 3% illegal.rumors 0.9 (reviewer, dropped
//   everywhere), 2% illegal.rumors 0.3 (model: a machine candidate at
//   cn-ecology's key-slot threshold, kept out of key slots, never dropped),
//   8% bad.clickbait 0.8 (model: kept out of key slots, downranked, dropped
//   for minors), 4% bad.vulgar 0.6 (reviewer),
//   10% positive.core_values 0.9 (reviewer), 3%
//   positive.taste_responsibility 0.6 (model, unreviewed), 15% reviewed
//   clean (reviewer positive.core_values at confidence 0), 0.5% a label the
//   taxonomy does not know (label error, fail closed), the rest unlabeled.
//   60 users (ids 1..60) near a cluster each, 5 to 24 rated items from it.
//   Index: Flat; candidate_count 40, so the threshold algorithm, the prior
//   walk and the key-slot pools all have work to do on pages of 10.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/label_table.h"
#include "engine/catalog/snapshot.h"
#include "engine/catalog/user_table.h"
#include "engine/common/matrix.h"
#include "engine/common/split_mix64.h"
#include "engine/common/status_macros.h"
#include "engine/retrieval/retriever.h"

namespace feedgov {
namespace {

constexpr int kItems = 2000;
constexpr int kDim = 16;
constexpr int kClusters = 20;
constexpr int kUsers = 60;
constexpr UnixSeconds kReferenceTime = 1767225600;  // 2026-01-01T00:00:00Z.

constexpr char kModelConfig[] = R"pb(als {
                                       dim: 16
                                       alpha: 1
                                       lambda: 30
                                       iterations: 10
                                       seed: 42
                                       init_stddev: 0.01
                                     }
                                     retrieval {
                                       small_factory: "Flat"
                                       large_factory: "HNSW32"
                                       hnsw_min_items: 50000
                                       hnsw_ef_search: 256
                                       hnsw_ef_construction: 200
                                       exact_max_eligible_fraction: 0.05
                                       candidate_count: 40
                                     }
                                     scoring {
                                       similarity_weight: 1.0
                                       popularity_weight: 0.3
                                       freshness_weight: 0.1
                                       popularity_half_life_days: 365
                                       freshness_half_life_days: 1095
                                     }
)pb";

// SplitMix64 (common/split_mix64.h): a fixed, portable sequence.
class Rng {
 public:
  explicit Rng(uint64_t seed) : mix_(seed) {}
  uint64_t Next() { return mix_.Next(); }
  // Uniform in [0, 1), 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  int Below(int n) { return static_cast<int>(Uniform() * n); }
  // Roughly normal, mean 0, variance 1 (Irwin-Hall of 4 uniforms).
  double Normalish() {
    double s = 0;
    for (int i = 0; i < 4; ++i) s += Uniform();
    return (s - 2.0) * 1.7320508075688772;
  }

 private:
  SplitMix64 mix_;
};

Label MakeLabel(const std::string& name, float confidence, LabelSource source) {
  Label l;
  l.name = name;
  l.confidence = confidence;
  l.source = source;
  l.time = kReferenceTime - 86400;
  return l;
}

// The labels of row `row`: a fixed share per kind (file comment).
std::vector<Label> LabelsOf(uint64_t seed, int row) {
  const int bucket =
      static_cast<int>(Rng(seed ^ (0xA5A5ull * (row + 1))).Next() % 1000);
  if (bucket < 30)
    return {MakeLabel("illegal.rumors", 0.9f, LabelSource::kReviewer)};
  if (bucket < 50)
    return {MakeLabel("illegal.rumors", 0.3f, LabelSource::kModel)};
  if (bucket < 130)
    return {MakeLabel("bad.clickbait", 0.8f, LabelSource::kModel)};
  if (bucket < 170)
    return {MakeLabel("bad.vulgar", 0.6f, LabelSource::kReviewer)};
  if (bucket < 270) {
    return {MakeLabel("positive.core_values", 0.9f, LabelSource::kReviewer)};
  }
  if (bucket < 300) {
    return {
        MakeLabel("positive.taste_responsibility", 0.6f, LabelSource::kModel)};
  }
  if (bucket < 450) {
    return {MakeLabel("positive.core_values", 0.0f, LabelSource::kReviewer)};
  }
  if (bucket < 455)
    return {MakeLabel("legacy.unmapped", 0.9f, LabelSource::kMapping)};
  return {};
}

absl::Status WriteWorld(const std::string& out, uint64_t seed) {
  Rng rng(seed);
  const std::vector<std::string> genres = {"Drama", "Comedy", "Horror",
                                           "Documentary", "Action"};
  const std::vector<std::string> tags = {"history", "inspiring", "space",
                                         "cats",    "cooking",   "jazz"};
  RowMatrixXf centers(kClusters, kDim);
  for (int c = 0; c < kClusters; ++c) {
    for (int j = 0; j < kDim; ++j)
      centers(c, j) = static_cast<float>(2 * rng.Uniform() - 1);
  }

  std::vector<Item> items(kItems);
  RowMatrixXf embeddings(kItems, kDim);
  std::vector<int> cluster_of(kItems);
  for (int i = 0; i < kItems; ++i) {
    Item& item = items[i];
    item.id = 1000 + 3 * i;
    item.title = absl::StrCat("Item ", item.id);
    item.genres = {genres[rng.Below(static_cast<int>(genres.size()))]};
    const int n_tags = rng.Below(3);
    for (int t = 0; t < n_tags; ++t) {
      const std::string& tag = tags[rng.Below(static_cast<int>(tags.size()))];
      if (item.tags.empty() || item.tags[0] != tag) item.tags.push_back(tag);
    }
    item.author = i % 7 == 0 ? "" : absl::StrCat("author-", i % 50);
    item.first_seen = kReferenceTime -
                      static_cast<UnixSeconds>(rng.Uniform() * 3 * 365 * 86400);
    // Labeled items are less popular, so the most popular (the prior's
    // head) are mostly unreviewed: the key-slot and positive pools are
    // needed on the surfaces that want reviewed or labeled items there.
    const double u = rng.Uniform();
    const double reach = LabelsOf(seed, i).empty() ? 1.0 : 0.3;
    item.decayed_popularity = static_cast<float>(u * u * u * u * 500 * reach);
    item.num_ratings = static_cast<int32_t>(item.decayed_popularity * 1.3f);
    item.mean_rating =
        item.num_ratings > 0 ? static_cast<float>(1 + 4 * rng.Uniform()) : 0.0f;
    item.last_interaction = item.num_ratings > 0 ? kReferenceTime - 3600 : 0;
    cluster_of[i] = rng.Below(kClusters);
    for (int j = 0; j < kDim; ++j) {
      embeddings(i, j) = static_cast<float>(centers(cluster_of[i], j) +
                                            0.35 * rng.Normalish());
    }
  }

  std::vector<UserId> user_ids;
  RowMatrixXf user_vectors(kUsers, kDim);
  std::vector<Interaction> ratings;
  for (int u = 0; u < kUsers; ++u) {
    const UserId id = u + 1;
    user_ids.push_back(id);
    const int cluster = u % kClusters;
    for (int j = 0; j < kDim; ++j) {
      user_vectors(u, j) =
          static_cast<float>(centers(cluster, j) + 0.2 * rng.Normalish());
    }
    const int n_rated = 5 + rng.Below(20);
    for (int k = 0, tries = 0; k < n_rated && tries < 10 * kItems; ++tries) {
      const int row = rng.Below(kItems);
      if (cluster_of[row] != cluster) continue;
      bool seen = false;
      for (const Interaction& r : ratings)
        seen |= r.user == id && r.item == items[row].id;
      if (seen) continue;
      ratings.push_back({id, items[row].id,
                         static_cast<float>(0.5 * (1 + rng.Below(10))),
                         kReferenceTime - 86400 * (1 + rng.Below(300))});
      ++k;
    }
  }

  absl::flat_hash_map<ItemId, std::vector<Label>> label_rows;
  for (int i = 0; i < kItems; ++i) {
    std::vector<Label> labels = LabelsOf(seed, i);
    if (!labels.empty()) label_rows.emplace(items[i].id, std::move(labels));
  }

  SnapshotContents contents;
  FEEDGOV_ASSIGN_OR_RETURN(
      contents.catalog,
      Catalog::Create(std::move(items), std::move(embeddings), kReferenceTime));
  FEEDGOV_ASSIGN_OR_RETURN(contents.users,
                           UserTable::Create(user_ids, user_vectors, ratings));
  FEEDGOV_ASSIGN_OR_RETURN(contents.labels,
                           LabelTable::Create(std::move(label_rows), 1));
  RetrieverOptions options;
  FEEDGOV_ASSIGN_OR_RETURN(
      auto retriever,
      Retriever::Build(contents.catalog->embeddings(), options));
  contents.index_factory = retriever->factory();
  FEEDGOV_ASSIGN_OR_RETURN(contents.index_bytes, retriever->Serialize());
  contents.model_config_text = kModelConfig;
  return WriteSnapshot(contents, out);
}

}  // namespace
}  // namespace feedgov

int main(int argc, char** argv) {
  std::string out;
  uint64_t seed = 20261206;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--out") {
      out = argv[i + 1];
    } else if (flag == "--seed" && absl::SimpleAtoi(argv[i + 1], &seed)) {
    } else {
      std::cerr << "usage: golden_world --out DIR [--seed N]\n";
      return 2;
    }
  }
  if (out.empty() || argc % 2 == 0) {
    std::cerr << "usage: golden_world --out DIR [--seed N]\n";
    return 2;
  }
  absl::Status s = feedgov::WriteWorld(out, seed);
  if (!s.ok()) {
    std::cerr << "golden_world: " << s << "\n";
    return 1;
  }
  return 0;
}
