#include "neurodl/spikes/align.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "neurodl/core/error.hpp"
#include "neurodl/core/matrix.hpp"
#include "neurodl/eval/metrics.hpp"

namespace neurodl::spikes {
namespace {

constexpr const char* kComponent = "spikes.align";

/// Pearson correlation (eval::pearson_r) of x(t − L) with r(t) over the frames t with
/// 0 ≤ t − L < T and 0 ≤ t < T; NaN when either part is constant.
double lagged_correlation(std::span<const double> x, std::span<const double> r, std::int64_t L) {
  const auto T = static_cast<Eigen::Index>(x.size());
  const Eigen::Index n = T - std::abs(static_cast<Eigen::Index>(L));
  const Eigen::Index xs = std::max<Eigen::Index>(0, -L), rs = std::max<Eigen::Index>(0, L);
  const MatrixD a = Eigen::Map<const Eigen::VectorXd>(x.data() + xs, n);
  const MatrixD b = Eigen::Map<const Eigen::VectorXd>(r.data() + rs, n);
  return eval::pearson_r(a, b)(0);
}

}  // namespace

double estimate_delay(std::span<const double> x, std::span<const double> reference, double max_delay_frames,
                      double max_advance_frames) {
  check(x.size() == reference.size(), ErrorKind::shape,
        {.component = kComponent, .what = "the two estimates differ in length",
         .expected = std::to_string(reference.size()), .got = std::to_string(x.size())});
  check(max_delay_frames >= 0 && max_advance_frames >= 0 && std::isfinite(max_delay_frames) &&
            std::isfinite(max_advance_frames),
        ErrorKind::config, {.component = kComponent, .what = "shift bounds must be finite and ≥ 0"});
  for (std::size_t t = 0; t < x.size(); ++t)
    check(std::isfinite(x[t]) && std::isfinite(reference[t]), ErrorKind::config,
          {.component = kComponent, .what = "non-finite value", .got = "frame " + std::to_string(t)});
  if (max_delay_frames == 0 && max_advance_frames == 0) return 0.0;
  const auto hi = static_cast<std::int64_t>(std::ceil(max_delay_frames));
  const auto lo = -static_cast<std::int64_t>(std::ceil(max_advance_frames));
  const auto T = static_cast<std::int64_t>(x.size());
  if (T < 4 * (std::max(hi, -lo) + 2)) return 0.0;
  // Correlations at lags lo − 1 … hi + 1 (the outer two only for the parabola).
  const std::int64_t first = lo - 1;
  std::vector<double> c(static_cast<std::size_t>(hi - lo + 3));
  for (std::int64_t L = lo - 1; L <= hi + 1; ++L) c[static_cast<std::size_t>(L - first)] = lagged_correlation(x, reference, L);
  for (std::int64_t L = lo; L <= hi; ++L)
    if (!std::isfinite(c[static_cast<std::size_t>(L - first)])) return 0.0;  // a constant signal: no evidence
  // The best lag; ties keep the smaller shift.
  std::int64_t best = 0;
  double best_c = -2;
  for (std::int64_t L = lo; L <= hi; ++L) {
    const double v = c[static_cast<std::size_t>(L - first)];
    if (v > best_c || (v == best_c && std::abs(L) < std::abs(best))) {
      best_c = v;
      best = L;
    }
  }
  double d = static_cast<double>(best);
  const double below = c[static_cast<std::size_t>(best - 1 - first)], above = c[static_cast<std::size_t>(best + 1 - first)];
  const double curv = below - 2 * best_c + above;
  if (std::isfinite(below) && std::isfinite(above) && curv < 0) d += std::clamp(0.5 * (below - above) / curv, -0.5, 0.5);
  return std::clamp(d, -max_advance_frames, max_delay_frames);
}

std::vector<double> delay_trace(std::span<const double> x, double d) {
  const auto T = static_cast<std::int64_t>(x.size());
  std::vector<double> out(x.begin(), x.end());
  if (d == 0 || T == 0) return out;
  for (std::int64_t t = 0; t < T; ++t) {
    const double s = std::clamp(static_cast<double>(t) - d, 0.0, static_cast<double>(T - 1));
    const auto i = static_cast<std::int64_t>(std::floor(s));
    const double f = s - static_cast<double>(i);
    const double a = x[static_cast<std::size_t>(i)];
    out[static_cast<std::size_t>(t)] = f > 0 ? a + f * (x[static_cast<std::size_t>(std::min(i + 1, T - 1))] - a) : a;
  }
  return out;
}

}  // namespace neurodl::spikes
