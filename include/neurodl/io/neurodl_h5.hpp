#pragma once
// neurodl's own HDF5 layout (docs/format.md): round-trips every part of a Recording exactly.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for an HDF5 file whose root attribute neurodl_format is "neurodl-recording". Never
/// throws; false for missing, non-HDF5, truncated or other HDF5 files (NWB, MATLAB v7.3).
bool sniff_neurodl_h5(const std::filesystem::path& path);
/// Every recording stored in the file, in order, exactly as written. `options.sample_rate_hz`
/// fills a NaN rate and must match a stored one. Throws IoError (missing, truncated or corrupt
/// file, missing object, wrong data type, unsupported format_version) or ShapeError
/// (inconsistent sizes), one line naming the file and the HDF5 path; ConfigError on a rate clash.
std::vector<Recording> read_neurodl_h5(const std::filesystem::path& path,
                                       const ReadOptions& options);
/// Writes the recordings atomically (temporary name in the same folder, then rename): on any
/// failure no file is left and an existing `path` is unchanged. Throws IoError (missing folder,
/// HDF5 failure). `activity` is chunked in ~1 MiB blocks and written without a staging copy.
void write_neurodl_h5(const std::filesystem::path& path, const std::vector<Recording>& recordings);

}  // namespace neurodl::io
