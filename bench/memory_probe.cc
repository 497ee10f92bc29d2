// Peak RSS and bytes per item of a serving engine over a synthetic world.
//
//   memory_probe --items 1000000 [--cache out/bench-cache] [--queries 200]
//
// Run one process per size. A missing cached snapshot is built first in a
// child process, so its build memory does not count. This process then
// records its baseline RSS, opens the engine exactly as `feedgov rank` does
// (ReadSnapshot, checksums, FAISS deserialize, priors), serves `queries`
// personalized pages with 50 pins and 1,000 suppressions active, and prints
// one line:
//   memory n=1000000 baseline_mib=... rss_mib=... peak_mib=...
//          bytes_per_item_rss=... bytes_per_item_peak=...
// bytes_per_item_* = (rss or VmHWM - baseline) / n. The peak includes the
// transient snapshot buffers of loading (index bytes + parsed copies).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/strings/numbers.h"
#include "bench/bench_world.h"
#include "engine/runtime/open_engine.h"

namespace feedgov::bench {
namespace {

int Usage(const char* msg) {
  std::fprintf(stderr,
               "memory_probe: %s\nusage: memory_probe --items N [--cache DIR] "
               "[--queries Q]\n",
               msg);
  return 2;
}

int Main(int argc, char** argv) {
  int items = 0, queries = 200;
  const char* env_cache = std::getenv("FEEDGOV_BENCH_CACHE");
  std::string cache = env_cache ? env_cache : DefaultPath("out/bench-cache");
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(("missing value for " + flag).c_str());
    const std::string value = argv[++i];
    if (flag == "--items") {
      if (!absl::SimpleAtoi(value, &items)) return Usage("--items: not an integer");
    } else if (flag == "--queries") {
      if (!absl::SimpleAtoi(value, &queries) || queries < 1) {
        return Usage("--queries: want an integer >= 1");
      }
    } else if (flag == "--cache") {
      cache = value;
    } else {
      return Usage(("unknown flag " + flag).c_str());
    }
  }
  WorldOptions o = BenchWorldOptions(items);
  if (absl::Status s = o.Validate(); !s.ok()) return Usage(s.ToString().c_str());

  // Build the cache (if needed) in a child so its memory is not counted.
  const pid_t child = fork();
  if (child < 0) return Usage("fork failed");
  if (child == 0) {
    auto dir = EnsureWorldSnapshot(o, cache, &std::cerr);
    if (!dir.ok()) {
      std::fprintf(stderr, "memory_probe: %s\n", dir.status().ToString().c_str());
      _exit(1);
    }
    _exit(0);
  }
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) return 1;
  const std::string dir = cache + "/" + o.CacheKey();

  const int64_t baseline = CurrentRssBytes();
  auto engine = OpenWorldEngine(dir, "", &RealClock::Get());
  if (!engine.ok()) {
    std::fprintf(stderr, "memory_probe: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  auto iv = MakeInterventions(o, "home", 50, 1000);
  (*engine)->SetInterventionSource([iv] { return iv; });
  for (int q = 0; q < queries; ++q) {
    RankRequest r;
    r.user = 1 + q % o.users;
    auto page = (*engine)->Rank(r);
    if (!page.ok() || page->items.size() != 20) {
      std::fprintf(stderr, "memory_probe: rank failed: %s\n",
                   page.ok() ? "short page" : page.status().ToString().c_str());
      return 1;
    }
  }
  const int64_t rss = CurrentRssBytes(), peak = PeakRssBytes();
  std::printf(
      "memory n=%d baseline_mib=%.1f rss_mib=%.1f peak_mib=%.1f "
      "bytes_per_item_rss=%.0f bytes_per_item_peak=%.0f\n",
      items, baseline / 1048576.0, rss / 1048576.0, peak / 1048576.0,
      double(rss - baseline) / items, double(peak - baseline) / items);
  return 0;
}

}  // namespace
}  // namespace feedgov::bench

int main(int argc, char** argv) {
  // As in the feedgov binary (engine/cli/main.cc): no lock-order graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return feedgov::bench::Main(argc, argv);
}
