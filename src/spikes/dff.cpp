#include "neurodl/spikes/dff.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <string>
#include <vector>

#include "neurodl/core/error.hpp"

namespace neurodl::spikes {
namespace {

constexpr const char* kComponent = "spikes.dff";

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void check_rate(double fs) {
  check(fs > 0 && std::isfinite(fs), ErrorKind::config,
        {.component = kComponent, .what = "sample rate must be positive and finite",
         .expected = "> 0", .got = num(fs), .unit = "Hz", .field = "--fs"});
}

/// scipy.ndimage "reflect" boundary (half-sample symmetric: d c b a | a b c d | d c b a).
std::int64_t reflect(std::int64_t i, std::int64_t T) {
  const std::int64_t period = 2 * T;
  i %= period;
  if (i < 0) i += period;
  return i < T ? i : period - 1 - i;
}

/// Running minimum (sign = +1) or maximum (sign = −1) over [i − w/2, i − w/2 + w − 1] with the
/// reflect boundary; monotone deque, O(T).
std::vector<double> running_extreme(const std::vector<double>& x, std::int64_t w, double sign) {
  const auto T = static_cast<std::int64_t>(x.size());
  const std::int64_t off = w / 2;
  std::vector<double> p(static_cast<std::size_t>(T + w - 1));
  for (std::int64_t k = 0; k < T + w - 1; ++k) p[k] = sign * x[reflect(k - off, T)];
  std::vector<double> out(x.size());
  std::deque<std::int64_t> dq;
  for (std::int64_t k = 0; k < T + w - 1; ++k) {
    while (!dq.empty() && p[dq.back()] >= p[k]) dq.pop_back();
    dq.push_back(k);
    if (dq.front() <= k - w) dq.pop_front();
    if (k >= w - 1) out[k - w + 1] = sign * p[dq.front()];
  }
  return out;
}

std::vector<double> gaussian(const std::vector<double>& x, double sd) {
  if (!(sd > 0)) return x;
  const auto T = static_cast<std::int64_t>(x.size());
  const auto r = static_cast<std::int64_t>(4.0 * sd + 0.5);
  std::vector<double> k(static_cast<std::size_t>(2 * r + 1));
  double sum = 0;
  for (std::int64_t j = -r; j <= r; ++j) sum += k[j + r] = std::exp(-0.5 * j * j / (sd * sd));
  for (double& v : k) v /= sum;
  std::vector<double> out(x.size());
  for (std::int64_t i = 0; i < T; ++i) {
    double acc = 0;
    for (std::int64_t j = -r; j <= r; ++j) acc += k[j + r] * x[reflect(i + j, T)];
    out[i] = acc;
  }
  return out;
}

/// numpy.percentile (linear) of a sorted range.
double sorted_percentile(const std::vector<double>& s, double q) {
  const double pos = q / 100.0 * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (pos - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

std::vector<double> running_percentile(const std::vector<double>& x, std::int64_t w, double q) {
  const auto T = static_cast<std::int64_t>(x.size());
  const std::int64_t before = w / 2, after = w - w / 2 - 1;
  std::vector<double> win, out(x.size());
  std::int64_t lo = 0, hi = -1;  // current window [lo, hi]
  for (std::int64_t t = 0; t < T; ++t) {
    const std::int64_t want_lo = std::max<std::int64_t>(0, t - before);
    const std::int64_t want_hi = std::min(T - 1, t + after);
    while (hi < want_hi) {
      ++hi;
      win.insert(std::upper_bound(win.begin(), win.end(), x[hi]), x[hi]);
    }
    while (lo < want_lo) {
      win.erase(std::lower_bound(win.begin(), win.end(), x[lo]));
      ++lo;
    }
    out[t] = sorted_percentile(win, q);
  }
  return out;
}

}  // namespace

std::vector<OptionSpec> option_specs(DffOptions& o) {
  return {
      {.name = "neuropil_coefficient", .help = "α in F − α·F_neu", .target = &o.neuropil_coefficient,
       .min = 0, .max = 10},
      {.name = "baseline", .help = "baseline F0: maximin (Suite2p) or percentile",
       .target = &o.baseline, .choices = {"maximin", "percentile"}},
      {.name = "window_s", .help = "running-baseline window", .unit = "s", .target = &o.window_s,
       .min = 1e-6, .max = 1e7},
      {.name = "sigma_frames", .help = "maximin: Gaussian smoothing s.d.", .unit = "frames",
       .target = &o.sigma_frames, .min = 0, .max = 1e6},
      {.name = "percentile", .help = "percentile baseline: which percentile", .unit = "%",
       .target = &o.percentile, .min = 0, .max = 100},
  };
}

MatrixF running_baseline(const MatrixF& f, double fs, const DffOptions& o) {
  check_rate(fs);
  check(o.baseline == "maximin" || o.baseline == "percentile", ErrorKind::config,
        {.component = kComponent, .what = "unknown baseline", .expected = "maximin or percentile",
         .got = o.baseline, .field = "--dff-baseline"});
  check(o.percentile >= 0 && o.percentile <= 100, ErrorKind::config,
        {.component = kComponent, .what = "percentile out of range", .expected = "0…100",
         .got = num(o.percentile), .field = "--dff-percentile"});
  check(o.window_s > 0 && std::isfinite(o.window_s), ErrorKind::config,
        {.component = kComponent, .what = "window must be positive", .expected = "> 0",
         .got = num(o.window_s), .unit = "s", .field = "--dff-window-s"});
  check(count_nonfinite(f) == 0, ErrorKind::config,
        {.component = kComponent, .what = "fluorescence holds NaN or Inf",
         .got = std::to_string(count_nonfinite(f)) + " values"});
  const Eigen::Index T = f.rows(), N = f.cols();
  const auto w = std::max<std::int64_t>(1, std::llround(o.window_s * fs));
  MatrixF out(T, N);
#pragma omp parallel for schedule(dynamic, 1)
  for (Eigen::Index j = 0; j < N; ++j) {
    std::vector<double> x(static_cast<std::size_t>(T));
    for (Eigen::Index t = 0; t < T; ++t) x[t] = f(t, j);
    std::vector<double> b;
    if (o.baseline == "maximin")
      b = running_extreme(running_extreme(gaussian(x, o.sigma_frames), w, 1.0), w, -1.0);
    else
      b = running_percentile(x, w, o.percentile);
    for (Eigen::Index t = 0; t < T; ++t) out(t, j) = static_cast<float>(b[t]);
  }
  return out;
}

MatrixF delta_f_over_f(const MatrixF& f, const MatrixF& f_neu, double fs, const DffOptions& o) {
  check(f_neu.size() == 0 || (f_neu.rows() == f.rows() && f_neu.cols() == f.cols()),
        ErrorKind::shape,
        {.component = kComponent, .what = "F and neuropil shapes differ",
         .expected = shape_string(f.rows(), f.cols()),
         .got = shape_string(f_neu.rows(), f_neu.cols())});
  check(o.neuropil_coefficient >= 0 && std::isfinite(o.neuropil_coefficient), ErrorKind::config,
        {.component = kComponent, .what = "neuropil coefficient must be ≥ 0",
         .got = num(o.neuropil_coefficient), .field = "--neuropil-coefficient"});
  MatrixF fc = f;
  if (f_neu.size() != 0) fc -= static_cast<float>(o.neuropil_coefficient) * f_neu;
  const MatrixF f0 = running_baseline(fc, fs, o);
  for (Eigen::Index j = 0; j < fc.cols(); ++j)
    for (Eigen::Index t = 0; t < fc.rows(); ++t) {
      check(f0(t, j) > 0, ErrorKind::config,
            {.component = kComponent, .what = "baseline F0 must be positive for ΔF/F",
             .expected = "> 0", .got = num(f0(t, j)),
             .field = "unit " + std::to_string(j) + ", frame " + std::to_string(t)});
      fc(t, j) = (fc(t, j) - f0(t, j)) / f0(t, j);
    }
  return fc;
}

double cascade_noise_level(std::span<const double> dff, double fs) {
  check_rate(fs);
  thread_local std::vector<double> d;  // reused: this runs once per deconvolved unit
  d.clear();
  d.reserve(dff.size());
  for (std::size_t t = 0; t + 1 < dff.size(); ++t) {
    const double v = std::abs(dff[t + 1] - dff[t]);
    if (!std::isnan(v)) d.push_back(v);
  }
  if (d.empty()) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t m = d.size() / 2;
  std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(m), d.end());
  double med = d[m];
  if (d.size() % 2 == 0) med = 0.5 * (med + *std::max_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(m)));
  return 100.0 * med / std::sqrt(fs);
}

Eigen::VectorXd cascade_noise_level(const MatrixF& dff, double fs) {
  Eigen::VectorXd out(dff.cols());
  std::vector<double> x(static_cast<std::size_t>(dff.rows()));
  for (Eigen::Index j = 0; j < dff.cols(); ++j) {
    for (Eigen::Index t = 0; t < dff.rows(); ++t) x[t] = dff(t, j);
    out[j] = cascade_noise_level(x, fs);
  }
  return out;
}

}  // namespace neurodl::spikes
