// File: tests/pipeline/movielens_env.h
//
// Shared plumbing for the cross-stage pipeline tests: one MovieLens snapshot
// per test binary (built by RunIngest in SetUpTestSuite, reused by every
// test), engines opened over it with a chosen policy pack, and small
// independent oracles (policy verdicts, brute-force cosine) used to check the
// engine's pages. Test-only; header-only.
#ifndef FEEDGOV_TESTS_PIPELINE_MOVIELENS_ENV_H_
#define FEEDGOV_TESTS_PIPELINE_MOVIELENS_ENV_H_

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/common/clock.h"
#include "engine/common/types.h"
#include "engine/governance/policy_loader.h"
#include "engine/governance/taxonomy.h"
#include "engine/governance/verdict.h"
#include "engine/ingest/ingest.h"
#include "engine/runtime/open_engine.h"
#include "engine/rank/feed_engine.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gtest/gtest.h"

namespace feedgov::testing {

// The movielens_latest_small snapshot shared by the tests of one binary.
// ctest runs every TEST in its own process, so the snapshot is kept in the
// build tree ($FEEDGOV_BINARY_DIR/tests/<binary>_snapshot) and rebuilt, under
// a file lock (ctest -j), only when the binary is newer than it. Without
// FEEDGOV_BINARY_DIR (a direct run) a temporary directory is used.
inline absl::StatusOr<std::string> BuildSharedSnapshot() {
  namespace fs = std::filesystem;
  IngestOptions io;
  io.data_dir = DataDir("movielens_latest_small");
  const char* bin = std::getenv("FEEDGOV_BINARY_DIR");
  if (bin == nullptr || *bin == '\0') {
    io.out_dir = MakeTempDir("feedgov_tests_snapshot") + "/snap";
    absl::Status s = RunIngest(io);
    if (!s.ok()) return s;
    return io.out_dir;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  io.out_dir = absl::StrCat(bin, "/tests/", exe.filename().string(), "_snapshot");
  const std::string lock_path = io.out_dir + ".lock";
  int fd = ::open(lock_path.c_str(), O_CREAT | O_RDWR, 0644);
  if (fd < 0 || ::flock(fd, LOCK_EX) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::InternalError("cannot lock " + lock_path);
  }
  const fs::path manifest = fs::path(io.out_dir) / "MANIFEST.textproto";
  const bool stale = !fs::exists(manifest, ec) ||
                     fs::last_write_time(manifest, ec) < fs::last_write_time(exe, ec);
  absl::Status status = stale ? RunIngest(io) : absl::OkStatus();
  ::flock(fd, LOCK_UN);
  ::close(fd);
  if (!status.ok()) return status;
  return io.out_dir;
}

class MovieLensSnapshot {
 public:
  // Builds or reuses the snapshot (2-4 s when built). Fails the calling test
  // on error.
  static const std::string& Dir() {
    static const std::string* dir = [] {
      auto built = BuildSharedSnapshot();
      EXPECT_TRUE(built.ok()) << built.status();
      return new std::string(built.value_or(""));
    }();
    return *dir;
  }
  // Removes a temporary (direct-run) snapshot; the shared one is kept.
  static void Cleanup() {
    const char* bin = std::getenv("FEEDGOV_BINARY_DIR");
    if (bin != nullptr && *bin != '\0') return;
    std::error_code ec;
    std::filesystem::remove_all(
        std::filesystem::path(Dir()).parent_path(), ec);
  }
};

inline std::string PolicyPath(const std::string& name) {
  return DefaultPath(absl::StrCat("policies/", name, ".textproto"));
}

inline absl::StatusOr<std::unique_ptr<FeedEngine>> OpenMovieLens(
    const std::string& policy, const Clock* clock = &RealClock::Get()) {
  OpenOptions o;
  o.snapshot_dir = MovieLensSnapshot::Dir();
  o.policy_path = PolicyPath(policy);
  o.clock = clock;
  return OpenEngine(o);
}

inline std::vector<ItemId> Ids(const RankResponse& r) {
  std::vector<ItemId> out;
  for (const RankedItem& i : r.items) out.push_back(i.item_id);
  return out;
}

// Pages through a chain; stops when the token is empty or after
// `max_items` items. Appends every page to `pages`.
inline absl::Status PageThrough(const FeedEngine& engine, RankRequest req,
                                int max_items, std::vector<RankResponse>* pages) {
  int served = 0;
  while (true) {
    auto page = engine.Rank(req);
    if (!page.ok()) return page.status();
    if (page->items.empty() && !page->next_page_token.empty()) {
      return absl::InternalError(absl::StrCat(
          "empty page with a next token after ", served, " items"));
    }
    served += static_cast<int>(page->items.size());
    pages->push_back(*page);
    if (page->next_page_token.empty() || served >= max_items) break;
    req.page_token = page->next_page_token;
  }
  return absl::OkStatus();
}

inline std::vector<ItemId> Concat(const std::vector<RankResponse>& pages) {
  std::vector<ItemId> out;
  for (const auto& p : pages) {
    for (const auto& i : p.items) out.push_back(i.item_id);
  }
  return out;
}

// Reviewer label helpers.
inline Label ReviewerLabel(const std::string& name, float confidence) {
  Label l;
  l.name = name;
  l.confidence = confidence;
  l.source = LabelSource::kReviewer;
  l.time = 1'700'000'000;
  return l;
}

// Marks `items` illegal (keeps their other labels).
inline absl::Status MarkIllegal(FeedEngine& engine,
                                const std::vector<ItemId>& items) {
  auto labels = engine.labels();
  std::vector<ItemLabelsUpdate> updates;
  for (ItemId id : items) {
    ItemLabelsUpdate u;
    u.item = id;
    u.labels = labels->LabelsFor(id);
    std::erase_if(u.labels, [](const Label& l) {
      return l.name == "illegal.terrorism_extremism";
    });
    u.labels.push_back(ReviewerLabel("illegal.terrorism_extremism", 1.0f));
    updates.push_back(std::move(u));
  }
  return engine.UpdateLabels(std::move(updates));
}

inline absl::Status AddLabel(FeedEngine& engine, ItemId id,
                             const std::string& name, float confidence) {
  ItemLabelsUpdate u;
  u.item = id;
  u.labels = engine.labels()->LabelsFor(id);
  // A label is given once per item (catalog/item_limits.h): replace it.
  std::erase_if(u.labels, [&](const Label& l) { return l.name == name; });
  u.labels.push_back(ReviewerLabel(name, confidence));
  return engine.UpdateLabels({u});
}

// Independent verdict of an item under `pack` for (surface, audience).
inline ItemVerdict VerdictOf(const FeedEngine& engine, const PolicyPack& pack,
                             const std::string& surface, Audience audience,
                             ItemId id) {
  const Surface* s = pack.FindSurface(surface);
  EXPECT_NE(s, nullptr) << surface;
  return EvaluateItem(pack, *s, audience, engine.labels()->LabelsFor(id));
}

// Items a user rated (the personalized path never recommends them again).
inline absl::flat_hash_set<ItemId> RatedBy(const FeedEngine& engine,
                                           UserId user) {
  absl::flat_hash_set<ItemId> out;
  auto row = engine.users()->FindUser(user);
  if (!row) return out;
  for (const auto& x : engine.users()->interactions(*row)) out.insert(x.item);
  return out;
}

inline std::string Join(const std::vector<ItemId>& ids) {
  std::ostringstream o;
  for (size_t i = 0; i < ids.size(); ++i) o << (i ? "," : "") << ids[i];
  return o.str();
}

inline bool HasDuplicates(const std::vector<ItemId>& ids) {
  std::set<ItemId> s(ids.begin(), ids.end());
  return s.size() != ids.size();
}

}  // namespace feedgov::testing

#endif  // FEEDGOV_TESTS_PIPELINE_MOVIELENS_ENV_H_
