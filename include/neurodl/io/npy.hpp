#pragma once
// numpy .npy and .npz arrays: reading (float32/64, integers, bool; C and Fortran order) and writing. Object and pickled arrays are rejected, never unpickled.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for a file that starts with the .npy magic string.
bool sniff_npy(const std::filesystem::path& path);
/// One recording whose activity is the array (time × units; units × time with
/// options.units_by_time), at options.sample_rate_hz.
std::vector<Recording> read_npy_recordings(const std::filesystem::path& path,
                                           const ReadOptions& options);
/// True for a zip archive named .npz.
bool sniff_npz(const std::filesystem::path& path);
/// One recording per 2-D (or 1-D) numeric array in the archive, named after the array.
std::vector<Recording> read_npz_recordings(const std::filesystem::path& path,
                                           const ReadOptions& options);
/// Writes a T × N float32 matrix as a C-order <f4 .npy file, atomically.
void write_npy(const std::filesystem::path& path, const MatrixF& m);
/// Writes a T × N float64 matrix as a C-order <f8 .npy file, atomically.
void write_npy(const std::filesystem::path& path, const MatrixD& m);

}  // namespace neurodl::io
