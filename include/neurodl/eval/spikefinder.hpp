#pragma once
// The Spikefinder metric (Berens et al. 2018, PLoS Comput Biol 14:e1006157) with an error and a
// bias of the calibrated spike counts. docs/spikes.md ("Scoring") states the definitions.
//
//   1. Both the true spike counts and the predicted rate (expected spikes per frame) are summed
//      into 40 ms bins (25 Hz) from the original frame rate. Frame i covers [i/fs, (i+1)/fs) and
//      bin k covers [k/25, (k+1)/25); a frame contributes to each bin in proportion to the
//      overlap of the two intervals (exact for 100 Hz: 4 frames per bin; for 30 Hz frames are
//      split between bins). Only bins fully covered by the trace are scored.
//   2. correlation_j = Pearson r of the binned truth and prediction of unit j.
//   3. error_j = Σ_k |p_k − n_k| / Σ_k n_k   (normalised absolute error of the counts per bin)
//      bias_j  = (Σ_k p_k − Σ_k n_k) / Σ_k n_k (relative error of the total spike count)
//      both on the predictions as given (in spikes, no refitted scale).

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "neurodl/core/matrix.hpp"

namespace neurodl::eval {

/// Bin rate of the Spikefinder metric: 25 Hz (40 ms bins).
constexpr double kSpikefinderBinRateHz = 25.0;

/// Per-unit Spikefinder scores.
struct SpikefinderScore {
  Eigen::VectorXd correlation;  ///< N Pearson r (NaN where either binned series is constant)
  Eigen::VectorXd error;        ///< N normalised absolute errors (NaN without true spikes)
  Eigen::VectorXd bias;         ///< N relative count errors (NaN without true spikes)
  std::vector<std::int64_t> n_bins;  ///< N bins scored per unit
  double mean_correlation = 0;  ///< mean of the non-NaN correlations (the challenge's score)
};

/// Sums a series sampled at `sample_rate_hz` into bins at `bin_rate_hz` by fractional overlap
/// (see the file comment). x: n values; returns ⌊n·bin_rate/fs⌋ complete bins (a tolerance of
/// 1e-9 bins absorbs rounding). Throws ConfigError for non-positive or non-finite rates.
std::vector<double> bin_by_overlap(const double* x, std::int64_t n, double sample_rate_hz,
                                   double bin_rate_hz = kSpikefinderBinRateHz);

/// Scores predictions against true spike counts, column by column. truth, pred: T × N at
/// `sample_rate_hz` (rows = frames). A column may end in NaN padding (in either array): the unit
/// is scored over the frames before the first trailing NaN of either. Throws ShapeError (shapes
/// differ; a unit with no complete bin), ConfigError (NaN/Inf before the padding, naming unit
/// and frame; bad rates).
SpikefinderScore spikefinder_score(const MatrixF& truth, const MatrixF& pred,
                                   double sample_rate_hz,
                                   double bin_rate_hz = kSpikefinderBinRateHz);

}  // namespace neurodl::eval
