#pragma once
// NIfTI-1 volumes (.nii, .nii.gz): a 4-D volume becomes time × voxels.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for a file whose (decompressed) header has the NIfTI-1 magic.
bool sniff_nifti(const std::filesystem::path& path);
/// One recording: activity is time × voxels (x fastest), rate 1/TR, unit positions in mm·1000.
std::vector<Recording> read_nifti(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
