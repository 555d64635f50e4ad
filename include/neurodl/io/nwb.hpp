#pragma once
// NWB 2.x HDF5 files: data found by neurodata_type attributes, not by one lab's paths.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for an HDF5 file with an nwb_version attribute at the root.
bool sniff_nwb(const std::filesystem::path& path);
/// One recording per activity series (RoiResponseSeries, ElectricalSeries, PatchClampSeries, or
/// the Units table binned), with behaviour TimeSeries and stimulus intervals attached.
std::vector<Recording> read_nwb(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
