#pragma once
// MATLAB .mat files, v5 (compressed or not) and v7.3 (HDF5), read through matio, with the layouts
// of the field's releases. docs/readers/mat.md describes every layout and how it maps onto
// Recordings; the layout is chosen from the variable names, first match wins:
//   CAttached            CASCADE ground truth (Rupprecht et al. 2021): one recording per entry
//   dF_traces            CASCADE population excerpts, neurons × frames ΔF/F
//   spikes (cell)        tetrode spike cells spikes{...}{tetrode}{unit}.time (Frank lab / nelpy)
//   Fsp                  Stringer et al. 2019 spontaneous release, with beh and med
//   activity_matrix      Triplett et al. 2018 zebrafish tectum, with cell_coordinates
//   anything else        every real numeric matrix becomes a recording named after its variable

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for a file whose 116-byte text header starts "MATLAB 5.0 MAT-file" or
/// "MATLAB 7.3 MAT-file" (v7.3 is HDF5 with that header in a 512-byte user block). Reads at most
/// 19 bytes; false for a missing or unreadable file, never throws.
bool sniff_mat(const std::filesystem::path& path);

/// Recordings found in the file by its layout (see the file comment). Activity is T × N float32.
/// `options.sample_rate_hz` sets the rate of layouts that store none (dF_traces, Fsp,
/// activity_matrix, plain matrices; else a "<number>Hz" in the file name is used, else NaN), is
/// the bin rate of spike-time layouts (default kDefaultSpikeBinRateHz), and is checked against
/// the frame times of CAttached (ConfigError when they differ by more than 1 %).
/// `options.units_by_time` marks plain matrices as units × time (otherwise the longer dimension
/// is time). Throws IoError naming the file (and variable) when the file is missing, not a MAT
/// file, truncated or corrupt, when a layout's variable has the wrong type or size, or when
/// nothing in the file is usable (the message lists the variables found).
std::vector<Recording> read_mat(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
