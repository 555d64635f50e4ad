#include "neurodl/spikes/oasis.hpp"

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <complex>
#include <exception>
#include <limits>
#include <numbers>
#include <string>
#include <vector>


#include "neurodl/core/error.hpp"
#include "neurodl/core/progress.hpp"
#include "neurodl/core/threads.hpp"

namespace neurodl::spikes {
namespace {

constexpr const char* kComponent = "spikes.oasis";
// Magnitudes below this are flushed to zero so that long silent pools never reach denormal
// floating point (which is two orders of magnitude slower on x86).
constexpr double kTiny = 1e-200;
// Most autocovariance lags computed for the decay estimate (longer windows take every m-th lag).
constexpr double kMaxLags = 32;

// The library is built for baseline x86-64 (SSE2); the few loops that are pure arithmetic on
// arrays (autocovariance, FFT) are also compiled for AVX2+FMA and AVX-512 and picked at load time
// by the CPU (GCC's target_clones), which gives them 2–4× the vector width.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NEURODL_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NEURODL_VECTOR_CLONES
#endif

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

/// AR(1) pool (see pav_ar1); its length is the next pool's start minus its own.
struct Pool1 {
  double y0;  // Σ_j γ^j y'_{t+j}
  double w;   // Σ_j γ^{2j}
  double e;   // γ^l
  std::int64_t t;
};

struct Workspace {
  std::vector<Pool> pools;
  std::vector<Pool1> pools1, pools1_start;
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

// ---- AR(1): pools in four numbers ------------------------------------------------------------
//
// For AR(1) h_j = γ^j, so a pool needs only y0 = Σ_j γ^j y'_{t+j}, w = Σ_j γ^{2j} and e = γ^l; its
// value is v = y0/w and its length the distance to the next pool's start. Merging B into A:
// y0 += e_A y0_B, w += e_A² w_B, e *= e_B. The test v_B < e_A v_A + s_min is evaluated multiplied
// by w_A w_B > 0, so that the pass has no division on its critical path (the value is divided out
// once per pool when the solution is written). The top of the stack is kept in registers: most
// frames either merge into it or push it, and only a merge can cascade further down.

/// Pool-adjacent violators over a sequence of pools (frames are pools of length 1): `next(k)` gives
/// the k-th input pool, k = 1…count−2, `first` and `last` the two ends (count ≥ 2; the last is
/// apart so that the loop has no test for it). The first pool's value is clipped at 0
/// (c₀ = s₀ ≥ 0). Writes the merged partition to P[0…n) and returns n; P[−1] must be writable: it
/// holds a sentinel (w = 0) that nothing violates, so the cascade needs no bounds test. P may be
/// the input itself (the k-th input is read before P[k − 1] can be written). kMinSize: the L0
/// variant's s_min > 0 (a separate instance keeps the L1 test short). O(count).
template <bool kMinSize, class Next>
std::size_t pav_ar1(Pool1 first, std::size_t count, Next next, Pool1 last, double s_min,
                    Pool1* P) {
  P[-1] = {0.0, 0.0, 0.0, -1};
  std::size_t n = 0;  // pools below the top
  Pool1 top = first;
  // B violates A when y0_B w_A < (e_A v_A + s_min) w_A w_B, v_A clipped at 0 for the first pool.
  auto violates = [s_min](const Pool1& A, bool first_pool, double y0b, double wb) {
    const double ya = first_pool ? std::max(A.y0, 0.0) : A.y0;
    if constexpr (kMinSize) return y0b * A.w < (A.e * ya + s_min * A.w) * wb;
    return y0b * A.w < A.e * ya * wb;
  };
  auto absorb = [](Pool1& A, const Pool1& B) {
    A.y0 += A.e * B.y0;
    A.w += A.e * A.e * B.w;
    A.e *= B.e;
    if (A.e < kTiny) A.e = 0;
  };
  auto push = [&](const Pool1& B) {
    if (violates(top, n == 0, B.y0, B.w)) {
      absorb(top, B);
      while (violates(P[n - 1], n == 1, top.y0, top.w)) {  // stops at the sentinel
        Pool1 A = P[--n];
        absorb(A, top);
        top = A;
      }
    } else {
      P[n++] = top;
      top = B;
    }
  };
  for (std::size_t k = 1; k + 1 < count; ++k) push(next(k));
  if (count > 1) push(last);
  P[n++] = top;
  return n;
}

template <class Next>
std::size_t pav_ar1(Pool1 first, std::size_t count, Next next, Pool1 last, double s_min,
                    Pool1* P) {
  return s_min > 0 ? pav_ar1<true>(first, count, next, last, s_min, P)
                   : pav_ar1<false>(first, count, next, last, s_min, P);
}

/// The AR(1) pass over frames y' = y − shift (the last frame: y − last_shift), T values; returns
/// the pool count (partition in P[0…T), P[−1] the sentinel).
std::size_t pass_ar1(const double* y, std::int64_t T, double shift, double last_shift, double g,
                     double s_min, Pool1* P) {
  auto frame = [=](std::size_t k) {
    return Pool1{y[k] - shift, 1.0, g, static_cast<std::int64_t>(k)};
  };
  const Pool1 last{y[T - 1] - last_shift, 1.0, g, T - 1};
  return pav_ar1(T == 1 ? last : frame(0), static_cast<std::size_t>(T), frame, last, s_min, P);
}

/// Merges an existing partition further (warm start after the data moved down uniformly).
std::size_t repool_ar1(Pool1* P, std::size_t n, double s_min) {
  return pav_ar1(P[0], n, [P](std::size_t k) { return P[k]; }, P[n - 1], s_min, P);
}

/// Value of pool i (the first one clipped at 0).
double value_ar1(const Pool1* P, std::size_t i) {
  const double v = P[i].y0 / P[i].w;
  return i == 0 && v < 0 ? 0.0 : v;
}

/// Writes s (and c unless null) from an AR(1) partition of T frames. O(T).
void ar1_output(const Pool1* P, std::size_t n, std::int64_t T, double g, double* c, double* s) {
  double prev_end = 0;  // previous pool continued to this pool's first frame
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t t = P[i].t, l = (i + 1 < n ? P[i + 1].t : T) - t;
    const double v = value_ar1(P, i);
    s[t] = i == 0 ? v : v - prev_end;
    std::fill(s + t + 1, s + t + l, 0.0);
    if (c) {
      double x = v;
      for (std::int64_t j = 0; j < l; ++j) {
        c[t + j] = x;
        x *= g;
        if (x < kTiny) x = 0;
      }
    }
    prev_end = v * P[i].e;
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

/// Runs the pass on y' and writes s and c (AR(1): c may be null, then only s is written); returns
/// the pool count (partition left in w.pools1 for AR(1), w.pools for AR(2)).
std::size_t solve(const double* y, std::int64_t T, double g1, double g2, double s_min, double* c,
                  double* s, Workspace& w) {
  if (g2 == 0.0) {
    w.pools1.resize(static_cast<std::size_t>(T) + 1);
    const std::size_t n = pass_ar1(y, T, 0.0, 0.0, g1, s_min, w.pools1.data() + 1);
    ar1_output(w.pools1.data() + 1, n, T, g1, c, s);
    return n;
  }
  make_tables(w, T, g1, g2);
  const std::size_t n = pass_ar2(y, T, g2, s_min, w);
  ar2_output(w, n, g2, c ? c : w.c.data(), s);
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

/// Tables of a radix-2 FFT of size N = 2^k and of the periodic Hann window, built once per size
/// and thread (the noise estimate runs once per unit).
struct Welch {
  std::size_t N = 0;
  std::vector<std::uint32_t> rev;  // bit-reversal permutation
  std::vector<double> wr, wi;      // stage of half-length h: e^{−iπk/h}, k < h, at offset h − 1
  std::vector<double> win;
  double wss = 0;                  // Σ win²
  std::vector<double> re, im;      // one complex transform
};

Welch& welch_tables(std::size_t N) {
  thread_local Welch p;
  if (p.N == N) return p;
  p.N = N;
  p.win.resize(N);
  p.wss = 0;
  for (std::size_t i = 0; i < N; ++i) {
    p.win[i] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) /
                                    static_cast<double>(N));
    p.wss += p.win[i] * p.win[i];
  }
  if ((N & (N - 1)) != 0) return p;
  p.rev.assign(N, 0);
  for (std::size_t i = 1, j = 0; i < N; ++i) {
    std::size_t bit = N >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    p.rev[i] = static_cast<std::uint32_t>(j);
  }
  p.wr.assign(N, 1.0);
  p.wi.assign(N, 0.0);
  for (std::size_t h = 1; h < N; h <<= 1)
    for (std::size_t k = 0; k < h; ++k) {
      const double ang = -std::numbers::pi * static_cast<double>(k) / static_cast<double>(h);
      p.wr[h - 1 + k] = std::cos(ang);
      p.wi[h - 1 + k] = std::sin(ang);
    }
  p.re.resize(N);
  p.im.resize(N);
  return p;
}

/// Iterative radix-2 FFT (decimation in time) of re + i·im, already in bit-reversed order
/// (N ≥ 4). The first two stages, whose twiddles are 1 and −i, are done together without
/// multiplications; the later ones vectorise along k.
NEURODL_VECTOR_CLONES void fft(const Welch& p, double* re, double* im) {
  const std::size_t N = p.N;
  for (std::size_t i = 0; i < N; i += 4) {
    const double a0r = re[i] + re[i + 1], a0i = im[i] + im[i + 1];
    const double a1r = re[i] - re[i + 1], a1i = im[i] - im[i + 1];
    const double a2r = re[i + 2] + re[i + 3], a2i = im[i + 2] + im[i + 3];
    const double a3r = re[i + 2] - re[i + 3], a3i = im[i + 2] - im[i + 3];
    re[i] = a0r + a2r;
    im[i] = a0i + a2i;
    re[i + 2] = a0r - a2r;
    im[i + 2] = a0i - a2i;
    re[i + 1] = a1r + a3i;  // a1 + (−i)·a3
    im[i + 1] = a1i - a3r;
    re[i + 3] = a1r - a3i;
    im[i + 3] = a1i + a3r;
  }
  for (std::size_t h = 4; h < N; h <<= 1) {
    const double* __restrict cr = p.wr.data() + h - 1;
    const double* __restrict ci = p.wi.data() + h - 1;
    for (std::size_t i = 0; i < N; i += 2 * h) {
      double* __restrict ar = re + i;
      double* __restrict ai = im + i;
      double* __restrict br = re + i + h;
      double* __restrict bi = im + i + h;
      for (std::size_t k = 0; k < h; ++k) {
        const double xr = br[k] * cr[k] - bi[k] * ci[k];
        const double xi = br[k] * ci[k] + bi[k] * cr[k];
        br[k] = ar[k] - xr;
        bi[k] = ai[k] - xi;
        ar[k] += xr;
        ai[k] += xi;
      }
    }
  }
}

/// k-th and (k+1)-th smallest of x[0…n) (k < n; the second equals the first when k + 1 = n),
/// exactly. A histogram of 4,096 equal bins between the least and the largest value finds the bin
/// that holds rank k; only that bin's values (a few hundred for a noisy trace) are partially
/// sorted. Three branch-free passes over x: O(n) at streaming speed, several times faster than
/// std::nth_element on all values (data-dependent branches). Skewed data only make the bin
/// larger, never the result wrong. x finite.
std::pair<double, double> order_stats(const double* x, std::size_t n, std::size_t k) {
  constexpr std::size_t kBins = 4096;
  thread_local std::vector<double> bin;
  thread_local std::vector<std::uint32_t> hist(kBins);
  double lo = x[0], hi = x[0];
  for (std::size_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  // (x − lo)·scale ∈ [0, kBins − 1] (rounding stays below kBins); all in bin 0 when hi = lo or
  // the range overflows.
  const double range = hi - lo;
  const double scale = range > 0 && std::isfinite(range) ? static_cast<double>(kBins - 1) / range : 0;
  auto bin_of = [&](double v) { return static_cast<std::size_t>((v - lo) * scale); };
  std::fill(hist.begin(), hist.end(), 0u);
  for (std::size_t i = 0; i < n; ++i) ++hist[bin_of(x[i])];
  std::size_t b = 0, below = 0;
  while (below + hist[b] <= k) below += hist[b++];
  bin.resize(hist[b] + 1);
  std::size_t m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bin[m] = x[i];
    m += bin_of(x[i]) == b;
  }
  const std::size_t r = k - below;
  const auto first = bin.begin(), nth = first + static_cast<std::ptrdiff_t>(r),
             end = first + static_cast<std::ptrdiff_t>(m);
  std::nth_element(first, nth, end);
  const double a = *nth;
  if (k + 1 >= n) return {a, a};
  if (r + 1 < m) return {a, *std::min_element(nth + 1, end)};
  double above = std::numeric_limits<double>::infinity();  // the next bin's least value
  for (std::size_t i = 0; i < n; ++i)
    if (x[i] > a) above = std::min(above, x[i]);
  return {a, above};
}

double percentile(const double* v, std::size_t n, double q) {
  // numpy's default (linear interpolation between closest ranks).
  const double pos = q / 100.0 * static_cast<double>(n - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto [a, b] = order_stats(v, n, lo);
  return a + (pos - static_cast<double>(lo)) * (b - a);
}

/// CASCADE's noise level ν (spikes::cascade_noise_level: 100 · median |Δy| / √fs) of a finite
/// trace, with the median by order_stats; the same value, without the sort's cost.
double noise_level(std::span<const double> y, double fs) {
  thread_local std::vector<double> d;
  d.resize(y.size() - 1);
  for (std::size_t t = 0; t + 1 < y.size(); ++t) d[t] = std::abs(y[t + 1] - y[t]);
  const std::size_t m = d.size() / 2;
  const auto [lo, hi] = order_stats(d.data(), d.size(), d.size() % 2 == 0 ? m - 1 : m);
  const double med = d.size() % 2 == 0 ? 0.5 * (hi + lo) : lo;
  return 100.0 * med / std::sqrt(fs);
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

/// xc[k] = (1/T) Σ_t d_t d_{t+km}, k = 0…L (m = stride): four lags per sweep, so that each d_t is
/// loaded once for four products and four sums run side by side. O(T·L).
NEURODL_VECTOR_CLONES void autocovariance(const double* d, std::int64_t T, std::int64_t L,
                                          std::int64_t stride, double* xc) {
  for (std::int64_t k = 0; k <= L; k += 4) {
    const std::int64_t lags = std::min<std::int64_t>(4, L + 1 - k);
    const double* b[4];
    for (std::int64_t i = 0; i < 4; ++i) b[i] = d + std::min(k + i, L) * stride;
    // Over the frames every lag of the group has, then each lag's own tail.
    const std::int64_t common = T - (k + lags - 1) * stride;
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
    for (std::int64_t t = 0; t < common; ++t) {
      a0 += d[t] * b[0][t];
      a1 += d[t] * b[1][t];
      a2 += d[t] * b[2][t];
      a3 += d[t] * b[3][t];
    }
    double acc[4] = {a0, a1, a2, a3};
    for (std::int64_t i = 0; i < lags; ++i) {
      for (std::int64_t t = common; t < T - (k + i) * stride; ++t) acc[i] += d[t] * b[i][t];
      xc[k + i] = acc[i] / static_cast<double>(T);
    }
  }
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
  if (g2 == 0.0) {  // AR(1): a = 1 − γ but a_{T−1} = 1, applied as the frames are read
    w.pools1.resize(y.size() + 1);
    const std::size_t n =
        pass_ar1(y.data(), T, lambda * (1.0 - g1), lambda, g1, s_min, w.pools1.data() + 1);
    ar1_output(w.pools1.data() + 1, n, T, g1, c.data(), s.data());
    return;
  }
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
  Welch& p = welch_tables(N);
  // Band (fs/4, fs/2), both ends excluded: bins k with N < 4k and 2k < N.
  const std::size_t k_first = N / 4 + 1;
  double acc = 0;
  std::size_t segments = 0;
  if ((N & (N - 1)) == 0) {
    // Two real segments a, b in one complex transform Z = A + iB: since conj(Z_{N−k}) = A_k − iB_k,
    // |A_k|² + |B_k|² = (|Z_k|² + |Z_{N−k}|²)/2, and only that sum over the band is needed.
    double *re = p.re.data(), *im = p.im.data();
    for (std::size_t start = 0; start + N <= T; start += 2 * step) {
      const bool pair = start + step + N <= T;
      double ma = 0, mb = 0;
      for (std::size_t i = 0; i < N; ++i) ma += y[start + i];
      if (pair)
        for (std::size_t i = 0; i < N; ++i) mb += y[start + step + i];
      ma /= static_cast<double>(N);
      mb /= static_cast<double>(N);
      for (std::size_t i = 0; i < N; ++i) {
        re[p.rev[i]] = (y[start + i] - ma) * p.win[i];
        im[p.rev[i]] = pair ? (y[start + step + i] - mb) * p.win[i] : 0.0;
      }
      fft(p, re, im);
      double band = 0;
      for (std::size_t k = k_first; 2 * k < N; ++k)
        band += re[k] * re[k] + im[k] * im[k] + re[N - k] * re[N - k] + im[N - k] * im[N - k];
      acc += 0.5 * band;
      segments += pair ? 2 : 1;
    }
  } else {
    std::vector<std::complex<double>> buf(N);
    for (std::size_t start = 0; start + N <= T; start += step) {
      double mean = 0;
      for (std::size_t i = 0; i < N; ++i) mean += y[start + i];
      mean /= static_cast<double>(N);
      for (std::size_t i = 0; i < N; ++i) buf[i] = (y[start + i] - mean) * p.win[i];
      for (std::size_t k = k_first; 2 * k < N; ++k) {
        std::complex<double> X = 0;
        for (std::size_t i = 0; i < N; ++i)
          X += buf[i] * std::polar(1.0, -2.0 * std::numbers::pi * static_cast<double>(k * i) /
                                            static_cast<double>(N));
        acc += std::norm(X);
      }
      ++segments;
    }
  }
  std::size_t bins = 0;
  for (std::size_t k = k_first; 2 * k < N; ++k) ++bins;
  if (bins == 0 || segments == 0) return 0.0;
  // P_k = 2|X_k|²/Σw²; σ² = mean(P_k)/2 = mean |X_k|²/Σw².
  return std::sqrt(acc / (static_cast<double>(segments * bins) * p.wss));
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
  thread_local std::vector<double> centred;
  centred.resize(y.size());
  for (std::int64_t t = 0; t < T; ++t) centred[t] = y[t] - mean;
  // Biased sample autocovariance xc[k] = (1/T) Σ_t (y_t − ȳ)(y_{t+km} − ȳ), k = 0…L, m = stride.
  // The autocovariance of AR(p) calcium is a sum of d^|k| and r^|k| terms (k ≥ 1), so every m-th
  // lag follows an AR(p) recursion with roots d^m, r^m: Yule–Walker on that subsequence gives
  // them, and their m-th roots are the per-frame roots. Cost O(T·L).
  std::vector<double> xc(static_cast<std::size_t>(L) + 1, 0.0);
  autocovariance(centred.data(), T, L, stride, xc.data());
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

constexpr int kMaxSearchSteps = 60;

/// What the noise-constrained search fits and aims at.
struct SearchSettings {
  bool fit_lambda, fit_b;
  double target;  // σ²T, the residual sum of squares to meet
  double sigma;
};

/// Sums of one search step with the partition held fixed: ‖r0‖², r0·q, ‖q‖² of the residual
/// r(Δλ) = r0 + Δλ q after Δb = kb + Δλ kq has been eliminated (b_step false: b stays).
struct StepSums {
  double r0r0, r0q, qq, kb, kq;
  bool b_step;
};

struct StepResult {
  double dl, db;  // the changes of λ and b
  bool done;
};

/// Chooses Δλ ≥ −λ so that ‖r(Δλ)‖² = σ²T (the least ‖r‖² when no root exists), then Δb; updates
/// λ and b and says whether the search has converged (residual within 1e-4 of σ²T or λ = 0 at
/// its bound, b moved by less than 1e-5 σ, λ by less than 1e-6 max(λ, σ)).
StepResult search_step(const StepSums& m, const SearchSettings& st, double& lambda, double& b) {
  double dl = 0;
  if (st.fit_lambda && m.qq > 0) {
    const double disc = m.r0q * m.r0q - m.qq * (m.r0r0 - st.target);
    dl = disc >= 0 ? (-m.r0q + std::sqrt(disc)) / m.qq : -m.r0q / m.qq;
    if (lambda + dl < 0) dl = -lambda;
  }
  const double db = m.b_step ? m.kb + dl * m.kq : 0.0;
  lambda += dl;
  b += db;
  const double rss = m.r0r0 + 2 * dl * m.r0q + dl * dl * m.qq;
  const bool lambda_done = !st.fit_lambda || std::abs(rss - st.target) <= 1e-4 * st.target ||
                           (lambda == 0 && dl == 0);
  const bool b_done = !st.fit_b || std::abs(db) <= 1e-5 * std::max(st.sigma, 1e-12);
  return {dl, db, lambda_done && b_done && std::abs(dl) <= 1e-6 * std::max(lambda, st.sigma)};
}

/// The noise-constrained search for AR(1) at the cost of the pools, not the frames.
///
/// Same steps as the general loop in deconvolve_trace, with its per-frame sums in closed form: in
/// pool i (start t, length l, value v) c = v γ^j, φ = refit(a) = α γ^j and ψ = refit(1) = β γ^j
/// with S = Σ_j γ^j = (1 − γ^l)/(1 − γ), A = Σ_j γ^j a_{t+j} (1 − γ^l; 1 for the last pool, where
/// a_{T−1} = 1), α = A/w, β = S/w (0 in a clipped first pool); every sum over frames then needs
/// only Σu, Σu² of the data and Y = Σ_j γ^j u_{t+j} of each pool. Re-solving after a step: λa + b
/// moves every frame by the same Δb + Δλ(1 − γ) (the last by Δb + Δλ), and when that is ≥ 0 every
/// spike v_B − γ^l v_A decreases, so the new solution is a coarsening of the old partition and the
/// pools are merged further (OASIS's warm start, Friedrich et al. 2017, "Hyperparameter
/// optimization"); otherwise the search restarts from the first partition (or, below its shift,
/// from the frames). Only the first pass reads the frames: a step costs O(pools), not O(T).
/// λ and b: start values in, fitted values out; returns the solver passes; leaves s in w.s.
std::int64_t constrained_ar1(std::span<const double> y, double g, const SearchSettings& st,
                             double& lambda, double& b, Workspace& w) {
  const auto T = static_cast<std::int64_t>(y.size());
  const double Td = static_cast<double>(T), inv_1mg = 1.0 / (1.0 - g);
  // Sums of u = y − b₀ (b₀ the start baseline), well conditioned for any offset of y.
  const double b0 = b, lambda0 = lambda;
  double U1 = 0, U2 = 0;
#pragma omp simd reduction(+ : U1, U2)
  for (std::int64_t t = 0; t < T; ++t) {
    const double u = y[t] - b0;
    U1 += u;
    U2 += u * u;
  }
  w.pools1.resize(static_cast<std::size_t>(T) + 1);
  Pool1* P = w.pools1.data() + 1;
  auto S = [&](const Pool1& p) { return (1.0 - p.e) * inv_1mg; };
  auto A = [&](const Pool1& p, bool last) { return last ? 1.0 : 1.0 - p.e; };
  // The first partition, finest of all that follow while the shift stays above its own; its
  // pools keep Y = Σ γ^j u, so that a step that lowers the shift restarts from it (O(pools))
  // instead of from the frames.
  std::size_t n = pass_ar1(y.data(), T, b + lambda * (1.0 - g), b + lambda, g, 0.0, P);
  const std::size_t n0 = n;
  w.pools1_start.assign(P, P + n);
  for (std::size_t i = 0; i < n0; ++i) w.pools1_start[i].y0 += lambda0 * A(P[i], i + 1 == n0);
  auto restart = [&] {
    const double db0 = b - b0;
    if (db0 + (lambda - lambda0) * (1.0 - g) >= 0 && db0 + (lambda - lambda0) >= 0) {
      for (std::size_t i = 0; i < n0; ++i) {
        P[i] = w.pools1_start[i];
        P[i].y0 -= db0 * S(P[i]) + lambda * A(P[i], i + 1 == n0);
      }
      return repool_ar1(P, n0, 0.0);
    }
    return pass_ar1(y.data(), T, b + lambda * (1.0 - g), b + lambda, g, 0.0, P);
  };
  std::int64_t iterations = 1;
  for (int it = 0; it < kMaxSearchSteps; ++it) {
    const double db0 = b - b0;
    const bool clipped = P[0].y0 <= 0.0;
    double svs = 0, sas = 0, sbs = 0;  // Σ v S, Σ α S, Σ β S
    for (std::size_t i = clipped ? 1 : 0; i < n; ++i) {
      const double Si = S(P[i]), inv_w = 1.0 / P[i].w;
      svs += P[i].y0 * inv_w * Si;
      sas += A(P[i], i + 1 == n) * inv_w * Si;
      sbs += Si * inv_w * Si;
    }
    const double sr = U1 - Td * db0 - svs, sq = Td - sbs;
    StepSums m{};
    m.b_step = st.fit_b && sq > 1e-9 * Td;
    m.kb = m.b_step ? sr / sq : 0.0;
    m.kq = m.b_step ? sas / sq : 0.0;
    // In pool i: r0 = u − B − V γ^j, q = −kq + Q γ^j with B = (b − b₀) + kb, V = v − β kb,
    // Q = α + kq β.
    const double B = db0 + m.kb;
    double s_vy = 0, s_vvw = 0, s_vs = 0, s_qr = 0, s_qs = 0, s_qqw = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double Si = S(P[i]), Ai = A(P[i], i + 1 == n), wi = P[i].w;
      const bool zero = i == 0 && clipped;
      const double v = zero ? 0.0 : P[i].y0 / wi;
      const double alpha = zero ? 0.0 : Ai / wi, beta = zero ? 0.0 : Si / wi;
      const double Y = P[i].y0 + db0 * Si + lambda * Ai;  // Σ γ^j u over the pool
      const double V = v - beta * m.kb, Q = alpha + m.kq * beta;
      const double yb = Y - B * Si;
      s_vy += V * yb;
      s_vvw += V * V * wi;
      s_vs += V * Si;
      s_qr += Q * (yb - V * wi);
      s_qs += Q * Si;
      s_qqw += Q * Q * wi;
    }
    m.r0r0 = U2 - 2 * B * U1 + Td * B * B - 2 * s_vy + s_vvw;
    m.r0q = -m.kq * (U1 - Td * B - s_vs) + s_qr;
    m.qq = Td * m.kq * m.kq - 2 * m.kq * s_qs + s_qqw;
    const auto step = search_step(m, st, lambda, b);
    if (step.db + step.dl * (1.0 - g) >= 0 && step.db + step.dl >= 0) {
      for (std::size_t i = 0; i < n; ++i)
        P[i].y0 -= step.db * S(P[i]) + step.dl * A(P[i], i + 1 == n);
      n = repool_ar1(P, n, 0.0);
    } else {
      n = restart();
    }
    ++iterations;
    if (step.done) break;
  }
  ar1_output(P, n, T, g, nullptr, w.s.data());
  return iterations;
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

namespace {

// deconvolve_trace without its input checks: y is finite, T ≥ 16, spikes has T entries and the
// options were checked. deconvolve() checks the whole matrix once and calls this per column.
UnitFit deconvolve_checked(std::span<const double> y, const OasisOptions& o, std::span<double> spikes) {
  const auto T = static_cast<std::int64_t>(y.size());
  const double fs = o.sample_rate_hz;
  UnitFit fit;
  fit.n_frames = T;
  fit.noise_level = noise_level(y, fs);
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
  double b = fit_b ? percentile(y.data(), y.size(), 15.0) : o.baseline;
  double lambda = fit_lambda ? 0.0 : o.lambda;
  const double target = sigma * sigma * static_cast<double>(T);

  // Noise-constrained solution (Friedrich et al. 2017, "Hyperparameter optimization"): with
  // the partition into pools held fixed, c is linear in (λ, b), so the residual
  //   r(Δλ, Δb) = r + Δλ φ − Δb (1 − ψ),  φ = ∂c/∂(−λ) = refit(a), ψ = refit(1),
  // is linear and ‖r‖² quadratic. Each iteration picks Δb so that Σ r = 0 (the optimality
  // condition for b) and Δλ ≥ −λ so that ‖r‖² = σ²T, then re-solves; it stops when the
  // partition no longer moves the residual (search_step). Usually 3–8 passes.
  auto run = [&](double lam, double bb, double smin, bool with_c = true) {
    const double shift = bb + lam * a_mid;
    for (std::int64_t t = 0; t < T - 2; ++t) w.u[t] = y[t] - shift;
    w.u[Tu - 2] = y[T - 2] - bb - lam * a_last2;
    w.u[Tu - 1] = y[T - 1] - bb - lam;
    return solve(w.u.data(), T, g1, g2, smin, with_c ? w.c.data() : nullptr, w.s.data(), w);
  };
  std::int64_t iterations = 0;
  const SearchSettings search{fit_lambda, fit_b, target, sigma};
  if (g2 == 0.0 && (fit_lambda || fit_b)) {
    // AR(1): the same steps at the cost of the pools (constrained_ar1).
    iterations = constrained_ar1(y, g1, search, lambda, b, w);
  } else {
    if (fit_lambda || fit_b) {
      w.a.assign(Tu, a_mid);
      w.a[Tu - 1] = 1.0;
      w.a[Tu - 2] = a_last2;
      w.phi.resize(Tu);
      w.psi.resize(Tu);
      w.spare.assign(Tu, 1.0);
    }
    bool current = false;  // w.c and w.s belong to the present (λ, b)
    for (int it = 0; it < kMaxSearchSteps; ++it) {
      const std::size_t n = run(lambda, b, 0.0, fit_lambda || fit_b);
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
      const auto step = search_step({r0r0, r0q, qq, kb, kq, b_step}, search, lambda, b);
      if (step.done) break;
    }
    if (!current) {
      run(lambda, b, 0.0);
      ++iterations;
    }
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
    A = events.empty() ? std::max(floor, 1e-12) : percentile(events.data(), events.size(), 50.0);
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

}  // namespace

UnitFit deconvolve_trace(std::span<const double> y, const OasisOptions& o,
                         std::span<double> spikes) {
  check_options(o);
  const auto T = static_cast<std::int64_t>(y.size());
  check(T >= 16, ErrorKind::shape,
        {.component = kComponent, .what = "trace too short", .expected = ">= 16 frames",
         .got = std::to_string(T)});
  check(spikes.size() == y.size(), ErrorKind::shape,
        {.component = kComponent, .what = "output length differs from the trace",
         .expected = std::to_string(T), .got = std::to_string(spikes.size())});
  for (std::int64_t t = 0; t < T; ++t)
    if (!std::isfinite(y[t]))
      config_error("trace holds NaN or Inf", "finite ΔF/F", "frame " + std::to_string(t));
  return deconvolve_checked(y, o, spikes);
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
  // One pass in memory order (rows), since a column of the row-major input is strided. A row
  // without NaN/Inf (the usual case) is only tested as a whole, which vectorises.
  std::vector<Eigen::Index> len(static_cast<std::size_t>(N), 0), first_bad(static_cast<std::size_t>(N), T);
  Eigen::Index clean_end = 0;  // 1 + the last row without NaN/Inf
  for (Eigen::Index t = 0; t < T; ++t) {
    const float* row = dff.data() + t * N;
    int bad = 0;
    for (Eigen::Index j = 0; j < N; ++j) bad |= !(std::abs(row[j]) <= std::numeric_limits<float>::max());
    if (!bad) {
      clean_end = t + 1;
      continue;
    }
    for (Eigen::Index j = 0; j < N; ++j) {
      const float v = row[j];
      if (!std::isnan(v)) len[j] = t + 1;
      if (!std::isfinite(v) && first_bad[j] == T) first_bad[j] = t;
    }
  }
  for (Eigen::Index j = 0; j < N; ++j) {
    const Eigen::Index n = len[j] = std::max(len[j], clean_end);
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
  // to four cache lines of the row-major input, so the strided columns are gathered at memory
  // speed. Rows of a wide input lie a page or more apart, so every row visited costs a TLB miss:
  // blocks of 64 columns pay it once per 64 samples (5 % faster than 16 at 10,000 × 30,000), but
  // small inputs keep 16 so that every thread still gets blocks. The block stays float32; each
  // trace is widened into a T-double buffer just before it is solved, so that its passes run on
  // a copy that stays in the core's L2 cache.
  const Eigen::Index kBlock = N >= 64 * 4 * static_cast<Eigen::Index>(std::max(1, num_threads())) ? 64 : 16;
  constexpr Eigen::Index kAhead = 32;
  const Eigen::Index n_blocks = (N + kBlock - 1) / kBlock;
  Progress progress("deconvolve", N);
  std::exception_ptr error;
  bool failed = false;
#pragma omp parallel
  {
    std::vector<float> block(static_cast<std::size_t>(T * kBlock));
    std::vector<double> y(static_cast<std::size_t>(T)), out(static_cast<std::size_t>(T));
#pragma omp for schedule(dynamic, 1)
    for (Eigen::Index blk = 0; blk < n_blocks; ++blk) {
      if (failed) continue;
      const Eigen::Index j0 = blk * kBlock, nb = std::min(kBlock, N - j0);
      // Rows of a block are N floats apart, further than a page when N > 1024, which the
      // hardware prefetcher does not follow: fetch kAhead rows ahead.
      for (Eigen::Index t = 0; t < T; ++t) {
        if (t + kAhead < T) __builtin_prefetch(dff.data() + (t + kAhead) * N + j0);
        for (Eigen::Index k = 0; k < nb; ++k) block[k * T + t] = dff(t, j0 + k);
      }
      try {
        for (Eigen::Index k = 0; k < nb; ++k) {
          const Eigen::Index n = len[j0 + k];
          float* column = block.data() + k * T;
          std::copy(column, column + n, y.begin());
          res.units[j0 + k] = deconvolve_checked(std::span<const double>(y.data(), n), o,
                                                 std::span<double>(out.data(), n));
          std::copy(out.begin(), out.begin() + n, column);
          std::fill(column + n, column + T, std::numeric_limits<float>::quiet_NaN());
        }
      } catch (...) {
#pragma omp critical
        {
          if (!failed) error = std::current_exception();
          failed = true;
        }
        continue;
      }
      for (Eigen::Index t = 0; t < T; ++t) {
        if (t + kAhead < T) __builtin_prefetch(res.spikes.data() + (t + kAhead) * N + j0, 1);
        for (Eigen::Index k = 0; k < nb; ++k) res.spikes(t, j0 + k) = block[k * T + t];
      }
      progress.advance(nb);
    }
  }
  progress.finish();
  if (failed) std::rethrow_exception(error);
  return res;
}

}  // namespace neurodl::spikes
