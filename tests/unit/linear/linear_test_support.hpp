#pragma once
// Helpers shared by the linear-layer unit tests: the reference fixtures written by the scripts in
// tests/reference, a relative error for comparing with them, and a check of error messages.

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "neurodl/core/matrix.hpp"
#include "test_support.hpp"

namespace neurodl::test {

/// Reads tests/fixtures/linear/<name>: blocks of a "key rows cols" line followed by rows·cols
/// numbers in row-major order; lines starting with '#' are comments.
inline std::map<std::string, MatrixD> read_fixture(const std::string& name) {
  std::ifstream in(fixture("linear/" + name));
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::map<std::string, MatrixD> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream head(line);
    std::string key;
    Eigen::Index rows = 0, cols = 0;
    head >> key >> rows >> cols;
    MatrixD m(rows, cols);
    for (Eigen::Index i = 0; i < rows * cols; ++i) in >> m.data()[i];
    std::getline(in, line);  // what is left of the block's last line
    out[key] = m;
  }
  return out;
}

/// max |a − b| / max |b|, after checking that the shapes agree.
inline double rel_err(const MatrixD& a, const MatrixD& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  return (a - b).cwiseAbs().maxCoeff() / std::max(b.cwiseAbs().maxCoeff(), 1e-300);
}

/// Runs f and expects it to throw E with a message containing `fragment`.
template <class E>
void expect_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one containing: " << fragment;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace neurodl::test
