// File: engine/runtime/open_engine.h
//
// Opening the engine: a snapshot written by `feedgov ingest`, a taxonomy and
// a policy pack become a FeedEngine (engine/rank/feed_engine.h). Default
// file locations are resolved against the source tree the binary was built
// from (DefaultPath), so the CLI works from any directory; every path can
// be overridden. The state directory beside it is runtime/state_dir.h.
#ifndef FEEDGOV_ENGINE_RUNTIME_OPEN_ENGINE_H_
#define FEEDGOV_ENGINE_RUNTIME_OPEN_ENGINE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/common/clock.h"
#include "engine/common/file_util.h"
#include "engine/rank/feed_engine.h"
#include "feedgov/v1/model_config.pb.h"

namespace feedgov {

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

#endif  // FEEDGOV_ENGINE_RUNTIME_OPEN_ENGINE_H_
