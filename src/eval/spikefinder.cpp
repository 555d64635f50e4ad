#include "neurodl/eval/spikefinder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "neurodl/core/error.hpp"

namespace neurodl::eval {
namespace {

constexpr const char* kComponent = "eval.spikefinder";
constexpr double kNaNd = std::numeric_limits<double>::quiet_NaN();

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// Frames before the trailing NaN padding of column j.
Eigen::Index valid_length(const MatrixF& m, Eigen::Index j) {
  Eigen::Index n = m.rows();
  while (n > 0 && std::isnan(m(n - 1, j))) --n;
  return n;
}

}  // namespace

std::vector<double> bin_by_overlap(const double* x, std::int64_t n, double fs, double bin_hz) {
  check(fs > 0 && std::isfinite(fs) && bin_hz > 0 && std::isfinite(bin_hz), ErrorKind::config,
        {.component = kComponent, .what = "rates must be positive and finite",
         .got = num(fs) + " and " + num(bin_hz), .unit = "Hz"});
  // In units of frames, bin k spans [k·r, (k+1)·r) with r = fs/bin_hz frames per bin.
  const double r = fs / bin_hz;
  const auto n_bins =
      static_cast<std::int64_t>(std::floor(static_cast<double>(n) / r + 1e-9));
  std::vector<double> out(static_cast<std::size_t>(std::max<std::int64_t>(0, n_bins)), 0.0);
  for (std::int64_t k = 0; k < n_bins; ++k) {
    const double lo = static_cast<double>(k) * r, hi = static_cast<double>(k + 1) * r;
    const auto i0 = static_cast<std::int64_t>(std::floor(lo + 1e-9));
    double acc = 0;
    for (std::int64_t i = i0; i < n && static_cast<double>(i) < hi - 1e-9; ++i) {
      const double overlap = std::min(hi, static_cast<double>(i + 1)) -
                             std::max(lo, static_cast<double>(i));
      if (overlap > 0) acc += overlap * x[i];
    }
    out[static_cast<std::size_t>(k)] = acc;
  }
  return out;
}

SpikefinderScore spikefinder_score(const MatrixF& truth, const MatrixF& pred, double fs,
                                   double bin_hz) {
  check(truth.rows() == pred.rows() && truth.cols() == pred.cols(), ErrorKind::shape,
        {.component = kComponent, .what = "truth and prediction shapes differ",
         .expected = shape_string(truth.rows(), truth.cols()),
         .got = shape_string(pred.rows(), pred.cols())});
  const Eigen::Index N = truth.cols();
  SpikefinderScore s;
  s.correlation.resize(N);
  s.error.resize(N);
  s.bias.resize(N);
  s.n_bins.resize(static_cast<std::size_t>(N));
  std::vector<double> a, b;
  double sum_r = 0;
  int n_r = 0;
  for (Eigen::Index j = 0; j < N; ++j) {
    const Eigen::Index n = std::min(valid_length(truth, j), valid_length(pred, j));
    a.resize(static_cast<std::size_t>(n));
    b.resize(static_cast<std::size_t>(n));
    for (Eigen::Index t = 0; t < n; ++t) {
      check(std::isfinite(truth(t, j)) && std::isfinite(pred(t, j)), ErrorKind::config,
            {.component = kComponent, .what = "NaN or Inf before the end of a trace",
             .expected = "finite values (NaN only as trailing padding)",
             .got = "unit " + std::to_string(j) + ", frame " + std::to_string(t)});
      a[t] = truth(t, j);
      b[t] = pred(t, j);
    }
    const auto nt = bin_by_overlap(a.data(), n, fs, bin_hz);
    const auto pt = bin_by_overlap(b.data(), n, fs, bin_hz);
    check(!nt.empty(), ErrorKind::shape,
          {.component = kComponent, .what = "trace shorter than one bin",
           .expected = ">= " + num(fs / bin_hz) + " frames",
           .got = "unit " + std::to_string(j) + ": " + std::to_string(n)});
    const double K = static_cast<double>(nt.size());
    double mn = 0, mp = 0;
    for (std::size_t k = 0; k < nt.size(); ++k) {
      mn += nt[k];
      mp += pt[k];
    }
    const double total_n = mn, total_p = mp;
    mn /= K;
    mp /= K;
    double snp = 0, snn = 0, spp = 0, abs_err = 0;
    for (std::size_t k = 0; k < nt.size(); ++k) {
      snp += (nt[k] - mn) * (pt[k] - mp);
      snn += (nt[k] - mn) * (nt[k] - mn);
      spp += (pt[k] - mp) * (pt[k] - mp);
      abs_err += std::abs(pt[k] - nt[k]);
    }
    s.correlation[j] = snn > 0 && spp > 0 ? std::clamp(snp / std::sqrt(snn * spp), -1.0, 1.0)
                                          : kNaNd;
    s.error[j] = total_n > 0 ? abs_err / total_n : kNaNd;
    s.bias[j] = total_n > 0 ? (total_p - total_n) / total_n : kNaNd;
    s.n_bins[static_cast<std::size_t>(j)] = static_cast<std::int64_t>(nt.size());
    if (!std::isnan(s.correlation[j])) {
      sum_r += s.correlation[j];
      ++n_r;
    }
  }
  s.mean_correlation = n_r > 0 ? sum_r / n_r : kNaNd;
  return s;
}

}  // namespace neurodl::eval
