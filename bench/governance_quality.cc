// Quality cost of governance on MovieLens: NDCG@k and Recall@k of the
// governed feed (cn-ecology, surface home) against the ungoverned one
// (permissive pack), with the time split of engine/model/eval.h.
//
//   governance_quality --data ../shared/data/movielens_latest_small
//       [--k 20] [--holdout 0.2] [--max-users N] [--als-iterations I]
//
// Protocol: SplitByTime(ratings, holdout); ALS (models/default.textproto)
// trained on the train split only; a serving snapshot assembled in memory
// from the train split alone (item embeddings = ALS factors, mean factor for
// items nobody rated in train; popularity, last interaction and first seen
// recomputed from the train split, reference time = latest train rating;
// labels from policies/labelmaps/movielens.textproto; user histories = train
// ratings, so Rank never returns a train item). Two FeedEngines over the
// same snapshot, one per pack, each wrapped as a Ranker calling
// FeedEngine::Rank(user, "home", page k) and evaluated with EvaluateRanker.
// The plain ALS ranker of eval.h is printed for reference.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/label_table.h"
#include "engine/catalog/movielens.h"
#include "engine/catalog/user_table.h"
#include "engine/common/status_macros.h"
#include "engine/governance/label_map.h"
#include "engine/governance/taxonomy.h"
#include "engine/model/als.h"
#include "engine/model/eval.h"
#include "engine/model/model_config.h"
#include "engine/pipeline/engine_factory.h"
#include "engine/pipeline/feed_engine.h"

namespace feedgov::bench {
namespace {

struct Flags {
  std::string data;
  int k = 20;
  double holdout = 0.2;
  int max_users = 0;       // 0 = all.
  int als_iterations = 0;  // 0 = config.
};

// Item statistics from the train split only (no leakage of held-out ratings
// into the popularity prior).
std::vector<Item> TrainItems(std::vector<Item> items,
                             const std::vector<Interaction>& train,
                             UnixSeconds reference_time, double half_life_days) {
  absl::flat_hash_map<ItemId, size_t> index;
  for (size_t i = 0; i < items.size(); ++i) {
    index[items[i].id] = i;
    items[i].num_ratings = 0;
    items[i].mean_rating = 0;
    items[i].decayed_popularity = 0;
    items[i].last_interaction = 0;
    items[i].first_seen = reference_time;
  }
  for (const Interaction& x : train) {
    auto it = index.find(x.item);
    if (it == index.end()) continue;
    Item& item = items[it->second];
    const double age_days = std::max<double>(0, reference_time - x.time) / 86400.0;
    item.decayed_popularity += static_cast<float>(std::pow(0.5, age_days / half_life_days));
    item.mean_rating += x.rating;
    ++item.num_ratings;
    item.last_interaction = std::max(item.last_interaction, x.time);
    item.first_seen = std::min(item.first_seen, x.time);
  }
  for (Item& item : items) {
    if (item.num_ratings > 0) item.mean_rating /= item.num_ratings;
  }
  return items;
}

absl::StatusOr<SnapshotContents> TrainSnapshot(const MovieLensData& data,
                                               const TimeSplit& split,
                                               const v1::ModelConfig& config,
                                               const AlsOptions& als) {
  IndexedInteractions indexed = IndexInteractions(split.train);
  FEEDGOV_ASSIGN_OR_RETURN(AlsModel model, TrainAls(indexed.input, als));
  UnixSeconds reference_time = 0;
  for (const Interaction& x : split.train) reference_time = std::max(reference_time, x.time);

  absl::flat_hash_map<ItemId, int32_t> factor_row;
  for (size_t i = 0; i < indexed.item_ids.size(); ++i) {
    factor_row[indexed.item_ids[i]] = static_cast<int32_t>(i);
  }
  std::vector<Item> items =
      TrainItems(data.items, split.train, reference_time,
                 config.scoring().popularity_half_life_days());
  Eigen::RowVectorXf mean = model.item_factors.colwise().mean();
  RowMatrixXf emb(static_cast<Eigen::Index>(items.size()), model.item_factors.cols());
  for (size_t r = 0; r < items.size(); ++r) {
    auto it = factor_row.find(items[r].id);
    emb.row(r) = it == factor_row.end() ? mean : model.item_factors.row(it->second);
  }
  FEEDGOV_ASSIGN_OR_RETURN(Taxonomy taxonomy,
                           Taxonomy::Load(DefaultPath("policies/labels.textproto")));
  FEEDGOV_ASSIGN_OR_RETURN(
      LabelMap label_map,
      LoadLabelMap(DefaultPath("policies/labelmaps/movielens.textproto"), taxonomy));
  absl::flat_hash_map<ItemId, std::vector<Label>> labels;
  for (const Item& item : items) {
    std::vector<Label> l = MapLabels(label_map, item.genres, item.tags, reference_time);
    if (!l.empty()) labels.emplace(item.id, std::move(l));
  }
  SnapshotContents out;
  FEEDGOV_ASSIGN_OR_RETURN(out.catalog,
                           Catalog::Create(std::move(items), std::move(emb), reference_time));
  FEEDGOV_ASSIGN_OR_RETURN(out.labels, LabelTable::Create(std::move(labels), 1));
  FEEDGOV_ASSIGN_OR_RETURN(out.users, UserTable::Create(indexed.user_ids,
                                                        model.user_factors, split.train));
  return out;  // No index bytes: FeedEngine::Create builds it.
}

absl::StatusOr<std::unique_ptr<FeedEngine>> MakeEngine(const SnapshotContents& snap,
                                                       const v1::ModelConfig& config,
                                                       const std::string& pack) {
  FEEDGOV_ASSIGN_OR_RETURN(Taxonomy taxonomy,
                           Taxonomy::Load(DefaultPath("policies/labels.textproto")));
  auto registry = std::make_shared<PolicyRegistry>(std::move(taxonomy));
  FEEDGOV_RETURN_IF_ERROR(registry->Reload(DefaultPath("policies/" + pack + ".textproto")));
  EngineOptions eo;
  eo.scoring = ScoringOptions::FromConfig(config.scoring());
  eo.retrieval = RetrieverOptions::FromConfig(config.retrieval());
  if (config.retrieval().candidate_count() > 0) {
    eo.candidate_count = config.retrieval().candidate_count();
  }
  return FeedEngine::Create(snap, std::move(registry), std::move(eo), &RealClock::Get());
}

// A Ranker over FeedEngine::Rank; counts failures and short pages.
Ranker EngineRanker(const FeedEngine& engine, int* errors) {
  return [&engine, errors](UserId user, int k) {
    RankRequest r;
    r.surface = "home";
    r.user = user;
    r.page_size = k;
    auto page = engine.Rank(r);
    std::vector<ItemId> out;
    if (!page.ok()) {
      ++*errors;
      return out;
    }
    for (const RankedItem& item : page->items) out.push_back(item.item_id);
    return out;
  };
}

int Usage(const std::string& msg) {
  std::fprintf(stderr,
               "governance_quality: %s\nusage: governance_quality --data DIR "
               "[--k 20] [--holdout 0.2] [--max-users N] [--als-iterations I]\n",
               msg.c_str());
  return 2;
}

int Main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage("missing value for " + flag);
    const std::string v = argv[++i];
    bool ok = true;
    if (flag == "--data") f.data = v;
    else if (flag == "--k") ok = absl::SimpleAtoi(v, &f.k) && f.k >= 1 && f.k <= 500;
    else if (flag == "--holdout") ok = absl::SimpleAtod(v, &f.holdout) && f.holdout > 0 && f.holdout < 1;
    else if (flag == "--max-users") ok = absl::SimpleAtoi(v, &f.max_users) && f.max_users >= 0;
    else if (flag == "--als-iterations") ok = absl::SimpleAtoi(v, &f.als_iterations) && f.als_iterations >= 0;
    else return Usage("unknown flag " + flag);
    if (!ok) return Usage(flag + ": invalid value '" + v + "'");
  }
  if (f.data.empty()) return Usage("--data is required");
  const auto t0 = std::chrono::steady_clock::now();
  auto config = LoadModelConfig(DefaultPath("models/default.textproto"));
  if (!config.ok()) return Usage(config.status().ToString());
  auto data = ReadMovieLens(f.data);
  if (!data.ok()) return Usage(data.status().ToString());
  TimeSplit split = SplitByTime(data->ratings, f.holdout);
  if (f.max_users > 0) {
    // Evaluate only the first max_users users (the model still trains on all).
    absl::flat_hash_set<UserId> keep;
    std::vector<Interaction> test;
    for (const Interaction& x : split.test) {
      if (keep.contains(x.user) || static_cast<int>(keep.size()) < f.max_users) {
        keep.insert(x.user);
        test.push_back(x);
      }
    }
    split.test = std::move(test);
  }
  AlsOptions als = AlsOptions::FromConfig(config->als());
  if (f.als_iterations > 0) als.iterations = f.als_iterations;
  auto snap = TrainSnapshot(*data, split, *config, als);
  if (!snap.ok()) return Usage(snap.status().ToString());

  std::vector<EvalRow> rows;
  auto als_ranker = TrainAlsRanker(split, als);
  if (!als_ranker.ok()) return Usage(als_ranker.status().ToString());
  rows.push_back(EvaluateRanker(split, "als (eval.h, no engine)", *als_ranker, f.k));
  int errors = 0;
  for (const char* pack : {"permissive", "cn-ecology"}) {
    auto engine = MakeEngine(*snap, *config, pack);
    if (!engine.ok()) return Usage(engine.status().ToString());
    rows.push_back(EvaluateRanker(split, std::string("engine ") + pack,
                                  EngineRanker(**engine, &errors), f.k));
  }
  std::printf("%-28s %6s %10s %9s\n", "method", "users",
              absl::StrFormat("Recall@%d", f.k).c_str(),
              absl::StrFormat("NDCG@%d", f.k).c_str());
  for (const EvalRow& r : rows) {
    std::printf("%-28s %6d %10.4f %9.4f\n", r.method.c_str(), r.users, r.recall, r.ndcg);
  }
  const EvalRow& open = rows[1];
  const EvalRow& governed = rows[2];
  std::printf(
      "governed/ungoverned: NDCG@%d %.3f (target >= 0.95), Recall@%d %.3f; "
      "rank errors %d; %.1fs\n",
      f.k, open.ndcg > 0 ? governed.ndcg / open.ndcg : 0.0, f.k,
      open.recall > 0 ? governed.recall / open.recall : 0.0, errors,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace feedgov::bench

int main(int argc, char** argv) { return feedgov::bench::Main(argc, argv); }
