#pragma once
// Reading any supported file into Recordings. Each format is one line in the registry
// (src/io/registry.cpp): a name, a one-line description, a sniffer that recognises the file, and a
// reader. A file may hold several recordings (e.g. one per sweep or per juxtacellular session),
// so readers return a vector.

#include <filesystem>
#include <string>
#include <vector>

#include "neurodl/core/options.hpp"
#include "neurodl/core/recording.hpp"

namespace neurodl::io {

/// Options a user can give for any input file.
struct ReadOptions {
  /// Sampling rate of the activity in Hz (the CLI's --fs); required by formats that do not store
  /// it (npy, suite2p), and checked against the stored rate where the format has one. NaN: unset.
  double sample_rate_hz = kNaN;
  /// True when a plain array is stored units × time (e.g. suite2p's F.npy); false: time × units.
  bool units_by_time = false;
};

/// The option table of ReadOptions bound to `o` (--fs, --units-by-time), shared by every command
/// that reads recordings.
std::vector<OptionSpec> option_specs(ReadOptions& o);

/// Reads a whole file (or folder) into one or more recordings.
using ReaderFn = std::vector<Recording> (*)(const std::filesystem::path& path,
                                            const ReadOptions& options);
/// True when the file (or folder) looks like this format (cheap: extension and magic bytes).
using SnifferFn = bool (*)(const std::filesystem::path& path);

/// One registered format.
struct Format {
  const char* name;         ///< e.g. "npy", "nwb", "mat"
  const char* description;  ///< one line for `neurodl info --help`
  SnifferFn sniff;
  ReaderFn read;
};

/// Every registered format, in the order in which sniffers are tried.
const std::vector<Format>& formats();
/// The format of that name; throws ConfigError listing the valid names.
const Format& format_by_name(const std::string& name);
/// The first format whose sniffer accepts `path`; throws IoError when the path is missing or no
/// format matches (the message lists the formats).
const Format& detect_format(const std::filesystem::path& path);
/// Reads `path` with the named format ("auto": detect). Every recording is validated.
std::vector<Recording> read_recordings(const std::filesystem::path& path,
                                       const ReadOptions& options = {},
                                       const std::string& format = "auto");

}  // namespace neurodl::io
