// File: engine/catalog/snapshot.h
//
// A serving snapshot on disk: catalog, labels, users, the serialized FAISS
// index and the model config, written atomically and verified on read.
//
// Layout of a snapshot directory (format_version 1):
//   MANIFEST.textproto    feedgov.v1.SnapshotManifest (text format): shapes,
//                         metric, index factory, and name/bytes/sha256 of
//                         every file below.
//   items.pb              feedgov.v1.SnapshotItems, catalog row order.
//   labels.pb             feedgov.v1.SnapshotLabels, ascending item id.
//   item_embeddings.f32   n x d float32, row-major, little-endian, the
//                         catalog's L2-normalized embeddings.
//   user_embeddings.f32   m x d float32, row-major, little-endian.
//   users.pb              feedgov.v1.SnapshotUsers, user row order.
//   index.faiss           opaque bytes (engine/retrieval writes/reads them).
//   model_config.textproto  the model config text, opaque here.
//
// Thread-safety: the functions are thread-safe for distinct `dir`s; two
// concurrent writers of the same `dir` are not supported.
#ifndef FEEDGOV_ENGINE_CATALOG_SNAPSHOT_H_
#define FEEDGOV_ENGINE_CATALOG_SNAPSHOT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/label_table.h"
#include "engine/catalog/user_table.h"
#include "engine/common/clock.h"

namespace feedgov {

inline constexpr int kSnapshotFormatVersion = 1;
inline constexpr char kSnapshotMetric[] = "inner_product_over_l2_normalized";
inline constexpr char kSnapshotManifestName[] = "MANIFEST.textproto";

struct SnapshotContents {
  std::shared_ptr<const Catalog> catalog;     // Required.
  std::shared_ptr<const LabelTable> labels;   // Required (may be empty).
  std::shared_ptr<const UserTable> users;     // Required; dim() == catalog's.
  std::string index_factory;  // FAISS factory string of index_bytes.
  std::string index_bytes;    // Serialized FAISS index, opaque here.
  std::string model_config_text;  // Model config textproto, opaque here.
};

struct WriteSnapshotOptions {
  // Source of created_unix_s. Borrowed; must outlive the call. Never null.
  const Clock* clock = &RealClock::Get();
  // Test-only fault injection: called with a stage name after each step
  // ("items.pb", ..., "MANIFEST.textproto" after that file is written in the
  // temporary directory, "old_moved_aside" after an existing snapshot was
  // renamed aside). A non-OK status aborts the write as a real I/O error
  // would. Empty: no hook.
  std::function<absl::Status(const std::string& stage)> fault_hook;
};

// Writes `contents` as a snapshot at `dir` (its parent must exist).
// Everything is written into a temporary sibling directory ".<name>.tmp-*",
// each file and the directory fsync'ed, then renamed to `dir`. An existing
// snapshot at `dir` is renamed aside (".<name>.old-*"), the new one renamed
// in, the parent fsync'ed and the old one deleted. On failure `dir` is left
// as it was and the temporary directory is removed. (A crash between the two
// renames leaves the previous snapshot at the ".<name>.old-*" sibling.)
//
// Errors: INVALID_ARGUMENT for missing members or users/catalog dimension
// mismatch; FAILED_PRECONDITION if `dir` exists and is neither empty nor a
// snapshot (holds no MANIFEST.textproto), so no unrelated data is replaced;
// INTERNAL for I/O errors (naming the path); or the hook's status.
absl::Status WriteSnapshot(const SnapshotContents& contents, const std::string& dir,
                           const WriteSnapshotOptions& options = {});

// Reads and verifies the snapshot at `dir`: the manifest parses, its
// format_version is known, every listed file exists with the listed size and
// SHA-256, exactly the expected files are listed, and shapes agree (items and
// users counts, embedding sizes n*d*4 and m*d*4, interaction count, metric).
//
// Errors: NOT_FOUND if `dir`/MANIFEST.textproto does not exist;
// FAILED_PRECONDITION for an unsupported format_version; DATA_LOSS naming the
// file and what differs ("item_embeddings.f32: sha256 is ab.., manifest says
// cd..", "items.pb: 9 items, manifest says 10") for any other mismatch,
// truncation, parse failure or invalid content.
absl::StatusOr<SnapshotContents> ReadSnapshot(const std::string& dir);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_CATALOG_SNAPSHOT_H_
