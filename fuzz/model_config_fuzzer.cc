// Fuzz target: the model-config reader (ParseModelConfig,
// engine/model/model_config.h). Input: the text of models/<name>.textproto.
// Properties of a config that parses: defaults are filled in (no zero
// field left where the schema documents a default) and every documented
// range holds; a parsed config printed back to text parses to the same
// config.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "engine/model/model_config.h"
#include "fuzz/fuzz_util.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"

namespace feedgov::fuzz {
namespace {

bool Finite(double x) { return std::isfinite(x); }

void CheckRanges(const v1::ModelConfig& c) {
  const v1::AlsConfig& a = c.als();
  FEEDGOV_FUZZ_CHECK(a.dim() >= 1 && a.dim() <= 1024);
  FEEDGOV_FUZZ_CHECK(Finite(a.alpha()) && a.alpha() >= 0);
  FEEDGOV_FUZZ_CHECK(Finite(a.lambda()) && a.lambda() > 0);
  FEEDGOV_FUZZ_CHECK(a.iterations() >= 1 && a.iterations() <= 200);
  FEEDGOV_FUZZ_CHECK(Finite(a.init_stddev()) && a.init_stddev() > 0);
  FEEDGOV_FUZZ_CHECK(a.seed() != 0);
  const v1::RetrievalConfig& r = c.retrieval();
  FEEDGOV_FUZZ_CHECK(!r.small_factory().empty() && !r.large_factory().empty());
  FEEDGOV_FUZZ_CHECK(r.hnsw_ef_search() >= 1 && r.hnsw_ef_construction() >= 1 &&
                     r.hnsw_min_items() >= 1 && r.candidate_count() >= 1);
  FEEDGOV_FUZZ_CHECK(r.exact_max_eligible_fraction() >= 0 &&
                     r.exact_max_eligible_fraction() <= 1);
  const v1::ScoringConfig& s = c.scoring();
  FEEDGOV_FUZZ_CHECK(Finite(s.similarity_weight()) &&
                     Finite(s.popularity_weight()) &&
                     Finite(s.freshness_weight()));
  FEEDGOV_FUZZ_CHECK(Finite(s.popularity_half_life_days()) &&
                     s.popularity_half_life_days() > 0);
  FEEDGOV_FUZZ_CHECK(Finite(s.freshness_half_life_days()) &&
                     s.freshness_half_life_days() > 0);
}

}  // namespace
}  // namespace feedgov::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace feedgov;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<v1::ModelConfig> config =
      ParseModelConfig(text, "fuzz.textproto");
  if (!config.ok()) {
    FEEDGOV_FUZZ_CHECK(config.status().code() ==
                       absl::StatusCode::kInvalidArgument);
    FEEDGOV_FUZZ_CHECK(
        absl::StartsWith(config.status().message(), "fuzz.textproto"));
    return 0;
  }
  fuzz::CheckRanges(*config);
  std::string printed;
  FEEDGOV_FUZZ_CHECK(
      google::protobuf::TextFormat::PrintToString(*config, &printed));
  absl::StatusOr<v1::ModelConfig> again = ParseModelConfig(printed, "printed");
  FEEDGOV_FUZZ_CHECK(again.ok());
  FEEDGOV_FUZZ_CHECK(
      google::protobuf::util::MessageDifferencer::Equals(*again, *config));
  return 0;
}
