// Search latency of Retriever on synthetic clustered embeddings.
//   retriever_benchmark [--benchmark_filter=...]
// Args: {n, eligible percent (100 = no filter), 1 = HNSW / 0 = Flat}.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <tuple>

#include "benchmark/benchmark.h"
#include "engine/retrieval/retriever.h"
#include "engine/retrieval/synthetic.h"

namespace feedgov {
namespace {

constexpr int kD = 64;
constexpr int kK = 500;  // RetrievalConfig.candidate_count default.

struct Fixture {
  RowMatrixXf embeddings;
  RowMatrixXf queries;
  std::unique_ptr<Retriever> retriever;
};

const Fixture& GetFixture(int n, bool hnsw) {
  static auto* cache = new std::map<std::pair<int, bool>, Fixture>;
  auto it = cache->find({n, hnsw});
  if (it != cache->end()) return it->second;
  Fixture f;
  f.embeddings = MakeClusteredEmbeddings(n, kD, n / 100, 1);
  f.queries = MakeQueriesNear(f.embeddings, 256, 2);
  RetrieverOptions o;
  o.hnsw_min_items = hnsw ? 1 : int64_t{1} << 40;
  o.deterministic_build = false;
  const auto t0 = std::chrono::steady_clock::now();
  f.retriever = std::move(Retriever::Build(f.embeddings, o)).value();
  std::fprintf(stderr, "built %s n=%d d=%d in %.2fs\n", f.retriever->factory().c_str(),
               n, kD,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return cache->emplace(std::make_pair(n, hnsw), std::move(f)).first->second;
}

void BM_Search(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int percent = static_cast<int>(state.range(1));
  const Fixture& f = GetFixture(n, state.range(2) != 0);
  std::mt19937 rng(3);
  RowSet eligible(n);
  for (int r = 0; r < n; ++r) {
    if (static_cast<int>(rng() % 100) < percent) eligible.insert(r);
  }
  const RowSet* filter = percent >= 100 ? nullptr : &eligible;
  int i = 0;
  int64_t exact = 0, calls = 0;
  for (auto _ : state) {
    SearchInfo info;
    auto hits = f.retriever->Search(
        absl::Span<const float>(f.queries.data() + (i++ % 256) * kD, kD), kK,
        filter, &info);
    benchmark::DoNotOptimize(hits);
    exact += info.exact;
    ++calls;
  }
  state.counters["exact_fraction"] = static_cast<double>(exact) / calls;
}

BENCHMARK(BM_Search)
    ->ArgsProduct({{50000}, {100, 50, 10, 5, 1}, {1}})
    ->ArgsProduct({{50000}, {100, 10}, {0}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace feedgov

BENCHMARK_MAIN();
