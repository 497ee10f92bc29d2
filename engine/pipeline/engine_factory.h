// File: engine/pipeline/engine_factory.h
//
// Building and opening the engine: `feedgov ingest` (MovieLens directory ->
// snapshot) and opening a snapshot with a policy pack. Default file locations
// are resolved against the source tree the binary was built from, so the
// CLI works from any directory; every path can be overridden.
#ifndef FEEDGOV_ENGINE_PIPELINE_ENGINE_FACTORY_H_
#define FEEDGOV_ENGINE_PIPELINE_ENGINE_FACTORY_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/common/clock.h"
#include "engine/pipeline/feed_engine.h"
#include "feedgov/v1/model_config.pb.h"

namespace feedgov {

// "<source dir>/<relative>", e.g. DefaultPath("policies/cn-ecology.textproto").
std::string DefaultPath(const std::string& relative);

struct IngestOptions {
  std::string data_dir;           // MovieLens-format directory. Required.
  std::string out_dir;            // Snapshot directory to write. Required.
  std::string model_config_path;  // Default: models/default.textproto.
  std::string taxonomy_path;      // Default: policies/labels.textproto.
  std::string label_map_path;     // Default: policies/labelmaps/movielens.textproto.
  std::ostream* progress = nullptr;  // One line per step / ALS iteration.
  const Clock* clock = &RealClock::Get();
};

// Reads the data, trains ALS on every rating, maps genres and tags to labels,
// builds the FAISS index and writes the snapshot atomically (a failure
// leaves `out_dir` as it was). Items with no ratings (cold start) get the
// mean item embedding. Errors come from each step, annotated with it.
absl::Status RunIngest(const IngestOptions& options);

struct OpenOptions {
  std::string snapshot_dir;   // Required.
  std::string policy_path;    // Default: policies/cn-ecology.textproto.
  std::string taxonomy_path;  // Default: policies/labels.textproto.
  // Secret for page-token tags; empty: taken from `state_dir`
  // (LoadOrCreatePageTokenKey), so tokens survive restarts and cannot be
  // forged by callers; with neither, the built-in key (integrity only).
  std::string page_token_key;
  std::string state_dir;  // Optional: only its page-token key is read here.
  const Clock* clock = &RealClock::Get();
  // EngineOptions::trim_candidate_head / exhaustive_candidates (reference
  // runs in tests only).
  bool trim_candidate_head = true;
  bool exhaustive_candidates = false;
};

// The deployment's page-token secret: <state_dir>/page_token.key (32 random
// bytes from OpenSSL, hex, mode 0600), created on first use. INTERNAL on I/O
// errors; DATA_LOSS if the file exists but is malformed.
absl::StatusOr<std::string> LoadOrCreatePageTokenKey(const std::string& state_dir);

// Reads the snapshot (checksums verified), loads taxonomy and policy pack
// (an invalid pack is refused: the engine does not start with it) and the
// scoring/retrieval settings recorded in the snapshot's model config.
absl::StatusOr<std::unique_ptr<FeedEngine>> OpenEngine(const OpenOptions& options);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_PIPELINE_ENGINE_FACTORY_H_
