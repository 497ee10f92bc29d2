// File: engine/ingest/items_jsonl.h
//
// A catalog from a JSON Lines file of items that carry their own embedding
// (from any embedding model): one feedgov.v1.CatalogItem per line, in the
// proto3 JSON mapping (camelCase names; snake_case accepted too; 64-bit
// integers as strings or numbers) of the CatalogService's UpsertItems
// (engine/proto/feedgov/v1/catalog_service.proto), e.g.
//
//   {"itemId": "7", "title": "...", "genres": ["News"], "author": "ap",
//    "embedding": [0.1, -0.3, ...], "firstSeenUnixUs": "1700000000000000",
//    "labels": [{"name": "positive.development_and_lives", "confidence": 0.9,
//                "source": "LABEL_SOURCE_MODEL",
//                "timeUnixUs": "1700000000000000"}]}
//
// Times as the API takes them (engine/catalog/api_convert.h: microseconds,
// floored to seconds; the deprecated seconds fields are still read).
//
// Every row is checked as an API upsert would be: a JSON object of that
// message (unknown fields refused), item fields within
// catalog/item_limits.h, item id unique in the file, an embedding of the
// same dimension as the first good row (1..kMaxEmbeddingDim floats, finite,
// non-zero norm), labels in the taxonomy. A bad row is set aside in the
// quarantine with its line number and reason ("malformed_json",
// "line_too_long", "duplicate_id", "embedding_dim", "embedding_non_finite",
// "embedding_zero_norm", "item_limits", "label"); without a quarantine the
// first bad row is the error ("<file>:<line>: ...").
//
// Thread-safety: ReadItemsJsonl is thread-safe (no shared state).
#ifndef FEEDGOV_ENGINE_INGEST_ITEMS_JSONL_H_
#define FEEDGOV_ENGINE_INGEST_ITEMS_JSONL_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/common/matrix.h"
#include "engine/common/types.h"
#include "engine/governance/taxonomy.h"
#include "engine/ingest/quarantine.h"

namespace feedgov {

// Longest line read; a longer one is set aside ("line_too_long").
inline constexpr size_t kMaxJsonlLineBytes = 1 << 20;

struct ItemsFile {
  std::vector<Item> items;  // File order, good rows only.
  RowMatrixXf embeddings;   // items.size() x d, as given (not normalized).
  absl::flat_hash_map<ItemId, std::vector<Label>> labels;
  // The latest first_seen of the items (0 when there are none): the
  // catalog's reference time, so a file ingests the same way every time.
  UnixSeconds reference_time = 0;
};

// Errors: NOT_FOUND for a missing file; INVALID_ARGUMENT for an empty file
// (no good row), or a bad row without a quarantine, or the quarantine's
// refusal.
absl::StatusOr<ItemsFile> ReadItemsJsonl(const std::string& path,
                                         const Taxonomy& taxonomy,
                                         Quarantine* quarantine);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INGEST_ITEMS_JSONL_H_
