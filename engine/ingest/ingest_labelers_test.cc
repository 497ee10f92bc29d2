// `feedgov ingest --labelers`: labelers whose labels the taxonomy does not
// know are refused before anything is written. Before the check the ingest
// wrote a snapshot where every labelled item carried the unknown label, and
// the verdict dropped them all (fail closed).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_replace.h"
#include "engine/ingest/ingest.h"
#include "engine/labeler/fixture.h"
#include "engine/labeler/labeler_set.h"
#include "engine/labeler/trainer.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

using ::feedgov::testing::MakeTempDir;

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(IngestLabelers, LabelsOutsideTheTaxonomyAreRefusedBeforeAnythingIsWritten) {
  const std::string data = MakeTempDir("ingest_labeler_data");
  const std::string models = MakeTempDir("ingest_labeler_models");
  ASSERT_OK_AND_ASSIGN(std::vector<TrainResult> all,
                       TrainFixtureLabelers(data, models, {"clickbait_en"}));
  const TrainResult& trained = all.front();
  // The manifest of a labeler trained under another taxonomy.
  const std::string manifest = trained.dir + "/labeler.textproto";
  Write(manifest, absl::StrReplaceAll(Read(manifest),
                                      {{"label: \"bad.clickbait\"", "label: \"bad.retired\""}}));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const LabelerSet> labelers, LabelerSet::Load(models));

  const std::string ml = MakeTempDir("ingest_labeler_ml");
  Write(ml + "/movies.csv", "movieId,title,genres\n1,You Won't Believe This (1999),Drama\n");
  Write(ml + "/ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,1000\n");
  IngestOptions o;
  o.data_dir = ml;
  o.out_dir = MakeTempDir("ingest_labeler_out") + "/snap";
  o.labelers = labelers;
  EXPECT_THAT(RunIngest(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                     "clickbait_en emits 'bad.retired', which is not in the taxonomy"));
  EXPECT_FALSE(std::filesystem::exists(o.out_dir));
}

}  // namespace
}  // namespace feedgov
