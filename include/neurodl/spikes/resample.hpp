#pragma once
// Resampling traces and spike counts between frame rates (torch-free; the deep spike model and
// OASIS on band-limited input use them).

#include <cstdint>
#include <span>
#include <vector>

namespace neurodl::spikes {

/// Frames at fs_out covering n frames at fs_in: ⌈n·fs_out/fs_in⌉ (≥ 1).
std::int64_t resampled_length(std::int64_t n, double fs_in, double fs_out);
/// A signal (ΔF/F) at fs_in resampled to fs_out (resampled_length frames). Frame i covers
/// [i/fs, (i+1)/fs). Coarser output: the overlap-weighted mean of the input frames it covers
/// (a box anti-aliasing filter); finer output: linear interpolation between input frame centres
/// (constant beyond the first and last centre); with box = false, coarser output too is the
/// interpolation at its frame centres (a point sample, no anti-aliasing). Equal rates: a copy.
/// O(n + n_out).
std::vector<double> resample_trace(std::span<const double> y, double fs_in, double fs_out,
                                   bool box = true);
/// Counts per frame at fs_in as counts per frame at fs_out (n_out frames): each input frame's
/// count is spread uniformly over its interval and summed over each output frame, so the total
/// within the common span is kept. O(n + n_out).
std::vector<double> rebin_counts(std::span<const double> counts, double fs_in, double fs_out,
                                 std::int64_t n_out);

/// The samples of a recording at native_fs that was resampled up to fs with its first sample's
/// time kept (as scipy.signal.resample and Spikefinder's files do): y at times k/native_fs,
/// k = 0 … ⌊(T − 1)·native_fs/fs⌋, linearly interpolated between its frames (close when y is
/// band-limited below native_fs/2, as such a trace is). Throws ConfigError for bad rates,
/// native_fs > fs or fewer than 2 frames. O(T).
std::vector<double> recorded_samples(std::span<const double> y, double fs, double native_fs);

}  // namespace neurodl::spikes
