#pragma once
// Text tables: Spikefinder CSV (100 Hz, header of neuron indices, NaN padded) and time × ROI CSV.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// True for a Spikefinder file (*.calcium.csv or *.spikes.csv, header of integer indices).
bool sniff_spikefinder_csv(const std::filesystem::path& path);
/// One recording per neuron column, trimmed of its trailing NaN padding; the companion
/// *.spikes.csv, when present, becomes truth["spike_counts"].
std::vector<Recording> read_spikefinder_csv(const std::filesystem::path& path,
                                            const ReadOptions& options);
/// True for any other .csv/.tsv file.
bool sniff_csv(const std::filesystem::path& path);
/// One recording: rows are time samples, columns named by the header row.
std::vector<Recording> read_csv(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
