#pragma once
// suite2p output folders: a plane folder holds F.npy (ROIs × frames, float32) and optionally
// Fneu.npy, spks.npy (same shape) and iscell.npy (ROIs × 2: curated flag, classifier probability).
// ops.npy and stat.npy are pickled Python objects: they are never opened (so the frame rate and
// ROI footprints they hold are not read; pass the rate as --fs).

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// The plane folders below `path`: `path` itself when it holds F.npy; otherwise its planeN
/// folders (N = 0, 1, ... in numeric order), looked for in `path` and in `path`/suite2p. The
/// "combined" folder suite2p writes for multi-plane sessions is skipped. Empty when none.
std::vector<std::filesystem::path> suite2p_plane_folders(const std::filesystem::path& path);

/// True for a folder holding F.npy, or planeN/F.npy, or suite2p/planeN/F.npy.
bool sniff_suite2p(const std::filesystem::path& path);

/// One recording per plane: activity F transposed to frames × ROIs (kind fluorescence) at
/// options.sample_rate_hz; units "roi0".."roi<N-1>". Side arrays in `truth` (frames × ROIs):
/// "neuropil" (Fneu.npy), "spks" (spks.npy); and 1 × ROIs: "iscell" (classifier probability),
/// "iscell_flag" (1 = cell, 0 = not). Named "<folder>:planeN" for a session folder, the plane
/// folder's name when given one.
/// Throws ConfigError when options.sample_rate_hz is NaN (suite2p's rate is in the pickled
/// ops.npy), ShapeError when F.npy is not 2-D or Fneu/spks/iscell disagree with F (naming both
/// files), IoError when no F.npy is found or a file is unreadable.
std::vector<Recording> read_suite2p(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
