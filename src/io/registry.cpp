#include "neurodl/io/registry.hpp"

#include <system_error>

#include "neurodl/core/error.hpp"
#include "neurodl/io/csv.hpp"
#include "neurodl/io/mat.hpp"
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/io/nifti.hpp"
#include "neurodl/io/npy.hpp"
#include "neurodl/io/nwb.hpp"
#include "neurodl/io/suite2p.hpp"

namespace neurodl::io {

const std::vector<Format>& formats() {
  // Sniffers are tried in this order: specific HDF5 layouts before generic ones.
  static const std::vector<Format> kFormats = {
      {"neurodl-h5", "neurodl's own HDF5 layout (docs/format.md)", sniff_neurodl_h5,
       read_neurodl_h5},
      {"nwb", "NWB 2.x HDF5 (ophys, ecephys Units, behaviour, patch clamp, intervals)", sniff_nwb,
       read_nwb},
      {"mat", "MATLAB .mat v5/v7.3 (matio)", sniff_mat, read_mat},
      {"suite2p", "suite2p output folder (F.npy, Fneu.npy, spks.npy, iscell.npy; needs --fs)",
       sniff_suite2p, read_suite2p},
      {"npz", "numpy .npz archive of arrays", sniff_npz, read_npz_recordings},
      {"npy", "numpy .npy array (time × units; needs --fs)", sniff_npy, read_npy_recordings},
      {"spikefinder-csv", "Spikefinder CSV (100 Hz, one column per neuron, NaN padded)",
       sniff_spikefinder_csv, read_spikefinder_csv},
      {"csv", "time × ROI CSV with a header row of names", sniff_csv, read_csv},
      {"nifti", "NIfTI-1 volume, .nii or .nii.gz (4-D: time × voxels)", sniff_nifti, read_nifti},
  };
  return kFormats;
}

std::vector<OptionSpec> option_specs(ReadOptions& o) {
  return {
      {.name = "sample_rate_hz",
       .help = "sampling rate of the input's activity, for formats that do not store it",
       .unit = "Hz",
       .target = &o.sample_rate_hz,
       .min = 1e-9,
       .flag = "--fs"},
      {.name = "units_by_time",
       .help = "plain arrays are stored units × time (default: time × units)",
       .target = &o.units_by_time},
  };
}

const Format& format_by_name(const std::string& name) {
  std::string valid;
  for (const auto& f : formats()) {
    if (name == f.name) return f;
    valid += (valid.empty() ? "" : ", ") + std::string(f.name);
  }
  raise(ErrorKind::config, {.component = "io", .what = "unknown format",
                            .expected = "auto or one of " + valid, .got = "'" + name + "'"});
}

const Format& detect_format(const std::filesystem::path& path) {
  std::error_code ec;
  check(std::filesystem::exists(path, ec), ErrorKind::io,
        {.component = "io", .what = "no such file or folder", .file = path.string()});
  std::string valid;
  for (const auto& f : formats()) {
    if (f.sniff(path)) return f;
    valid += (valid.empty() ? "" : ", ") + std::string(f.name);
  }
  raise(ErrorKind::io, {.component = "io", .what = "unknown file format",
                        .expected = "one of " + valid, .got = "unrecognised content",
                        .file = path.string()});
}

std::vector<Recording> read_recordings(const std::filesystem::path& path,
                                       const ReadOptions& options, const std::string& format) {
  const Format& f = format == "auto" ? detect_format(path) : format_by_name(format);
  std::error_code ec;
  check(std::filesystem::exists(path, ec), ErrorKind::io,
        {.component = "io", .what = "no such file or folder", .file = path.string()});
  std::vector<Recording> recs = f.read(path, options);
  for (auto& r : recs) r.validate(path.string());
  return recs;
}

}  // namespace neurodl::io
