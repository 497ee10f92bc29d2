// Quality cost of governance on MovieLens: NDCG@k and Recall@k of the
// governed feed (cn-ecology, surface home) against the ungoverned one
// (permissive pack), with the time split of engine/model/eval.h, and a
// breakdown of the cost by rule and by label-map entry.
//
//   governance_quality --data ../shared/data/movielens_latest_small
//       [--k 20] [--holdout 0.2] [--max-users N] [--als-iterations I]
//       [--pack FILE] [--label-map FILE] [--breakdown 0|1]
//
// Protocol: SplitByTime(ratings, holdout); ALS (models/default.textproto)
// trained on the train split only; a serving snapshot assembled in memory
// from the train split alone (item embeddings = ALS factors, mean factor for
// items nobody rated in train; popularity, last interaction and first seen
// recomputed from the train split, reference time = latest train rating;
// labels from the label map, default policies/labelmaps/movielens.textproto;
// user histories = train ratings, so Rank never returns a train item).
// FeedEngines over the same snapshot, one per pack, each wrapped as a Ranker
// calling FeedEngine::Rank(user, "home", page k) and evaluated with
// EvaluateRanker. The plain ALS ranker of eval.h is printed for reference.
//
// Breakdown (--breakdown 1, the default), all against the same ungoverned
// engine (permissive pack, same labels):
//  * pack variants: the governed pack (--pack, default
//    policies/cn-ecology.textproto) with one rule kind removed at a time
//    (bad.* DOWNRANK, bad.* KEEP_OUT, the home positive quota, positive.*
//    BOOST) or the DOWNRANK factor changed. Variants are measurement only;
//    the ones without KEEP_OUT would not pass `feedgov policy lint`.
//  * label-map variants: the governed pack with the entries of one label
//    (or one genre / tag group) removed from the label map;
//  * held-out diagnostics: what the governed pack's verdicts (home, general
//    audience) are on the items users actually held out, which label-map
//    entries fire on them, and where the hits of the ungoverned top k went.
// Output tables are Markdown so they can be pasted into docs/evaluation.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/label_table.h"
#include "engine/ingest/movielens.h"
#include "engine/catalog/user_table.h"
#include "engine/common/reasons.h"
#include "engine/common/status_macros.h"
#include "engine/governance/label_map.h"
#include "engine/governance/policy_loader.h"
#include "engine/governance/taxonomy.h"
#include "engine/governance/verdict.h"
#include "engine/model/als.h"
#include "engine/model/eval.h"
#include "engine/model/model_config.h"
#include "engine/runtime/open_engine.h"
#include "engine/rank/feed_engine.h"

namespace feedgov::bench {
namespace {

constexpr char kSurface[] = "home";

struct Flags {
  std::string data;
  int k = 20;
  double holdout = 0.2;
  int max_users = 0;       // 0 = all.
  int als_iterations = 0;  // 0 = config.
  std::string pack;        // Empty = policies/cn-ecology.textproto.
  std::string label_map;   // Empty = policies/labelmaps/movielens.textproto.
  bool breakdown = true;
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

// The serving snapshot of the train split, without labels (LabelsFromMap
// adds them per label map).
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
  SnapshotContents out;
  FEEDGOV_ASSIGN_OR_RETURN(out.catalog,
                           Catalog::Create(std::move(items), std::move(emb), reference_time));
  out.labels = LabelTable::Empty();
  FEEDGOV_ASSIGN_OR_RETURN(out.users, UserTable::Create(indexed.user_ids,
                                                        model.user_factors, split.train));
  return out;  // No index bytes: FeedEngine::Create builds it.
}

// Labels of every catalog item under `map` (as ingest does).
absl::StatusOr<std::shared_ptr<const LabelTable>> LabelsFromMap(const Catalog& catalog,
                                                                const LabelMap& map) {
  absl::flat_hash_map<ItemId, std::vector<Label>> labels;
  for (const Item& item : catalog.items()) {
    std::vector<Label> l = MapLabels(map, item.genres, item.tags, catalog.reference_time());
    if (!l.empty()) labels.emplace(item.id, std::move(l));
  }
  return LabelTable::Create(std::move(labels), 1);
}

absl::StatusOr<std::unique_ptr<FeedEngine>> MakeEngine(const SnapshotContents& snap,
                                                       const v1::ModelConfig& config,
                                                       const Taxonomy& taxonomy,
                                                       std::shared_ptr<const PolicyPack> pack) {
  auto registry = std::make_shared<PolicyRegistry>(taxonomy);
  registry->Set(std::move(pack));
  EngineOptions eo;
  eo.scoring = ScoringOptions::FromConfig(config.scoring());
  eo.retrieval = RetrieverOptions::FromConfig(config.retrieval());
  if (config.retrieval().candidate_count() > 0) {
    eo.candidate_count = config.retrieval().candidate_count();
  }
  return FeedEngine::Create(snap, std::move(registry), std::move(eo), &RealClock::Get());
}

// Top-k lists per user, as returned by a ranker during EvaluateRanker.
using Lists = absl::flat_hash_map<UserId, std::vector<ItemId>>;

// Positive-quota outcome over the pages of one run (counters of RankResponse).
struct QuotaStats {
  int pages = 0;
  int64_t required = 0;
  int64_t met = 0;
  int pages_short = 0;  // Pages with quota_shortfall > 0.
  absl::flat_hash_set<ItemId> positives_shown;  // Distinct positive-quota items.
};

// A Ranker over FeedEngine::Rank; counts failures, records each list and
// the quota outcome.
Ranker EngineRanker(const FeedEngine& engine, int* errors, Lists* lists, QuotaStats* quota) {
  return [&engine, errors, lists, quota](UserId user, int k) {
    RankRequest r;
    r.surface = kSurface;
    r.user = user;
    r.page_size = k;
    auto page = engine.Rank(r);
    std::vector<ItemId> out;
    if (!page.ok()) {
      ++*errors;
      return out;
    }
    for (const RankedItem& item : page->items) {
      out.push_back(item.item_id);
      if (item.reasons & kPositiveQuota) quota->positives_shown.insert(item.item_id);
    }
    (*lists)[user] = out;
    ++quota->pages;
    quota->required += page->counters.quota_required;
    quota->met += page->counters.quota_met;
    quota->pages_short += page->counters.quota_shortfall > 0 ? 1 : 0;
    return out;
  };
}

// Everything a variant needs, shared across variants.
struct World {
  const TimeSplit* split = nullptr;
  const v1::ModelConfig* config = nullptr;
  const Taxonomy* taxonomy = nullptr;
  SnapshotContents snap;  // Labels replaced per label map.
  int k = 20;
};

struct Measured {
  EvalRow row;
  Lists lists;
  QuotaStats quota;
};

absl::StatusOr<Measured> Measure(const World& w, std::shared_ptr<const LabelTable> labels,
                                 std::shared_ptr<const PolicyPack> pack,
                                 const std::string& name, int* errors) {
  SnapshotContents snap = w.snap;
  snap.labels = std::move(labels);
  FEEDGOV_ASSIGN_OR_RETURN(auto engine, MakeEngine(snap, *w.config, *w.taxonomy, std::move(pack)));
  Measured m;
  m.row = EvaluateRanker(*w.split, name, EngineRanker(*engine, errors, &m.lists, &m.quota), w.k);
  return m;
}

// ---- Pack and label-map variants ----

struct PackVariant {
  std::string name;
  std::function<void(PolicyPack&)> edit;
};

void RemoveRules(PolicyPack& p, RuleAction action) {
  std::erase_if(p.rules, [action](const Rule& r) { return r.action == action; });
}
void SetFactor(PolicyPack& p, RuleAction action, float factor) {
  for (Rule& r : p.rules) {
    if (r.action == action) r.factor = factor;
  }
}
void RemoveQuota(PolicyPack& p) {
  for (Surface& s : p.surfaces) {
    if (s.id == kSurface) s.quota = PositiveQuota{};
  }
}

std::vector<PackVariant> PackVariants() {
  std::vector<PackVariant> out = {
      {"as given", [](PolicyPack&) {}},
      {"- bad.* DOWNRANK", [](PolicyPack& p) { RemoveRules(p, RuleAction::kDownrank); }},
      {"- bad.* KEEP_OUT (fails lint)",
       [](PolicyPack& p) { RemoveRules(p, RuleAction::kKeepOutOfKeySlots); }},
      {"- home positive quota", [](PolicyPack& p) { RemoveQuota(p); }},
      {"- positive.* BOOST", [](PolicyPack& p) { RemoveRules(p, RuleAction::kBoost); }},
      {"- quota - BOOST",
       [](PolicyPack& p) {
         RemoveQuota(p);
         RemoveRules(p, RuleAction::kBoost);
       }},
      {"KEEP_OUT only (no DOWNRANK/quota/BOOST)",
       [](PolicyPack& p) {
         RemoveRules(p, RuleAction::kDownrank);
         RemoveRules(p, RuleAction::kBoost);
         RemoveQuota(p);
       }},
  };
  for (float down : {0.5f, 0.8f, 0.9f}) {
    for (float boost : {1.2f, 1.1f, 1.05f, 1.02f}) {
      out.push_back({absl::StrFormat("DOWNRANK x%.2g, BOOST x%.3g", down, boost),
                     [down, boost](PolicyPack& p) {
                       SetFactor(p, RuleAction::kDownrank, down);
                       SetFactor(p, RuleAction::kBoost, boost);
                     }});
    }
  }
  return out;
}

struct MapVariant {
  std::string name;
  std::function<void(LabelMap&)> edit;
};

using Buckets = absl::flat_hash_map<std::string, std::vector<std::pair<std::string, float>>>;

void RemoveWhere(Buckets& b, const std::function<bool(const std::string& key,
                                                      const std::string& label)>& pred) {
  for (auto& [key, entries] : b) {
    std::erase_if(entries, [&](const auto& e) { return pred(key, e.first); });
  }
}
// Removes every entry whose label matches `pattern` (a name or "class.*").
void RemoveLabel(LabelMap& m, const std::string& pattern) {
  auto pred = [&](const std::string&, const std::string& label) {
    return LabelPatternMatches(pattern, label);
  };
  RemoveWhere(m.by_genre, pred);
  RemoveWhere(m.by_tag, pred);
}
void RemoveGenre(LabelMap& m, const std::string& genre) {
  m.by_genre.erase(absl::AsciiStrToLower(genre));
}
void RemoveTags(LabelMap& m, const std::vector<std::string>& tags) {
  for (const std::string& t : tags) m.by_tag.erase(t);
}

std::vector<MapVariant> MapVariants() {
  return {
      {"as given", [](LabelMap&) {}},
      {"- genre Horror", [](LabelMap& m) { RemoveGenre(m, "Horror"); }},
      {"- tags violence, violent", [](LabelMap& m) { RemoveTags(m, {"violence", "violent"}); }},
      {"- tags horror, scary, creepy",
       [](LabelMap& m) { RemoveTags(m, {"horror", "scary", "creepy"}); }},
      {"- bad.gore_horror (all entries)", [](LabelMap& m) { RemoveLabel(m, "bad.gore_horror"); }},
      {"- bad.sexual_innuendo", [](LabelMap& m) { RemoveLabel(m, "bad.sexual_innuendo"); }},
      {"- bad.minor_unsafe_imitation",
       [](LabelMap& m) { RemoveLabel(m, "bad.minor_unsafe_imitation"); }},
      {"- bad.vulgar", [](LabelMap& m) { RemoveLabel(m, "bad.vulgar"); }},
      {"- bad.* (no bad labels)", [](LabelMap& m) { RemoveLabel(m, "bad.*"); }},
      {"- positive.* (no positive labels)", [](LabelMap& m) { RemoveLabel(m, "positive.*"); }},
  };
}

void PrintHeader(const char* first, int k) {
  std::printf("\n| %s | Recall@%d | NDCG@%d | NDCG / ungoverned | Recall / ungoverned |\n", first,
              k, k);
  std::printf("| --- | ---: | ---: | ---: | ---: |\n");
}
void PrintRow(const EvalRow& r, const EvalRow& open) {
  std::printf("| %s | %.4f | %.4f | %.3f | %.3f |\n", r.method.c_str(), r.recall, r.ndcg,
              open.ndcg > 0 ? r.ndcg / open.ndcg : 0.0,
              open.recall > 0 ? r.recall / open.recall : 0.0);
}

absl::Status PrintPackVariants(const World& w, const std::shared_ptr<const LabelTable>& labels,
                               const PolicyPack& pack, const EvalRow& open, int* errors) {
  std::printf("\n### Pack variants (label map as given)\n");
  PrintHeader("pack variant", w.k);
  for (const PackVariant& v : PackVariants()) {
    auto edited = std::make_shared<PolicyPack>(pack);
    v.edit(*edited);
    FEEDGOV_ASSIGN_OR_RETURN(Measured m, Measure(w, labels, edited, v.name, errors));
    PrintRow(m.row, open);
  }
  return absl::OkStatus();
}

// Label-map variants change the labels of both engines: the ungoverned
// reference is re-measured per variant (permissive ignores bad/positive
// labels, so it only moves if the map changes illegal labels).
absl::Status PrintMapVariants(const World& w, const LabelMap& map,
                              const std::shared_ptr<const PolicyPack>& pack,
                              const std::shared_ptr<const PolicyPack>& permissive, int* errors) {
  std::printf("\n### Label-map variants (pack as given)\n");
  PrintHeader("label-map variant", w.k);
  for (const MapVariant& v : MapVariants()) {
    LabelMap edited = map;
    v.edit(edited);
    FEEDGOV_ASSIGN_OR_RETURN(auto labels, LabelsFromMap(*w.snap.catalog, edited));
    FEEDGOV_ASSIGN_OR_RETURN(Measured open, Measure(w, labels, permissive, "open", errors));
    FEEDGOV_ASSIGN_OR_RETURN(Measured m, Measure(w, labels, pack, v.name, errors));
    PrintRow(m.row, open.row);
  }
  return absl::OkStatus();
}

// ---- Score scale ----

// What a policy factor means on this score scale: for an item at rank r of a
// user's ungoverned ranking (page of 500), the rank it reaches after its
// score is multiplied by f (1 + number of other items scoring above f x
// its score; 500 = the last of the 500 shown, or lower). Prints the
// median over users.
absl::Status PrintFactorScale(const World& w, const std::shared_ptr<const LabelTable>& labels,
                              const std::shared_ptr<const PolicyPack>& permissive) {
  SnapshotContents snap = w.snap;
  snap.labels = labels;
  FEEDGOV_ASSIGN_OR_RETURN(auto engine, MakeEngine(snap, *w.config, *w.taxonomy, permissive));
  absl::flat_hash_set<UserId> users;
  for (const Interaction& x : w.split->test) users.insert(x.user);
  const std::vector<int> ranks = {1, 6, 20, 50, 100};
  const std::vector<float> factors = {0.5f, 0.8f, 0.9f, 1.02f, 1.05f, 1.1f, 1.2f};
  std::map<std::pair<int, float>, std::vector<int>> moved;
  for (UserId user : users) {
    RankRequest r;
    r.surface = kSurface;
    r.user = user;
    r.page_size = kMaxPageSize;
    FEEDGOV_ASSIGN_OR_RETURN(RankResponse page, engine->Rank(r));
    if (page.items.size() < static_cast<size_t>(kMaxPageSize)) continue;
    for (int rank : ranks) {
      for (float f : factors) {
        const double target = page.items[rank - 1].score * f;
        int above = 0;
        for (int i = 0; i < kMaxPageSize; ++i) {
          if (i != rank - 1 && page.items[i].score > target) ++above;
        }
        moved[{rank, f}].push_back(above + 1);  // 500: last shown, or lower.
      }
    }
  }
  std::printf("\n### Score scale: median rank reached by an item at rank r after x f "
              "(ungoverned, page 500; 500 = last of the 500 or lower)\n\n| rank r |");
  for (float f : factors) std::printf(" x%.3g |", f);
  std::printf("\n| ---: |");
  for (size_t i = 0; i < factors.size(); ++i) std::printf(" ---: |");
  std::printf("\n");
  for (int rank : ranks) {
    std::printf("| %d |", rank);
    for (float f : factors) {
      std::vector<int>& v = moved[{rank, f}];
      if (v.empty()) {
        std::printf(" - |");
        continue;
      }
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      std::printf(" %d |", v[v.size() / 2]);
    }
    std::printf("\n");
  }
  return absl::OkStatus();
}

// ---- Held-out diagnostics ----

// Verdict counts of a population of items (or ratings) under one pack.
struct FateCounts {
  int total = 0;
  int dropped = 0;
  int kept_out = 0;    // Servable, not key-slot-allowed.
  int downranked = 0;  // Servable, a DOWNRANK rule fired.
  int positive = 0;    // Counts toward the quota.
  int neither = 0;     // Servable, key-slot-allowed, not downranked, not positive.

  void Add(const ItemVerdict& v) {
    ++total;
    if (v.dropped) {
      ++dropped;
      return;
    }
    const bool down = (v.reasons & kDownranked) != 0;
    kept_out += v.key_slot_allowed ? 0 : 1;
    downranked += down ? 1 : 0;
    positive += v.positive ? 1 : 0;
    neither += (v.key_slot_allowed && !down && !v.positive) ? 1 : 0;
  }
};

void PrintFates(const char* population, const FateCounts& c) {
  auto pct = [&c](int n) { return c.total > 0 ? 100.0 * n / c.total : 0.0; };
  std::printf("| %s | %d | %d (%.1f%%) | %d (%.1f%%) | %d (%.1f%%) | %d (%.1f%%) | %d (%.1f%%) |\n",
              population, c.total, c.dropped, pct(c.dropped), c.kept_out, pct(c.kept_out),
              c.downranked, pct(c.downranked), c.positive, pct(c.positive), c.neither,
              pct(c.neither));
}

// One label-map entry: "genre:horror" or "tag:violence" -> label.
struct Entry {
  std::string key;
  std::string label;
  float confidence = 0;
  int catalog_items = 0;
  int heldout_ratings = 0;
  int open_hits = 0;  // Hits in the ungoverned top k carrying this entry.
  int lost_hits = 0;  // Of those, missing from the governed top k.
};

std::vector<Entry> ListEntries(const LabelMap& map) {
  std::vector<Entry> out;
  for (const auto& [prefix, buckets] : {std::pair{"genre:", &map.by_genre},
                                        std::pair{"tag:", &map.by_tag}}) {
    for (const auto& [key, entries] : *buckets) {
      for (const auto& [label, conf] : entries) {
        out.push_back({std::string(prefix) + key, label, conf});
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key || (a.key == b.key && a.label < b.label); });
  return out;
}

// Indices into `entries` of the entries that hit `item`.
std::vector<int> EntriesOf(const Item& item, const std::vector<Entry>& entries) {
  absl::flat_hash_set<std::string> keys;
  for (const std::string& g : item.genres) keys.insert("genre:" + absl::AsciiStrToLower(g));
  for (const std::string& t : item.tags) keys.insert("tag:" + t);
  std::vector<int> out;
  for (int i = 0; i < static_cast<int>(entries.size()); ++i) {
    if (keys.contains(entries[i].key)) out.push_back(i);
  }
  return out;
}

struct Diagnostics {
  const World* world = nullptr;
  const PolicyPack* pack = nullptr;
  const Surface* surface = nullptr;
  const LabelTable* labels = nullptr;
  std::vector<Entry> entries;
  absl::flat_hash_map<ItemId, ItemVerdict> verdicts;
  absl::flat_hash_map<ItemId, std::vector<int>> item_entries;

  const ItemVerdict& VerdictOf(ItemId id) {
    auto it = verdicts.find(id);
    if (it != verdicts.end()) return it->second;
    return verdicts[id] = EvaluateItem(*pack, *surface, Audience::kGeneral, labels->LabelsFor(id));
  }
};

void PrintHeldoutFates(Diagnostics& d, const Lists& open, const Lists& governed) {
  const Catalog& catalog = *d.world->snap.catalog;
  FateCounts cat, items, ratings, open_hits, gov_hits, lost, open_key_hits;
  for (const Item& item : catalog.items()) cat.Add(d.VerdictOf(item.id));
  absl::flat_hash_map<UserId, absl::flat_hash_set<ItemId>> heldout;
  absl::flat_hash_set<ItemId> distinct;
  for (const Interaction& x : d.world->split->test) {
    heldout[x.user].insert(x.item);
    ratings.Add(d.VerdictOf(x.item));
    if (distinct.insert(x.item).second) items.Add(d.VerdictOf(x.item));
  }
  int bad_key_moved_down = 0, bad_key_lost = 0;
  for (const auto& [user, relevant] : heldout) {
    auto o = open.find(user);
    auto g = governed.find(user);
    if (o == open.end() || g == governed.end()) continue;
    const absl::flat_hash_set<ItemId> gov_set(g->second.begin(), g->second.end());
    for (ItemId id : g->second) {
      if (relevant.contains(id)) gov_hits.Add(d.VerdictOf(id));
    }
    for (int pos = 0; pos < static_cast<int>(o->second.size()); ++pos) {
      const ItemId id = o->second[pos];
      if (!relevant.contains(id)) continue;
      const ItemVerdict& v = d.VerdictOf(id);
      open_hits.Add(v);
      if (d.surface->IsKeySlot(pos)) open_key_hits.Add(v);
      if (!gov_set.contains(id)) lost.Add(v);
      if (d.surface->IsKeySlot(pos) && !v.dropped && !v.key_slot_allowed) {
        (gov_set.contains(id) ? bad_key_moved_down : bad_key_lost) += 1;
      }
    }
  }
  std::printf("\n### Verdicts of `%s` on `%s` (general audience)\n", d.pack->id.c_str(), kSurface);
  std::printf("\n| population | n | dropped | kept out of key slots | downranked | positive | "
              "neither |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  PrintFates("catalog items", cat);
  PrintFates("distinct held-out items", items);
  PrintFates("held-out ratings", ratings);
  PrintFates("hits in ungoverned top k", open_hits);
  PrintFates("hits in ungoverned key slots", open_key_hits);
  PrintFates("hits in governed top k", gov_hits);
  PrintFates("ungoverned hits missing from governed top k", lost);
  std::printf("\nBad-labeled hits in the ungoverned key slots: %d moved below the key slots "
              "(still in the top k), %d pushed out of the top k.\n",
              bad_key_moved_down, bad_key_lost);
}

void CountEntries(Diagnostics& d, const Lists& open, const Lists& governed) {
  const Catalog& catalog = *d.world->snap.catalog;
  for (const Item& item : catalog.items()) {
    std::vector<int> hit = EntriesOf(item, d.entries);
    for (int e : hit) ++d.entries[e].catalog_items;
    d.item_entries[item.id] = std::move(hit);
  }
  absl::flat_hash_map<UserId, absl::flat_hash_set<ItemId>> heldout;
  for (const Interaction& x : d.world->split->test) {
    heldout[x.user].insert(x.item);
    for (int e : d.item_entries[x.item]) ++d.entries[e].heldout_ratings;
  }
  for (const auto& [user, relevant] : heldout) {
    auto o = open.find(user);
    auto g = governed.find(user);
    if (o == open.end() || g == governed.end()) continue;
    const absl::flat_hash_set<ItemId> gov_set(g->second.begin(), g->second.end());
    for (ItemId id : o->second) {
      if (!relevant.contains(id)) continue;
      for (int e : d.item_entries[id]) {
        ++d.entries[e].open_hits;
        d.entries[e].lost_hits += gov_set.contains(id) ? 0 : 1;
      }
    }
  }
}

void PrintEntries(Diagnostics& d, const Lists& open, const Lists& governed) {
  CountEntries(d, open, governed);
  std::vector<Entry> sorted = d.entries;
  std::sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return a.heldout_ratings != b.heldout_ratings ? a.heldout_ratings > b.heldout_ratings
                                                  : a.key < b.key;
  });
  std::printf("\n### Label-map entries on the held-out items (sorted by held-out ratings)\n");
  std::printf("\n| entry | label | confidence | catalog items | held-out ratings | "
              "ungoverned hits | of which lost |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (const Entry& e : sorted) {
    if (e.heldout_ratings == 0) continue;
    std::printf("| %s | %s | %.2f | %d | %d | %d | %d |\n", e.key.c_str(), e.label.c_str(),
                e.confidence, e.catalog_items, e.heldout_ratings, e.open_hits, e.lost_hits);
  }
}

absl::Status PrintDiagnostics(const World& w, const LabelMap& map,
                              const std::shared_ptr<const LabelTable>& labels,
                              const PolicyPack& pack, const Lists& open, const Lists& governed) {
  Diagnostics d;
  d.world = &w;
  d.pack = &pack;
  d.surface = pack.FindSurface(kSurface);
  if (d.surface == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("pack %s has no surface '%s'", pack.source_path, kSurface));
  }
  d.labels = labels.get();
  d.entries = ListEntries(map);
  PrintHeldoutFates(d, open, governed);
  PrintEntries(d, open, governed);
  return absl::OkStatus();
}

int Usage(const std::string& msg) {
  std::fprintf(stderr,
               "governance_quality: %s\nusage: governance_quality --data DIR "
               "[--k 20] [--holdout 0.2] [--max-users N] [--als-iterations I] "
               "[--pack FILE] [--label-map FILE] [--breakdown 0|1]\n",
               msg.c_str());
  return 2;
}

// Returns "" on success, else the usage message.
std::string ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return "missing value for " + flag;
    const std::string v = argv[++i];
    bool ok = true;
    if (flag == "--data") f.data = v;
    else if (flag == "--k") ok = absl::SimpleAtoi(v, &f.k) && f.k >= 1 && f.k <= 500;
    else if (flag == "--holdout") ok = absl::SimpleAtod(v, &f.holdout) && f.holdout > 0 && f.holdout < 1;
    else if (flag == "--max-users") ok = absl::SimpleAtoi(v, &f.max_users) && f.max_users >= 0;
    else if (flag == "--als-iterations") ok = absl::SimpleAtoi(v, &f.als_iterations) && f.als_iterations >= 0;
    else if (flag == "--pack") f.pack = v;
    else if (flag == "--label-map") f.label_map = v;
    else if (flag == "--breakdown") {
      ok = v == "0" || v == "1";
      f.breakdown = v == "1";
    }
    else return "unknown flag " + flag;
    if (!ok) return flag + ": invalid value '" + v + "'";
  }
  if (f.data.empty()) return "--data is required";
  if (f.pack.empty()) f.pack = DefaultPath("policies/cn-ecology.textproto");
  if (f.label_map.empty()) f.label_map = DefaultPath("policies/labelmaps/movielens.textproto");
  return "";
}

// Keeps only the held-out ratings of the first `max_users` users (the model
// still trains on all).
void LimitUsers(TimeSplit& split, int max_users) {
  if (max_users <= 0) return;
  absl::flat_hash_set<UserId> keep;
  std::vector<Interaction> test;
  for (const Interaction& x : split.test) {
    if (keep.contains(x.user) || static_cast<int>(keep.size()) < max_users) {
      keep.insert(x.user);
      test.push_back(x);
    }
  }
  split.test = std::move(test);
}

int Main(int argc, char** argv) {
  Flags f;
  if (std::string msg = ParseFlags(argc, argv, f); !msg.empty()) return Usage(msg);
  const auto t0 = std::chrono::steady_clock::now();
  auto config = LoadModelConfig(DefaultPath("models/default.textproto"));
  if (!config.ok()) return Usage(config.status().ToString());
  auto taxonomy = Taxonomy::Load(DefaultPath("policies/labels.textproto"));
  if (!taxonomy.ok()) return Usage(taxonomy.status().ToString());
  auto label_map = LoadLabelMap(f.label_map, *taxonomy);
  if (!label_map.ok()) return Usage(label_map.status().ToString());
  auto governed_pack = LoadPolicyPack(f.pack, *taxonomy);
  if (!governed_pack.ok()) return Usage(governed_pack.status().ToString());
  auto open_pack = LoadPolicyPack(DefaultPath("policies/permissive.textproto"), *taxonomy);
  if (!open_pack.ok()) return Usage(open_pack.status().ToString());
  auto data = ReadMovieLens(f.data);
  if (!data.ok()) return Usage(data.status().ToString());
  TimeSplit split = SplitByTime(data->ratings, f.holdout);
  LimitUsers(split, f.max_users);
  AlsOptions als = AlsOptions::FromConfig(config->als());
  if (f.als_iterations > 0) als.iterations = f.als_iterations;
  auto snap = TrainSnapshot(*data, split, *config, als);
  if (!snap.ok()) return Usage(snap.status().ToString());
  auto labels = LabelsFromMap(*snap->catalog, *label_map);
  if (!labels.ok()) return Usage(labels.status().ToString());
  World w{&split, &*config, &*taxonomy, *snap, f.k};

  std::vector<EvalRow> rows;
  auto als_ranker = TrainAlsRanker(split, als);
  if (!als_ranker.ok()) return Usage(als_ranker.status().ToString());
  rows.push_back(EvaluateRanker(split, "als (eval.h, no engine)", *als_ranker, f.k));
  int errors = 0;
  auto open = Measure(w, *labels, *open_pack, "engine permissive", &errors);
  if (!open.ok()) return Usage(open.status().ToString());
  auto governed = Measure(w, *labels, *governed_pack, "engine " + (*governed_pack)->id, &errors);
  if (!governed.ok()) return Usage(governed.status().ToString());
  rows.push_back(open->row);
  rows.push_back(governed->row);
  std::printf("pack %s (version %d), label map %s (%d entries)\n",
              (*governed_pack)->source_path.c_str(), (*governed_pack)->version,
              f.label_map.c_str(), label_map->num_entries);
  std::printf("%-28s %6s %10s %9s\n", "method", "users",
              absl::StrFormat("Recall@%d", f.k).c_str(),
              absl::StrFormat("NDCG@%d", f.k).c_str());
  for (const EvalRow& r : rows) {
    std::printf("%-28s %6d %10.4f %9.4f\n", r.method.c_str(), r.users, r.recall, r.ndcg);
  }
  const EvalRow& o = open->row;
  const EvalRow& g = governed->row;
  std::printf("governed/ungoverned: NDCG@%d %.3f (target >= 0.95), Recall@%d %.3f\n", f.k,
              o.ndcg > 0 ? g.ndcg / o.ndcg : 0.0, f.k, o.recall > 0 ? g.recall / o.recall : 0.0);
  const QuotaStats& q = governed->quota;
  std::printf("positive quota on %s: %lld of %lld required positives placed over %d pages, "
              "%d pages short, %zu distinct items placed by the quota\n",
              kSurface, static_cast<long long>(q.met), static_cast<long long>(q.required),
              q.pages, q.pages_short, q.positives_shown.size());
  if (f.breakdown) {
    absl::Status s = PrintPackVariants(w, *labels, **governed_pack, o, &errors);
    if (s.ok()) s = PrintFactorScale(w, *labels, *open_pack);
    if (s.ok()) s = PrintMapVariants(w, *label_map, *governed_pack, *open_pack, &errors);
    if (s.ok()) {
      s = PrintDiagnostics(w, *label_map, *labels, **governed_pack, open->lists, governed->lists);
    }
    if (!s.ok()) return Usage(s.ToString());
  }
  std::printf("\nrank errors %d; %.1fs\n", errors,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace feedgov::bench

int main(int argc, char** argv) {
  // As in the feedgov binary (engine/cli/main.cc): no lock-order graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return feedgov::bench::Main(argc, argv);
}
