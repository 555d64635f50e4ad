#pragma once
// NIfTI-1 volumes (.nii, .nii.gz, or an .hdr/.img pair): a 4-D volume becomes time × voxels.
// NIfTI-2 and ANALYZE 7.5 files are rejected.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for a file named .nii, .nii.gz, .hdr or .hdr.gz whose (decompressed) first bytes have a
/// NIfTI header size (348, or 540 for NIfTI-2 so that reading reports it as unsupported).
bool sniff_nifti(const std::filesystem::path& path);

/// One recording named after the file stem, kind bold. Activity is nt × (nx·ny·nz) float32 with
/// x fastest: column i + nx·(j + ny·k) is voxel (i, j, k), unit id "i_j_k"; a 3-D volume is one
/// sample. Values are scl_slope·x + scl_inter when scl_slope ≠ 0. Rate 1/TR with TR = pixdim[4]
/// in the header's time unit (s, ms or µs; unknown is taken as s); NaN when TR ≤ 0; when the
/// header has no TR, options.sample_rate_hz is used, and when both are given they must agree.
/// Unit positions in µm: the sform affine when sform_code > 0, else the qform, else
/// pixdim × index, scaled from the header's space unit (m, mm, µm; unknown is taken as mm).
/// Data types: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64, in
/// either byte order (detected from sizeof_hdr).
/// Throws IoError (not NIfTI-1, NIfTI-2, truncated header or data, unsupported data type, missing
/// .img of a pair: naming the file and field), ShapeError (dimensions beyond the 4th larger than
/// 1, zero or negative sizes) and ConfigError (--fs disagrees with the header's TR).
std::vector<Recording> read_nifti(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
