#pragma once
// The calcium forward model of the `calcium` preset: each spike adds a double-exponential
// transient, frames average the trace over their exposure, and indicator saturation compresses
// large transients. Public so that spike-inference code and tests can use the same forward model.

#include <cstdint>
#include <vector>

namespace neurodl::sim {

/// A double-exponential calcium transient, normalised so that its peak equals `amplitude`:
/// k(t) = amplitude · (e^(−t/τ_d) − e^(−t/τ_r)) / p for t ≥ 0 (0 before), p the peak of the
/// bracket, reached at t* = τ_d τ_r / (τ_d − τ_r) · ln(τ_d / τ_r).
struct CalciumKernel {
  double tau_rise_s = 0.05;  ///< τ_r in s, > 0 and < τ_d
  double tau_decay_s = 0.6;  ///< τ_d in s
  double amplitude = 0.15;   ///< peak ΔF/F of one spike (dimensionless)
};

/// k(t) in ΔF/F for a time `t_s` (s) after the spike; 0 for t < 0.
double calcium_kernel(const CalciumKernel& k, double t_s);

/// The noiseless, unsaturated ΔF/F trace: n_frames values, frame j being the average over its
/// exposure [start + j/fs, start + (j+1)/fs) of Σ_spikes k(t − s). Sub-frame spike times are used
/// exactly (closed-form integrals of the exponentials), O(n_frames + spikes).
/// `spike_times_s` must be sorted. Throws ConfigError for τ_r ≥ τ_d, non-positive τ or fs.
std::vector<double> calcium_trace(const std::vector<double>& spike_times_s, const CalciumKernel& k,
                                  double fs_hz, std::int64_t n_frames, double start_time_s = 0.0);

/// Indicator saturation c / (1 + c / c_sat) (ΔF/F); c_sat = +∞ leaves c unchanged.
inline double saturate(double c, double c_sat) { return c / (1.0 + c / c_sat); }

}  // namespace neurodl::sim
