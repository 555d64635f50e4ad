#pragma once
// One matrix (rows = time samples) picked from any input a command accepts, e.g. `--x X`:
//   data.npy                       the array itself (time × columns; --units-by-time transposes)
//   rec.h5:activity                the activity of a recording file (any readable format)
//   rec.h5:activity?area=V1        only the units of area V1 (comma-separate several areas)
//   rec.h5:behavior                every behaviour channel, resampled onto activity time
//   rec.h5:behavior/running_speed  one channel (several: behavior/a,b)
//   rec.h5:truth/latents           a ground-truth array (rows must be time samples)
//   rec.h5:stimuli/images          one row per presentation: the image shown (h·w pixels)
//   rec.h5:stimuli/responses       one row per presentation: activity summed over [onset, offset)
//   rec.h5:stimuli/ids             one row per presentation: the stimulus id
//   rec.h5:stimuli/behavior        one row per presentation: every behaviour channel, resampled
//                                  onto activity time, averaged over the samples that
//                                  stimuli/responses sums ([onset, offset)); stimuli/behavior/NAME
//                                  (several: NAME,NAME) picks channels
// `?recording=N` picks the N-th recording (0-based) of a file that holds several.

#include <filesystem>
#include <string>

#include "neurodl/core/matrix.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// The selected matrix with what is known about its time axis.
struct Selection {
  MatrixF data;                   ///< T × d, rows are time samples
  double sample_rate_hz = kNaN;   ///< NaN when unknown
  std::string source;             ///< the selection text, for messages
};

/// Parses and loads a selection. Throws IoError for a missing file, ConfigError for an unknown
/// part, area or channel (listing the valid names) and for stimuli/* without presentations (or
/// stimuli/behavior without behaviour channels), ShapeError when a truth array is not T rows or
/// a presentation's window holds no activity sample (stimuli/behavior).
Selection select_matrix(const std::string& spec, const ReadOptions& options);

/// Checks that two selections can be paired sample by sample: equal rows (ShapeError) and equal
/// known sampling rates (ConfigError), naming both sources.
void check_paired(const Selection& a, const Selection& b);

}  // namespace neurodl::io
