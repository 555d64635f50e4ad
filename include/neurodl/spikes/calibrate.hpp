#pragma once
// Supervised calibration of OASIS on ground-truth cells of one preparation (`neurodl
// calibrate-spikes`, method `oasis-calibrated`; docs/spikes.md, "Calibrated OASIS").
//
// A lab that has recorded a few cells with both imaging and electrophysiology (juxtacellular or
// cell-attached spikes) can fit the model-based method to its own indicator, optics and
// alignment conventions. The recipe follows the published OASIS entry of the Spikefinder
// challenge (Berens et al. 2018; Friedrich's submission): OASIS parameters chosen per dataset,
// and its output passed through a linear filter regressed on the true spikes.
//   1. Candidates: every AR order × decay time constant of the grid (0: estimated per trace);
//      AR(2) with a fixed decay gets τ_r = rise_per_decay·τ_d. Output smoothing and lead are 0:
//      the filter below learns both.
//   2. Each candidate deconvolves every trace (spikes/oasis.hpp, at the trace's own rate).
//   3. Its expected spikes per frame s are spread onto a fine time grid (step Δ), u = R_Δ s;
//      the filter is v_m = Σ_{j=−J..J} h_j u_{m−j} + b·Δ (J = ⌊half-width/Δ⌉; b a rate in
//      spikes/s) and the output is v spread back onto the trace's frames, clipped at 0. The
//      filter is defined in seconds, so one calibration serves traces at any frame rate.
//   4. h and b minimise Σ_cells Σ_bins (ŷ_k − n_k)² + ρ·(tr G/p)·‖h‖² over the 40 ms bins of the
//      Spikefinder metric (ŷ: the output summed per bin, n: the true count; G the Gram matrix
//      of the p = 2J+1 lag features, ρ the relative ridge): least squares, which also makes the
//      output calibrated spike counts.
//   5. The candidate with the best leave-one-cell-out score (mean Spikefinder r over the traces
//      of each cell predicted by the filter fitted on the other cells) is kept and its filter
//      refitted on every cell. The same selection repeated without each cell in turn gives the
//      nested score, an unbiased estimate for a new cell of the preparation.
// Cost: every candidate deconvolves every trace once; per trace, O(p·(T_Δ + T)) to build the
// lag features and O(p²·bins) for their Gram matrix; the cross-validation then works on the
// per-trace Gram matrices only (O(cells²·candidates·p³) for the nested score).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/spikes/oasis.hpp"

namespace neurodl::spikes {

/// Options of calibrate_oasis.
struct CalibrationOptions {
  /// AR orders tried (1 and/or 2). Default both.
  std::vector<std::int64_t> ar_orders = {1, 2};
  /// Decay time constants tried, in s; 0 stands for "estimated per trace". Default 0, 0.5, 1, 2 s
  /// (OGB-1 to GCaMP6s).
  std::vector<double> tau_decay_grid_s = {0.0, 0.5, 1.0, 2.0};
  /// AR(2) with a fixed decay: τ_r = rise_per_decay·τ_d. Default 0.05.
  double rise_per_decay = 0.05;
  /// The filter spans ± this many seconds around each spike. Default 0.3 s.
  double filter_half_width_s = 0.3;
  /// Time step of the filter's taps, in s. Default 0.01 s.
  double filter_step_s = 0.01;
  /// Ridge ρ on the taps, relative to the mean diagonal of their Gram matrix. Default 0.1.
  double ridge = 0.1;
};

/// The option table of CalibrationOptions bound to `o` (CLI flags, JSON keys).
std::vector<OptionSpec> option_specs(CalibrationOptions& o);

/// One ground-truth trace: ΔF/F and the true spike count of each frame.
struct CalibrationTrace {
  std::vector<double> dff;           ///< T ΔF/F values (finite, T ≥ 16)
  std::vector<double> spike_counts;  ///< T true spikes per frame (finite, ≥ 0)
  double sample_rate_hz = kNaN;      ///< frame rate of both, Hz
  std::string cell;                  ///< which cell (traces of one cell are held out together)
  std::string label;                 ///< name for reports (e.g. file#recording/unit)
};

/// A linear filter on a fine time grid applied to OASIS's expected spikes per frame (step 3 of
/// the file comment).
struct OutputFilter {
  double step_s = 0.01;      ///< Δ, s
  std::vector<double> taps;  ///< 2J+1 weights h_j, j = −J…J (taps[J + j]; j > 0 moves spikes later)
  double offset_hz = 0.0;    ///< b, spikes/s added everywhere
  /// The filtered output for `spikes` (T expected spikes per frame at sample_rate_hz), in place,
  /// clipped at 0. O(J·T_Δ + T). Throws ConfigError for a bad rate or an empty filter.
  void apply(std::span<double> spikes, double sample_rate_hz) const;
};

/// Everything `oasis-calibrated` needs: OASIS's options and the output filter.
struct SpikeCalibration {
  OasisOptions oasis;   ///< the chosen candidate (sample_rate_hz NaN: set per input)
  OutputFilter filter;  ///< fitted on every cell
};

/// One candidate's score.
struct CandidateScore {
  std::int64_t ar_order = 1;
  double tau_decay_s = 0;        ///< 0: estimated per trace
  double cv_correlation = kNaN;  ///< leave-one-cell-out mean Spikefinder r over traces
};

/// What calibrate_oasis found.
struct CalibrationResult {
  SpikeCalibration calibration;
  std::vector<CandidateScore> candidates;  ///< one per AR order × decay, in grid order
  std::size_t chosen = 0;                  ///< index into candidates
  /// Per trace (input order): Spikefinder r of the chosen candidate with the filter fitted
  /// without the trace's cell; and of uncalibrated OASIS (the same order, default options).
  std::vector<double> cv_correlation, default_correlation;
  /// Per trace: r when the whole procedure (the candidate's choice too) runs without its cell.
  std::vector<double> nested_correlation;
  double mean_cv = kNaN, mean_nested = kNaN, mean_default = kNaN;  ///< means over traces
  double mean_in_sample = kNaN;  ///< the final calibration applied to its own traces
  std::int64_t n_cells = 0;
};

/// Fits a calibration on ground-truth traces (at least 2 cells). `base`: OASIS options shared
/// by every candidate (e.g. native_fs_hz, penalty); the order, time constants, smoothing and
/// lead are set per candidate. Parallel over traces; progress on stderr. Throws ConfigError
/// (fewer than 2 cells, a bad grid or option, NaN in a trace, negative counts, bad rate) and
/// ShapeError (counts and ΔF/F of different lengths, a trace shorter than 16 frames), naming
/// the trace.
CalibrationResult calibrate_oasis(const std::vector<CalibrationTrace>& traces, const OasisOptions& base,
                                  const CalibrationOptions& options = {});

/// Deconvolves dff (T × N ΔF/F at calibration.oasis.sample_rate_hz, trailing NaN padding as
/// deconvolve allows) with the calibration's OASIS options and filters each column: calibrated
/// expected spikes per frame; each unit's spike_rate_hz is that of the filtered output, its other
/// fields OASIS's. Throws as deconvolve.
DeconvolveResult deconvolve_calibrated(const MatrixF& dff, const SpikeCalibration& calibration);

/// The calibration file: {"format": "neurodl-spike-calibration", "version": 1, "oasis": {...},
/// "ar_order": n, "filter": {"step_s", "taps", "offset_hz"}} plus `extra` keys (a report).
nlohmann::json calibration_json(const SpikeCalibration& calibration);
/// Reads a calibration file written by calibration_json. Throws IoError (missing, not JSON) and
/// ConfigError (wrong format or version, a missing or bad field), naming the file and field.
SpikeCalibration load_calibration(const std::filesystem::path& path);

}  // namespace neurodl::spikes
