#pragma once
// Text tables, rows are time samples:
//  - Spikefinder CSV (Berens et al. 2018): header of neuron indices, one column per neuron,
//    100 Hz, shorter columns padded with empty cells (NaN) at the end; *.spikes.csv holds spike
//    counts per 10 ms bin beside *.calcium.csv.
//  - time × ROI CSV/TSV: a header row of names (quoted or not), one numeric column per ROI; a
//    column named "events", "event" or "condition" holds stimulus codes instead of activity.
// Cells: decimal numbers; an empty cell, "nan" or "NaN" is NaN.

#include <filesystem>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// Sampling rate of the Spikefinder files (10 ms bins), used unless options.sample_rate_hz is set.
constexpr double kSpikefinderRateHz = 100.0;

/// True for a Spikefinder file: named *.calcium.csv or *.spikes.csv with a header of integer
/// indices (reads only the first line).
bool sniff_spikefinder_csv(const std::filesystem::path& path);
/// One recording per neuron column, named "<file stem>:<neuron index>", T × 1 where T excludes
/// the column's trailing NaN padding (NaN inside a column is kept). Kind dff for *.calcium.csv,
/// spike_counts for *.spikes.csv; rate 100 Hz unless options.sample_rate_hz overrides it. For
/// X.calcium.csv with X.spikes.csv beside it, truth["spike_counts"] (T × 1) holds the matching
/// column's first T values. Throws IoError (empty file, ragged row, non-numeric cell: with line
/// and column) and ShapeError (the spikes file lacks the neuron or has fewer rows; names both).
std::vector<Recording> read_spikefinder_csv(const std::filesystem::path& path,
                                            const ReadOptions& options);
/// Writes a T × N matrix in the Spikefinder layout: a header of column indices 0…N−1, one row per
/// frame, NaN (the padding of shorter columns) as an empty cell, values with 6 significant digits.
/// Atomic: a failed write leaves no file. Throws IoError (folder missing, write failed).
void write_spikefinder_csv(const std::filesystem::path& path, const MatrixF& m);
/// True for any other file named .csv or .tsv.
bool sniff_csv(const std::filesystem::path& path);
/// One recording named after the file stem: T × N activity (kind unknown) from the numeric
/// columns, unit ids from the header, rate options.sample_rate_hz (NaN: unknown). Tab-separated
/// for .tsv, comma-separated otherwise. Stimulus-code columns ("events", "event", "condition",
/// any case) are left out of the activity: each run of equal non-zero codes becomes one stimulus
/// event (stimulus_id = code, repeat = how many earlier runs had that code), with onset/offset in
/// s when the rate is known, else in samples (metadata "stimulus_time_unit" = "samples").
/// Throws IoError for an empty file, a header without data, ragged rows, non-numeric or
/// non-integer code cells (with line and column) and duplicate column names.
std::vector<Recording> read_csv(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace neurodl::io
