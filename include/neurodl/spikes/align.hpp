#pragma once
// Timing alignment of one spike estimate to another (docs/spikes.md, "Deep model"). A network
// trained on some indicators can place spikes a few tens of milliseconds early or late on an
// indicator whose rise it never saw, while OASIS fits each trace's own kinetics; the deep method
// can therefore shift its output to the lag at which it best matches OASIS's estimate of the
// same trace. Torch-free, O(T · lags).

#include <cstdint>
#include <span>
#include <vector>

namespace neurodl::spikes {

/// The delay d (frames, fractional) in [−max_advance_frames, max_delay_frames] that best aligns
/// `x` to `reference` (same length T): the integer lag L in that range (its bounds rounded
/// outwards) that maximises the Pearson correlation of x(t − L) with reference(t) over the frames
/// both cover (ties to the smaller |L|), refined by the vertex of the parabola through the best
/// lag and its two neighbours, then clamped to the range. Positive d: x is early and must be
/// delayed. 0 when the range is empty (both bounds 0), T < 4·(largest |L| + 2), or either signal
/// is constant (no evidence). Inputs are used as given (smooth both first when they are spiky).
/// Throws ConfigError for differing lengths, negative bounds or non-finite values.
double estimate_delay(std::span<const double> x, std::span<const double> reference, double max_delay_frames,
                      double max_advance_frames = 0.0);

/// x delayed by d frames: out[t] = x(t − d) by linear interpolation between frames, the first
/// and last values repeated beyond the ends. d = 0 returns a copy. Inside the trace this is the
/// shift that smooth_spikes(x, fs, 0, −d) applies (oasis.hpp); that one reflects at the ends
/// instead, so the total count is kept, which a rate estimate needs and an alignment does not.
std::vector<double> delay_trace(std::span<const double> x, double d);

}  // namespace neurodl::spikes
