#include "engine/model/model_config.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/common/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace feedgov {
namespace {

using feedgov::v1::AlsConfig;
using feedgov::v1::ModelConfig;
using feedgov::v1::RetrievalConfig;
using feedgov::v1::ScoringConfig;

// Keeps the first parse error as "line:column: message" (1-based).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber,
                  const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};


void FillAls(AlsConfig* c) {
  if (c->dim() == 0) c->set_dim(64);
  if (c->alpha() == 0) c->set_alpha(10.0);
  if (c->lambda() == 0) c->set_lambda(0.1);
  if (c->iterations() == 0) c->set_iterations(15);
  if (c->seed() == 0) c->set_seed(42);
  if (c->init_stddev() == 0) c->set_init_stddev(0.01);
}

void FillRetrieval(RetrievalConfig* c) {
  if (c->small_factory().empty()) c->set_small_factory("Flat");
  if (c->large_factory().empty()) c->set_large_factory("HNSW32");
  if (c->hnsw_min_items() == 0) c->set_hnsw_min_items(50000);
  if (c->hnsw_ef_search() == 0) c->set_hnsw_ef_search(256);
  if (c->hnsw_ef_construction() == 0) c->set_hnsw_ef_construction(200);
  if (c->exact_max_eligible_fraction() == 0) {
    c->set_exact_max_eligible_fraction(0.05);
  }
  if (c->candidate_count() == 0) c->set_candidate_count(500);
}

void FillScoring(ScoringConfig* c) {
  if (c->similarity_weight() == 0) c->set_similarity_weight(1.0);
  if (c->popularity_weight() == 0) c->set_popularity_weight(0.3);
  if (c->freshness_weight() == 0) c->set_freshness_weight(0.1);
  if (c->popularity_half_life_days() == 0) c->set_popularity_half_life_days(365);
  if (c->freshness_half_life_days() == 0) c->set_freshness_half_life_days(1095);
}

absl::Status RangeError(absl::string_view source, absl::string_view field,
                        double value, absl::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat(
      source, ": ", field, " = ", value, ", expected ", expected));
}

absl::Status CheckIntRange(absl::string_view source, absl::string_view field,
                           int64_t value, int64_t lo, int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      source, ": ", field, " = ", value, ", expected [", lo, ", ", hi, "]"));
}

absl::Status CheckAtLeastOne(absl::string_view source, absl::string_view field,
                             int64_t value) {
  if (value >= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(source, ": ", field, " = ", value, ", expected >= 1"));
}

absl::Status CheckPositive(absl::string_view source, absl::string_view field,
                           double value) {
  if (std::isfinite(value) && value > 0) return absl::OkStatus();
  return RangeError(source, field, value, "finite and > 0");
}

absl::Status CheckFinite(absl::string_view source, absl::string_view field,
                         double value) {
  if (std::isfinite(value)) return absl::OkStatus();
  return RangeError(source, field, value, "a finite number");
}

absl::Status ValidateAls(const AlsConfig& c, absl::string_view src) {
  FEEDGOV_RETURN_IF_ERROR(CheckIntRange(src, "als.dim", c.dim(), 1, 1024));
  if (!std::isfinite(c.alpha()) || c.alpha() < 0) {
    return RangeError(src, "als.alpha", c.alpha(), "finite and >= 0");
  }
  FEEDGOV_RETURN_IF_ERROR(CheckPositive(src, "als.lambda", c.lambda()));
  FEEDGOV_RETURN_IF_ERROR(
      CheckIntRange(src, "als.iterations", c.iterations(), 1, 200));
  return CheckPositive(src, "als.init_stddev", c.init_stddev());
}

absl::Status ValidateRetrieval(const RetrievalConfig& c,
                               absl::string_view src) {
  FEEDGOV_RETURN_IF_ERROR(
      CheckAtLeastOne(src, "retrieval.hnsw_min_items", c.hnsw_min_items()));
  FEEDGOV_RETURN_IF_ERROR(
      CheckAtLeastOne(src, "retrieval.hnsw_ef_search", c.hnsw_ef_search()));
  FEEDGOV_RETURN_IF_ERROR(CheckAtLeastOne(
      src, "retrieval.hnsw_ef_construction", c.hnsw_ef_construction()));
  FEEDGOV_RETURN_IF_ERROR(
      CheckAtLeastOne(src, "retrieval.candidate_count", c.candidate_count()));
  double f = c.exact_max_eligible_fraction();
  if (!(f >= 0.0 && f <= 1.0)) {
    return RangeError(src, "retrieval.exact_max_eligible_fraction", f,
                      "[0, 1]");
  }
  return absl::OkStatus();
}

absl::Status ValidateScoring(const ScoringConfig& c, absl::string_view src) {
  FEEDGOV_RETURN_IF_ERROR(
      CheckFinite(src, "scoring.similarity_weight", c.similarity_weight()));
  FEEDGOV_RETURN_IF_ERROR(
      CheckFinite(src, "scoring.popularity_weight", c.popularity_weight()));
  FEEDGOV_RETURN_IF_ERROR(
      CheckFinite(src, "scoring.freshness_weight", c.freshness_weight()));
  FEEDGOV_RETURN_IF_ERROR(CheckPositive(
      src, "scoring.popularity_half_life_days", c.popularity_half_life_days()));
  return CheckPositive(src, "scoring.freshness_half_life_days",
                       c.freshness_half_life_days());
}

}  // namespace

ModelConfig DefaultModelConfig() {
  ModelConfig config;
  FillModelConfigDefaults(&config);
  return config;
}

void FillModelConfigDefaults(ModelConfig* config) {
  FillAls(config->mutable_als());
  FillRetrieval(config->mutable_retrieval());
  FillScoring(config->mutable_scoring());
}

absl::Status ValidateModelConfig(const ModelConfig& config,
                                 absl::string_view source) {
  FEEDGOV_RETURN_IF_ERROR(ValidateAls(config.als(), source));
  FEEDGOV_RETURN_IF_ERROR(ValidateRetrieval(config.retrieval(), source));
  return ValidateScoring(config.scoring(), source);
}

absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view text,
                                             absl::string_view source) {
  ModelConfig config;
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", errors.first().empty()
                                      ? std::string("0:0: parse error")
                                      : errors.first()));
  }
  FillModelConfigDefaults(&config);
  FEEDGOV_RETURN_IF_ERROR(ValidateModelConfig(config, source));
  return config;
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return Annotate(text.status(), absl::StrCat("model config ", path));
  }
  return ParseModelConfig(*text, path);
}

}  // namespace feedgov
