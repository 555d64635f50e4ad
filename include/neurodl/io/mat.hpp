#pragma once
// MATLAB .mat files, v5 and v7.3, through matio, with the layouts of the field's releases.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for a file with a MATLAB 5.0 or 7.3 MAT-file header.
bool sniff_mat(const std::filesystem::path& path);
/// Recordings found in the file by its layout (CAttached ground truth, dF_traces, tetrode spike
/// cells, Stringer et al. 2019 spontaneous release, or plain numeric matrices).
std::vector<Recording> read_mat(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
