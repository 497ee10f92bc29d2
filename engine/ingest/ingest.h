// File: engine/ingest/ingest.h
//
// The offline path (`feedgov ingest`): a MovieLens-format directory becomes
// a serving snapshot. Reads the data (movielens.h), trains implicit ALS
// (engine/model/als.h), maps genres and tags to labels with a label map,
// builds the FAISS index and writes the snapshot atomically
// (engine/catalog/snapshot.h). Nothing here runs on the request path.
//
// Thread-safety: RunIngest may run concurrently for distinct out_dirs.
#ifndef FEEDGOV_ENGINE_INGEST_INGEST_H_
#define FEEDGOV_ENGINE_INGEST_INGEST_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "engine/common/clock.h"
#include "engine/ingest/quarantine.h"
#include "engine/labeler/labeler_set.h"

namespace feedgov {

struct IngestOptions {
  // Exactly one of: a MovieLens-format directory (ALS embeddings), or a
  // JSON Lines file of items with their own embeddings (items_jsonl.h).
  std::string data_dir;
  std::string items_path;
  std::string out_dir;            // Snapshot directory to write. Required.
  std::string model_config_path;  // Default: models/default.textproto.
  std::string taxonomy_path;      // Default: policies/labels.textproto.
  std::string
      label_map_path;  // Default: policies/labelmaps/movielens.textproto.
  std::ostream* progress = nullptr;  // One line per step / ALS iteration.
  // Bad rows: set aside (default) or fatal (strict); quarantine.h.
  QuarantineOptions quarantine;
  // Where the quarantine report goes (JSON, written atomically, only when
  // a row was set aside). Default: <out_dir>.quarantine.json.
  std::string quarantine_report_path;
  const Clock* clock = &RealClock::Get();
  // Built-in text labelers (engine/labeler); null: none. Each item's title
  // and tags are labelled (MovieLens beside the label map's labels; JSON
  // Lines items only for families the file does not label itself).
  std::shared_ptr<const LabelerSet> labelers;
};

// Reads the data, trains ALS on every rating, maps genres and tags to labels,
// builds the FAISS index and writes the snapshot atomically (a failure
// leaves `out_dir` as it was). Items with no ratings (cold start) get the
// mean item embedding. With items_path: reads the items, their embeddings
// and labels from the file instead (no users, no ALS). Bad rows are set
// aside (options.quarantine) and reported. Errors come from each step,
// annotated with it.
absl::Status RunIngest(const IngestOptions& options);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_INGEST_INGEST_H_
