// File: engine/testing/seeded_world.h
//
// SeededWorld: a small synthetic catalog for the request path's stage tests
// (no MovieLens needed), a pure function of its options. Items with
// clustered embeddings (retrieval/synthetic.h), every 5th item authored by
// "author-<row % 3>", a popularity falling with the row and labels by
// the row: row % 20 == 0 illegal.rumors 0.9 (dropped), % 10 == 5
// bad.clickbait 0.8 (kept out of key slots, downranked), % 7 == 3
// positive.core_values 0.9 (reviewer: boosted, quota), % 4 == 1 a reviewed
// clean label, else unlabeled. Users with vectors near random items and a
// few ratings. The shipped taxonomy and cn-ecology pack.
//
// Test-only; thread-compatible.
#ifndef FEEDGOV_ENGINE_TESTING_SEEDED_WORLD_H_
#define FEEDGOV_ENGINE_TESTING_SEEDED_WORLD_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/catalog/catalog_state.h"
#include "engine/catalog/label_table.h"
#include "engine/governance/policy.h"
#include "engine/governance/taxonomy.h"
#include "engine/governance/verdict.h"

namespace feedgov::testing {

struct SeededWorldOptions {
  int items = 2000;
  int users = 20;
  int dim = 16;
  int clusters = 12;
  uint64_t seed = 7;
  std::string factory = "Flat";  // RetrieverOptions::small_factory.
};

struct SeededWorld {
  std::shared_ptr<const CatalogState> state;
  std::shared_ptr<const LabelTable> labels;
  std::shared_ptr<const Taxonomy> taxonomy;
  std::shared_ptr<const PolicyPack> pack;  // policies/cn-ecology.textproto.

  static absl::StatusOr<SeededWorld> Make(
      const SeededWorldOptions& options = {});

  // The item id of row `row` (1000 + 3 * row).
  static ItemId IdOf(Row row) { return 1000 + 3 * static_cast<ItemId>(row); }
  // The governance view of `surface` for `audience` (built, not cached).
  std::shared_ptr<const GovernanceView> View(
      const std::string& surface, Audience audience = Audience::kGeneral) const;
};

}  // namespace feedgov::testing

#endif  // FEEDGOV_ENGINE_TESTING_SEEDED_WORLD_H_
