#pragma once
// Spike trains given as spike times (units table) turned into the activity matrix convention.

#include <cstdint>
#include <vector>

#include "neurodl/core/matrix.hpp"
#include "neurodl/core/recording.hpp"

namespace neurodl {

/// Bin rate used when a file holds only spike times and the user gave no --fs: 100 Hz (10 ms).
constexpr double kDefaultSpikeBinRateHz = 100.0;

/// Largest count matrix bin_units_into_activity builds (bins × units): 2^31 entries, 8 GiB.
constexpr double kMaxBinnedEntries = 2147483648.0;

/// Spike counts per bin, n_bins × units.size(); bin i covers [start + i/rate, start + (i+1)/rate).
/// Spikes outside the binned span are ignored. O(total spikes + n_bins·N).
/// Throws ConfigError when the rate is not positive and finite or n_bins is negative.
MatrixF bin_spike_times(const std::vector<Unit>& units, double start_time_s,
                        double sample_rate_hz, std::int64_t n_bins);

/// Fills `rec.activity` with spike counts binned at `sample_rate_hz` over the span from the
/// earliest to the latest spike of all units, and sets kind, rate and start time accordingly.
/// Throws ConfigError when that span would need more than kMaxBinnedEntries bins × units.
void bin_units_into_activity(Recording& rec, double sample_rate_hz);

}  // namespace neurodl
