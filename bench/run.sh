#!/usr/bin/env bash
# Reproduces every number in docs/benchmarks.md on 2 cores, from a fresh
# clone: the build, the cached worlds (the 1M-item HNSW index is built once,
# efConstruction 40), memory, the in-process benchmarks, governance quality
# and the gRPC load generator at 100k and 1M items. Wall time of a whole
# run is printed at the end (docs/benchmarks.md has the measured one).
#
#   bench/run.sh [--quick]       # --quick: 10k items only, a few seconds
#
# Environment: BUILD (default build-bench), FEEDGOV_BENCH_CACHE (default
# out/bench-cache), DATA (default ../shared/data). Output: out/bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-$ROOT/build-bench}
DATA=${DATA:-$ROOT/../shared/data}
export FEEDGOV_BENCH_CACHE=${FEEDGOV_BENCH_CACHE:-$ROOT/out/bench-cache}
OUT=$ROOT/out/bench-results
mkdir -p "$OUT" "$FEEDGOV_BENCH_CACHE"

SIZES="100000 1000000"
MIN_TIME=2
if [[ "${1:-}" == "--quick" ]]; then SIZES="10000"; MIN_TIME=0.1; fi

echo "== build"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
TARGETS="rank_benchmark memory_probe governance_quality"
[[ -f "$ROOT/bench/loadgen.cc" ]] && TARGETS="$TARGETS loadgen feedgov"
cmake --build "$BUILD" -j2 --target $TARGETS >/dev/null

echo "== machine" | tee "$OUT/machine.txt"
{
  echo "cores: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo
  grep -m1 MemTotal /proc/meminfo
  uname -sr
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$OUT/machine.txt"

# Memory first: one process per size (also builds the cached worlds).
echo "== memory (one process per size)"
: > "$OUT/memory.txt"
for n in $SIZES; do
  nice -n 10 "$BUILD/bench/memory_probe" --items "$n" | tee -a "$OUT/memory.txt"
done

echo "== in-process rank benchmark"
SIZES_CSV=$(echo $SIZES | tr ' ' ',')
FEEDGOV_BENCH_SIZES=$SIZES_CSV nice -n 10 "$BUILD/bench/rank_benchmark" \
  --benchmark_min_time=$MIN_TIME | tee "$OUT/rank_benchmark.txt"

echo "== governance quality (MovieLens)"
nice -n 10 "$BUILD/bench/governance_quality" \
  --data "$DATA/movielens_latest_small" | tee "$OUT/governance_quality.txt"

if [[ -x "$BUILD/bench/loadgen" ]]; then
  echo "== gRPC load generator (one server per size)"
  : > "$OUT/loadgen.txt"
  for n in $SIZES; do
    nice -n 10 "$BUILD/bench/loadgen" --feedgov "$BUILD/engine/cli/feedgov" \
      --items "$n" --requests 2000 --seconds 15 | tee -a "$OUT/loadgen.txt"
  done
fi
echo "results in $OUT; wall time ${SECONDS}s"
