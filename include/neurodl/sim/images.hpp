#pragma once
// Procedural images and Gabor receptive fields for the `images` preset (and for any test that
// needs natural-like stimuli without data files). Pixels are row-major, row = y (top to bottom),
// column = x (left to right), both in pixel units from the top-left pixel centre.

#include <cstdint>
#include <string>
#include <vector>

#include "neurodl/core/matrix.hpp"

namespace neurodl::sim {

/// The kinds of procedural image; image i of procedural_images() has kind i mod 3.
enum class ImageKind {
  pink_noise,  ///< random-phase texture with a 1/f amplitude spectrum (natural-image statistics)
  gabor,       ///< one Gabor patch on a grey background
  grating,     ///< a full-field sinusoidal grating
};
/// "pink_noise", "gabor" or "grating".
std::string to_string(ImageKind kind);

/// A Gabor function g(x, y) = cos(2π f x' + φ) · exp(−(x'² + y'²) / (2σ²)), with
/// x' = (x − x0) cos θ + (y − y0) sin θ and y' = −(x − x0) sin θ + (y − y0) cos θ.
struct GaborParams {
  double x_px = 0;             ///< centre x0 in pixels
  double y_px = 0;             ///< centre y0 in pixels
  double orientation_rad = 0;  ///< θ: direction of the carrier's wave vector, radians
  double sf_cyc_per_px = 0.1;  ///< f: spatial frequency, cycles per pixel
  double phase_rad = 0;        ///< φ: carrier phase at the centre, radians
  double sigma_px = 4;  ///< σ: Gaussian envelope s.d. in pixels (+∞: a full-field grating)
};

/// The Gabor sampled at the h × w pixel centres: h·w values, row-major.
std::vector<double> gabor(const GaborParams& g, std::int64_t height, std::int64_t width);

/// n × (h·w) float32 images drawn from Rng(seed, stream), each contrast-normalised to zero mean
/// and unit standard deviation over its pixels; image i has kind ImageKind(i mod 3).
/// O(n·h·w·(h + w)). Throws ConfigError for n < 1 or sides < 4.
MatrixF procedural_images(std::int64_t n, std::int64_t height, std::int64_t width,
                          std::uint64_t seed, std::uint64_t stream = 0);

}  // namespace neurodl::sim
