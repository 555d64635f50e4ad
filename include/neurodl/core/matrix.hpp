#pragma once
// The one array convention of neurodl: rows are time samples, columns are units or features,
// row-major, float32 unless a method needs float64. Eigen's row-major matrices hold the data so
// that every layer can use Eigen's (and BLAS's) linear algebra on it without copying.

#include <cstdint>
#include <string>

#include <Eigen/Core>

namespace neurodl {

/// Time × units (or time × features) float32 matrix, row-major.
using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Time × units float64 matrix, row-major, for methods that need double precision.
using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// A column of float32 values (one per time sample or unit).
using VectorF = Eigen::VectorXf;
/// A column of float64 values.
using VectorD = Eigen::VectorXd;

/// "T×N" as text, for messages and summaries.
inline std::string shape_string(Eigen::Index rows, Eigen::Index cols) {
  return std::to_string(rows) + "×" + std::to_string(cols);
}

/// Number of entries that are NaN or ±Inf.
template <class Derived>
std::int64_t count_nonfinite(const Eigen::DenseBase<Derived>& m) {
  return static_cast<std::int64_t>((!m.derived().array().isFinite()).count());
}

}  // namespace neurodl
