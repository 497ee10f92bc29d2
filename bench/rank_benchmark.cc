// Governed ranking against raw FAISS search, in process, on synthetic
// worlds (bench/bench_world.h) of the sizes in FEEDGOV_BENCH_SIZES.
//
//   FEEDGOV_BENCH_SIZES=100000,1000000 FEEDGOV_BENCH_CACHE=out/bench-cache
//       rank_benchmark [benchmark flags]
//
// Environment:
//   FEEDGOV_BENCH_SIZES  comma-separated catalog sizes (default 10000)
//   FEEDGOV_BENCH_CACHE  snapshot cache dir (default <source>/out/bench-cache)
//   FEEDGOV_BENCH_POLICY policy pack file (default policies/cn-ecology.textproto)
//
// Per size, in one run (registration order):
//   raw_faiss            faiss::Index::search, k = candidate_count, no filter
//                        (the floor), same index and efSearch as the engine
//   retriever_search     Retriever::Search, k = candidate_count, no filter
//   retriever_filtered   Retriever::Search with the governance filter
//   governance_view      FeedEngine::ViewFor (cached view lookup)
//   scoring              Scorer::Score of candidate_count retrieved rows
//   slate                BuildSlate of candidate_count candidates, page 20
//   rank_personalized    FeedEngine::Rank, cn-ecology home, page 20, 50
//                        pins and 1,000 suppressions active (the "full" Rank)
//   paired_rank_vs_raw   raw_faiss and rank_personalized for the same user
//                        back to back in each iteration (the target ratio)
//   paired_retriever_vs_raw  raw_faiss and Retriever::Search with Rank's
//                        filter, paired the same way
//   rank_no_interventions  the same without interventions
//   rank_nonpersonalized anonymous request, interventions active
//   rank_selective95     personalized, 95% of the items labeled illegal
//                        (a second engine over the same snapshot)
// Every benchmark records its own per-iteration wall latencies; after the
// run a summary prints p50/p99 per benchmark and the target ratios
// (Rank / raw FAISS, selective / unfiltered Rank), and the delay before an
// acknowledged intervention is visible.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <unistd.h>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <faiss/Index.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <omp.h>

#include "absl/synchronization/mutex.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/bench_world.h"
#include "benchmark/benchmark.h"
#include "engine/common/reasons.h"
#include "engine/governance/slate_builder.h"
#include "engine/runtime/open_engine.h"
#include "engine/runtime/state_dir.h"

namespace feedgov::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "rank_benchmark: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T OrDie(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what, v.status());
  return *std::move(v);
}

// The raw FAISS index inside a Retriever::Serialize() envelope:
// "FGRIDX01" | int64 n | int64 d | uint32 len | factory | 64 hex | uint64 | payload.
std::unique_ptr<faiss::Index> RawIndex(const std::string& bytes, int ef_search) {
  size_t off = 8 + 8 + 8;
  uint32_t len = 0;
  std::memcpy(&len, bytes.data() + off, 4);
  off += 4 + len + 64 + 8;
  faiss::VectorIOReader reader;
  reader.data.assign(bytes.begin() + off, bytes.end());
  std::unique_ptr<faiss::Index> index(faiss::read_index(&reader));
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get())) {
    hnsw->hnsw.efSearch = ef_search;
  }
  return index;
}

struct World {
  WorldOptions options;
  std::string snapshot_dir;
  std::unique_ptr<FeedEngine> engine;     // cn-ecology, interventions.
  std::unique_ptr<FeedEngine> selective;  // 95% of items illegal.
  std::unique_ptr<faiss::Index> raw;
  std::shared_ptr<const InterventionSnapshot> interventions;
  std::vector<std::vector<float>> queries;  // Normalized user vectors.
  int candidates = 500;
  int64_t rss_after_load = 0;
};

std::map<int, std::unique_ptr<World>>& Worlds() {
  static auto* worlds = new std::map<int, std::unique_ptr<World>>;
  return *worlds;
}

// name -> per-iteration latencies (microseconds), across repetitions.
std::map<std::string, std::vector<double>>& Latencies() {
  static auto* lat = new std::map<std::string, std::vector<double>>;
  return *lat;
}

std::string CacheDir() {
  const char* env = std::getenv("FEEDGOV_BENCH_CACHE");
  return env != nullptr ? env : DefaultPath("out/bench-cache");
}

// What the retriever does for the three searches a personalized home Rank
// makes (main candidates, positive pool, key-safe pool), for the report.
void ExplainSearches(const World& w) {
  auto state = w.engine->state();
  auto view = OrDie(w.engine->ViewFor("home", Audience::kGeneral), "view");
  RowSet eligible = view->servable();
  RowSet positive = eligible, key_safe = eligible;
  // As Rank does for user 1: minus the user's history.
  RowSet personal = eligible;
  for (const UserInteraction& x : state->users->interactions(0)) {
    if (auto row = state->catalog->FindRow(x.item)) personal.erase(*row);
  }
  positive.IntersectWith(view->positive_key_slot_allowed());
  key_safe.IntersectWith(view->key_slot_allowed());
  struct Case {
    const char* name;
    const RowSet* set;
    int k;
  } cases[] = {{"main", &eligible, w.candidates},
               {"main_user1", &personal, w.candidates},
               {"positive_pool", &positive, 8},
               {"key_safe_pool", &key_safe, 14}};
  for (const Case& c : cases) {
    auto warm = state->retriever->Search(w.queries[0], c.k, c.set);
    SearchInfo info;
    const auto a = Clock::now();
    auto hits = state->retriever->Search(w.queries[0], c.k, c.set, &info);
    const double us = Micros(a, Clock::now());
    std::fprintf(stderr,
                 "[rank_benchmark] n=%d search %-13s eligible=%d k=%d -> %zu hits, "
                 "exact=%d ann_attempts=%d fell_back=%d, %.0f us\n",
                 state->catalog->size(), c.name, c.set->count(), c.k,
                 hits.ok() ? hits->size() : 0, info.exact, info.ann_attempts,
                 info.fell_back_to_exact, us);
  }
}

World& GetWorld(int n) {
  auto& worlds = Worlds();
  auto it = worlds.find(n);
  if (it != worlds.end()) return *it->second;
  auto w = std::make_unique<World>();
  w->options = BenchWorldOptions(n);
  w->snapshot_dir =
      OrDie(EnsureWorldSnapshot(w->options, CacheDir(), &std::cerr), "snapshot");
  const auto t0 = Clock::now();
  const char* policy = std::getenv("FEEDGOV_BENCH_POLICY");  // "": cn-ecology.
  const std::string policy_path = policy != nullptr ? policy : "";
  w->engine = OrDie(OpenWorldEngine(w->snapshot_dir, policy_path, &RealClock::Get()),
                    "open engine");
  w->selective = OrDie(
      OpenWorldEngine(w->snapshot_dir, policy_path, &RealClock::Get()),
      "open engine");
  if (absl::Status s = w->selective->UpdateLabels(MakeSelectiveLabels(w->options, 0.05));
      !s.ok()) {
    Die("selective labels", s);
  }
  auto snapshot = OrDie(ReadSnapshot(w->snapshot_dir), "read snapshot");
  w->raw = RawIndex(snapshot.index_bytes,
                    w->engine->state()->retriever->options().ef_search);
  w->interventions = MakeInterventions(w->options, "home", 50, 1000);
  auto source = [iv = w->interventions] { return iv; };
  w->engine->SetInterventionSource(source);
  w->selective->SetInterventionSource(source);
  w->candidates = w->engine->options().candidate_count;
  const UserTable& users = *w->engine->users();
  for (int32_t u = 0; u < users.size(); ++u) {
    auto e = users.embedding(u);
    std::vector<float> q(e.begin(), e.end());
    double norm = 0;
    for (float x : q) norm += double{x} * x;
    for (float& x : q) x = static_cast<float>(x / std::sqrt(norm));
    w->queries.push_back(std::move(q));
  }
  w->rss_after_load = CurrentRssBytes();
  ExplainSearches(*w);
  std::fprintf(stderr, "[rank_benchmark] n=%d: engines and raw index ready in %.1fs (%s)\n",
               n, Micros(t0, Clock::now()) / 1e6,
               w->engine->state()->retriever->factory().c_str());
  return *worlds.emplace(n, std::move(w)).first->second;
}

// Runs `op(i)` once per benchmark iteration, recording wall latency.
template <typename Op>
void Timed(benchmark::State& state, const std::string& name, Op&& op) {
  std::vector<double>& lat = Latencies()[name];
  int64_t i = 0;
  for (auto _ : state) {
    const auto a = Clock::now();
    op(i++);
    lat.push_back(Micros(a, Clock::now()));
  }
  std::vector<double> mine(lat.end() - std::min<int64_t>(i, lat.size()), lat.end());
  state.counters["p50_us"] = Percentile(mine, 50);
  state.counters["p99_us"] = Percentile(mine, 99);
}

RankRequest Personal(const World& w, int64_t i) {
  RankRequest r;
  r.surface = "home";
  r.user = 1 + i % static_cast<int64_t>(w.queries.size());
  r.page_size = 20;
  return r;
}

void CheckPage(benchmark::State& state, const absl::StatusOr<RankResponse>& r,
               int want) {
  if (!r.ok()) {
    state.SkipWithError(r.status().ToString().c_str());
  } else if (static_cast<int>(r->items.size()) != want) {
    state.SkipWithError(absl::StrCat("short page: ", r->items.size()).c_str());
  }
}

void RegisterSize(int n) {
  const std::string s = absl::StrCat("/n:", n);
  auto reg = [&](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark((name + s).c_str(),
                                 [n, name = name + s, fn](benchmark::State& st) {
                                   fn(st, GetWorld(n), name);
                                 })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  };
  reg("raw_faiss", [](benchmark::State& st, World& w, const std::string& name) {
    omp_set_num_threads(1);
    std::vector<float> dist(w.candidates);
    std::vector<faiss::Index::idx_t> labels(w.candidates);
    Timed(st, name, [&](int64_t i) {
      const auto& q = w.queries[i % w.queries.size()];
      w.raw->search(1, q.data(), w.candidates, dist.data(), labels.data());
      benchmark::DoNotOptimize(labels.data());
    });
  });
  reg("retriever_search", [](benchmark::State& st, World& w, const std::string& name) {
    auto retriever = w.engine->state()->retriever;
    Timed(st, name, [&](int64_t i) {
      auto hits = retriever->Search(w.queries[i % w.queries.size()], w.candidates,
                                    nullptr);
      benchmark::DoNotOptimize(hits);
    });
  });
  reg("retriever_filtered", [](benchmark::State& st, World& w, const std::string& name) {
    auto retriever = w.engine->state()->retriever;
    auto view = OrDie(w.engine->ViewFor("home", Audience::kGeneral), "view");
    const RowSet& servable = view->servable();
    Timed(st, name, [&](int64_t i) {
      auto hits = retriever->Search(w.queries[i % w.queries.size()], w.candidates,
                                    &servable);
      benchmark::DoNotOptimize(hits);
    });
  });
  reg("governance_view", [](benchmark::State& st, World& w, const std::string& name) {
    Timed(st, name, [&](int64_t) {
      auto view = w.engine->ViewFor("home", Audience::kGeneral);
      benchmark::DoNotOptimize(view);
    });
  });
  reg("scoring", [](benchmark::State& st, World& w, const std::string& name) {
    auto state = w.engine->state();
    Scorer scorer(w.engine->options().scoring);
    std::vector<std::vector<Row>> rows;
    std::vector<std::vector<float>> sims;
    for (int q = 0; q < 16; ++q) {
      auto hits = OrDie(state->retriever->Search(w.queries[q % w.queries.size()],
                                                 w.candidates, nullptr),
                        "search");
      rows.emplace_back();
      sims.emplace_back();
      for (const Hit& h : hits) {
        rows.back().push_back(h.row);
        sims.back().push_back(h.similarity);
      }
    }
    Timed(st, name, [&](int64_t i) {
      auto scores = scorer.Score(rows[i % 16], sims[i % 16], *state->priors);
      benchmark::DoNotOptimize(scores);
    });
  });
  reg("slate", [](benchmark::State& st, World& w, const std::string& name) {
    auto state = w.engine->state();
    auto view = OrDie(w.engine->ViewFor("home", Audience::kGeneral), "view");
    const Surface& surface = *w.engine->policy()->FindSurface("home");
    Scorer scorer(w.engine->options().scoring);
    std::vector<SlateInput> inputs;
    for (int q = 0; q < 16; ++q) {
      auto hits = OrDie(state->retriever->Search(w.queries[q % w.queries.size()],
                                                 w.candidates, &view->servable()),
                        "search");
      std::vector<Row> rows;
      std::vector<float> sims;
      for (const Hit& h : hits) {
        rows.push_back(h.row);
        sims.push_back(h.similarity);
      }
      auto scores = OrDie(scorer.Score(rows, sims, *state->priors), "score");
      SlateInput in;
      in.page_size = 20;
      in.key_slots = surface.SlateKeySlots(0, 20);
      in.quota_min_positive = surface.quota.min_positive;
      in.quota_window = surface.quota.window;
      for (size_t j = 0; j < rows.size(); ++j) {
        SlateCandidate c;
        c.row = rows[j];
        c.id = state->catalog->item(rows[j]).id;
        c.score = scores[j] * view->score_factor(rows[j]);
        c.key_slot_allowed = view->key_slot_allowed().contains(rows[j]);
        c.positive = view->positive_key_slot_allowed().contains(rows[j]);
        in.ranked.push_back(c);
      }
      inputs.push_back(std::move(in));
    }
    Timed(st, name, [&](int64_t i) {
      SlateResult r = BuildSlate(inputs[i % 16]);
      benchmark::DoNotOptimize(r);
    });
  });
  reg("rank_personalized", [](benchmark::State& st, World& w, const std::string& name) {
    Timed(st, name, [&](int64_t i) {
      auto r = w.engine->Rank(Personal(w, i));
      CheckPage(st, r, 20);
    });
  });
  // The target ratio, measured paired: each iteration runs raw FAISS and the
  // full personalized Rank for the same user back to back (alternating which
  // goes first), so both see the same machine load. Separate benchmarks
  // minutes apart drift by +-30% on a shared 2-core VM.
  reg("paired_rank_vs_raw", [](benchmark::State& st, World& w,
                               const std::string& name) {
    omp_set_num_threads(1);
    const std::string suffix = name.substr(name.find("/n:"));
    std::vector<double>& raw_lat = Latencies()["paired_raw" + suffix];
    std::vector<double>& rank_lat = Latencies()["paired_rank" + suffix];
    std::vector<float> dist(w.candidates);
    std::vector<faiss::Index::idx_t> labels(w.candidates);
    int64_t i = 0;
    for (auto _ : st) {
      const RankRequest req = Personal(w, i);
      const auto& q = w.queries[(req.user.value() - 1) % w.queries.size()];
      auto raw = [&] {
        const auto a = Clock::now();
        w.raw->search(1, q.data(), w.candidates, dist.data(), labels.data());
        benchmark::DoNotOptimize(labels.data());
        raw_lat.push_back(Micros(a, Clock::now()));
      };
      auto rank = [&] {
        const auto a = Clock::now();
        auto r = w.engine->Rank(req);
        rank_lat.push_back(Micros(a, Clock::now()));
        CheckPage(st, r, 20);
      };
      if (i++ % 2 == 0) {
        raw();
        rank();
      } else {
        rank();
        raw();
      }
    }
  });
  // The same pairing for Retriever::Search with Rank's own filter (the
  // servable set minus user 1's history): what the retrieval stage adds to
  // FAISS before any ranking step runs.
  reg("paired_retriever_vs_raw", [](benchmark::State& st, World& w,
                                    const std::string& name) {
    omp_set_num_threads(1);
    const std::string suffix = name.substr(name.find("/n:"));
    std::vector<double>& raw_lat = Latencies()["paired2_raw" + suffix];
    std::vector<double>& ret_lat = Latencies()["paired2_retriever" + suffix];
    auto state = w.engine->state();
    auto view = OrDie(w.engine->ViewFor("home", Audience::kGeneral), "view");
    RowSet eligible = view->servable();
    for (const UserInteraction& x : state->users->interactions(0)) {
      if (auto row = state->catalog->FindRow(x.item)) eligible.erase(*row);
    }
    std::vector<float> dist(w.candidates);
    std::vector<faiss::Index::idx_t> labels(w.candidates);
    int64_t i = 0;
    for (auto _ : st) {
      const auto& q = w.queries[i % w.queries.size()];
      auto raw = [&] {
        const auto a = Clock::now();
        w.raw->search(1, q.data(), w.candidates, dist.data(), labels.data());
        benchmark::DoNotOptimize(labels.data());
        raw_lat.push_back(Micros(a, Clock::now()));
      };
      auto ret = [&] {
        const auto a = Clock::now();
        auto hits = state->retriever->Search(q, w.candidates, &eligible);
        benchmark::DoNotOptimize(hits);
        ret_lat.push_back(Micros(a, Clock::now()));
      };
      if (i++ % 2 == 0) {
        raw();
        ret();
      } else {
        ret();
        raw();
      }
    }
  });
  // A moderation pipeline's label write before every Rank: the Rank after
  // a new label version pays for the governance view of that version
  // (derived from the previous one). Alternates one unlabeled item between
  // a positive label and none, and leaves it unlabeled.
  reg("rank_after_label_update", [](benchmark::State& st, World& w,
                                    const std::string& name) {
    const auto state = w.engine->state();
    Row row = 7;
    while (LabelClassOf(w.options, row) != 0) ++row;
    const ItemId item = state->catalog->item(row).id;
    auto update = [&](bool labeled) {
      ItemLabelsUpdate u;
      u.item = item;
      if (labeled) u.labels.push_back({"positive.core_values", 0.9f});
      if (absl::Status s = w.engine->UpdateLabels({u}); !s.ok()) {
        Die("update labels", s);
      }
    };
    Timed(st, name, [&](int64_t i) {
      update(i % 2 == 0);
      auto r = w.engine->Rank(Personal(w, i));
      CheckPage(st, r, 20);
    });
    update(false);
  });
  reg("rank_no_interventions", [](benchmark::State& st, World& w,
                                  const std::string& name) {
    // A third engine would cost memory: temporarily detach the source.
    w.engine->SetInterventionSource(nullptr);
    Timed(st, name, [&](int64_t i) {
      auto r = w.engine->Rank(Personal(w, i));
      CheckPage(st, r, 20);
    });
    w.engine->SetInterventionSource([iv = w.interventions] { return iv; });
  });
  reg("rank_nonpersonalized", [](benchmark::State& st, World& w,
                                 const std::string& name) {
    Timed(st, name, [&](int64_t) {
      RankRequest r;
      r.surface = "home";
      r.page_size = 20;
      auto resp = w.engine->Rank(r);
      CheckPage(st, resp, 20);
    });
  });
  reg("rank_selective95", [](benchmark::State& st, World& w, const std::string& name) {
    Timed(st, name, [&](int64_t i) {
      auto r = w.selective->Rank(Personal(w, i));
      CheckPage(st, r, 20);
    });
  });
}

// Delay between an editor's acknowledged pin (durable SQLite commit through
// StateDir) and its visibility: the very next Rank must show it.
void MeasureInterventionVisibility(World& w, int n) {
  const std::string dir =
      absl::StrCat(CacheDir(), "/state-visibility-", n, "-", ::getpid());
  std::filesystem::remove_all(dir);
  auto state = OrDie(StateDir::Open(dir, w.engine.get(), &RealClock::Get()),
                     "state dir");
  int visible_next = 0, trials = 0;
  std::vector<double> ack_us, next_rank_us;
  for (int t = 0; t < 20; ++t) {
    // An unlabeled item not yet seen, pinned at position 2 (a key slot).
    Row row = 0;
    for (row = 100 + t * 37; LabelClassOf(w.options, row) != 0; ++row) {}
    Intervention pin;
    pin.kind = InterventionKind::kPin;
    pin.item_id = row + 1;
    pin.surface = "home";
    pin.position = 1;
    pin.editor = "bench";
    pin.reason = "visibility probe";
    pin.start = absl::Now() - absl::Seconds(1);
    pin.end = absl::Now() + absl::Hours(1);
    const auto a = Clock::now();
    auto created = state->interventions().Create(pin);
    const auto b = Clock::now();
    if (!created.ok()) Die("create pin", created.status());
    RankRequest req = Personal(w, t);
    auto page = OrDie(w.engine->Rank(req), "rank");
    const auto c = Clock::now();
    ++trials;
    if (page.items.size() > 1 && page.items[1].item_id == pin.item_id) ++visible_next;
    ack_us.push_back(Micros(a, b));
    next_rank_us.push_back(Micros(b, c));
    if (absl::Status s = state->interventions().Revoke(created->id, "bench", "done");
        !s.ok()) {
      Die("revoke", s);
    }
  }
  std::printf(
      "intervention visibility n=%d: %d/%d pins visible on the very next Rank "
      "(0 requests of delay); ack (durable create) p50 %.0f us, next Rank p50 "
      "%.0f us\n",
      n, visible_next, trials, Percentile(ack_us, 50), Percentile(next_rank_us, 50));
  std::filesystem::remove_all(dir);
  w.engine->SetInterventionSource([iv = w.interventions] { return iv; });
}

void PrintSummary(const std::vector<int>& sizes) {
  std::printf("\n== latency summary (wall, per query) ==\n");
  std::printf("%-32s %8s %10s %10s\n", "benchmark", "iters", "p50_us", "p99_us");
  for (auto& [name, lat] : Latencies()) {
    std::vector<double> v = lat;
    std::printf("%-32s %8zu %10.1f %10.1f\n", name.c_str(), v.size(),
                Percentile(v, 50), Percentile(v, 99));
  }
  auto pct = [](const std::string& name, double p) {
    auto it = Latencies().find(name);
    if (it == Latencies().end() || it->second.empty()) return -1.0;
    std::vector<double> v = it->second;
    return Percentile(v, p);
  };
  std::printf("\n== target ratios (same run) ==\n");
  for (int n : sizes) {
    const std::string s = absl::StrCat("/n:", n);
    for (double p : {50.0, 99.0}) {
      const double paired_raw = pct("paired_raw" + s, p);
      const double paired_rank = pct("paired_rank" + s, p);
      if (paired_raw > 0 && paired_rank > 0) {
        std::printf("n=%-8d p%-2.0f  paired rank/raw_faiss %.2f (target <= 1.20; "
                    "raw %.0f us, rank %.0f us)\n",
                    n, p, paired_rank / paired_raw, paired_raw, paired_rank);
      }
      const double p2_raw = pct("paired2_raw" + s, p);
      const double p2_ret = pct("paired2_retriever" + s, p);
      if (p2_raw > 0 && p2_ret > 0) {
        std::printf("n=%-8d p%-2.0f  paired retriever(filtered)/raw_faiss %.2f "
                    "(raw %.0f us, retriever %.0f us)\n",
                    n, p, p2_ret / p2_raw, p2_raw, p2_ret);
      }
    }
    for (double p : {50.0, 99.0}) {
      const double raw = pct("raw_faiss" + s, p);
      const double ret = pct("retriever_search" + s, p);
      const double rank = pct("rank_personalized" + s, p);
      const double sel = pct("rank_selective95" + s, p);
      const double nonp = pct("rank_nonpersonalized" + s, p);
      if (raw > 0 && rank > 0) {
        std::printf(
            "n=%-8d p%-2.0f  rank/raw_faiss %.2f (target <= 1.20)  "
            "rank/retriever_search %.2f  selective95/rank %.2f (target <= 3.00)  "
            "nonpersonalized/rank %.2f\n",
            n, p, rank / raw, ret > 0 ? rank / ret : -1.0,
            sel > 0 ? sel / rank : -1.0, nonp > 0 ? nonp / rank : -1.0);
      }
    }
    auto it = Worlds().find(n);
    if (it != Worlds().end()) {
      std::printf("n=%-8d rss after loading two engines + raw index: %.1f MiB\n", n,
                  it->second->rss_after_load / 1048576.0);
      MeasureInterventionVisibility(*it->second, n);
    }
  }
}

std::vector<int> Sizes() {
  const char* env = std::getenv("FEEDGOV_BENCH_SIZES");
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(env ? env : "10000", ',')) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 2000) {
      std::fprintf(stderr, "FEEDGOV_BENCH_SIZES: '%s' is not a size >= 2000\n",
                   std::string(part).c_str());
      std::exit(2);
    }
    out.push_back(n);
  }
  return out;
}

}  // namespace
}  // namespace feedgov::bench

int main(int argc, char** argv) {
  using namespace feedgov::bench;
  // As in the feedgov binary (engine/cli/main.cc): no lock-order graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::vector<int> sizes = Sizes();
  for (int n : sizes) RegisterSize(n);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  PrintSummary(sizes);
  return 0;
}
