#include "engine/runtime/open_engine.h"

#include <openssl/rand.h>

#include <filesystem>

#include "absl/strings/escaping.h"
#include "engine/common/file_util.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/governance/taxonomy.h"
#include "engine/model/model_config.h"
#include "google/protobuf/text_format.h"

namespace feedgov {
absl::StatusOr<std::string> LoadOrCreatePageTokenKey(
    const std::string& state_dir) {
  const std::string path = state_dir + "/page_token.key";
  if (std::filesystem::exists(path)) {
    FEEDGOV_ASSIGN_OR_RETURN(std::string hex, ReadFile(path));
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
    if (hex.size() != 64 ||
        hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return absl::DataLossError(
          absl::StrCat(path, ": not a 64-hex-digit page-token key"));
    }
    return hex;
  }
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create ", state_dir, ": ", ec.message()));
  }
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  std::string hex = absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  FEEDGOV_RETURN_IF_ERROR(WriteFileAtomic(path, hex + "\n"));
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write,
                               ec);
  return hex;
}

absl::StatusOr<std::unique_ptr<FeedEngine>> OpenEngine(const OpenOptions& o) {
  FEEDGOV_ASSIGN_OR_RETURN(SnapshotContents snapshot,
                           ReadSnapshot(o.snapshot_dir));
  FEEDGOV_ASSIGN_OR_RETURN(
      v1::ModelConfig config,
      ParseModelConfig(snapshot.model_config_text,
                       o.snapshot_dir + "/model_config.textproto"));
  FEEDGOV_ASSIGN_OR_RETURN(
      Taxonomy taxonomy,
      Taxonomy::Load(PathOrDefault(o.taxonomy_path, "policies/labels.textproto")));
  auto registry = std::make_shared<PolicyRegistry>(std::move(taxonomy));
  FEEDGOV_RETURN_IF_ERROR(registry->Reload(
      PathOrDefault(o.policy_path, "policies/cn-ecology.textproto")));
  EngineOptions eo;
  if (!o.page_token_key.empty()) {
    eo.page_token_key = o.page_token_key;
  } else if (!o.state_dir.empty()) {
    FEEDGOV_ASSIGN_OR_RETURN(eo.page_token_key,
                             LoadOrCreatePageTokenKey(o.state_dir));
  }
  eo.trim_candidate_head = o.trim_candidate_head;
  eo.exhaustive_candidates = o.exhaustive_candidates;
  eo.scoring = ScoringOptions::FromConfig(config.scoring());
  eo.retrieval = RetrieverOptions::FromConfig(config.retrieval());
  if (config.retrieval().candidate_count() > 0) {
    eo.candidate_count = config.retrieval().candidate_count();
  }
  return FeedEngine::Create(std::move(snapshot), std::move(registry),
                            std::move(eo), o.clock);
}

}  // namespace feedgov
