// FinalScorer against hand-computed scores and reasons (cn-ecology on home:
// positive.* BOOST x1.05, bad.* DOWNRANK x0.9).
#include "engine/scoring/final_score.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/governance/policy_loader.h"
#include "engine/testing/status_matchers.h"
#include "engine/testing/test_data.h"
#include "gtest/gtest.h"

namespace feedgov {
namespace {

class FinalScoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Item> items(4);
    RowMatrixXf e = RowMatrixXf::Identity(4, 4);
    for (int r = 0; r < 4; ++r) items[r].id = 10 + r;
    ASSERT_OK_AND_ASSIGN(catalog_, Catalog::Create(items, e, 0));
    const std::string dir = testing::SourceDir() + "/policies/";
    ASSERT_OK_AND_ASSIGN(Taxonomy tax,
                         Taxonomy::Load(dir + "labels.textproto"));
    ASSERT_OK_AND_ASSIGN(pack_,
                         LoadPolicyPack(dir + "cn-ecology.textproto", tax));
    // Row 0 positive (boosted, quota), row 1 bad (downranked, kept out of
    // key slots), rows 2 and 3 unlabeled.
    labels_ = {{Label{"positive.core_values", 0.9f, LabelSource::kReviewer, 0, "", -1.0f}},
               {Label{"bad.clickbait", 0.8f, LabelSource::kModel, 0, "", -1.0f}},
               {},
               {}};
    view_ = GovernanceView::Build(
        *pack_, *pack_->FindSurface("home"), Audience::kGeneral, 4,
        [&](Row r) { return absl::Span<const Label>(labels_[r]); });
  }

  std::shared_ptr<const Catalog> catalog_;
  std::shared_ptr<const PolicyPack> pack_;
  std::vector<std::vector<Label>> labels_;
  std::shared_ptr<const GovernanceView> view_;
};

TEST_F(FinalScoreTest, ScoreIsBlendTimesPolicyTimesEditorTimesUser) {
  const RowFactors editor = {{0, 2.0}, {2, 0.5}};
  const RowFactors user = {{0, 0.9}, {1, 1.2}};
  const FinalScorer f(
      *catalog_, *view_, editor, user, /*personalized=*/true,
      pack_->BoostBound(*pack_->FindSurface("home"), Audience::kGeneral));
  // 0.8 x 1.05 x 2 x 0.9 = 1.512; 0.5 x 0.9 x 1.2 = 0.54; 0.6 x 0.5 = 0.3;
  // 0.7 untouched. (The pack's factors are floats: 1.05f, 0.9f.)
  EXPECT_NEAR(f.Score(0, 0.8), 1.512, 1e-7);
  EXPECT_NEAR(f.Score(1, 0.5), 0.54, 1e-7);
  EXPECT_DOUBLE_EQ(f.Score(2, 0.6), 0.3);
  EXPECT_DOUBLE_EQ(f.Score(3, 0.7), 0.7);
  // The candidate carries the same score, bit for bit, and its reasons.
  const SlateCandidate c0 = f.Candidate(0, 0.8);
  EXPECT_EQ(c0.score, f.Score(0, 0.8));
  EXPECT_EQ(c0.id, 10);
  EXPECT_EQ(c0.reasons,
            kPersonalized | kPositiveBoost | kEditorBoost | kSeeLess);
  EXPECT_TRUE(c0.key_slot_allowed);
  EXPECT_TRUE(c0.positive);
  const SlateCandidate c1 = f.Candidate(1, 0.5);
  EXPECT_EQ(c1.reasons, kPersonalized | kDownranked);  // A lift is no SEE_LESS.
  EXPECT_FALSE(c1.key_slot_allowed);
  EXPECT_FALSE(c1.positive);
  EXPECT_EQ(f.Candidate(2, 0.6).reasons, kPersonalized | kEditorBury);
}

TEST_F(FinalScoreTest, ProfileFreePathAndFactorBound) {
  const RowFactors editor = {{0, 2.0}, {2, 0.5}}, none;
  const FinalScorer f(
      *catalog_, *view_, editor, none, /*personalized=*/false,
      pack_->BoostBound(*pack_->FindSurface("home"), Audience::kGeneral));
  EXPECT_EQ(f.Candidate(3, 0.4).reasons, kNonPersonalized | kPopular);
  // The pack's one BOOST (x1.05) times the largest editor factor (2); the
  // bury and the absent user factors never raise it.
  EXPECT_NEAR(f.FactorBound(), 2.1, 1e-7);
  std::vector<double> blended, finals;
  const std::vector<Row> rows = {0, 1, 2, 3};
  f.AppendFinals(rows, {0.8, 0.5, 0.6, 0.7}, blended, finals);
  EXPECT_EQ(blended, (std::vector<double>{0.8, 0.5, 0.6, 0.7}));
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(finals[i], f.Score(rows[i], blended[i])) << i;
  }
}

}  // namespace
}  // namespace feedgov
