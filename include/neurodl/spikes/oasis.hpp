#pragma once
// Model-based spike inference by nonnegative deconvolution of ΔF/F traces with an autoregressive
// calcium model (OASIS: Friedrich, Zhou & Paninski 2017, PLoS Comput Biol 13:e1005423).
//
// Model, per unit and frame t (docs/spikes.md states every step with its formula):
//   y_t = b + c_t + ε_t,  ε_t ~ N(0, σ²)
//   AR(1): c_t = γ c_{t−1} + s_t          AR(2): c_t = γ₁ c_{t−1} + γ₂ c_{t−2} + s_t,  s_t ≥ 0
//   minimise ½‖y − b − c‖² + λ Σ_t s_t  (L1), or with every nonzero s_t ≥ s_min (L0 variant),
// solved by OASIS's pool-adjacent-violators pass, O(T) per trace: exact for AR(1); for AR(2)
// the greedy pool merge of the paper (close to, not guaranteed at, the optimum).
// γ (γ₁, γ₂) come from the autocovariance over a window in seconds with a shrinkage expressed as
// a rate, σ from the power spectral density above fs/4, and λ from the noise constraint
// ‖y − b − c‖² = σ²T; b is fitted jointly. The output is calibrated to expected spikes per frame
// by the ΔF/F amplitude of one spike (given or estimated) and smoothed by a Gaussian in seconds.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/core/recording.hpp"

namespace neurodl::spikes {

/// Options of the OASIS methods (oasis-ar1, oasis-ar2). NaN means "estimate from each trace".
struct OasisOptions {
  /// Frame rate in Hz (> 0); required (the CLI's --fs).
  double sample_rate_hz = kNaN;
  /// Order of the autoregressive calcium model: 1 (decay only) or 2 (rise and decay). Set by the
  /// method name (oasis-ar1 / oasis-ar2), not a CLI flag.
  std::int64_t ar_order = 1;
  /// Decay time constant τ_d in s; NaN: estimated per trace from the autocovariance.
  double tau_decay_s = kNaN;
  /// Rise time constant τ_r in s (AR(2) only, < τ_d); NaN: estimated with τ_d.
  double tau_rise_s = kNaN;
  /// Sparsity penalty: "l1" (convex, λ Σ s) or "l0" (hard threshold: every spike ≥ s_min).
  std::string penalty = "l1";
  /// L1 weight λ in ΔF/F; NaN: chosen so that the residual matches the noise, ‖y−b−c‖² = σ²T.
  double lambda = kNaN;
  /// L0: minimum size of a nonzero s_t in ΔF/F; NaN: the largest s_min whose residual still
  /// matches the noise (bisection). Ignored with penalty l1.
  double s_min = kNaN;
  /// Baseline b of ΔF/F; NaN: fitted jointly with the spikes (started at the 15th percentile).
  double baseline = kNaN;
  /// Noise standard deviation σ of ΔF/F per frame; NaN: estimated from the PSD above fs/4.
  double noise_sd = kNaN;
  /// Peak ΔF/F of one spike's transient (e.g. 0.1 for 10 %); NaN: estimated per trace as the
  /// median size of the isolated events of the L0 solution (docs/spikes.md).
  double spike_amplitude = kNaN;
  /// s.d. in s of a Gaussian that smooths the calibrated output into "expected spikes per frame,
  /// smoothed" (counts are kept: the kernel is normalised, truncated at 4 s.d., reflected at the
  /// ends); 0: the sparse deconvolution itself. NaN (default): smoothing_per_decay × the unit's
  /// decay time constant τ_d (estimated or given).
  double smoothing_s = kNaN;
  /// The smoothing s.d. as a multiple of τ_d when smoothing_s is NaN: the timing of a spike
  /// recovered from a transient is as uncertain as the indicator is slow. Default 0.07 (0.07 s at
  /// τ_d = 1 s; an estimated τ_d is below 2 s after the shrinkage, so at most 0.14 s), chosen
  /// with the lead by leave-one-dataset-out on 12 ground-truth datasets (docs/spikes.md).
  double smoothing_per_decay = 0.07;
  /// Frames by which the output is moved earlier (applied with the smoothing, as the centre of
  /// its kernel; fractional values split each spike between neighbouring frames; counts are
  /// kept). The AR model puts a spike in the first frame that shows its jump, but a frame
  /// averages its exposure and the indicator rises over tens of ms, so the jump of a spike
  /// counted in frame t shows mostly in frame t + 1. Default 0.5 frames, chosen by
  /// leave-one-dataset-out on 12 ground-truth datasets with the smoothing (docs/spikes.md).
  double lead_frames = 0.5;
  /// The rate the traces were recorded at when they have since been resampled up to
  /// sample_rate_hz (Spikefinder's files are all at 100 Hz), in Hz: each trace is then
  /// box-averaged down to it, deconvolved there (time constants, noise, smoothing, lead and
  /// the white-noise model all refer to the frames that were recorded) and its expected spikes
  /// are spread back over the input's frames (counts kept). NaN (default): found per trace by
  /// detect_band_limit, unless lambda, s_min or noise_sd, which are per input frame, are given;
  /// 0, or a rate above kNativeRateFraction·fs: off (the trace as given).
  double native_fs_hz = kNaN;
  /// Span in s of the autocovariance lags that estimate the time constants  /// Span in s of the autocovariance lags that estimate the time constants (at most 32 lags are
  /// computed: every m-th lag when span·fs > 32; capped at half the trace). Default 3 s: two
  /// decay times of the slowest common indicator (GCaMP6s, τ_d ≈ 1.5 s); docs/spikes.md.
  double decay_window_s = 3.0;
  /// Shrinkage κ in 1/s of each estimated AR root, as a rate: 1/τ → 1/τ + κ (bursts and slow
  /// drift bias the autocovariance towards slow decays). Default 0.5 s⁻¹: OASIS's per-frame
  /// factor 0.98 at 25 Hz (κ = −fs·ln 0.98), made independent of the frame rate; docs/spikes.md.
  double decay_shrinkage_hz = 0.5;
};

/// The option table of OasisOptions bound to `o` (CLI flags, JSON keys); ar_order is left out
/// because the method name sets it.
std::vector<OptionSpec> option_specs(OasisOptions& o);

/// What was fitted for one unit, in the units named.
struct UnitFit {
  double gamma1 = kNaN;          ///< AR coefficient γ (AR(1)) or γ₁ (AR(2)), per frame
  double gamma2 = 0.0;           ///< γ₂ (AR(2)); 0 for AR(1)
  double tau_decay_s = kNaN;     ///< decay time constant from the AR roots, s
  double tau_rise_s = 0.0;       ///< rise time constant, s (0 for AR(1))
  double noise_sd = kNaN;        ///< σ, ΔF/F per frame
  double noise_level = kNaN;     ///< CASCADE noise level ν, %·s^−½ (spikes/dff.hpp)
  double baseline = kNaN;        ///< b, ΔF/F
  double lambda = kNaN;          ///< L1 weight λ used, ΔF/F (0 for L0)
  double s_min = 0.0;            ///< L0 threshold used, ΔF/F (0 for L1)
  double spike_amplitude = kNaN; ///< peak ΔF/F of one spike used for calibration
  double spike_rate_hz = kNaN;   ///< mean inferred rate, spikes/s
  double smoothing_s = kNaN;     ///< s.d. of the output smoothing used, s
  std::int64_t n_frames = 0;     ///< frames of the input (trailing NaN padding excluded)
  /// Rate the trace was deconvolved at (OasisOptions::native_fs_hz): the input's rate unless it
  /// was found (or said) to be resampled up; γ and σ are per frame at this rate.
  double native_fs_hz = kNaN;
  std::int64_t iterations = 0;   ///< solver passes used to meet the noise constraint
};

/// The result of deconvolving a T × N matrix.
struct DeconvolveResult {
  /// T × N float32 expected spikes per frame (×fs for spikes/s); the trailing NaN padding of
  /// each input column is kept.
  MatrixF spikes;
  std::vector<UnitFit> units;  ///< N entries, one per column
};

// ---------------------------------------------------------------------------------------------
// Single-trace building blocks (float64, no NaN), exposed for tests and benchmarks
// ---------------------------------------------------------------------------------------------

/// Solves min ½‖y − c‖² + λ Σ s_t, s = G c ≥ 0 (AR(1) when g2 == 0, else AR(2)), with the L0
/// variant's minimum spike size s_min (0: pure L1). y: T ≥ 1 values with the baseline already
/// removed; c, s: T outputs (calcium and spikes in ΔF/F). O(T) for AR(1). Uses a per-thread
/// workspace. Throws ConfigError for γ outside [0, 1) (AR(1)) or AR roots outside [0, 1).
void oasis(std::span<const double> y, double g1, double g2, double lambda, double s_min,
           std::span<double> c, std::span<double> s);

/// oasis() with AR(1) for every column of y at once, as deconvolve() runs it when the decay, λ
/// and the baseline are given: column j of y (T × N float32, rows = frames) is a trace of its
/// first len[j] frames (0 ≤ len[j] ≤ T, N entries; the rows below are not read), widened to
/// float64, and the calcium and spikes that oasis(trace, g, 0, lambda, s_min) gives for it go to
/// column j of c and s (both resized to T × N float64; NaN below len[j]). vectorised: eight
/// traces at a time in the lanes of AVX-512 registers when the CPU has them, else one by one;
/// false: always one by one. The results are bit-identical either way. O(T·N). Throws ShapeError
/// for a wrong len and ConfigError as oasis() does.
void oasis_ar1_columns(const MatrixF& y, std::span<const std::int64_t> len, double g, double lambda,
                       double s_min, MatrixD& c, MatrixD& s, bool vectorised = true);

/// σ of white noise from Welch's PSD (Hann window, 256-frame segments with 50 % overlap, or the
/// whole trace when shorter; mean removed per segment) averaged over the frequencies in
/// (fs/4, fs/2): σ = sqrt(mean PSD/2) with the one-sided density at fs = 1 (as OASIS's GetSn).
/// y: T ≥ 8 finite values. Throws ConfigError for a shorter trace.
double estimate_noise_sd(std::span<const double> y);

/// Ratio of the noise floor below a spectral cut-off to the density above it from which a trace
/// counts as band-limited (40 dB; docs/spikes.md, "Band-limited input").
inline constexpr double kBandLimitRatio = 1e4;
/// A native rate (given or detected) is used only below this fraction of the input's rate.
inline constexpr double kNativeRateFraction = 0.9;

/// Whether a trace was resampled up from a lower rate (Spikefinder distributes every recording
/// at 100 Hz) or otherwise low-pass filtered: its density is ~zero above a cut-off below fs/2.
struct BandLimit {
  double ratio = 0;            ///< noise floor below the best cut-off / median density above it
  double cutoff_hz = kNaN;     ///< the cut-off (half the floor), when band-limited
  double native_fs_hz = kNaN;  ///< 2 × cut-off when band-limited (≤ fs), else fs
};
/// Finds a band limit in y sampled at fs from Welch's density (Hann, 50 % overlap; 256-frame
/// segments, 64 below 512 frames; at most 64 segments, spread over the trace): for each cut-off between fs/32 and 0.9·fs/2, the lowest level
/// (3-bin running median) between half the cut-off and the cut-off over the median density above
/// it; band-limited when the best ratio is ≥ kBandLimitRatio, the cut-off then being where the
/// density falls to half the noise floor below it. Shorter traces than 128 frames (or a bad
/// rate) are never band-limited. y: finite. O(T) to read it, then a fixed cost.
BandLimit detect_band_limit(std::span<const double> y, double sample_rate_hz);

/// AR coefficients (1 or 2 values) from the sample autocovariance at lags m·k, k = 1…order+lags
/// (m = stride), with the noise variance removed from lag 0 (Yule–Walker least squares,
/// Friedrich et al. 2017 Eq. 12; with m > 1 on every m-th lag, whose roots are the m-th powers
/// of the per-frame roots), then the roots clamped to [0, 0.999] and multiplied by
/// `fudge_factor`; complex roots are replaced by their real part. y: T > m·(order + lags) + 1
/// finite values. Throws ConfigError for a shorter trace or lags, stride < 1.
std::vector<double> estimate_ar(std::span<const double> y, std::int64_t order, double noise_sd,
                                std::int64_t lags = 10, double fudge_factor = 0.98,
                                std::int64_t stride = 1);

/// Smooths expected spikes per frame in place with a normalised Gaussian of s.d. smoothing_s
/// seconds centred lead_frames earlier (sampled at whole frames, truncated at 4 s.d., reflected
/// at the ends: the total count is kept; a width of 0 with a fractional lead splits each value
/// between the two neighbouring frames). O(T·(s.d. + |lead|)). spikes: T values at
/// sample_rate_hz. Throws ConfigError for a non-positive rate, a negative or non-finite width or
/// a non-finite lead.
void smooth_spikes(std::span<double> spikes, double sample_rate_hz, double smoothing_s,
                   double lead_frames = 0.0);

/// Deconvolves one finite trace (T ≥ 16 frames) with everything the options leave NaN estimated;
/// writes expected spikes per frame to `spikes` (T values) and returns the fit.
/// Throws ConfigError for NaN/Inf in y, a missing or non-positive rate, bad options.
UnitFit deconvolve_trace(std::span<const double> y, const OasisOptions& options,
                         std::span<double> spikes);

/// Deconvolves every column of `dff` (T × N ΔF/F, rows = frames) in parallel over units
/// (neurodl::set_num_threads), with per-thread memory O(T). A column may end in NaN padding
/// (e.g. Spikefinder CSV); the padding is kept in the output, and an all-NaN column (an empty ROI)
/// gives an all-NaN column with a default UnitFit (n_frames 0). Progress on stderr for long runs.
/// Throws ConfigError (NaN/Inf inside a column, bad rate or options, naming the unit and frame)
/// and ShapeError (empty matrix, a column with 1 to 15 frames).
DeconvolveResult deconvolve(const MatrixF& dff, const OasisOptions& options);

}  // namespace neurodl::spikes
