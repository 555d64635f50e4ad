#include "neurodl/spikes/oasis.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <exception>
#include <limits>
#include <numbers>
#include <string>
#include <vector>


#include "neurodl/core/error.hpp"
#include "neurodl/core/progress.hpp"
#include "neurodl/spikes/dff.hpp"

namespace neurodl::spikes {
namespace {

constexpr const char* kComponent = "spikes.oasis";
// Magnitudes below this are flushed to zero so that long silent pools never reach denormal
// floating point (which is two orders of magnitude slower on x86).
constexpr double kTiny = 1e-200;
// Most autocovariance lags computed for the decay estimate (longer windows take every m-th lag).
constexpr double kMaxLags = 32;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

[[noreturn]] void config_error(const std::string& what, const std::string& expected,
                               const std::string& got, const std::string& unit = {},
                               const std::string& field = {}) {
  raise(ErrorKind::config, {.component = kComponent, .what = what, .expected = expected,
                            .got = got, .unit = unit, .field = field});
}

// ---- the pool-adjacent-violators pass ---------------------------------------------------------
//
// A pool is a run of frames t..t+l−1 with a spike only at its first frame. Under the AR model
// the calcium inside it is fixed by its first value v and the calcium e = c_{t−1} entering it:
//   c_{t+j} = h_j v + γ₂ h_{j−1} e,
// with h the impulse response (h_{−1} = 0, h_0 = 1, h_j = γ₁h_{j−1} + γ₂h_{j−2}; γ^j for AR(1)).
// Least squares gives v = (Σ_j h_j y'_{t+j} − γ₂ e Σ_j h_j h_{j−1}) / Σ_j h_j². A pool violates
// the constraint s ≥ s_min when v < (the previous pool continued one frame) + s_min; it is then
// merged into its predecessor (Friedrich et al. 2017, Algorithm 1). Two pools merge in O(1)
// because the impulse response is a linear recursion of order 2: with M the companion matrix,
// h_{m+j} = h_m h_j + γ₂ h_{m−1} h_{j−1}, so the sums Y0 = Σ h_j y', Y1 = Σ h_{j−1} y' of the later
// pool, shifted by the length m of the earlier one, are h_m Y0 + γ₂h_{m−1} Y1 and
// h_{m−1} Y0 + γ₂h_{m−2} Y1. Every frame is pushed once and merged at most once: O(T).

struct Pool {
  double y0;  // Σ_j h_j y'_{t+j}
  double y1;  // Σ_j h_{j−1} y'_{t+j}
  double v;   // first calcium value of the pool
  double e;   // calcium just before the pool, c_{t−1}
  std::int64_t t;
  std::int64_t l;
};

struct Workspace {
  std::vector<Pool> pools;
  std::vector<double> h;   // h[k+1] = h_k, k = −1…T
  std::vector<double> hh;  // hh[l] = Σ_{j<l} h_j²
  std::vector<double> hx;  // hx[l] = Σ_{j<l} h_j h_{j−1}
  std::vector<double> a, u, c, s, phi, psi, spare;
};

Workspace& workspace() {
  thread_local Workspace ws;
  return ws;
}

void check_roots(double g1, double g2) {
  if (g2 == 0.0) {
    if (!(g1 >= 0.0 && g1 < 1.0))
      config_error("AR(1) coefficient γ out of range", "[0, 1)", num(g1), "per frame");
    return;
  }
  const double disc = g1 * g1 + 4.0 * g2;
  const double d = disc >= 0 ? 0.5 * (g1 + std::sqrt(disc)) : kNaN;
  const double r = disc >= 0 ? 0.5 * (g1 - std::sqrt(disc)) : kNaN;
  if (!(d < 1.0 && r >= 0.0))
    config_error("AR(2) roots must be real and in [0, 1)", "0 ≤ r ≤ d < 1",
                 "γ₁ = " + num(g1) + ", γ₂ = " + num(g2));
}

/// AR(1) pass: h_j = γ^j, so a pool keeps γ^l and Σγ^{2j} and no tables are needed.
/// Returns the pool count; pools hold the final partition (y0 = Σγ^j y', v clipped ≥ 0 first).
std::size_t pass_ar1(const double* y, std::int64_t T, double g, double s_min,
                     std::vector<Pool>& P) {
  // Pool fields reused for AR(1): y0 = Σγ^j y', y1 = Σγ^{2j} (weight), e = γ^l.
  P.resize(static_cast<std::size_t>(T));
  std::size_t n = 0;
  for (std::int64_t t = 0; t < T; ++t) {
    P[n] = {y[t], 1.0, y[t], g, t, 1};
    if (n == 0 && P[0].v < 0) P[0].v = 0;
    ++n;
    while (n > 1 && P[n - 1].v < P[n - 2].e * P[n - 2].v + s_min) {
      Pool& A = P[n - 2];
      const Pool& B = P[n - 1];
      A.y0 += A.e * B.y0;
      A.y1 += A.e * A.e * B.y1;
      A.e *= B.e;
      if (A.e < kTiny) A.e = 0;
      A.l += B.l;
      A.v = A.y0 / A.y1;
      --n;
      if (n == 1 && A.v < 0) A.v = 0;  // c_0 = s_0 ≥ 0 binds the first pool only
    }
  }
  return n;
}

void ar1_output(const std::vector<Pool>& P, std::size_t n, double g, double* c, double* s) {
  double prev_end = 0;  // previous pool continued to this pool's first frame
  for (std::size_t i = 0; i < n; ++i) {
    const Pool& p = P[i];
    double x = p.v;
    s[p.t] = i == 0 ? p.v : p.v - prev_end;
    for (std::int64_t j = 0; j < p.l; ++j) {
      c[p.t + j] = x;
      if (j > 0) s[p.t + j] = 0;
      x *= g;
      if (x < kTiny) x = 0;
    }
    prev_end = x;
  }
}

void make_tables(Workspace& w, std::int64_t T, double g1, double g2) {
  const auto n = static_cast<std::size_t>(T) + 2;
  w.h.assign(n, 0.0);
  w.hh.assign(n, 0.0);
  w.hx.assign(n, 0.0);
  w.h[0] = 0;  // h_{−1}
  w.h[1] = 1;  // h_0
  for (std::size_t k = 2; k < n; ++k) {
    double v = g1 * w.h[k - 1] + g2 * (k >= 2 ? w.h[k - 2] : 0.0);
    if (std::abs(v) < kTiny) v = 0;
    w.h[k] = v;
  }
  for (std::size_t l = 1; l < n; ++l) {
    w.hh[l] = w.hh[l - 1] + w.h[l] * w.h[l];          // + h_{l−1}²
    w.hx[l] = w.hx[l - 1] + w.h[l] * w.h[l - 1];      // + h_{l−1} h_{l−2}
  }
}

/// General (AR(2)) pass with the tables of make_tables.
std::size_t pass_ar2(const double* y, std::int64_t T, double g2, double s_min, Workspace& w) {
  auto& P = w.pools;
  P.resize(static_cast<std::size_t>(T));
  const double* h = w.h.data() + 1;  // h[k] = h_k for k ≥ −1
  auto value = [&](const Pool& p, bool first) {
    double v = (p.y0 - g2 * p.e * w.hx[p.l]) / w.hh[p.l];
    return first && v < 0 ? 0.0 : v;
  };
  auto continued = [&](const Pool& p, std::int64_t k) {  // c at frame p.t + k, k ≥ 0
    return h[k] * p.v + g2 * h[k - 1] * p.e;
  };
  std::size_t n = 0;
  for (std::int64_t t = 0; t < T; ++t) {
    const double e = n == 0 ? 0.0 : continued(P[n - 1], P[n - 1].l - 1);
    P[n] = {y[t], 0.0, 0.0, e, t, 1};
    P[n].v = value(P[n], n == 0);
    ++n;
    while (n > 1 && P[n - 1].v < continued(P[n - 2], P[n - 2].l) + s_min) {
      Pool& A = P[n - 2];
      const Pool& B = P[n - 1];
      const std::int64_t m = A.l;
      A.y0 += h[m] * B.y0 + g2 * h[m - 1] * B.y1;
      A.y1 += h[m - 1] * B.y0 + g2 * h[m - 2] * B.y1;
      A.l += B.l;
      --n;
      A.v = value(A, n == 1);
    }
  }
  return n;
}

void ar2_output(const Workspace& w, std::size_t n, double g2, double* c, double* s) {
  const double* h = w.h.data() + 1;
  double pred = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Pool& p = w.pools[i];
    s[p.t] = p.v - pred;
    for (std::int64_t j = 0; j < p.l; ++j) {
      c[p.t + j] = h[j] * p.v + g2 * h[j - 1] * p.e;
      if (j > 0) s[p.t + j] = 0;
    }
    pred = h[p.l] * p.v + g2 * h[p.l - 1] * p.e;
  }
}

/// Runs the pass on y' and writes c and s; returns the pool count (partition left in ws.pools).
std::size_t solve(const double* y, std::int64_t T, double g1, double g2, double s_min, double* c,
                  double* s, Workspace& w) {
  if (g2 == 0.0) {
    const std::size_t n = pass_ar1(y, T, g1, s_min, w.pools);
    ar1_output(w.pools, n, g1, c, s);
    return n;
  }
  make_tables(w, T, g1, g2);
  const std::size_t n = pass_ar2(y, T, g2, s_min, w);
  ar2_output(w, n, g2, c, s);
  return n;
}

/// ∂c/∂y' applied to u with the partition held fixed: the calcium the same pools would fit to u
/// (the clipped first pool stays at 0). Linear in u; O(T).
void refit(const std::vector<Pool>& P, std::size_t n, bool first_clipped, const double* u,
           double g1, double g2, double* out) {
  double e = 0;  // c_{t−1} at the pool start
  for (std::size_t i = 0; i < n; ++i) {
    const Pool& p = P[i];
    double u0 = 0, sxx = 0, sxp = 0;
    double hm1 = 0, h0 = 1;
    for (std::int64_t j = 0; j < p.l; ++j) {
      u0 += h0 * u[p.t + j];
      sxx += h0 * h0;
      sxp += h0 * hm1;
      const double hn = g1 * h0 + g2 * hm1;
      hm1 = h0;
      h0 = std::abs(hn) < kTiny ? 0 : hn;
    }
    const double v = (i == 0 && first_clipped) ? 0.0 : (u0 - g2 * e * sxp) / sxx;
    hm1 = 0;
    h0 = 1;
    for (std::int64_t j = 0; j < p.l; ++j) {
      out[p.t + j] = h0 * v + g2 * hm1 * e;
      const double hn = g1 * h0 + g2 * hm1;
      hm1 = h0;
      h0 = std::abs(hn) < kTiny ? 0 : hn;
    }
    e = out[p.t + p.l - 1];
  }
}

// ---- spectral noise estimate ------------------------------------------------------------------

/// In-place iterative radix-2 FFT of size N = 2^k.
void fft(std::vector<std::complex<double>>& x) {
  const std::size_t N = x.size();
  for (std::size_t i = 1, j = 0; i < N; ++i) {
    std::size_t bit = N >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(x[i], x[j]);
  }
  for (std::size_t len = 2; len <= N; len <<= 1) {
    const double ang = -2.0 * std::numbers::pi / static_cast<double>(len);
    const std::complex<double> wl(std::cos(ang), std::sin(ang));
    for (std::size_t i = 0; i < N; i += len) {
      std::complex<double> wk(1, 0);
      for (std::size_t k = 0; k < len / 2; ++k) {
        const auto a = x[i + k], b = x[i + k + len / 2] * wk;
        x[i + k] = a + b;
        x[i + k + len / 2] = a - b;
        wk *= wl;
      }
    }
  }
}

double percentile(std::vector<double> v, double q) {
  // numpy's default (linear interpolation between closest ranks).
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (pos - static_cast<double>(lo)) * (b - a);
}

/// Peak of the impulse response (ΔF/F per unit of s): 1 for AR(1).
double kernel_peak(double g1, double g2) {
  double hm1 = 0, h0 = 1, peak = 1;
  for (int j = 0; j < 100000 && h0 >= peak * 0.5; ++j) {
    const double hn = g1 * h0 + g2 * hm1;
    hm1 = h0;
    h0 = hn;
    peak = std::max(peak, h0);
  }
  return peak;
}

}  // namespace

std::vector<OptionSpec> option_specs(OasisOptions& o) {
  return {
      {.name = "sample_rate_hz", .help = "frame rate of the traces", .unit = "Hz",
       .target = &o.sample_rate_hz, .min = 1e-3, .max = 1e6, .flag = "--fs"},
      {.name = "tau_decay_s", .help = "decay time constant (default: estimated per trace)",
       .unit = "s", .target = &o.tau_decay_s, .min = 1e-4, .max = 1e4},
      {.name = "tau_rise_s", .help = "rise time constant, oasis-ar2 (default: estimated)",
       .unit = "s", .target = &o.tau_rise_s, .min = 1e-5, .max = 1e4},
      {.name = "penalty", .help = "sparsity penalty: l1 (λ Σ s) or l0 (minimum spike size)",
       .target = &o.penalty, .choices = {"l1", "l0"}},
      {.name = "lambda", .help = "L1 weight (default: from the noise constraint)",
       .unit = "ΔF/F", .target = &o.lambda, .min = 0, .max = 1e9},
      {.name = "s_min", .help = "l0: minimum spike size (default: from the noise constraint)",
       .unit = "ΔF/F", .target = &o.s_min, .min = 0, .max = 1e9},
      {.name = "baseline", .help = "ΔF/F baseline (default: fitted jointly)", .unit = "ΔF/F",
       .target = &o.baseline},
      {.name = "noise_sd", .help = "noise s.d. per frame (default: PSD above fs/4)",
       .unit = "ΔF/F", .target = &o.noise_sd, .min = 0, .max = 1e9},
      {.name = "spike_amplitude",
       .help = "peak ΔF/F of one spike, calibrates the output to spikes (default: estimated)",
       .unit = "ΔF/F", .target = &o.spike_amplitude, .min = 1e-9, .max = 1e9},
      {.name = "smoothing_s",
       .help = "Gaussian s.d. smoothing the output (expected spikes per frame; 0: none)",
       .unit = "s", .target = &o.smoothing_s, .min = 0, .max = 1e4},
      {.name = "decay_window_s",
       .help = "span of the autocovariance lags that estimate the time constants",
       .unit = "s", .target = &o.decay_window_s, .min = 1e-3, .max = 1e3},
      {.name = "decay_shrinkage_hz",
       .help = "rate added to 1/τ of each estimated AR root (bias correction)",
       .unit = "1/s", .target = &o.decay_shrinkage_hz, .min = 0, .max = 1e3},
  };
}

void oasis(std::span<const double> y, double g1, double g2, double lambda, double s_min,
           std::span<double> c, std::span<double> s) {
  const auto T = static_cast<std::int64_t>(y.size());
  check(T >= 1 && c.size() == y.size() && s.size() == y.size(), ErrorKind::shape,
        {.component = kComponent, .what = "trace and outputs must have equal, nonzero length",
         .got = std::to_string(y.size())});
  check_roots(g1, g2);
  check(lambda >= 0 && s_min >= 0, ErrorKind::config,
        {.component = kComponent, .what = "λ and s_min must be ≥ 0",
         .got = num(lambda) + ", " + num(s_min)});
  Workspace& w = workspace();
  // λ Σ s_t = λ Σ_t a_t c_t (sum by parts of s = Gc), so the penalty shifts y by λa.
  w.u.assign(y.begin(), y.end());
  for (std::int64_t t = 0; t < T; ++t) {
    const double a = t == T - 1 ? 1.0 : (t == T - 2 ? 1.0 - g1 : 1.0 - g1 - g2);
    w.u[t] -= lambda * a;
  }
  solve(w.u.data(), T, g1, g2, s_min, c.data(), s.data(), w);
}

double estimate_noise_sd(std::span<const double> y) {
  const std::size_t T = y.size();
  check(T >= 8, ErrorKind::config,
        {.component = kComponent, .what = "trace too short to estimate the noise",
         .expected = ">= 8 frames", .got = std::to_string(T)});
  // Welch's method as scipy.signal.welch defaults: periodic Hann window, nperseg = min(256, T),
  // 50 % overlap, constant detrend per segment, one-sided density. For white noise of variance
  // σ² the one-sided density at fs = 1 is 2σ², hence σ² = mean(P/2) over the band.
  const std::size_t N = std::min<std::size_t>(256, T);
  const std::size_t step = N / 2;
  std::vector<double> win(N);
  double wss = 0;
  for (std::size_t i = 0; i < N; ++i) {
    win[i] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) /
                                  static_cast<double>(N));
    wss += win[i] * win[i];
  }
  // Band (fs/4, fs/2), both ends excluded: bins k with N < 4k and 2k < N.
  const std::size_t k_first = N / 4 + 1;
  const bool pow2 = (N & (N - 1)) == 0;
  std::vector<std::complex<double>> buf(N);
  double acc = 0;
  std::size_t segments = 0;
  for (std::size_t start = 0; start + N <= T; start += step) {
    double mean = 0;
    for (std::size_t i = 0; i < N; ++i) mean += y[start + i];
    mean /= static_cast<double>(N);
    for (std::size_t i = 0; i < N; ++i) buf[i] = (y[start + i] - mean) * win[i];
    double band = 0;
    if (pow2) {
      fft(buf);
      for (std::size_t k = k_first; 2 * k < N; ++k) band += std::norm(buf[k]);
    } else {
      for (std::size_t k = k_first; 2 * k < N; ++k) {
        std::complex<double> X = 0;
        for (std::size_t i = 0; i < N; ++i)
          X += buf[i] * std::polar(1.0, -2.0 * std::numbers::pi * static_cast<double>(k * i) /
                                            static_cast<double>(N));
        band += std::norm(X);
      }
    }
    acc += band;
    ++segments;
  }
  std::size_t bins = 0;
  for (std::size_t k = k_first; 2 * k < N; ++k) ++bins;
  if (bins == 0 || segments == 0) return 0.0;
  // P_k = 2|X_k|²/Σw²; σ² = mean(P_k)/2 = mean |X_k|²/Σw².
  return std::sqrt(acc / (static_cast<double>(segments * bins) * wss));
}

std::vector<double> estimate_ar(std::span<const double> y, std::int64_t order, double noise_sd,
                                std::int64_t lags, double fudge_factor, std::int64_t stride) {
  check(order == 1 || order == 2, ErrorKind::config,
        {.component = kComponent, .what = "AR order must be 1 or 2", .got = std::to_string(order)});
  check(stride >= 1 && lags >= 1, ErrorKind::config,
        {.component = kComponent, .what = "lags and lag stride must be ≥ 1",
         .got = std::to_string(lags) + ", " + std::to_string(stride)});
  const std::int64_t L = lags + order;
  const auto T = static_cast<std::int64_t>(y.size());
  check(T > L * stride + 1, ErrorKind::config,
        {.component = kComponent, .what = "trace too short to estimate the decay",
         .expected = "> " + std::to_string(L * stride + 1) + " frames", .got = std::to_string(T)});
  double mean = 0;
  for (double v : y) mean += v;
  mean /= static_cast<double>(T);
  // Biased sample autocovariance xc[k] = (1/T) Σ_t (y_t − ȳ)(y_{t+km} − ȳ), k = 0…L, m = stride.
  // The autocovariance of AR(p) calcium is a sum of d^|k| and r^|k| terms (k ≥ 1), so every m-th
  // lag follows an AR(p) recursion with roots d^m, r^m: Yule–Walker on that subsequence gives
  // them, and their m-th roots are the per-frame roots. Cost O(T·L).
  std::vector<double> xc(static_cast<std::size_t>(L) + 1, 0.0);
  for (std::int64_t k = 0; k <= L; ++k) {
    const std::int64_t lag = k * stride;
    double acc = 0;
    for (std::int64_t t = 0; t + lag < T; ++t) acc += (y[t] - mean) * (y[t + lag] - mean);
    xc[k] = acc / static_cast<double>(T);
  }
  // For y = b + c + ε with c AR(p), xc_c[k] = Σ_i γ_i xc_c[k−i] (k ≥ 1) and xc_c = xc − σ²δ_k.
  // Least squares over k = 1…L: rows A[k−1][i] = xc[|k−1−i|] − σ²δ_{k−1,i}, rhs xc[k].
  const double s2 = noise_sd * noise_sd;
  double AtA[2][2] = {{0, 0}, {0, 0}}, Atb[2] = {0, 0};
  for (std::int64_t k = 1; k <= L; ++k) {
    double row[2];
    for (std::int64_t i = 0; i < order; ++i) {
      const std::int64_t lag = std::abs(k - 1 - i);
      row[i] = xc[lag] - (lag == 0 ? s2 : 0.0);
    }
    for (std::int64_t i = 0; i < order; ++i) {
      Atb[i] += row[i] * xc[k];
      for (std::int64_t j = 0; j < order; ++j) AtA[i][j] += row[i] * row[j];
    }
  }
  constexpr double kMaxRoot = 0.999;
  const double inv_m = 1.0 / static_cast<double>(stride);
  auto clamp_root = [&](double r) {
    return std::pow(std::clamp(r, 0.0, std::pow(kMaxRoot, stride)), inv_m) * fudge_factor;
  };
  if (order == 1) {
    const double g = AtA[0][0] > 0 ? Atb[0] / AtA[0][0] : 0.0;
    return {clamp_root(std::isfinite(g) ? g : 1.0)};
  }
  const double det = AtA[0][0] * AtA[1][1] - AtA[0][1] * AtA[1][0];
  double g1 = 0, g2 = 0;
  if (std::abs(det) > 0) {
    g1 = (Atb[0] * AtA[1][1] - AtA[0][1] * Atb[1]) / det;
    g2 = (AtA[0][0] * Atb[1] - AtA[1][0] * Atb[0]) / det;
  }
  // Roots of z² − γ₁z − γ₂; complex pairs are replaced by their real part (a double root).
  const double disc = g1 * g1 + 4 * g2;
  double d = 0.5 * g1, r = 0.5 * g1;
  if (disc >= 0) {
    d = 0.5 * (g1 + std::sqrt(disc));
    r = 0.5 * (g1 - std::sqrt(disc));
  }
  if (!std::isfinite(d) || !std::isfinite(r)) d = r = 0;
  d = clamp_root(d);
  r = clamp_root(r);
  // Keep the two roots distinct so that τ_r < τ_d stays defined.
  if (r >= d) r = d * 0.999;
  return {d + r, -d * r};
}

void check_options(const OasisOptions& o) {
  const double fs = o.sample_rate_hz;
  if (!(fs > 0) || !std::isfinite(fs))
    config_error("sample rate must be positive and finite", "> 0", num(fs), "Hz", "--fs");
  if (o.ar_order != 1 && o.ar_order != 2)
    config_error("AR order must be 1 or 2", "1 or 2", std::to_string(o.ar_order));
  if (o.penalty != "l1" && o.penalty != "l0")
    config_error("unknown penalty", "l1 or l0", o.penalty, {}, "--penalty");
  if (!std::isnan(o.tau_decay_s) && !(o.tau_decay_s > 0))
    config_error("decay time constant must be positive", "> 0", num(o.tau_decay_s), "s",
                 "--tau-decay-s");
  if (o.ar_order == 2 && !std::isnan(o.tau_decay_s)) {
    if (std::isnan(o.tau_rise_s))
      config_error("oasis-ar2 with --tau-decay-s needs --tau-rise-s", "both", "tau_decay_s only");
    if (!(o.tau_rise_s > 0 && o.tau_rise_s < o.tau_decay_s))
      config_error("rise must be faster than decay", "0 < tau_rise_s < tau_decay_s",
                   num(o.tau_rise_s) + " vs " + num(o.tau_decay_s), "s");
  }
  auto nonneg = [](double v, const char* flag) {
    if (!std::isnan(v) && !(v >= 0 && std::isfinite(v)))
      config_error("option must be ≥ 0 and finite", ">= 0", num(v), "ΔF/F", flag);
  };
  nonneg(o.lambda, "--lambda");
  nonneg(o.s_min, "--s-min");
  nonneg(o.noise_sd, "--noise-sd");
  if (!std::isnan(o.spike_amplitude) && !(o.spike_amplitude > 0 && std::isfinite(o.spike_amplitude)))
    config_error("spike amplitude must be positive", "> 0", num(o.spike_amplitude), "ΔF/F",
                 "--spike-amplitude");
  if (!std::isnan(o.baseline) && !std::isfinite(o.baseline))
    config_error("baseline must be finite", "finite", num(o.baseline), "ΔF/F", "--baseline");
  if (!(o.smoothing_s >= 0 && std::isfinite(o.smoothing_s)))
    config_error("smoothing must be ≥ 0", ">= 0", num(o.smoothing_s), "s", "--smoothing-s");
  if (!(o.decay_window_s > 0 && std::isfinite(o.decay_window_s)))
    config_error("autocovariance window must be positive", "> 0", num(o.decay_window_s), "s",
                 "--decay-window-s");
  if (!(o.decay_shrinkage_hz >= 0 && std::isfinite(o.decay_shrinkage_hz)))
    config_error("decay shrinkage must be ≥ 0", ">= 0", num(o.decay_shrinkage_hz), "1/s",
                 "--decay-shrinkage-hz");
}

namespace {

/// Gaussian smoothing in place (normalised kernel truncated at 4 s.d., reflected at the ends, so
/// Σx is unchanged). sd in frames; O(T·sd).
void gaussian_smooth(std::span<double> x, double sd, std::vector<double>& tmp) {
  const auto T = static_cast<std::int64_t>(x.size());
  if (!(sd > 0) || T == 0) return;
  const auto r = std::max<std::int64_t>(1, static_cast<std::int64_t>(4.0 * sd + 0.5));
  std::vector<double> k(static_cast<std::size_t>(2 * r + 1));
  double ks = 0;
  for (std::int64_t j = -r; j <= r; ++j)
    ks += k[static_cast<std::size_t>(j + r)] = std::exp(-0.5 * static_cast<double>(j * j) / (sd * sd));
  for (auto& v : k) v /= ks;
  tmp.assign(x.begin(), x.end());
  std::fill(x.begin(), x.end(), 0.0);
  for (std::int64_t t = 0; t < T; ++t) {
    const double v = tmp[static_cast<std::size_t>(t)];
    if (v == 0) continue;
    for (std::int64_t j = -r; j <= r; ++j) {
      std::int64_t i = t + j;
      // Reflection about the edges (scipy's "reflect"); repeated for kernels longer than T.
      while (i < 0 || i >= T) i = i < 0 ? -i - 1 : 2 * T - i - 1;
      x[static_cast<std::size_t>(i)] += v * k[static_cast<std::size_t>(j + r)];
    }
  }
}

}  // namespace

void smooth_spikes(std::span<double> spikes, double sample_rate_hz, double smoothing_s) {
  check(sample_rate_hz > 0 && std::isfinite(sample_rate_hz) && smoothing_s >= 0 &&
            std::isfinite(smoothing_s),
        ErrorKind::config,
        {.component = kComponent, .what = "smoothing needs a positive rate and a width ≥ 0",
         .got = num(sample_rate_hz) + " Hz, " + num(smoothing_s) + " s"});
  std::vector<double> tmp;
  gaussian_smooth(spikes, smoothing_s * sample_rate_hz, tmp);
}

UnitFit deconvolve_trace(std::span<const double> y, const OasisOptions& o,
                         std::span<double> spikes) {
  check_options(o);
  const auto T = static_cast<std::int64_t>(y.size());
  const double fs = o.sample_rate_hz;
  check(T >= 16, ErrorKind::shape,
        {.component = kComponent, .what = "trace too short", .expected = ">= 16 frames",
         .got = std::to_string(T)});
  check(spikes.size() == y.size(), ErrorKind::shape,
        {.component = kComponent, .what = "output length differs from the trace",
         .expected = std::to_string(T), .got = std::to_string(spikes.size())});
  for (std::int64_t t = 0; t < T; ++t)
    if (!std::isfinite(y[t]))
      config_error("trace holds NaN or Inf", "finite ΔF/F", "frame " + std::to_string(t));

  UnitFit fit;
  fit.n_frames = T;
  fit.noise_level = cascade_noise_level(y, fs);
  const double sigma = std::isnan(o.noise_sd) ? estimate_noise_sd(y) : o.noise_sd;
  fit.noise_sd = sigma;

  // AR coefficients: from the given time constants, else estimated.
  double g1 = 0, g2 = 0;
  const bool tau_given = !std::isnan(o.tau_decay_s);
  if (tau_given) {
    const double d = std::exp(-1.0 / (o.tau_decay_s * fs));
    if (o.ar_order == 1) {
      g1 = d;
    } else {
      const double r = std::exp(-1.0 / (o.tau_rise_s * fs));
      g1 = d + r;
      g2 = -d * r;
    }
  } else {
    // Yule–Walker over the lags spanning decay_window_s (at most kMaxLags of them, every
    // stride-th lag), then the shrinkage expressed as a rate: 1/τ' = 1/τ + κ for each root, so
    // that it means the same at every frame rate (a per-frame factor f adds −fs·ln f instead).
    // The window is capped at half the trace so that every lag has T/2 products or more.
    const double window_frames =
        std::clamp(o.decay_window_s * fs, 1.0, 0.5 * static_cast<double>(T - 2));
    const auto stride = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::ceil(window_frames / kMaxLags)));
    const auto lags = std::max<std::int64_t>(
        1, std::llround(window_frames / static_cast<double>(stride)) - o.ar_order);
    const auto g = estimate_ar(y, o.ar_order, sigma, lags, 1.0, stride);
    const double shrink = std::exp(-o.decay_shrinkage_hz / fs);
    const double disc = std::sqrt(std::max(0.0, g[0] * g[0] + 4 * (o.ar_order == 2 ? g[1] : 0.0)));
    const double d = 0.5 * (g[0] + disc) * shrink;
    const double r = o.ar_order == 2 ? 0.5 * (g[0] - disc) * shrink : 0.0;
    g1 = d + r;
    g2 = -d * r;
  }
  check_roots(g1, g2);
  fit.gamma1 = g1;
  fit.gamma2 = g2;
  if (g2 == 0.0) {
    fit.tau_decay_s = g1 > 0 ? -1.0 / (fs * std::log(g1)) : 0.0;
  } else {
    const double disc = std::sqrt(std::max(0.0, g1 * g1 + 4 * g2));
    const double d = 0.5 * (g1 + disc), r = 0.5 * (g1 - disc);
    fit.tau_decay_s = d > 0 ? -1.0 / (fs * std::log(d)) : 0.0;
    fit.tau_rise_s = r > 0 ? -1.0 / (fs * std::log(r)) : 0.0;
  }

  Workspace& w = workspace();
  const auto Tu = static_cast<std::size_t>(T);
  const bool fit_b = std::isnan(o.baseline);
  const bool l0 = o.penalty == "l0";
  // With L0 the L1 stage below only provides the baseline; λ is then set to 0.
  const bool fit_lambda = std::isnan(o.lambda) || l0;
  w.u.resize(Tu);
  w.c.resize(Tu);
  w.s.resize(Tu);
  // a_t: the weight of c_t in Σ s_t (sum by parts of s = Gc), needed by the λ/b search.
  const double a_mid = 1.0 - g1 - g2, a_last2 = 1.0 - g1;
  if (fit_lambda || fit_b) {
    w.a.assign(Tu, a_mid);
    w.a[Tu - 1] = 1.0;
    w.a[Tu - 2] = a_last2;
    w.phi.resize(Tu);
    w.psi.resize(Tu);
    w.spare.assign(Tu, 1.0);
  }
  double b = fit_b ? percentile(std::vector<double>(y.begin(), y.end()), 15.0) : o.baseline;
  double lambda = fit_lambda ? 0.0 : o.lambda;
  const double target = sigma * sigma * static_cast<double>(T);

  // Noise-constrained solution (Friedrich et al. 2017, "Hyperparameter optimization"): with
  // the partition into pools held fixed, c is linear in (λ, b), so the residual
  //   r(Δλ, Δb) = r + Δλ φ − Δb (1 − ψ),  φ = ∂c/∂(−λ) = refit(a), ψ = refit(1),
  // is linear and ‖r‖² quadratic. Each iteration picks Δb so that Σ r = 0 (the optimality
  // condition for b) and Δλ ≥ −λ so that ‖r‖² = σ²T, then re-solves; it stops when the
  // partition no longer moves the residual. Usually 3–8 passes.
  auto run = [&](double lam, double bb, double smin) {
    const double shift = bb + lam * a_mid;
    for (std::int64_t t = 0; t < T - 2; ++t) w.u[t] = y[t] - shift;
    w.u[Tu - 2] = y[T - 2] - bb - lam * a_last2;
    w.u[Tu - 1] = y[T - 1] - bb - lam;
    return solve(w.u.data(), T, g1, g2, smin, w.c.data(), w.s.data(), w);
  };
  std::int64_t iterations = 0;
  constexpr int kMaxIterations = 60;
  bool current = false;  // w.c and w.s belong to the present (λ, b)
  for (int it = 0; it < kMaxIterations; ++it) {
    const std::size_t n = run(lambda, b, 0.0);
    ++iterations;
    current = true;
    if (!fit_lambda && !fit_b) break;
    current = false;
    const bool clipped = w.pools[0].v == 0.0;
    refit(w.pools, n, clipped, w.a.data(), g1, g2, w.phi.data());
    if (fit_b) refit(w.pools, n, clipped, w.spare.data(), g1, g2, w.psi.data());
    double sr = 0, sphi = 0, sq = 0;
    for (std::int64_t t = 0; t < T; ++t) {
      const double r = y[t] - b - w.c[t];
      sr += r;
      sphi += w.phi[t];
      if (fit_b) sq += 1.0 - w.psi[t];
    }
    // r(Δλ) = r0 + Δλ q with Δb eliminated.
    const bool b_step = fit_b && sq > 1e-9 * static_cast<double>(T);
    const double kb = b_step ? sr / sq : 0.0, kq = b_step ? sphi / sq : 0.0;
    double r0r0 = 0, r0q = 0, qq = 0;
    for (std::int64_t t = 0; t < T; ++t) {
      const double one_m_psi = b_step ? 1.0 - w.psi[t] : 0.0;
      const double r0 = y[t] - b - w.c[t] - one_m_psi * kb;
      const double q = w.phi[t] - one_m_psi * kq;
      r0r0 += r0 * r0;
      r0q += r0 * q;
      qq += q * q;
    }
    double dl = 0;
    if (fit_lambda && qq > 0) {
      const double disc = r0q * r0q - qq * (r0r0 - target);
      dl = disc >= 0 ? (-r0q + std::sqrt(disc)) / qq : -r0q / qq;
      if (lambda + dl < 0) dl = -lambda;
    }
    const double db = b_step ? kb + dl * kq : 0.0;
    lambda += dl;
    b += db;
    const double rss = r0r0 + 2 * dl * r0q + dl * dl * qq;
    const bool lambda_done = !fit_lambda || std::abs(rss - target) <= 1e-4 * target ||
                             (lambda == 0 && dl == 0);
    const bool b_done = !fit_b || std::abs(db) <= 1e-5 * std::max(sigma, 1e-12);
    if (lambda_done && b_done && std::abs(dl) <= 1e-6 * std::max(lambda, sigma)) break;
  }
  if (!current) {
    run(lambda, b, 0.0);
    ++iterations;
  }

  double s_min = 0;
  if (l0) {
    lambda = 0;
    // Hard threshold: the largest s_min whose residual still meets the noise constraint.
    auto rss_at = [&](double sm) {
      run(0.0, b, sm);
      ++iterations;
      double r2 = 0;
      for (std::int64_t t = 0; t < T; ++t) r2 += (y[t] - b - w.c[t]) * (y[t] - b - w.c[t]);
      return r2;
    };
    if (!std::isnan(o.s_min)) {
      s_min = o.s_min;
    } else {
      double lo = 0, hi = 0;
      run(0.0, b, 0.0);
      for (std::int64_t t = 0; t < T; ++t) hi = std::max(hi, w.s[t]);
      if (rss_at(hi) <= target) {
        lo = hi;
      } else {
        for (int k = 0; k < 20; ++k) {
          const double mid = 0.5 * (lo + hi);
          (rss_at(mid) <= target ? lo : hi) = mid;
        }
      }
      s_min = lo;
    }
    run(0.0, b, s_min);
    ++iterations;
  }
  fit.baseline = b;
  fit.lambda = lambda;
  fit.s_min = s_min;
  fit.iterations = iterations;

  // Calibration: a spike adds s to the calcium jump; its ΔF/F peak is s·peak(h). The amplitude
  // of one spike A (ΔF/F) is given, or estimated as the median size of the isolated events of
  // the solution: runs of consecutive frames with s > 0, preceded and followed by at least
  // one τ_d of silence, each summed (a spike smeared over frames by the rise counts once).
  const double peak = kernel_peak(g1, g2);
  double A = o.spike_amplitude;
  if (std::isnan(A)) {
    const auto quiet = std::max<std::int64_t>(1, std::llround(fit.tau_decay_s * fs));
    const double floor = 3.0 * sigma;  // below three noise s.d. an event is not resolvable
    std::vector<double> events, all;
    std::int64_t last_end = -quiet - 1;
    for (std::int64_t t = 0; t < T;) {
      if (w.s[t] <= 0) {
        ++t;
        continue;
      }
      double size = 0;
      const std::int64_t start = t;
      while (t < T && w.s[t] > 0) size += w.s[t++];
      size *= peak;
      std::int64_t next = t;
      while (next < T && w.s[next] <= 0) ++next;
      if (size >= floor) {
        all.push_back(size);
        if (start - last_end > quiet && (next - t > quiet || next == T)) events.push_back(size);
      }
      last_end = t - 1;
    }
    if (events.size() < 3) events = all;
    A = events.empty() ? std::max(floor, 1e-12) : percentile(events, 50.0);
  }
  fit.spike_amplitude = A;
  const double scale = peak / A;
  double total = 0;
  for (std::int64_t t = 0; t < T; ++t) {
    spikes[t] = w.s[t] * scale;
    total += spikes[t];
  }
  // Expected spikes per frame, smoothed: the normalised kernel keeps the count (docs/spikes.md).
  if (o.smoothing_s > 0) gaussian_smooth(spikes, o.smoothing_s * fs, w.u);
  fit.spike_rate_hz = total / static_cast<double>(T) * fs;
  return fit;
}

DeconvolveResult deconvolve(const MatrixF& dff, const OasisOptions& o) {
  const Eigen::Index T = dff.rows(), N = dff.cols();
  check(T > 0 && N > 0, ErrorKind::shape,
        {.component = kComponent, .what = "empty input", .expected = "T × N with T, N ≥ 1",
         .got = shape_string(T, N)});
  if (!(o.sample_rate_hz > 0) || !std::isfinite(o.sample_rate_hz))
    config_error("sample rate must be positive and finite", "> 0", num(o.sample_rate_hz), "Hz",
                 "--fs");
  // Each column's length without its trailing NaN padding; NaN/Inf inside it is an error.
  // One pass in memory order (rows), since a column of the row-major input is strided.
  std::vector<Eigen::Index> len(static_cast<std::size_t>(N), 0), first_bad(static_cast<std::size_t>(N), T);
  for (Eigen::Index t = 0; t < T; ++t) {
    const float* row = dff.data() + t * N;
    for (Eigen::Index j = 0; j < N; ++j) {
      const float v = row[j];
      if (!std::isnan(v)) len[j] = t + 1;
      if (!std::isfinite(v) && first_bad[j] == T) first_bad[j] = t;
    }
  }
  for (Eigen::Index j = 0; j < N; ++j) {
    const Eigen::Index n = len[j];
    if (first_bad[j] < n)
      config_error("trace holds NaN or Inf", "finite ΔF/F (NaN only as trailing padding)",
                   "unit " + std::to_string(j) + ", frame " + std::to_string(first_bad[j]));
    check(n >= 16, ErrorKind::shape,
          {.component = kComponent, .what = "trace too short", .expected = ">= 16 frames",
           .got = "unit " + std::to_string(j) + ": " + std::to_string(n)});
  }
  check_options(o);  // once, on the calling thread, before any work

  DeconvolveResult res;
  res.spikes.resize(T, N);
  res.units.resize(static_cast<std::size_t>(N));
  // Units are processed in blocks of kBlock adjacent columns: reading one row of a block is one
  // cache line of the row-major input, so the strided columns are gathered at memory speed.
  constexpr Eigen::Index kBlock = 16;
  const Eigen::Index n_blocks = (N + kBlock - 1) / kBlock;
  Progress progress("deconvolve", N);
  std::exception_ptr error;
  bool failed = false;
#pragma omp parallel
  {
    std::vector<double> buf(static_cast<std::size_t>(T * kBlock)), out(static_cast<std::size_t>(T));
#pragma omp for schedule(dynamic, 1)
    for (Eigen::Index blk = 0; blk < n_blocks; ++blk) {
      if (failed) continue;
      const Eigen::Index j0 = blk * kBlock, nb = std::min(kBlock, N - j0);
      for (Eigen::Index t = 0; t < T; ++t)
        for (Eigen::Index k = 0; k < nb; ++k) buf[k * T + t] = dff(t, j0 + k);
      try {
        for (Eigen::Index k = 0; k < nb; ++k) {
          const Eigen::Index n = len[j0 + k];
          res.units[j0 + k] = deconvolve_trace(
              std::span<const double>(buf.data() + k * T, n), o, std::span<double>(out.data(), n));
          std::copy(out.begin(), out.begin() + n, buf.begin() + k * T);
        }
      } catch (...) {
#pragma omp critical
        {
          if (!failed) error = std::current_exception();
          failed = true;
        }
        continue;
      }
      for (Eigen::Index t = 0; t < T; ++t)
        for (Eigen::Index k = 0; k < nb; ++k)
          res.spikes(t, j0 + k) = t < len[j0 + k] ? static_cast<float>(buf[k * T + t])
                                                  : std::numeric_limits<float>::quiet_NaN();
      progress.advance(nb);
    }
  }
  progress.finish();
  if (failed) std::rethrow_exception(error);
  return res;
}

}  // namespace neurodl::spikes
