#pragma once
// Cross-validated PCA (cvPCA) of stimulus responses: Stringer, Pachitariu, Steinmetz, Carandini &
// Harris (2019) "High-dimensional geometry of population responses in visual cortex", Nature 571.
//
// With two repeats R₁, R₂ (S stimuli × N units) of the same stimuli, the eigenvectors u_n of
// repeat 1's stimulus covariance are fixed, and the variance of the stimulus-related signal along
// u_n is estimated by the covariance of the two repeats' projections,
//     λ̂_n = (R₁u_n)ᵀ(R₂u_n) / (S − 1)   (each repeat centred per unit over stimuli).
// Noise independent across repeats averages out of the product, so λ̂_n estimates the signal
// variance without the noise floor of an ordinary PCA spectrum. A power law λ_n ∝ n^(−α) is then
// fitted on a range of ranks by weighted least squares of log λ̂_n on log n, weights 1/n (equal
// weight per decade, as in the paper's code), on the ranks whose λ̂_n > 0.

#include <cstdint>
#include <utility>

#include <nlohmann/json.hpp>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/core/recording.hpp"
#include "neurodl/linear/pca.hpp"

namespace neurodl::linear {

/// Options of cvpca().
struct CvpcaOptions {
  /// Eigenvectors of repeat 1 (and spectrum entries) to keep; 0 (default): all, min(S − 1, N).
  std::int64_t n_components = 0;
  /// First rank (1-based, inclusive) of the power-law fit; default 11 (the paper fits 11..500).
  std::int64_t fit_rank_min = 11;
  /// Last rank (1-based, inclusive) of the power-law fit, clipped to the spectrum; default 500.
  std::int64_t fit_rank_max = 500;
  /// Recording input: the repeat index whose responses give the eigenvectors; default 0.
  std::int64_t repeat_a = 0;
  /// Recording input: the repeat index projected for the cross-validated variance; default 1.
  std::int64_t repeat_b = 1;
  /// PCA solver for repeat 1 (see PcaOptions::solver); default "auto".
  std::string solver = "auto";
  /// Seed of the randomized solver; default 0.
  std::uint64_t seed = 0;
};

/// The option table of CvpcaOptions.
std::vector<OptionSpec> option_specs(CvpcaOptions& o);

/// A weighted least-squares fit log λ_n = log c − α log n over ranks [rank_min, rank_max].
struct PowerLawFit {
  double alpha = kNaN;         ///< exponent α (λ_n ∝ n^−α); NaN with fewer than 2 usable ranks
  double log_scale = kNaN;     ///< log c (natural log)
  std::int64_t rank_min = 0;   ///< first rank used (1-based)
  std::int64_t rank_max = 0;   ///< last rank used (1-based, after clipping)
  std::int64_t n_ranks = 0;    ///< ranks in the fit (those with λ_n > 0)
};

/// Fits the power law to `spectrum` (value n − 1 is rank n). Ranks outside the spectrum are
/// clipped; entries ≤ 0 are skipped. Throws ConfigError when rank_min < 1 or rank_max < rank_min.
PowerLawFit fit_power_law(const VectorD& spectrum, std::int64_t rank_min, std::int64_t rank_max);

/// The result of cvpca().
struct CvpcaResult {
  /// k cross-validated signal variances λ̂_n (divisor S − 1); may be negative where noise wins.
  VectorD spectrum;
  /// k variances of repeat 1 along its own eigenvectors (an ordinary PCA spectrum).
  VectorD train_spectrum;
  /// The power law fitted to `spectrum`.
  PowerLawFit power_law;
  std::int64_t n_stimuli = 0;  ///< S
  std::int64_t n_units = 0;    ///< N
};

/// cvPCA of two repeats, each S stimuli × N units (row s of both: the same stimulus).
/// Throws ShapeError when the shapes differ or S < 2, ConfigError for NaN/Inf or bad options.
CvpcaResult cvpca(const MatrixF& repeat1, const MatrixF& repeat2, const CvpcaOptions& options = {});

/// The mean response of every unit to each stimulus in two repeats: for each stimulus id shown in
/// both `repeat_a` and `repeat_b`, the activity averaged over the samples in [onset, offset) (to
/// within 1 ns) of that presentation (the sample at onset when the window holds none). Rows are stimuli in
/// increasing id: two S × N matrices. Throws ConfigError when fewer than 2 stimuli are shown in
/// both repeats or an event lies outside the recording.
std::pair<MatrixF, MatrixF> repeat_responses(const Recording& rec, std::int64_t repeat_a,
                                             std::int64_t repeat_b);

/// cvPCA of a recording's stimulus responses (repeat_responses with the options' repeats).
CvpcaResult cvpca(const Recording& rec, const CvpcaOptions& options = {});

/// JSON: n_stimuli, n_units, spectrum, train_spectrum, alpha, fit_rank_min/max, fit_n_ranks.
nlohmann::json to_json(const CvpcaResult& result);

}  // namespace neurodl::linear
