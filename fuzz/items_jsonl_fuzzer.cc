// Fuzz target: the JSON Lines item reader (ReadItemsJsonl,
// engine/ingest/items_jsonl.h) with a quarantine. Input: the file's bytes.
// Properties: a read that succeeds holds only rows within the item limits
// (ValidateItem, ValidateItemLabels, labels in the taxonomy), unique ids,
// one embedding dimension, finite non-zero embeddings, and the reference
// time is the latest first_seen; every row set aside has a line within the
// file and a documented reason; good rows + rows set aside = non-blank lines.
// A failure is INVALID_ARGUMENT (no good row, or too many bad rows).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_split.h"
#include "engine/catalog/item_limits.h"
#include "engine/ingest/items_jsonl.h"
#include "fuzz/fuzz_util.h"

namespace feedgov::fuzz {
namespace {

const std::string& ScratchFile() {
  static const std::string* path = new std::string(ScratchDir() + "/items.jsonl");
  return *path;
}

int64_t NonBlankLines(absl::string_view input) {
  int64_t n = 0;
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    n += line.find_first_not_of(" \t\r") != absl::string_view::npos;
  }
  return n;
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  {
    std::ofstream out(fuzz::ScratchFile(), std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
    FEEDGOV_FUZZ_CHECK(out.good());
  }
  static const std::set<std::string> kReasons = {
      "malformed_json", "line_too_long",        "duplicate_id",
      "embedding_dim",  "embedding_non_finite", "embedding_zero_norm",
      "item_limits",    "label"};
  Quarantine q;
  absl::StatusOr<ItemsFile> file =
      ReadItemsJsonl(fuzz::ScratchFile(), fuzz::RepositoryTaxonomy(), &q);
  const int64_t lines = static_cast<int64_t>(
      std::count(input.begin(), input.end(), '\n') + 1);
  for (const QuarantinedRow& r : q.rows()) {
    FEEDGOV_FUZZ_CHECK(r.line >= 1 && r.line <= lines);
    FEEDGOV_FUZZ_CHECK(kReasons.contains(r.reason));
  }
  if (!file.ok()) {
    FEEDGOV_FUZZ_CHECK(file.status().code() ==
                       absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FEEDGOV_FUZZ_CHECK(static_cast<int64_t>(file->items.size()) + q.size() ==
                     fuzz::NonBlankLines(input));
  FEEDGOV_FUZZ_CHECK(file->embeddings.rows() ==
                     static_cast<Eigen::Index>(file->items.size()));
  FEEDGOV_FUZZ_CHECK(file->embeddings.cols() >= 1 &&
                     file->embeddings.cols() <= kMaxEmbeddingDim);
  absl::flat_hash_set<ItemId> ids;
  UnixSeconds latest = 0;
  for (size_t r = 0; r < file->items.size(); ++r) {
    const Item& item = file->items[r];
    FEEDGOV_FUZZ_CHECK(ValidateItem(item).ok());
    FEEDGOV_FUZZ_CHECK(ids.insert(item.id).second);
    latest = std::max(latest, item.first_seen);
    double norm = 0;
    for (Eigen::Index c = 0; c < file->embeddings.cols(); ++c) {
      const float v = file->embeddings(r, c);
      FEEDGOV_FUZZ_CHECK(std::isfinite(v));
      norm += double{v} * v;
    }
    FEEDGOV_FUZZ_CHECK(norm > 0);
  }
  FEEDGOV_FUZZ_CHECK(file->reference_time == latest);
  for (const auto& [id, labels] : file->labels) {
    FEEDGOV_FUZZ_CHECK(ids.contains(id));
    FEEDGOV_FUZZ_CHECK(ValidateItemLabels(id, labels).ok());
    for (const Label& l : labels) {
      FEEDGOV_FUZZ_CHECK(fuzz::RepositoryTaxonomy().Find(l.name) != nullptr);
    }
  }
  return 0;
}
