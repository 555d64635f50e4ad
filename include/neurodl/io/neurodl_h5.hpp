#pragma once
// neurodl's own HDF5 layout (docs/format.md): round-trips every part of a Recording exactly.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for an HDF5 file whose root carries the attribute neurodl_format.
bool sniff_neurodl_h5(const std::filesystem::path& path);
/// Every recording stored in the file, in order.
std::vector<Recording> read_neurodl_h5(const std::filesystem::path& path,
                                       const ReadOptions& options);
/// Writes the recordings atomically (temporary name, then rename).
void write_neurodl_h5(const std::filesystem::path& path, const std::vector<Recording>& recordings);

}  // namespace neurodl::io
