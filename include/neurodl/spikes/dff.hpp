#pragma once
// ΔF/F from raw fluorescence and neuropil, and the standardised noise level of ΔF/F traces.
//
//   F_c  = F − α·F_neu                       (neuropil subtraction, α = 0.7 by default)
//   F0   = running baseline of F_c           (running percentile, or Suite2p's maximin)
//   ΔF/F = (F_c − F0) / F0
//   ν    = 100 · median_t |ΔF/F_{t+1} − ΔF/F_t| / √fs   [%·s^−½]   (CASCADE; Rupprecht et al. 2021)
// docs/spikes.md gives the filters' exact windows and boundary rules.

#include <span>
#include <string>

#include <Eigen/Core>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/options.hpp"

namespace neurodl::spikes {

/// How the baseline F0 is computed.
struct DffOptions {
  /// Neuropil coefficient α in F − α·F_neu (Suite2p's and most pipelines' 0.7).
  double neuropil_coefficient = 0.7;
  /// "maximin" (Suite2p: Gaussian smoothing, then a running minimum, then a running maximum, each
  /// over window_s) or "percentile" (running percentile over window_s).
  std::string baseline = "maximin";
  /// Length of the running window in s (Suite2p's win_baseline, 60 s).
  double window_s = 60.0;
  /// maximin: s.d. of the Gaussian smoothing in frames (Suite2p's sig_baseline, 10 frames).
  double sigma_frames = 10.0;
  /// percentile: which percentile of the window is the baseline (0…100; default 8).
  double percentile = 8.0;
};

/// The option table of DffOptions bound to `o`.
std::vector<OptionSpec> option_specs(DffOptions& o);

/// Running baseline F0 of each column of `f` (T × N, rows = frames, finite) at `sample_rate_hz`.
/// maximin follows scipy.ndimage with mode "reflect": gaussian_filter1d(σ, truncate 4), then
/// minimum_filter1d and maximum_filter1d of size w = max(1, round(window_s·fs)) frames.
/// percentile uses the window [t − ⌊w/2⌋, t + ⌈w/2⌉ − 1] cut at the ends of the trace, with
/// numpy's linear interpolation. O(T·N) (maximin) and O(T·w·N) worst case (percentile).
/// Throws ConfigError (rate ≤ 0, unknown baseline, NaN/Inf in f, percentile outside 0…100).
MatrixF running_baseline(const MatrixF& f, double sample_rate_hz, const DffOptions& options);

/// ΔF/F = (F_c − F0)/F0 with F_c = F − α·F_neu (F_neu may be empty: no neuropil subtraction).
/// f, f_neu: T × N (equal shapes). Throws ShapeError (shapes differ), ConfigError (as
/// running_baseline, or a baseline ≤ 0 where ΔF/F is undefined: names unit and frame).
MatrixF delta_f_over_f(const MatrixF& f, const MatrixF& f_neu, double sample_rate_hz,
                       const DffOptions& options = {});

/// CASCADE's noise level of one ΔF/F trace (ΔF/F as a fraction, not %), NaN frames ignored as
/// numpy.nanmedian does: ν = 100·median|Δ_t|/√fs in %·s^−½. NaN when fewer than 2 frames.
/// Throws ConfigError for a rate ≤ 0.
double cascade_noise_level(std::span<const double> dff, double sample_rate_hz);
/// The noise level of each column of a T × N ΔF/F matrix (N values).
Eigen::VectorXd cascade_noise_level(const MatrixF& dff, double sample_rate_hz);

}  // namespace neurodl::spikes
