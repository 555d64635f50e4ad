#pragma once
// Private helpers shared by the presets: random-stream ids, the unit-block parallel loop, common
// metadata, and the preset entry points the registry in simulate.cpp maps names to.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/progress.hpp"
#include "neurodl/core/recording.hpp"
#include "neurodl/sim/simulate.hpp"

namespace neurodl::sim::detail {

// One random stream per purpose, and per unit (and per recording) where work runs in parallel:
// stream = purpose << 40 | index. The per-unit streams make results independent of the thread
// count and of the order in which blocks of units are scheduled.
enum class Purpose : std::uint64_t {
  behavior = 1,
  latents = 2,
  structure = 3,  // loadings, communication matrices, per-area parameters
  images = 4,
  presentations = 5,
  unit_params = 6,  // per-unit parameters: index = unit
  unit_counts = 7,  // per-unit spike-count draws: index = unit
  unit_noise = 8,   // per-unit imaging noise: index = recording << 32 | unit
};
inline std::uint64_t stream(Purpose p, std::uint64_t index = 0) {
  return (static_cast<std::uint64_t>(p) << 40) | index;
}

/// softplus(x) = ln(1 + e^x), computed without overflow.
inline double softplus(double x) { return x > 30 ? x : std::log1p(std::exp(x)); }
/// Inverse of softplus for y > 0: ln(e^y − 1).
inline double softplus_inverse(double y) { return y > 30 ? y : std::log(std::expm1(y)); }

constexpr std::int64_t kBlockUnits = 16;  // 16 float columns = one 64-byte cache line per row

/// Runs fn(first_unit, end_unit) over blocks of kBlockUnits units in parallel (OpenMP, dynamic
/// schedule) with a progress bar; exceptions inside the loop are rethrown after it.
template <class Fn>
void for_unit_blocks(std::int64_t n_units, const std::string& label, Fn&& fn) {
  const std::int64_t n_blocks = (n_units + kBlockUnits - 1) / kBlockUnits;
  Progress progress(label, n_blocks);
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t b = 0; b < n_blocks; ++b) {
    try {
      fn(b * kBlockUnits, std::min(n_units, (b + 1) * kBlockUnits));
    } catch (...) {
#pragma omp critical(neurodl_sim_error)
      if (!error) error = std::current_exception();
    }
    progress.advance();
  }
  progress.finish();
  if (error) std::rethrow_exception(error);
}

/// T × B buffer of one block's columns, written time-major then copied into the row-major
/// T × N matrix one contiguous row segment at a time (avoids strided writes of whole columns).
class BlockColumns {
 public:
  BlockColumns(std::int64_t rows, std::int64_t width)
      : rows_(rows), width_(width), v_(static_cast<size_t>(rows * width)) {}
  float& at(std::int64_t t, std::int64_t u) { return v_[static_cast<size_t>(t * width_ + u)]; }
  void copy_to(MatrixF& m, std::int64_t first_col) const {
    for (std::int64_t t = 0; t < rows_; ++t)
      std::memcpy(&m(t, first_col), &v_[static_cast<size_t>(t * width_)],
                  sizeof(float) * static_cast<size_t>(width_));
  }

 private:
  std::int64_t rows_, width_;
  std::vector<float> v_;
};

/// Metadata every preset stores: generator name and version, RNG, preset, seed and every option
/// that the preset used (those not left at their -1 / NaN sentinel after resolution).
void add_common_metadata(Recording& rec, const SimOptions& resolved, const char* description);

/// Text of a number for metadata ("%.17g": round-trips exactly).
std::string number_text(double x);

/// Behaviour sampled at `times_s` (step dt s): running_speed (cm/s), pupil_area (px²) and, when
/// face_components > 0, face_motion_svd (a.u., that many columns), from the stream
/// Purpose::behavior of `seed`. The model is in docs/simulator.md (`spont`, "Behaviour").
std::vector<BehaviorChannel> simulate_behavior(const std::vector<double>& times_s, double dt,
                                               int face_components, std::uint64_t seed);

/// The preset entry points; `o` holds the user's options, sentinels not yet resolved.
std::vector<Recording> simulate_spont(const SimOptions& o);
std::vector<Recording> simulate_images(const SimOptions& o);
std::vector<Recording> simulate_calcium(const SimOptions& o);

}  // namespace neurodl::sim::detail
