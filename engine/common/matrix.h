// File: engine/common/matrix.h
//
// Shape conventions, written down once. Every embedding matrix in feedgov is
// row-major `n x d` float32 (row i is the embedding of row/item i), matching
// FAISS's layout, so `matrix.data()` can be handed to FAISS without a copy.
// Vectors are `d` floats. Eigen's default column-major layout is never used
// for embeddings.
#ifndef FEEDGOV_ENGINE_COMMON_MATRIX_H_
#define FEEDGOV_ENGINE_COMMON_MATRIX_H_

#include <Eigen/Dense>

namespace feedgov {

using RowMatrixXf =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXd =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_MATRIX_H_
