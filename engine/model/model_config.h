// File: engine/model/model_config.h
//
// Loading models/<name>.textproto (schema feedgov.v1.ModelConfig in
// engine/proto/feedgov/v1/model_config.proto).
//
// Every field of the schema has a documented default and "0 / empty means use
// the default": LoadModelConfig fills those in before validating, so callers
// always see a complete config. Thread-safe (no shared state).
#ifndef FEEDGOV_ENGINE_MODEL_MODEL_CONFIG_H_
#define FEEDGOV_ENGINE_MODEL_MODEL_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "feedgov/v1/model_config.pb.h"

namespace feedgov {

// The documented defaults (the comments in model_config.proto):
//   als:       dim 64, alpha 10, lambda 0.1, iterations 15, seed 42,
//              init_stddev 0.01
//   retrieval: small_factory "Flat", large_factory "HNSW32",
//              hnsw_min_items 50000, hnsw_ef_search 256,
//              hnsw_ef_construction 200, exact_max_eligible_fraction 0.05,
//              candidate_count 500
//   scoring:   similarity_weight 1.0, popularity_weight 0.3,
//              freshness_weight 0.1, popularity_half_life_days 365,
//              freshness_half_life_days 1095
feedgov::v1::ModelConfig DefaultModelConfig();

// Replaces every zero / empty field of `config` by its documented default.
// Non-zero fields (including out-of-range ones) are left alone.
void FillModelConfigDefaults(feedgov::v1::ModelConfig* config);

// Checks ranges of an already-defaulted config:
//   als.dim in [1, 1024]; als.alpha >= 0 and finite; als.lambda > 0 and
//   finite; als.iterations in [1, 200]; als.init_stddev > 0 and finite;
//   retrieval.hnsw_ef_search, hnsw_ef_construction, hnsw_min_items,
//   candidate_count >= 1; exact_max_eligible_fraction in [0, 1];
//   scoring weights finite; half-lives > 0 and finite.
// Errors: INVALID_ARGUMENT "<source>: <field> = <value>, expected <range>".
absl::Status ValidateModelConfig(const feedgov::v1::ModelConfig& config,
                                 absl::string_view source);

// Reads and parses the text-format file at `path`, fills defaults and
// validates.
// Errors: NOT_FOUND if the file cannot be opened; INVALID_ARGUMENT naming
// "<path>:<line>:<column>" for a parse error (1-based), or "<path>: <field>"
// for a value out of range.
absl::StatusOr<feedgov::v1::ModelConfig> LoadModelConfig(
    const std::string& path);

// As LoadModelConfig, from text already in memory; `source` names it in
// errors (e.g. the path it came from).
absl::StatusOr<feedgov::v1::ModelConfig> ParseModelConfig(
    absl::string_view text, absl::string_view source);

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_MODEL_MODEL_CONFIG_H_
