#include "engine/retrieval/synthetic.h"

#include <cmath>

#include "gtest/gtest.h"

namespace feedgov {
namespace {

TEST(MakeClusteredEmbeddings, RowsAreUnitNormAndShapeMatches) {
  const RowMatrixXf m = MakeClusteredEmbeddings(500, 16, 8, 7);
  ASSERT_EQ(m.rows(), 500);
  ASSERT_EQ(m.cols(), 16);
  for (int r = 0; r < m.rows(); ++r) {
    EXPECT_NEAR(m.row(r).norm(), 1.0f, 1e-5f) << "row " << r;
  }
}

TEST(MakeClusteredEmbeddings, SameSeedSameBitsOtherSeedDiffers) {
  EXPECT_EQ(MakeClusteredEmbeddings(200, 8, 4, 1),
            MakeClusteredEmbeddings(200, 8, 4, 1));
  EXPECT_NE(MakeClusteredEmbeddings(200, 8, 4, 1),
            MakeClusteredEmbeddings(200, 8, 4, 2));
}

TEST(MakeClusteredEmbeddings, RowsAreClustered) {
  // With one cluster every pair is close to the shared centre; with many
  // clusters (d large) the average pair is near orthogonal.
  const RowMatrixXf one = MakeClusteredEmbeddings(200, 64, 1, 3);
  const RowMatrixXf many = MakeClusteredEmbeddings(200, 64, 100, 3);
  auto mean_pair_cosine = [](const RowMatrixXf& m) {
    double sum = 0;
    int pairs = 0;
    for (int i = 0; i < m.rows(); ++i) {
      for (int j = i + 1; j < m.rows(); ++j, ++pairs) sum += m.row(i).dot(m.row(j));
    }
    return sum / pairs;
  };
  EXPECT_GT(mean_pair_cosine(one), 0.6);
  EXPECT_LT(std::abs(mean_pair_cosine(many)), 0.1);
}

TEST(MakeQueriesNear, QueriesAreNearSomeRowAndNotNormalized) {
  const RowMatrixXf m = MakeClusteredEmbeddings(300, 32, 10, 5);
  const RowMatrixXf q = MakeQueriesNear(m, 20, 9);
  ASSERT_EQ(q.rows(), 20);
  bool some_not_unit = false;
  for (int i = 0; i < q.rows(); ++i) {
    const Eigen::VectorXf u = q.row(i).transpose() / q.row(i).norm();
    const float best = (m * u).maxCoeff();
    EXPECT_GT(best, 0.85f) << "query " << i;
    if (std::abs(q.row(i).norm() - 1.0f) > 0.05f) some_not_unit = true;
  }
  EXPECT_TRUE(some_not_unit);
}

}  // namespace
}  // namespace feedgov
