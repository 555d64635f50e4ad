#pragma once
// Peer prediction and area-to-area prediction.
//
// Peer prediction (Stringer et al. 2019 Science, "Spontaneous behaviors drive multidimensional,
// brainwide activity"): how much of each unit's activity the rest of the population predicts on
// held-out time. Units within `radius_um` of a unit are never among its predictors, so optical
// cross-talk (shared neuropil, overlapping ROIs) cannot masquerade as shared activity.
//
// Per cross-validation fold (eval::time_block_folds):
//  1. W (N × k): the top k principal axes of all units on training time (centred).
//  2. Units are grouped in square tiles of side radius_um on their x, y positions; the excluded
//     set E_g of tile g holds every unit within radius_um (3-D distance; missing z counts as 0) of
//     any unit of the tile, the tile's own units included. Each unit's excluded set therefore
//     contains all of its neighbours, plus some units up to radius·(1 + √2) away.
//  3. Features of tile g: the population projections with the excluded units removed,
//     F_g = X_c·W − X_c[:, E_g]·W[E_g, :] (T × k); each projection is a weighted sum over
//     non-excluded units only.
//  4. Ridge regression of the tile's units on F_g on training time, penalty
//     λ = ridge · tr(F_gᵀF_g)/k, and prediction on test time.
//  5. With `rank` r > 0 (reduced rank): the predictions of all units pass through r dimensions,
//     as in reduced-rank regression (Izenman 1975): the top r right singular vectors V_r (N × r)
//     of the training-time fitted values Ŷ_train (T_train × N, all tiles) project the test
//     predictions, Ŷ_test·V_r·V_rᵀ. Every unit's prediction still uses no excluded unit's
//     activity directly; the shared directions are learned from all units' fitted values.
// R² per unit from the concatenated out-of-fold predictions, 1 − Σ(y − ŷ)² / Σ(y − ȳ)².
// Cost per fold: O(T·N·k·(2q + 2)) for the PCA, plus O(T·(|E_g| + k)·k) per tile; with rank r,
// plus the top-r SVD of Ŷ_train and O(T·N·r), and the fitted values of all units (T × N float32,
// one fold at a time) in memory.
//
// Area-to-area prediction: the units of one area predicted from those of another by reduced-rank
// ridge regression (linear/rrr.hpp, rrr_rank_curve): the cross-validated R² per rank and the
// predictive dimensionality (smallest rank within one standard error of the best).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/core/recording.hpp"
#include "neurodl/eval/splits.hpp"
#include "neurodl/linear/rrr.hpp"

namespace neurodl::linear {

/// Options of peer_prediction().
struct PeerOptions {
  /// Units within this distance of a unit are excluded from its predictors [µm]; ≥ 0; 0: only
  /// the unit itself. Default 70.
  double radius_um = 70.0;
  /// Principal components of the population used as predictors, clipped to min(T_train − 1,
  /// N); default 128.
  std::int64_t n_components = 128;
  /// Ridge penalty relative to the mean feature variance (λ = ridge · tr(FᵀF)/k); default 0.01.
  double ridge = 0.01;
  /// Time-block folds (--folds, --blocks, --gap); default 5 folds.
  eval::SplitOptions split;
  /// PCA solver on training time: auto, exact or randomized (see PcaOptions); default auto.
  std::string solver = "auto";
  /// Seed of the randomized PCA; default 0.
  std::uint64_t seed = 0;
  /// Reduced rank r of the prediction of all units (step 5), clipped to min(k, N); 0 (default):
  /// full rank, each tile's ridge prediction as it is.
  std::int64_t rank = 0;
};

/// The option table of PeerOptions (with --folds, --blocks, --gap).
std::vector<OptionSpec> option_specs(PeerOptions& o);

/// The result of peer_prediction().
struct PeerResult {
  /// N cross-validated R² values, one per unit (NaN for a constant unit).
  VectorD r2;
  /// Mean of the finite r2 values.
  double r2_mean = kNaN;
  /// Number of excluded units per unit (its tile's excluded set, itself included), N values.
  std::vector<std::int64_t> n_excluded;
  std::int64_t n_components = 0;  ///< k used
  std::int64_t n_tiles = 0;       ///< tiles (groups of units sharing an excluded set)
  std::int64_t rank = 0;          ///< reduced rank used (0: full rank)
};

/// Peer prediction of every column of x (T × N) from the others; positions_um holds N rows of
/// x, y, z in µm (NaN z counts as 0) and may be empty when radius_um is 0. Throws ShapeError when
/// positions_um has not N rows, ConfigError for NaN/Inf activity, radius_um < 0 or NaN, a
/// missing x/y position with radius_um > 0, N < 2, or a split the series cannot give.
PeerResult peer_prediction(const MatrixF& x, const std::vector<std::array<double, 3>>& positions_um,
                           const PeerOptions& options = {});

/// Peer prediction of a recording (positions from its units table).
PeerResult peer_prediction(const Recording& rec, const PeerOptions& options = {});

/// JSON: n_units, n_components, n_tiles, rank, r2_mean, r2 (list, NaN → null).
nlohmann::json to_json(const PeerResult& result);

/// Options of area_prediction().
struct AreaOptions {
  /// Area whose units are the predictors (Unit::area); required.
  std::string from_area;
  /// Area whose units are predicted; required.
  std::string to_area;
  /// Reduced-rank regression options (penalties, swept ranks, folds, ...).
  RrrOptions rrr;
};

/// The option table of AreaOptions: from_area, to_area and the RRR table.
std::vector<OptionSpec> option_specs(AreaOptions& o);

/// The units of `to_area` predicted from those of `from_area` (rrr_rank_curve). Throws
/// ConfigError when an area is empty, unknown (listing the recording's areas) or both are the
/// same, and as rrr_rank_curve.
RankCurve area_prediction(const Recording& rec, const AreaOptions& options);

/// JSON of a rank curve: ranks, r2_mean, r2_sem, ridge_r2_mean, alpha, best_rank,
/// predictive_dimensionality.
nlohmann::json to_json(const RankCurve& curve);

}  // namespace neurodl::linear
