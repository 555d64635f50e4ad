#pragma once
// Helpers shared by the unit tests: fixture and real-data paths, scratch folders.

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/filesystem.hpp"

namespace neurodl::test {

/// Committed tiny fixtures (tests/fixtures), made by the scripts in tests/reference.
inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(NEURODL_FIXTURES) / name;
}

/// The real recordings folder (../shared/data, or $NEURODL_DATA); empty when absent.
inline std::filesystem::path shared_data() {
  const char* env = std::getenv("NEURODL_DATA");
  std::filesystem::path p = env ? env : NEURODL_SHARED_DATA;
  return std::filesystem::is_directory(p) ? p : std::filesystem::path{};
}

/// A fresh empty folder under the system temp dir, removed at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("neurodl-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    neurodl::remove_tree(path_.string());
    std::filesystem::create_directories(path_);
  }
  // remove_tree, not std::filesystem::remove_all: see core/filesystem.hpp.
  ~ScratchDir() { neurodl::remove_tree(path_.string()); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// x (n samples) resampled to m > n samples over the same span by zero-padding its DFT, as
/// scipy.signal.resample does (the Nyquist bin of an even n split between ±n/2): nothing above
/// the original Nyquist frequency. Direct sums, O(n² + n·m).
inline std::vector<double> fourier_resample(const std::vector<double>& x, std::size_t m) {
  const std::size_t n = x.size(), h = n / 2;
  std::vector<double> re(h + 1, 0.0), im(h + 1, 0.0);
  for (std::size_t k = 0; k <= h; ++k)
    for (std::size_t t = 0; t < n; ++t) {
      const double a = 2 * M_PI * static_cast<double>(k * t % n) / static_cast<double>(n);
      re[k] += x[t] * std::cos(a);
      im[k] -= x[t] * std::sin(a);
    }
  std::vector<double> y(m);
  for (std::size_t j = 0; j < m; ++j) {
    double v = re[0];
    for (std::size_t k = 1; k <= h; ++k) {
      const double a = 2 * M_PI * static_cast<double>(k * j % m) / static_cast<double>(m);
      const double w = (n % 2 == 0 && k == h) ? 1.0 : 2.0;  // the split Nyquist bin: its real part
      v += w * (re[k] * std::cos(a) - im[k] * std::sin(a));
    }
    y[j] = v / static_cast<double>(n);
  }
  return y;
}

/// Runs `fn` and expects an exception of type E whose message names `file` and contains
/// `needle`; any other outcome is a test failure.
template <class E, class Fn>
void expect_error_naming(Fn&& fn, const std::filesystem::path& file, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no exception for " << file;
  } catch (const E& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

}  // namespace neurodl::test

/// Skips the current test with a message when the real data folder is missing.
#define NEURODL_REQUIRE_SHARED_DATA(sub)                                                    \
  do {                                                                                      \
    if (::neurodl::test::shared_data().empty() ||                                           \
        !std::filesystem::exists(::neurodl::test::shared_data() / (sub)))                   \
      GTEST_SKIP() << "real data not found: ../shared/data/" << (sub)                       \
                   << " (set NEURODL_DATA to the folder to run this test)";                 \
  } while (0)
