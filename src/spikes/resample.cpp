#include "neurodl/spikes/resample.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "neurodl/core/error.hpp"

namespace neurodl::spikes {
namespace {

constexpr const char* kComponent = "spikes.resample";

void check_rate(double fs, const char* field) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", fs);
  check(std::isfinite(fs) && fs > 0, ErrorKind::config,
        {.component = kComponent, .what = "frame rate must be positive", .expected = "> 0", .got = buf,
         .unit = "Hz", .field = field});
}

}  // namespace

std::int64_t resampled_length(std::int64_t n, double fs_in, double fs_out) {
  check_rate(fs_in, "fs_in");
  check_rate(fs_out, "fs_out");
  const double v = static_cast<double>(n) * fs_out / fs_in;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(v - 1e-9)));
}

std::vector<double> resample_trace(std::span<const double> y, double fs_in, double fs_out,
                                   bool box) {
  const auto n = static_cast<std::int64_t>(y.size());
  check(n >= 1, ErrorKind::shape, {.component = kComponent, .what = "empty trace"});
  const std::int64_t m = resampled_length(n, fs_in, fs_out);
  if (fs_in == fs_out) return {y.begin(), y.end()};
  std::vector<double> out(static_cast<std::size_t>(m));
  if (fs_out < fs_in && box) {
    // Overlap-weighted mean of the input frames [j/fs_in, (j+1)/fs_in) inside output frame k
    // (a box filter against aliasing); the last output frame may be only partly covered.
    const double end = static_cast<double>(n) / fs_in;
    for (std::int64_t k = 0; k < m; ++k) {
      const double a = static_cast<double>(k) / fs_out;
      const double b = std::min(static_cast<double>(k + 1) / fs_out, end);
      double sum = 0, w = 0;
      for (auto j = std::clamp<std::int64_t>(static_cast<std::int64_t>(a * fs_in) - 1, 0, n - 1);
           j < n && static_cast<double>(j) / fs_in < b; ++j) {
        const double overlap = std::min(b, static_cast<double>(j + 1) / fs_in) -
                               std::max(a, static_cast<double>(j) / fs_in);
        if (overlap > 0) {
          sum += y[static_cast<std::size_t>(j)] * overlap;
          w += overlap;
        }
      }
      out[static_cast<std::size_t>(k)] = w > 0 ? sum / w : y[static_cast<std::size_t>(n - 1)];
    }
  } else {
    // Linear interpolation between input frame centres (i + ½)/fs_in, at the output's.
    for (std::int64_t k = 0; k < m; ++k) {
      const double u = (static_cast<double>(k) + 0.5) / fs_out * fs_in - 0.5;
      if (u <= 0) {
        out[static_cast<std::size_t>(k)] = y[0];
      } else if (u >= static_cast<double>(n - 1)) {
        out[static_cast<std::size_t>(k)] = y[static_cast<std::size_t>(n - 1)];
      } else {
        const auto i = static_cast<std::int64_t>(u);
        const double f = u - static_cast<double>(i);
        out[static_cast<std::size_t>(k)] =
            (1 - f) * y[static_cast<std::size_t>(i)] + f * y[static_cast<std::size_t>(i + 1)];
      }
    }
  }
  return out;
}

std::vector<double> rebin_counts(std::span<const double> counts, double fs_in, double fs_out,
                                 std::int64_t n_out) {
  check_rate(fs_in, "fs_in");
  check_rate(fs_out, "fs_out");
  const auto n = static_cast<std::int64_t>(counts.size());
  std::vector<double> out(static_cast<std::size_t>(std::max<std::int64_t>(n_out, 0)), 0.0);
  if (fs_in == fs_out) {
    std::copy_n(counts.begin(), std::min(n, n_out), out.begin());
    return out;
  }
  // Two pointers over the input frames i and output frames k; each overlap moves the fraction
  // (overlap · fs_in) of input frame i's count into output frame k.
  std::int64_t i = 0, k = 0;
  while (i < n && k < n_out) {
    const double a = std::max(static_cast<double>(i) / fs_in, static_cast<double>(k) / fs_out);
    const double bi = static_cast<double>(i + 1) / fs_in, bk = static_cast<double>(k + 1) / fs_out;
    const double b = std::min(bi, bk);
    if (b > a) out[static_cast<std::size_t>(k)] += counts[static_cast<std::size_t>(i)] * (b - a) * fs_in;
    if (bi <= bk) ++i;
    else ++k;
  }
  return out;
}

std::vector<double> recorded_samples(std::span<const double> y, double fs, double native_fs) {
  check_rate(fs, "fs");
  check_rate(native_fs, "native_fs");
  const auto T = static_cast<std::int64_t>(y.size());
  check(T >= 2 && native_fs <= fs, ErrorKind::config,
        {.component = kComponent, .what = "reading back recorded samples needs ≥ 2 frames and a native rate ≤ fs",
         .got = std::to_string(T) + " frames"});
  const auto m = static_cast<std::int64_t>(std::floor(static_cast<double>(T - 1) * native_fs / fs)) + 1;
  std::vector<double> out(static_cast<std::size_t>(m));
  for (std::int64_t k = 0; k < m; ++k) {
    const double u = std::min(static_cast<double>(k) * fs / native_fs, static_cast<double>(T - 1));
    const auto i = std::min(static_cast<std::int64_t>(u), T - 2);
    const double f = u - static_cast<double>(i);
    out[static_cast<std::size_t>(k)] = (1 - f) * y[static_cast<std::size_t>(i)] + f * y[static_cast<std::size_t>(i + 1)];
  }
  return out;
}

}  // namespace neurodl::spikes
