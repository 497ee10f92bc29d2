#include "engine/model/model_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "engine/common/file_util.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::testing::HasSubstr;

// Writes `text` to a fresh temp file and returns its path.
std::string WriteConfig(const std::string& text) {
  std::string path =
      absl::StrCat(testing::MakeTempDir("model_config"), "/m.textproto");
  EXPECT_OK(WriteFileAtomic(path, text));
  return path;
}

TEST(ModelConfigTest, DefaultModelConfigHasDocumentedDefaults) {
  v1::ModelConfig c = DefaultModelConfig();
  EXPECT_EQ(c.als().dim(), 64);
  EXPECT_EQ(c.als().alpha(), 10.0);
  EXPECT_EQ(c.als().lambda(), 0.1);
  EXPECT_EQ(c.als().iterations(), 15);
  EXPECT_EQ(c.als().seed(), 42u);
  EXPECT_EQ(c.als().init_stddev(), 0.01);
  EXPECT_EQ(c.retrieval().small_factory(), "Flat");
  EXPECT_EQ(c.retrieval().large_factory(), "HNSW32");
  EXPECT_EQ(c.retrieval().hnsw_min_items(), 50000);
  EXPECT_EQ(c.retrieval().hnsw_ef_search(), 256);
  EXPECT_EQ(c.retrieval().hnsw_ef_construction(), 200);
  EXPECT_EQ(c.retrieval().exact_max_eligible_fraction(), 0.05);
  EXPECT_EQ(c.retrieval().candidate_count(), 500);
  EXPECT_EQ(c.scoring().similarity_weight(), 1.0);
  EXPECT_EQ(c.scoring().popularity_weight(), 0.3);
  EXPECT_EQ(c.scoring().freshness_weight(), 0.1);
  EXPECT_EQ(c.scoring().popularity_half_life_days(), 365);
  EXPECT_EQ(c.scoring().freshness_half_life_days(), 1095);
  EXPECT_OK(ValidateModelConfig(c, "defaults"));
}

TEST(ModelConfigTest, RepositoryDefaultFileLoadsAndValidates) {
  std::string path = testing::SourceDir() + "/models/default.textproto";
  ASSERT_OK_AND_ASSIGN(v1::ModelConfig c, LoadModelConfig(path));
  EXPECT_EQ(c.als().dim(), 64);
  EXPECT_GT(c.als().lambda(), 0);
  EXPECT_EQ(c.retrieval().candidate_count(), 500);
}

TEST(ModelConfigTest, EmptyFileGivesAllDefaults) {
  ASSERT_OK_AND_ASSIGN(v1::ModelConfig c, LoadModelConfig(WriteConfig("")));
  EXPECT_EQ(c.SerializeAsString(), DefaultModelConfig().SerializeAsString());
}

TEST(ModelConfigTest, ZeroFieldsTakeDefaultsOthersKept) {
  ASSERT_OK_AND_ASSIGN(
      v1::ModelConfig c,
      LoadModelConfig(WriteConfig("als { dim: 8 alpha: 0 }\n"
                                  "scoring { popularity_weight: -0.5 }\n")));
  EXPECT_EQ(c.als().dim(), 8);
  EXPECT_EQ(c.als().alpha(), 10.0);
  EXPECT_EQ(c.scoring().popularity_weight(), -0.5);
  EXPECT_EQ(c.scoring().similarity_weight(), 1.0);
}

TEST(ModelConfigTest, ParseErrorNamesFileLineAndColumn) {
  std::string path = WriteConfig("als {\n  dim: 8\n  dimm: 3\n}\n");
  auto c = LoadModelConfig(path);
  // Line 3 (1-based); protobuf places the column just after the bad name.
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument,
                          absl::StrCat(path, ":3:7:")));
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument, "dimm"));
}

TEST(ModelConfigTest, MissingFileIsNotFoundNamingPath) {
  EXPECT_THAT(LoadModelConfig("/nonexistent/m.textproto"),
              StatusIs(absl::StatusCode::kNotFound, "/nonexistent/m.textproto"));
}

struct BadCase {
  std::string text;
  std::string field;
};

class ModelConfigRangeTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ModelConfigRangeTest, OutOfRangeIsInvalidArgumentNamingFileAndField) {
  std::string path = WriteConfig(GetParam().text);
  auto c = LoadModelConfig(path);
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument, path));
  EXPECT_THAT(c, StatusIs(absl::StatusCode::kInvalidArgument, GetParam().field));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ModelConfigRangeTest,
    ::testing::Values(
        BadCase{"als { dim: 1025 }", "als.dim"},
        BadCase{"als { dim: -1 }", "als.dim"},
        BadCase{"als { alpha: -1 }", "als.alpha"},
        BadCase{"als { lambda: -0.1 }", "als.lambda"},
        BadCase{"als { iterations: 201 }", "als.iterations"},
        BadCase{"als { init_stddev: -1 }", "als.init_stddev"},
        BadCase{"retrieval { hnsw_ef_search: -5 }", "retrieval.hnsw_ef_search"},
        BadCase{"retrieval { hnsw_ef_construction: -1 }",
                "retrieval.hnsw_ef_construction"},
        BadCase{"retrieval { candidate_count: -1 }",
                "retrieval.candidate_count"},
        BadCase{"retrieval { exact_max_eligible_fraction: 1.5 }",
                "retrieval.exact_max_eligible_fraction"},
        BadCase{"scoring { similarity_weight: inf }",
                "scoring.similarity_weight"},
        BadCase{"scoring { freshness_weight: nan }", "scoring.freshness_weight"},
        BadCase{"scoring { popularity_half_life_days: -3 }",
                "scoring.popularity_half_life_days"}));

TEST(ModelConfigTest, BoundaryValuesAreAccepted) {
  EXPECT_OK(LoadModelConfig(WriteConfig(
      "als { dim: 1024 iterations: 200 }\n"
      "retrieval { hnsw_ef_search: 1 exact_max_eligible_fraction: 1 }\n")));
  EXPECT_OK(LoadModelConfig(WriteConfig("als { dim: 1 iterations: 1 }")));
}

}  // namespace
}  // namespace feedgov
