#include "neurodl/spikes/oasis.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "neurodl/core/error.hpp"
#include "neurodl/core/progress.hpp"
#include "neurodl/core/stats.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/core/vector_clones.hpp"
#include "neurodl/spikes/resample.hpp"

namespace neurodl::spikes {
namespace {

constexpr const char* kComponent = "spikes.oasis";
// Magnitudes below this are flushed to zero so that long silent pools never reach denormal
// floating point (which is two orders of magnitude slower on x86).
constexpr double kTiny = 1e-200;
// Most autocovariance lags computed for the decay estimate (longer windows take every m-th lag).
constexpr double kMaxLags = 32;

// The few loops that are pure arithmetic on arrays (autocovariance, FFT) are marked
// NEURODL_VECTOR_CLONES (neurodl/core/vector_clones.hpp): compiled for AVX2+FMA and AVX-512 too.

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
  std::fill(s, s + T, 0.0);  // once: pools are short, a fill per pool costs more than its zeros
  double prev_end = 0;  // previous pool continued to this pool's first frame
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t t = P[i].t, l = (i + 1 < n ? P[i + 1].t : T) - t;
    const double v = value_ar1(P, i);
    s[t] = i == 0 ? v : v - prev_end;
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

// ---- moving blocks of columns between the row-major matrices and contiguous columns ----------

/// Asks Linux to back [p, p + bytes) with 2 MiB pages where it can (a hint; nothing happens
/// elsewhere or when transparent huge pages are off). The output is written a block of columns at
/// a time across all its rows, which with 4 KiB pages costs a TLB miss per row and a page fault
/// per 4 KiB; huge pages remove most of both.
void advise_huge_pages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kPage = 4096;
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(kPage - 1);
  if (end > begin + (std::uintptr_t{2} << 20))
    madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p, (void)bytes;
#endif
}

/// Moves a block of nb columns between a wide row-major matrix W (T rows, ldw floats apart) and
/// nb contiguous traces C (C[k·T + t] = W[t·ldw + k]): into C when `to_traces`, back into W
/// otherwise. W's rows are visited in order, four at a time, each 4 × 4 tile transposed in SSE
/// registers, and rows kAhead ahead are prefetched, since rows a page or more apart defeat the
/// hardware prefetcher.
void move_columns(float* w, std::size_t ldw, std::size_t T, std::size_t nb, float* c,
                  bool to_traces) {
  constexpr std::size_t kAhead = 32;
  std::size_t t = 0;
#if defined(__SSE2__)
  for (; t + 4 <= T; t += 4) {
    if (t + kAhead + 4 <= T)
      for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t k = 0; k < nb; k += 16) {
          if (to_traces)
            __builtin_prefetch(w + (t + kAhead + r) * ldw + k);
          else
            __builtin_prefetch(w + (t + kAhead + r) * ldw + k, 1);
        }
    std::size_t k = 0;
    for (; k + 4 <= nb; k += 4) {
      float* const wr[4] = {w + t * ldw + k, w + (t + 1) * ldw + k, w + (t + 2) * ldw + k,
                            w + (t + 3) * ldw + k};
      float* const cr[4] = {c + k * T + t, c + (k + 1) * T + t, c + (k + 2) * T + t,
                            c + (k + 3) * T + t};
      float* const* from = to_traces ? wr : cr;
      float* const* to = to_traces ? cr : wr;
      __m128 r0 = _mm_loadu_ps(from[0]), r1 = _mm_loadu_ps(from[1]);
      __m128 r2 = _mm_loadu_ps(from[2]), r3 = _mm_loadu_ps(from[3]);
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
      _mm_storeu_ps(to[0], r0);
      _mm_storeu_ps(to[1], r1);
      _mm_storeu_ps(to[2], r2);
      _mm_storeu_ps(to[3], r3);
    }
    for (; k < nb; ++k)
      for (std::size_t r = 0; r < 4; ++r) {
        float& wv = w[(t + r) * ldw + k];
        float& cv = c[k * T + t + r];
        if (to_traces) cv = wv; else wv = cv;
      }
  }
#endif
  for (; t < T; ++t)
    for (std::size_t k = 0; k < nb; ++k) {
      float& wv = w[t * ldw + k];
      float& cv = c[k * T + t];
      if (to_traces) cv = wv; else wv = cv;
    }
}

/// dst[k·T + t] = src[t·ld + k], t < T, k < nb: a block of nb columns of a row-major matrix
/// (rows ld floats apart) into contiguous columns of T.
void gather_columns(const float* src, std::size_t ld, std::size_t T, std::size_t nb, float* dst) {
  move_columns(const_cast<float*>(src), ld, T, nb, dst, true);  // only read when to_traces
}

/// The inverse of gather_columns: dst[t·ld + k] = src[k·T + t].
void scatter_columns(const float* src, std::size_t T, std::size_t nb, float* dst, std::size_t ld) {
  move_columns(dst, ld, T, nb, const_cast<float*>(src), false);  // only read when !to_traces
}

// ---- AR(1) for eight traces at once ---------------------------------------------------------
//
// On noisy traces the two tests of pav_ar1 (merge the frame or push the top; cascade or stop) go
// either way at random, so about one frame in two costs a branch misprediction, which is most of
// the pass's time. deconvolve() with a known decay has many traces of the same kind side by side,
// so eight of them run in the eight float64 lanes of an AVX-512 register, with masks in place of
// those branches. All lanes take frame k together: each merges it into its top or pushes, then
// the cascade repeats while any lane still violates (two frames in three need no cascade step in
// a given lane, and eight lanes rarely need more than three). A lane performs exactly the float64
// operations of pav_ar1 in the same order (products and sums are never fused: fp-contract=off),
// so every partition and every sum is bit-identical to the scalar pass. The eight stacks are
// interleaved, slot i of lane l at R[8i + l], and move between memory and registers as eight
// 32-byte pools transposed in registers. The library stays baseline x86-64: this code is compiled
// for AVX-512 alone and only called when the CPU has it (avx512_lanes()). On an AMD EPYC (Zen 4)
// it takes about 3 ns per sample of bench_deconvolve's traces, where pav_ar1 takes about 11.

/// Frame k of a lane is u_k = y_k − mid_a, but (y_k − second_a) − second_b for the frame before
/// the lane's last and (y_k − last_a) − last_b for the last: this reproduces both oasis()'s
/// y − λ(1 − γ), y − λ and deconvolve's y − (b + λa), (y − b) − λa roundings.
struct FrameShifts {
  double mid_a, second_a, second_b, last_a, last_b;
};

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NEURODL_AVX512_LANES 1
#define NEURODL_AVX512_FN \
  __attribute__((target("avx512f,avx512dq,avx512vl"), optimize("fp-contract=off")))
#endif

bool avx512_lanes() {
#ifdef NEURODL_AVX512_LANES
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512vl");
  return ok;
#else
  return false;
#endif
}

#ifdef NEURODL_AVX512_LANES
// GCC 12 warns about the deliberately undefined upper halves inside its own AVX-512 intrinsics
// (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
static_assert(sizeof(Pool1) == 32 && offsetof(Pool1, w) == 8 && offsetof(Pool1, e) == 16 &&
              offsetof(Pool1, t) == 24);

/// Eight pools, one per lane, field by field (t holds the int64 bits of the start frame).
struct Lanes8 {
  __m512d y0, w, e, t;
};

/// Writes lane l's pool to the 32 bytes at R + off[l] (bytes): the 4 × 8 fields are transposed
/// into eight pools.
NEURODL_AVX512_FN inline void store_lanes(Pool1* R, const std::int64_t* off, const Lanes8& p) {
  const __m512d a = _mm512_unpacklo_pd(p.y0, p.w), b = _mm512_unpackhi_pd(p.y0, p.w);
  const __m512d c = _mm512_unpacklo_pd(p.e, p.t), d = _mm512_unpackhi_pd(p.e, p.t);
  // a = [y0 w0 y2 w2 | y4 w4 y6 w6], c = [e0 t0 e2 t2 | …]: pick 128-bit pairs from a and c.
  const __m512i even = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
  const __m512i odd = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
  const __m512d p04 = _mm512_permutex2var_pd(a, even, c), p26 = _mm512_permutex2var_pd(a, odd, c);
  const __m512d p15 = _mm512_permutex2var_pd(b, even, d), p37 = _mm512_permutex2var_pd(b, odd, d);
  char* base = reinterpret_cast<char*>(R);
  auto put = [&](int l, __m256d v) {
    _mm256_storeu_pd(reinterpret_cast<double*>(base + off[l]), v);
  };
  put(0, _mm512_castpd512_pd256(p04));
  put(4, _mm512_extractf64x4_pd(p04, 1));
  put(2, _mm512_castpd512_pd256(p26));
  put(6, _mm512_extractf64x4_pd(p26, 1));
  put(1, _mm512_castpd512_pd256(p15));
  put(5, _mm512_extractf64x4_pd(p15, 1));
  put(3, _mm512_castpd512_pd256(p37));
  put(7, _mm512_extractf64x4_pd(p37, 1));
}

/// Reads lane l's pool from R + off[l] bytes (the inverse of store_lanes).
NEURODL_AVX512_FN inline Lanes8 load_lanes(const Pool1* R, const std::int64_t* off) {
  const char* base = reinterpret_cast<const char*>(R);
  auto at = [&](int l) { return _mm256_loadu_pd(reinterpret_cast<const double*>(base + off[l])); };
  auto pair = [&](int l, int h) {
    return _mm512_insertf64x4(_mm512_castpd256_pd512(at(l)), at(h), 1);
  };
  const __m512d p04 = pair(0, 4), p26 = pair(2, 6), p15 = pair(1, 5), p37 = pair(3, 7);
  const __m512i even = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
  const __m512i odd = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
  const __m512d a = _mm512_permutex2var_pd(p04, even, p26);  // [y0 w0 y2 w2 | y4 w4 y6 w6]
  const __m512d c = _mm512_permutex2var_pd(p04, odd, p26);   // [e0 t0 e2 t2 | e4 t4 e6 t6]
  const __m512d b = _mm512_permutex2var_pd(p15, even, p37);
  const __m512d d = _mm512_permutex2var_pd(p15, odd, p37);
  return {_mm512_unpacklo_pd(a, b), _mm512_unpackhi_pd(a, b), _mm512_unpacklo_pd(c, d),
          _mm512_unpackhi_pd(c, d)};
}

/// pav_ar1 on eight traces: lane l reads frames cols[l·ld + k], k < len[l] (len[l] = 0: an unused
/// lane). Every lane's column is read up to the largest len rounded up to a multiple of 8. Leaves
/// lane l's partition in R[8i + l], i < count[l]; R[−24…−1] must be writable (the sentinels and
/// two slots below them).
template <bool kMinSize>
NEURODL_AVX512_FN void pass_ar1_lanes(const float* cols, std::size_t ld, const std::int64_t* len,
                                      const FrameShifts& sh, double g, double s_min, Pool1* R,
                                      std::int64_t* count) {
  const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i one = _mm512_set1_epi64(1), two = _mm512_set1_epi64(2);
  const __m512i lenv = _mm512_loadu_si512(len);
  const __m512i last = _mm512_sub_epi64(lenv, one), second = _mm512_sub_epi64(lenv, two);
  const __m512d zero = _mm512_setzero_pd(), onev = _mm512_set1_pd(1.0), gv = _mm512_set1_pd(g);
  const __m512d tiny = _mm512_set1_pd(kTiny), sminv = _mm512_set1_pd(s_min);
  for (int l = -24; l < 0; ++l) R[l] = {0.0, 0.0, 0.0, -1};  // P[−1] of every lane: the sentinel
  // Byte offsets of slot n of each lane, (8n + l)·32, go through memory: eight scalar loads are
  // cheaper than extracting eight elements from a vector register.
  const __m512i lane_bytes = _mm512_slli_epi64(lane, 5);
  alignas(64) std::int64_t off[8];
  auto offsets = [&](__m512i n) {
    _mm512_store_si512(off, _mm512_add_epi64(_mm512_slli_epi64(n, 8), lane_bytes));
    asm volatile("" : "+m"(off));  // keep the compiler from turning the loads back into extracts
  };
  // Frames k…k+7 of the eight columns, transposed in registers into eight rows of eight lanes.
  alignas(32) float rows[8][8];
  auto load_rows = [&](std::int64_t k) {
    __m256 r[8], t[8], s[8];
    for (int l = 0; l < 8; ++l) r[l] = _mm256_loadu_ps(cols + static_cast<std::size_t>(l) * ld + k);
    for (int l = 0; l < 8; l += 2) {
      t[l] = _mm256_unpacklo_ps(r[l], r[l + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
      t[l + 1] = _mm256_unpackhi_ps(r[l], r[l + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
    }
    for (int h = 0; h < 8; h += 4) {
      s[h] = _mm256_shuffle_ps(t[h], t[h + 2], 0x44);      // a0 b0 c0 d0 | a4 b4 c4 d4
      s[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], 0xEE);  // a1 b1 c1 d1 | a5 …
      s[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0x44);
      s[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0xEE);
    }
    for (int j = 0; j < 4; ++j) {
      _mm256_store_ps(rows[j], _mm256_permute2f128_ps(s[j], s[j + 4], 0x20));
      _mm256_store_ps(rows[j + 4], _mm256_permute2f128_ps(s[j], s[j + 4], 0x31));
    }
  };
  auto frame = [&](std::int64_t k) {
    if ((k & 7) == 0) load_rows(k);
    const __m512d y = _mm512_cvtps_pd(_mm256_load_ps(rows[k & 7]));
    const __m512i kv = _mm512_set1_epi64(k);
    const __mmask8 is_last = _mm512_cmpeq_epi64_mask(kv, last);
    const __mmask8 is_second = _mm512_cmpeq_epi64_mask(kv, second);
    const __m512d a = _mm512_mask_blend_pd(
        is_last,
        _mm512_mask_blend_pd(is_second, _mm512_set1_pd(sh.mid_a), _mm512_set1_pd(sh.second_a)),
        _mm512_set1_pd(sh.last_a));
    const __m512d b = _mm512_mask_blend_pd(
        is_last, _mm512_mask_blend_pd(is_second, zero, _mm512_set1_pd(sh.second_b)),
        _mm512_set1_pd(sh.last_b));
    return _mm512_sub_pd(_mm512_sub_pd(y, a), b);  // (y − a) − 0 = y − a exactly
  };
  // pav_ar1's violates(A, first, y0b, wb) and absorb(A, B), lane by lane. The product e_A·y_A
  // (y_A = y0_A, clipped at 0 for the first pool) is computed once per pool as it enters the
  // registers ("ey"), which takes it off the chain of dependent operations from one test to the
  // next; it is the same product, so the test is unchanged.
  auto ey_of = [&](const Lanes8& A, __mmask8 first) {
    return _mm512_mul_pd(
        A.e, _mm512_mask_blend_pd(first & _mm512_cmp_pd_mask(A.y0, zero, _CMP_LT_OQ), A.y0, zero));
  };
  auto bound = [&](__m512d ey, const Lanes8& A) {  // e_A·y_A (+ s_min·w_A)
    if constexpr (kMinSize) return _mm512_add_pd(ey, _mm512_mul_pd(sminv, A.w));
    return ey;
  };
  auto absorbed = [&](const Lanes8& A, const Lanes8& B) {
    const __m512d e = _mm512_mul_pd(A.e, B.e);
    return Lanes8{_mm512_add_pd(A.y0, _mm512_mul_pd(A.e, B.y0)),
                  _mm512_add_pd(A.w, _mm512_mul_pd(_mm512_mul_pd(A.e, A.e), B.w)),
                  _mm512_mask_blend_pd(_mm512_cmp_pd_mask(e, tiny, _CMP_LT_OQ), e, zero), A.t};
  };
  auto blend = [](__mmask8 m, const Lanes8& a, const Lanes8& b) {  // m ? b : a
    return Lanes8{_mm512_mask_blend_pd(m, a.y0, b.y0), _mm512_mask_blend_pd(m, a.w, b.w),
                  _mm512_mask_blend_pd(m, a.e, b.e), _mm512_mask_blend_pd(m, a.t, b.t)};
  };
  // Per lane: the pools below the top are R[0…n) (memory); the top, P[n − 1] ("below") and
  // P[n − 2] are also kept in registers (the sentinel below an empty stack), so that memory is
  // read only when a cascade merges.
  __m512i n = _mm512_setzero_si512();
  const Lanes8 sentinel{zero, zero, zero, _mm512_castsi512_pd(_mm512_set1_epi64(-1))};
  Lanes8 top{frame(0), onev, gv, _mm512_castsi512_pd(_mm512_setzero_si512())};
  Lanes8 below = sentinel, below2 = sentinel;
  __m512d below_ey = zero, below2_ey = zero;
  auto step = [&](std::int64_t k, __m512d y0b, __mmask8 active) __attribute__((always_inline)) {
    const Lanes8 B{y0b, onev, gv, _mm512_castsi512_pd(_mm512_set1_epi64(k))};
    // The frame violates the top: y0_B·w_top < bound·w_B with w_B = 1 (the product by 1 exact).
    const __m512d top_ey = ey_of(top, _mm512_cmpeq_epi64_mask(n, _mm512_setzero_si512()));
    const __mmask8 merge =
        _mm512_cmp_pd_mask(_mm512_mul_pd(B.y0, top.w), bound(top_ey, top), _CMP_LT_OQ) & active;
    const __mmask8 push = active & ~merge;
    // Every lane writes its top to slot n: a push keeps it, elsewhere that slot is unused.
    offsets(n);
    store_lanes(R, off, top);
    below2 = blend(push, below2, below);
    below2_ey = _mm512_mask_blend_pd(push, below2_ey, below_ey);
    below = blend(push, below, top);
    below_ey = _mm512_mask_blend_pd(push, below_ey, top_ey);
    top = blend(merge, blend(push, top, B), absorbed(top, B));
    n = _mm512_mask_add_epi64(n, push, n, one);
    // Cascade: a lane that merged compares its top with the pool below, and so on.
    for (__mmask8 cascade = merge; cascade;) {
      const __mmask8 m =
          _mm512_cmp_pd_mask(_mm512_mul_pd(top.y0, below.w),
                             _mm512_mul_pd(bound(below_ey, below), top.w), _CMP_LT_OQ) &
          cascade;
      if (!m) break;
      top = blend(m, top, absorbed(below, top));
      below = blend(m, below, below2);
      below_ey = _mm512_mask_blend_pd(m, below_ey, below2_ey);
      n = _mm512_mask_sub_epi64(n, m, n, one);
      offsets(_mm512_sub_epi64(n, two));
      const Lanes8 loaded = load_lanes(R, off);
      below2 = blend(m, below2, loaded);
      below2_ey =
          _mm512_mask_blend_pd(m, below2_ey, ey_of(loaded, _mm512_cmpeq_epi64_mask(n, two)));
      cascade = m;
    }
  };
  // While every lane is before its last two frames, the frames are y − mid_a in all of them.
  std::int64_t frames = 0, uniform = std::numeric_limits<std::int64_t>::max();
  for (int l = 0; l < 8; ++l) {
    frames = std::max(frames, len[l]);
    if (len[l] > 0) uniform = std::min(uniform, len[l] - 2);
  }
  uniform = std::min(uniform, frames);
  const __mmask8 live = _mm512_cmpgt_epi64_mask(lenv, _mm512_setzero_si512());
  const __m512d mid_a = _mm512_set1_pd(sh.mid_a);
  std::int64_t k = 1;
  for (; k < uniform; ++k) {
    if ((k & 7) == 0) load_rows(k);
    step(k, _mm512_sub_pd(_mm512_cvtps_pd(_mm256_load_ps(rows[k & 7])), mid_a), live);
  }
  for (; k < frames; ++k) step(k, frame(k), _mm512_cmpgt_epi64_mask(lenv, _mm512_set1_epi64(k)));
  offsets(n);
  store_lanes(R, off, top);
  _mm512_storeu_si512(count, _mm512_maskz_add_epi64(live, n, one));
}
#pragma GCC diagnostic pop
#endif

/// The AR(1) pass of up to eight traces (columns of a column-major float block, see
/// pass_ar1_lanes) into parts[l] (up to len[l] pools; null: not wanted) with counts[l]. Requires
/// avx512_lanes(). `R`: scratch, resized here.
void pass_ar1_group(const float* cols, std::size_t ld, const std::int64_t* len,
                    const FrameShifts& sh, double g, double s_min, std::vector<Pool1>& R,
                    Pool1* const* parts, std::int64_t* counts) {
#ifdef NEURODL_AVX512_LANES
  std::int64_t frames = 0;
  for (int l = 0; l < 8; ++l) frames = std::max(frames, len[l]);
  R.resize(8 * (static_cast<std::size_t>(frames) + 4));
  Pool1* base = R.data() + 24;
  if (s_min > 0)
    pass_ar1_lanes<true>(cols, ld, len, sh, g, s_min, base, counts);
  else
    pass_ar1_lanes<false>(cols, ld, len, sh, g, s_min, base, counts);
  for (int l = 0; l < 8; ++l) {
    if (!parts[l]) continue;
    for (std::int64_t i = 0; i < counts[l]; ++i) parts[l][i] = base[8 * i + l];
  }
#else
  (void)cols, (void)ld, (void)len, (void)sh, (void)g, (void)s_min, (void)R, (void)parts,
      (void)counts;
  throw InternalError("spikes.oasis: the AVX-512 pass was called on a build without it");
#endif
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
/// exactly. A histogram of equal bins (about n/8 of them, 64 to 4,096) between the least and the
/// largest value finds the bin that holds rank k; only that bin's values (tens for a noisy trace)
/// are partially sorted. Three branch-free passes over x: O(n) at streaming speed, several times
/// faster than std::nth_element on all values (data-dependent branches). Skewed data only make
/// the bin larger, never the result wrong. x finite.
std::pair<double, double> order_stats(const double* x, std::size_t n, std::size_t k) {
  const std::size_t bins = std::clamp<std::size_t>(std::bit_ceil(n / 8), 64, 4096);
  thread_local std::vector<double> bin;
  thread_local std::vector<std::uint32_t> hist, hists;
  // Four running minima and maxima: the least and the largest value do not depend on the order
  // of the comparisons, and four independent chains run four times faster than one.
  double lo4[4], hi4[4];
  std::fill_n(lo4, 4, x[0]);
  std::fill_n(hi4, 4, x[0]);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (std::size_t j = 0; j < 4; ++j) {
      lo4[j] = std::min(lo4[j], x[i + j]);
      hi4[j] = std::max(hi4[j], x[i + j]);
    }
  for (; i < n; ++i) {
    lo4[0] = std::min(lo4[0], x[i]);
    hi4[0] = std::max(hi4[0], x[i]);
  }
  const double lo = std::min(std::min(lo4[0], lo4[1]), std::min(lo4[2], lo4[3]));
  const double hi = std::max(std::max(hi4[0], hi4[1]), std::max(hi4[2], hi4[3]));
  // (x − lo)·scale ∈ [0, bins − 1] (rounding stays below bins); all in bin 0 when hi = lo or
  // the range overflows.
  const double range = hi - lo;
  const double scale =
      range > 0 && std::isfinite(range) ? static_cast<double>(bins - 1) / range : 0;
  auto bin_of = [&](double v) {
    return static_cast<std::size_t>(static_cast<std::int64_t>((v - lo) * scale));
  };
  // Counted in four histograms, one per residue of i mod 4, then summed: consecutive values that
  // fall in the same bin would otherwise chain their increments through memory.
  hists.assign(4 * bins, 0u);
  hist.resize(bins);
  for (i = 0; i + 4 <= n; i += 4)
    for (std::size_t j = 0; j < 4; ++j) ++hists[j * bins + bin_of(x[i + j])];
  for (; i < n; ++i) ++hists[bin_of(x[i])];
  for (std::size_t b = 0; b < bins; ++b)
    hist[b] = hists[b] + hists[bins + b] + hists[2 * bins + b] + hists[3 * bins + b];
  std::size_t b = 0, below = 0;
  while (below + hist[b] <= k) below += hist[b++];
  bin.resize(hist[b] + 1);
  std::size_t m = 0;
  for (i = 0; i < n; ++i) {
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
  for (i = 0; i < n; ++i)
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
       .help = "Gaussian s.d. smoothing the output (expected spikes per frame; 0: none; default: "
               "--smoothing-per-decay × the unit's decay time)",
       .unit = "s", .target = &o.smoothing_s, .min = 0, .max = 1e4},
      {.name = "smoothing_per_decay",
       .help = "without --smoothing-s, the smoothing s.d. as a multiple of each unit's decay time "
               "constant (slower indicators time spikes less precisely)",
       .target = &o.smoothing_per_decay, .min = 0, .max = 10},
      {.name = "lead_frames",
       .help = "frames by which the output is moved earlier (frame integration and the indicator's "
               "rise make OASIS place spikes late; 0: none)",
       .unit = "frames", .target = &o.lead_frames, .min = -100, .max = 100},
      {.name = "native_fs_hz",
       .help = "rate the traces were recorded at before they were resampled up to --fs: each is "
               "deconvolved at it (default: detected per trace from its spectrum; 0: off)",
       .unit = "Hz", .target = &o.native_fs_hz, .min = 0, .max = 1e6, .flag = "--native-fs"},
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

void oasis_ar1_columns(const MatrixF& y, std::span<const std::int64_t> len, double g, double lambda,
                       double s_min, MatrixD& c, MatrixD& s, bool vectorised) {
  const Eigen::Index T = y.rows(), N = y.cols();
  check(static_cast<Eigen::Index>(len.size()) == N, ErrorKind::shape,
        {.component = kComponent,
         .what = "one length per column",
         .expected = std::to_string(N),
         .got = std::to_string(len.size())});
  for (Eigen::Index j = 0; j < N; ++j)
    check(len[j] >= 0 && len[j] <= T, ErrorKind::shape,
          {.component = kComponent,
           .what = "column length out of range",
           .expected = "0 … " + std::to_string(T),
           .got = "column " + std::to_string(j) + ": " + std::to_string(len[j])});
  check_roots(g, 0.0);
  check(lambda >= 0 && s_min >= 0, ErrorKind::config,
        {.component = kComponent,
         .what = "λ and s_min must be ≥ 0",
         .got = num(lambda) + ", " + num(s_min)});
  c.setConstant(T, N, kNaN);
  s.setConstant(T, N, kNaN);
  const auto Tu = static_cast<std::size_t>(T);
  std::vector<float> block(8 * Tu + 8);
  std::vector<double> trace(Tu), ct(Tu), st(Tu);
  std::vector<Pool1> scratch, parts(8 * Tu);
  const bool lanes = vectorised && avx512_lanes();
  // oasis()'s frames: y − λ(1 − γ), and y − λ for the last.
  const FrameShifts shifts{lambda * (1.0 - g), lambda * (1.0 - g), 0.0, 0.0, lambda};
  for (Eigen::Index j0 = 0; j0 < N; j0 += 8) {
    const Eigen::Index nb = std::min<Eigen::Index>(8, N - j0);
    gather_columns(y.data() + j0, static_cast<std::size_t>(N), Tu, static_cast<std::size_t>(nb),
                   block.data());
    std::int64_t len_g[8] = {}, counts[8] = {};
    Pool1* part_of[8] = {};
    for (Eigen::Index l = 0; l < nb; ++l) {
      len_g[l] = len[j0 + l];
      part_of[l] = parts.data() + l * Tu;
    }
    if (lanes) pass_ar1_group(block.data(), Tu, len_g, shifts, g, s_min, scratch, part_of, counts);
    for (Eigen::Index l = 0; l < nb; ++l) {
      const auto n = static_cast<std::size_t>(len_g[l]);
      if (n == 0) continue;
      if (lanes) {
        ar1_output(part_of[l], static_cast<std::size_t>(counts[l]), len_g[l], g, ct.data(),
                   st.data());
      } else {
        std::copy_n(block.data() + l * T, n, trace.begin());
        oasis(std::span<const double>(trace.data(), n), g, 0.0, lambda, s_min,
              std::span<double>(ct.data(), n), std::span<double>(st.data(), n));
      }
      for (std::size_t t = 0; t < n; ++t) {
        c(static_cast<Eigen::Index>(t), j0 + l) = ct[t];
        s(static_cast<Eigen::Index>(t), j0 + l) = st[t];
      }
    }
  }
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

BandLimit detect_band_limit(std::span<const double> y, double sample_rate_hz) {
  BandLimit b;
  b.native_fs_hz = sample_rate_hz;
  const std::size_t T = y.size();
  if (T < 128 || !(sample_rate_hz > 0) || !std::isfinite(sample_rate_hz)) return b;
  // Welch's density (periodic Hann window, mean removed per segment), unscaled: only ratios
  // between frequencies are used. 256-frame segments (fs/256 per bin) from 512 frames on, 64-frame
  // ones below; 50 % overlap, but at most 64 segments spread evenly over a long trace (the
  // medians below need no more, and the cost stays fixed per trace).
  const std::size_t N = T >= 512 ? 256 : 64, K = N / 2;
  const std::size_t segments = std::min<std::size_t>(64, (T - N) / (N / 2) + 1);
  const double stride = segments > 1 ? static_cast<double>(T - N) / static_cast<double>(segments - 1) : 0.0;
  Welch& p = welch_tables(N);
  std::vector<double> P(K + 1, 0.0);
  double *re = p.re.data(), *im = p.im.data();
  for (std::size_t g = 0; g < segments; ++g) {
    const auto start = static_cast<std::size_t>(std::llround(static_cast<double>(g) * stride));
    double mean = 0;
    for (std::size_t i = 0; i < N; ++i) mean += y[start + i];
    mean /= static_cast<double>(N);
    for (std::size_t i = 0; i < N; ++i) {
      re[p.rev[i]] = (y[start + i] - mean) * p.win[i];
      im[p.rev[i]] = 0.0;
    }
    fft(p, re, im);
    for (std::size_t k = 0; k <= K; ++k) P[k] += re[k] * re[k] + im[k] * im[k];
  }
  // S: P under a running median of 3 bins (a single bin of a noisy density scatters by ~×3).
  std::vector<double> S(K + 1);
  for (std::size_t k = 0; k <= K; ++k) {
    const double a = P[k == 0 ? 0 : k - 1], c = P[k], d = P[k == K ? K : k + 1];
    S[k] = std::max(std::min(a, c), std::min(std::max(a, c), d));
  }
  // A cut-off at bin c: the lowest level of S between c/2 and c (the noise floor under the cut,
  // however the signal falls towards it) against the median of everything above c. Recorded
  // traces end in a flat noise floor, so this ratio stays near 1 (≤ ~400 on 268 real traces with
  // strong slow signals); resampling up by Fourier or polyphase filters leaves nothing above the
  // old Nyquist frequency (ratios of 10^5 to 10^10).
  double best = 0, best_below = 0, best_above = 0;
  const std::size_t c_lo = std::max<std::size_t>(4, K / 16), c_hi = K - std::max<std::size_t>(2, K / 10);
  for (std::size_t c = c_lo; c < c_hi; ++c) {
    const double below = *std::min_element(S.begin() + static_cast<std::ptrdiff_t>(c / 2),
                                            S.begin() + static_cast<std::ptrdiff_t>(c - 1));
    const double above = upper_median(std::vector<double>(P.begin() + static_cast<std::ptrdiff_t>(c + 1), P.end()));
    const double r = below / std::max(above, 1e-300);
    if (r > best) {
      best = r;
      best_below = below;
      best_above = above;
    }
  }
  b.ratio = best;
  if (!(best >= kBandLimitRatio)) return b;
  // The edge: the last bin whose smoothed level is above the geometric middle of the two levels,
  // then, on the raw density, where it falls to half the noise floor just below (the window's
  // smearing of a sharp edge is symmetric about it), linearly interpolated between bins.
  const double mid = std::sqrt(best_below * std::max(best_above, 1e-300));
  std::size_t k = K;
  while (k > 0 && S[k] < mid) --k;
  const std::size_t f0 = (3 * k) / 4;
  const double floor_level = k >= f0 + 4 ? upper_median(std::vector<double>(P.begin() + static_cast<std::ptrdiff_t>(f0),
                                                                          P.begin() + static_cast<std::ptrdiff_t>(k - 2)))
                                         : S[k];
  const double half = 0.5 * floor_level;
  std::size_t j = std::min(k, K - 1);
  while (j > 0 && P[j] < half) --j;
  double frac = P[j] > P[j + 1] ? (P[j] - half) / (P[j] - P[j + 1]) : 0.0;
  frac = std::clamp(frac, 0.0, 1.0);
  b.cutoff_hz = (static_cast<double>(j) + frac) * sample_rate_hz / static_cast<double>(N);
  b.native_fs_hz = std::min(sample_rate_hz, 2 * b.cutoff_hz);
  return b;
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
  if (!std::isnan(o.native_fs_hz) && !(o.native_fs_hz >= 0 && std::isfinite(o.native_fs_hz)))
    config_error("native rate must be ≥ 0 and finite", ">= 0", num(o.native_fs_hz), "Hz", "--native-fs");
  if (!std::isnan(o.spike_amplitude) && !(o.spike_amplitude > 0 && std::isfinite(o.spike_amplitude)))
    config_error("spike amplitude must be positive", "> 0", num(o.spike_amplitude), "ΔF/F",
                 "--spike-amplitude");
  if (!std::isnan(o.baseline) && !std::isfinite(o.baseline))
    config_error("baseline must be finite", "finite", num(o.baseline), "ΔF/F", "--baseline");
  if (!std::isnan(o.smoothing_s) && !(o.smoothing_s >= 0 && std::isfinite(o.smoothing_s)))
    config_error("smoothing must be ≥ 0", ">= 0", num(o.smoothing_s), "s", "--smoothing-s");
  if (!(o.smoothing_per_decay >= 0 && o.smoothing_per_decay <= 10))
    config_error("smoothing per decay time must be in [0, 10]", "0..10", num(o.smoothing_per_decay), "",
                 "--smoothing-per-decay");
  if (!(std::isfinite(o.lead_frames) && std::abs(o.lead_frames) <= 100))
    config_error("lead must be finite and at most 100 frames either way", "-100..100",
                 num(o.lead_frames), "frames", "--lead-frames");
  if (!(o.decay_window_s > 0 && std::isfinite(o.decay_window_s)))
    config_error("autocovariance window must be positive", "> 0", num(o.decay_window_s), "s",
                 "--decay-window-s");
  if (!(o.decay_shrinkage_hz >= 0 && std::isfinite(o.decay_shrinkage_hz)))
    config_error("decay shrinkage must be ≥ 0", ">= 0", num(o.decay_shrinkage_hz), "1/s",
                 "--decay-shrinkage-hz");
}

namespace {

/// Gaussian smoothing in place, centred `lead` frames earlier: x_out(i) = Σ_t x(t)·k(i − t + lead)
/// with k a Gaussian of s.d. `sd` frames sampled at the integer offsets, truncated at 4 s.d. and
/// normalised; sd = 0 with a fractional lead splits each value linearly between the two
/// neighbouring frames. Mass beyond an end is reflected back (scipy's "reflect"), so Σx is
/// unchanged. O(T·(sd + |lead|)).
void gaussian_smooth(std::span<double> x, double sd, std::vector<double>& tmp, double lead = 0.0) {
  const auto T = static_cast<std::int64_t>(x.size());
  if ((!(sd > 0) && lead == 0) || T == 0) return;
  // Offsets j (output frame − input frame) from lo to hi with weights k[j − lo].
  std::int64_t lo = 0, hi = 0;
  std::vector<double> k;
  double ks = 0;
  if (sd > 0) {
    const double reach = 4.0 * sd;
    lo = static_cast<std::int64_t>(std::floor(-lead - reach + 0.5));
    hi = static_cast<std::int64_t>(std::ceil(-lead + reach - 0.5));
    if (hi < lo) hi = lo;
    for (std::int64_t j = lo; j <= hi; ++j) {
      const double u = (static_cast<double>(j) + lead) / sd;
      k.push_back(std::exp(-0.5 * u * u));
      ks += k.back();
    }
    if (ks > 0)
      for (auto& v : k) v /= ks;
  }
  // No width, or one so far below a frame that no whole frame gets weight (a fractional lead with
  // s.d. ≪ 1 frame): the linear split between the two frames around the centre.
  if (!(ks > 0)) {
    lo = static_cast<std::int64_t>(std::floor(-lead));
    hi = lo + 1;
    const double frac = -lead - static_cast<double>(lo);  // weight of the later frame
    k = {1.0 - frac, frac};
  }
  tmp.assign(x.begin(), x.end());
  std::fill(x.begin(), x.end(), 0.0);
  for (std::int64_t t = 0; t < T; ++t) {
    const double v = tmp[static_cast<std::size_t>(t)];
    if (v == 0) continue;
    for (std::int64_t j = lo; j <= hi; ++j) {
      const double kj = k[static_cast<std::size_t>(j - lo)];
      if (kj == 0) continue;
      std::int64_t i = t + j;
      // Reflection about the edges (scipy's "reflect"); repeated for kernels longer than T.
      while (i < 0 || i >= T) i = i < 0 ? -i - 1 : 2 * T - i - 1;
      x[static_cast<std::size_t>(i)] += v * kj;
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

void smooth_spikes(std::span<double> spikes, double sample_rate_hz, double smoothing_s,
                   double lead_frames) {
  check(sample_rate_hz > 0 && std::isfinite(sample_rate_hz) && smoothing_s >= 0 &&
            std::isfinite(smoothing_s) && std::isfinite(lead_frames),
        ErrorKind::config,
        {.component = kComponent,
         .what = "smoothing needs a positive rate, a width ≥ 0 and a finite lead",
         .got = num(sample_rate_hz) + " Hz, " + num(smoothing_s) + " s, " + num(lead_frames) +
                " frames"});
  std::vector<double> tmp;
  gaussian_smooth(spikes, smoothing_s * sample_rate_hz, tmp, lead_frames);
}

namespace {

// deconvolve_trace without its input checks: y is finite, T ≥ 16, spikes has T entries and the
// options were checked. deconvolve() checks the whole matrix once and calls this per column.
// `partition` (n_pools pools), when given, is the AR(1) pass over y − b − λa that the solution
// needs when γ, λ and b are given (L1), already done by the caller for several traces at once.
UnitFit deconvolve_checked(std::span<const double> y, const OasisOptions& o,
                           std::span<double> spikes, const Pool1* partition = nullptr,
                           std::size_t n_pools = 0) {
  const auto T = static_cast<std::int64_t>(y.size());
  const double fs = o.sample_rate_hz;
  if (partition == nullptr) {
    // Input resampled up from a lower rate: deconvolve the frames that were recorded.
    double native = o.native_fs_hz;
    if (std::isnan(native))
      native = std::isnan(o.lambda) && std::isnan(o.s_min) && std::isnan(o.noise_sd) ? detect_band_limit(y, fs).native_fs_hz
                                                                                   : 0.0;
    if (native > 0 && native < kNativeRateFraction * fs && static_cast<double>(T - 1) * native / fs >= 16) {
      // The recorded samples, read back at their own times (the input is band-limited below
      // native/2, so interpolating between its finer frames is close, and the noise on those
      // samples is white again; a box average would colour it).
      const std::vector<double> yr = recorded_samples(y, fs, native);
      OasisOptions on = o;
      on.sample_rate_hz = native;
      on.native_fs_hz = 0;
      // Sample k is the recording at time k/native, the middle of the interval it stands for,
      // while rebin_counts below spreads frame k over [k, k + 1)/native: half a frame earlier.
      on.lead_frames = o.lead_frames + 0.5;
      std::vector<double> sr(yr.size());
      UnitFit fit = deconvolve_checked(yr, on, sr);
      const std::vector<double> back = rebin_counts(sr, native, fs, T);
      std::copy(back.begin(), back.end(), spikes.begin());
      fit.n_frames = T;
      return fit;
    }
  }
  UnitFit fit;
  fit.n_frames = T;
  fit.native_fs_hz = fs;
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
  } else if (partition) {
    ar1_output(partition, n_pools, T, g1, nullptr, w.s.data());  // run(λ, b, 0) without c
    iterations = 1;
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
  for (std::int64_t t = 0; t < T; ++t) spikes[t] = w.s[t] * scale;
  // Σ spikes in frame order, as one running sum; most frames hold no spike, and adding a zero
  // leaves a sum that started at +0 unchanged, so runs of eight zeros are skipped (one test
  // instead of eight dependent additions).
  double total = 0;
  std::int64_t t = 0;
  for (; t + 8 <= T; t += 8) {
    std::uint64_t bits = 0;  // ±0 has no bit set but the sign
    for (std::int64_t i = 0; i < 8; ++i) bits |= std::bit_cast<std::uint64_t>(spikes[t + i]) << 1;
    if (bits == 0) continue;
    for (std::int64_t i = 0; i < 8; ++i) total += spikes[t + i];
  }
  for (; t < T; ++t) total += spikes[t];
  // Expected spikes per frame, smoothed (a fixed width, or one proportional to the decay time)
  // and moved lead_frames earlier: the normalised kernel keeps the count (docs/spikes.md).
  fit.smoothing_s = std::isnan(o.smoothing_s) ? o.smoothing_per_decay * fit.tau_decay_s : o.smoothing_s;
  gaussian_smooth(spikes, fit.smoothing_s * fs, w.u, o.lead_frames);
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
    // An all-NaN column (an empty ROI) gives an all-NaN output column; a short one is an error.
    check(n >= 16 || n == 0, ErrorKind::shape,
          {.component = kComponent, .what = "trace too short", .expected = ">= 16 frames (or none)",
           .got = "unit " + std::to_string(j) + ": " + std::to_string(n)});
  }
  check_options(o);  // once, on the calling thread, before any work

  DeconvolveResult res;
  res.spikes.resize(T, N);
  advise_huge_pages(res.spikes.data(), static_cast<std::size_t>(res.spikes.size()) * sizeof(float));
  res.units.resize(static_cast<std::size_t>(N));
  // Units are processed in blocks of kBlock adjacent columns, gathered into contiguous columns
  // (gather_columns): reading one row of a block is one to four cache lines of the row-major
  // input, and rows of a wide input lie a page or more apart, so every row visited costs a TLB
  // miss: blocks of 64 columns pay it once per 64 samples (5 % faster than 16 at 10,000 ×
  // 30,000), but small inputs keep 16 so that every thread still gets blocks. The block stays
  // float32; each trace is widened into a T-double buffer just before it is solved, so that its
  // passes run on a copy that stays in the core's L2 cache. With a known decay, λ and baseline
  // (L1), the AR(1) pass runs for eight columns at once (pass_ar1_group) when the CPU has AVX-512.
  const Eigen::Index kBlock = N >= 64 * 4 * static_cast<Eigen::Index>(std::max(1, num_threads())) ? 64 : 16;
  constexpr Eigen::Index kGroup = 8;
  const Eigen::Index n_blocks = (N + kBlock - 1) / kBlock;
  const bool lanes = avx512_lanes() && o.ar_order == 1 && !std::isnan(o.tau_decay_s) &&
                     o.penalty == "l1" && !std::isnan(o.lambda) && !std::isnan(o.baseline);
  // The pass deconvolve_checked would run: γ as it computes it, frames y − (b + λa) and then
  // (y − b) − λa for the last two (a = 1 − γ, but 1 for the last frame).
  const double g = lanes ? std::exp(-1.0 / (o.tau_decay_s * o.sample_rate_hz)) : 0.0;
  const FrameShifts shifts{o.baseline + o.lambda * (1.0 - g), o.baseline, o.lambda * (1.0 - g),
                           o.baseline, o.lambda};
  Progress progress("deconvolve", N);
  std::exception_ptr error;
  bool failed = false;
#pragma omp parallel
  {
    const auto Tu = static_cast<std::size_t>(T);
    // + kGroup: pass_ar1_lanes reads up to 7 frames past the end of the last column.
    std::vector<float> block(Tu * static_cast<std::size_t>(kBlock) + kGroup);
    std::vector<double> y(Tu), out(Tu);
    std::vector<Pool1> scratch, parts(lanes ? kGroup * Tu : 0);
#pragma omp for schedule(dynamic, 1)
    for (Eigen::Index blk = 0; blk < n_blocks; ++blk) {
      if (failed) continue;
      const Eigen::Index j0 = blk * kBlock, nb = std::min(kBlock, N - j0);
      gather_columns(dff.data() + j0, static_cast<std::size_t>(N), Tu, static_cast<std::size_t>(nb),
                     block.data());
      try {
        for (Eigen::Index q = 0; q < nb; q += kGroup) {
          std::int64_t len_g[kGroup] = {}, counts[kGroup] = {};
          Pool1* part_of[kGroup] = {};
          for (Eigen::Index l = 0; l < std::min(kGroup, nb - q); ++l) {
            len_g[l] = len[j0 + q + l];
            if (lanes) part_of[l] = parts.data() + l * Tu;
          }
          if (lanes)
            pass_ar1_group(block.data() + q * T, Tu, len_g, shifts, g, 0.0, scratch, part_of,
                           counts);
          for (Eigen::Index l = 0; l < std::min(kGroup, nb - q); ++l) {
            const Eigen::Index n = len_g[l];
            float* column = block.data() + (q + l) * T;
            if (n == 0) {
              res.units[j0 + q + l] = UnitFit{};
              std::fill(column, column + T, std::numeric_limits<float>::quiet_NaN());
              continue;
            }
            std::copy(column, column + n, y.begin());
            res.units[j0 + q + l] = deconvolve_checked(std::span<const double>(y.data(), n), o,
                                                       std::span<double>(out.data(), n), part_of[l],
                                                       static_cast<std::size_t>(counts[l]));
            std::copy(out.begin(), out.begin() + n, column);
            std::fill(column + n, column + T, std::numeric_limits<float>::quiet_NaN());
          }
        }
      } catch (...) {
#pragma omp critical
        {
          if (!failed) error = std::current_exception();
          failed = true;
        }
        continue;
      }
      scatter_columns(block.data(), Tu, static_cast<std::size_t>(nb), res.spikes.data() + j0,
                      static_cast<std::size_t>(N));
      progress.advance(nb);
    }
  }
  progress.finish();
  if (failed) std::rethrow_exception(error);
  return res;
}

}  // namespace neurodl::spikes
