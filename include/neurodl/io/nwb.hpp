#pragma once
// NWB 2.x HDF5 files: data found by neurodata_type attributes, not by one lab's paths.
// docs/readers/nwb.md lists how each NWB type maps onto a Recording.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for an HDF5 file with an nwb_version attribute at the root. Never throws.
bool sniff_nwb(const std::filesystem::path& path);
/// One recording per activity series (RoiResponseSeries, ElectricalSeries, PatchClampSeries
/// sweep, 2-D acquired TimeSeries) and one per Units table (spike counts binned at
/// `options.sample_rate_hz`, default kDefaultSpikeBinRateHz), each with the file's behaviour
/// TimeSeries (T_b × d channels) and TimeIntervals events attached. Activity is T × channels
/// float32 with NWB's conversion/offset applied. Throws IoError (not NWB 2.x, unreadable, no
/// activity found), ShapeError (inconsistent sizes) naming the file and HDF5 path, ConfigError
/// when `options.sample_rate_hz` contradicts a stored rate in a file without a Units table.
std::vector<Recording> read_nwb(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
