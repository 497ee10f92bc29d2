// File: bench/bench_world.h
//
// Synthetic serving worlds for the benchmarks: a catalog of n items with
// d-dimensional clustered embeddings (retrieval/synthetic.h), a realistic
// label mix, users with profile vectors and short histories, and a FAISS
// index, all derived from one seed. Written once as a regular snapshot
// (catalog/snapshot.h) under a cache directory and reused by every later
// run, so the 1M-item HNSW graph is built only once per machine.
//
// Label mix (per row, from a SplitMix64 hash of (seed, row), so the same
// options give the same labels): illegal_fraction of rows carry
// "illegal.rumors" at confidence 0.9 (dropped by cn-ecology), the next
// bad_fraction carry "bad.clickbait" at 0.8 (kept out of key slots,
// downranked), the next positive_fraction carry "positive.core_values" at
// 0.9 (boosted, count toward quotas); the rest are unlabeled.
//
// Item ids are row + 1. User ids are 1..users. User vectors lie near random
// items (MakeQueriesNear); each user has `history` rated items.
//
// Thread-safety: the functions are thread-compatible; two processes creating
// the same cache entry at once each write their own temporary directory and
// the last rename wins (both are identical).
#ifndef FEEDGOV_BENCH_BENCH_WORLD_H_
#define FEEDGOV_BENCH_BENCH_WORLD_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/catalog/snapshot.h"
#include "engine/common/types.h"
#include "engine/intervention/intervention_snapshot.h"
#include "engine/rank/feed_engine.h"

namespace feedgov::bench {

struct WorldOptions {
  int32_t items = 10000;  // n, [100, 10'000'000].
  int32_t dim = 64;       // d, [1, 1024].
  int32_t users = 1000;   // [1, 1'000'000].
  int32_t history = 20;   // Rated items per user, [0, 1000].
  uint64_t seed = 42;
  double illegal_fraction = 0.01;   // Each in [0, 1], sum <= 1.
  double bad_fraction = 0.10;
  double positive_fraction = 0.10;
  // Index recipe for n >= hnsw_min_items (else Flat), models/default.
  std::string large_factory = "HNSW32";
  int64_t hnsw_min_items = 50000;
  int ef_search = 256;
  int ef_construction = 200;

  // INVALID_ARGUMENT naming the field and its range.
  absl::Status Validate() const;
  // A file-name-safe key of every field that changes the snapshot, e.g.
  // "n100000-d64-u1000-h20-s42-i0.01-b0.1-p0.1-HNSW32-m50000-c200".
  std::string CacheKey() const;
};

// The benchmark programs' world for `items` items: defaults above, users =
// min(1000, max(1, items / 10)), and efConstruction 40 instead of 200 at
// items >= kCheapBuildMinItems, so the 1M-item HNSW32 graph builds in
// minutes on 2 cores with the scalar-kernel FAISS of Debian 12 (search
// still uses efSearch 256; docs/benchmarks.md records the parameters).
inline constexpr int32_t kCheapBuildMinItems = 1'000'000;
WorldOptions BenchWorldOptions(int32_t items);

// Builds the world in memory (index built with deterministic_build = false,
// i.e. all cores). `log` (may be null) gets one line per step with timings.
absl::StatusOr<SnapshotContents> MakeWorld(const WorldOptions& options,
                                           std::ostream* log);

// "<cache_dir>/<CacheKey()>": written with WriteSnapshot if it does not hold
// a readable MANIFEST yet; returns the directory. `cache_dir` is created if
// missing. Errors: options, I/O (INTERNAL naming the path).
absl::StatusOr<std::string> EnsureWorldSnapshot(const WorldOptions& options,
                                                const std::string& cache_dir,
                                                std::ostream* log);

// Opens a FeedEngine over the snapshot at `snapshot_dir` with the policy
// pack at `policy_path` (default policies/cn-ecology.textproto) and the
// clock `clock` (must outlive the engine). Same path as `feedgov rank`.
absl::StatusOr<std::unique_ptr<FeedEngine>> OpenWorldEngine(
    const std::string& snapshot_dir, const std::string& policy_path,
    const Clock* clock);

// Editor interventions for the "full" benchmark: `pins` pins on surface
// `surface` at positions 0, 1, ... (positions that are key slots get
// key-slot-allowed items) and `suppressions` suppressed items, all active
// from 1970 to forever, items chosen deterministically among rows the
// pack serves (labels: unlabeled or positive). REQUIRES: the world has at
// least pins + suppressions + 1000 unlabeled/positive items.
std::shared_ptr<const InterventionSnapshot> MakeInterventions(
    const WorldOptions& options, const std::string& surface, int pins,
    int suppressions);

// Label updates that make all but `keep_fraction` of the items ineligible
// (each gets "illegal.rumors" at confidence 0.9); the kept rows are every
// round(1 / keep_fraction)-th row. Used for the selective-filter benchmark.
std::vector<ItemLabelsUpdate> MakeSelectiveLabels(const WorldOptions& options,
                                                  double keep_fraction);

// Deterministic per-row label class: 0 none, 1 illegal, 2 bad, 3 positive.
int LabelClassOf(const WorldOptions& options, Row row);

// Peak resident set size of this process in bytes (VmHWM of
// /proc/self/status), or -1 if unavailable.
int64_t PeakRssBytes();
// Current resident set size in bytes (VmRSS), or -1.
int64_t CurrentRssBytes();

// p-th percentile (p in [0, 100], nearest-rank) of `values` (sorted in
// place). 0 when empty.
double Percentile(std::vector<double>& values, double p);

}  // namespace feedgov::bench

#endif  // FEEDGOV_BENCH_BENCH_WORLD_H_
