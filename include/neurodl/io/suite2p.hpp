#pragma once
// suite2p output folders (plane folder with F.npy, Fneu.npy, spks.npy, iscell.npy, optional stat.npy/ops.npy are pickled and ignored).

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for a folder holding F.npy (or a suite2p/plane0 folder below it).
bool sniff_suite2p(const std::filesystem::path& path);
/// One recording: activity F (frames × ROIs) at options.sample_rate_hz (required), with Fneu and
/// spks as truth-like side arrays and iscell in the units table.
std::vector<Recording> read_suite2p(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
