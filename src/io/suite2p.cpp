// suite2p output folders (Pachitariu et al. 2017, bioRxiv 061507). suite2p saves per-plane numpy
// arrays with ROIs in rows; we transpose them while reading (read_npy's transpose) so that no
// ROIs × frames copy is ever held beside the frames × ROIs result.

#include "neurodl/io/suite2p.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <system_error>

#include "neurodl/core/error.hpp"
#include "neurodl/io/npy.hpp"

namespace neurodl::io {
namespace {

namespace fs = std::filesystem;

/// N for a folder named "planeN", -1 otherwise.
long plane_number(const fs::path& p) {
  const std::string n = p.filename().string();
  if (n.size() <= 5 || n.compare(0, 5, "plane") != 0) return -1;
  if (!std::all_of(n.begin() + 5, n.end(), [](unsigned char c) { return std::isdigit(c); }))
    return -1;
  return std::stol(n.substr(5));
}

std::string shape_of(const NpyHeader& h) {
  std::string s;
  for (auto d : h.shape) s += (s.empty() ? "" : "×") + std::to_string(d);
  return s;
}

/// Reads a ROIs × frames side array as frames × ROIs and checks it against F.
MatrixF read_side(const fs::path& file, const fs::path& f_file, const NpyArray& f) {
  NpyArray a = read_npy(file, true);
  if (a.header.shape != f.header.shape)
    raise(ErrorKind::shape, {.component = "io.suite2p",
                             .what = "shape differs from " + f_file.string(),
                             .expected = shape_of(f.header) + " (ROIs × frames)",
                             .got = shape_of(a.header), .file = file.string()});
  return std::move(a.values);
}

Recording read_plane(const fs::path& dir, const ReadOptions& options) {
  const fs::path f_file = dir / "F.npy";
  NpyArray f = read_npy(f_file, true);  // frames × ROIs
  check(f.header.shape.size() == 2, ErrorKind::shape,
        {.component = "io.suite2p", .what = "F.npy must be 2-D", .expected = "ROIs × frames",
         .got = shape_of(f.header), .file = f_file.string()});
  Recording rec;
  rec.kind = ActivityKind::fluorescence;
  rec.sample_rate_hz = options.sample_rate_hz;
  const auto n_rois = f.values.cols();
  rec.units.resize(static_cast<std::size_t>(n_rois));
  for (Eigen::Index r = 0; r < n_rois; ++r)
    rec.units[static_cast<std::size_t>(r)].id = "roi" + std::to_string(r);
  std::error_code ec;
  if (fs::exists(dir / "Fneu.npy", ec)) rec.truth["neuropil"] = read_side(dir / "Fneu.npy", f_file, f);
  if (fs::exists(dir / "spks.npy", ec)) rec.truth["spks"] = read_side(dir / "spks.npy", f_file, f);
  const fs::path iscell_file = dir / "iscell.npy";
  if (fs::exists(iscell_file, ec)) {
    const NpyArray c = read_npy(iscell_file);  // ROIs × 2
    if (c.header.shape.size() != 2 || c.values.rows() != n_rois || c.values.cols() != 2)
      raise(ErrorKind::shape,
            {.component = "io.suite2p", .what = "iscell does not match the ROIs of " + f_file.string(),
             .expected = std::to_string(n_rois) + "×2 (ROIs × flag, probability)",
             .got = shape_of(c.header), .file = iscell_file.string()});
    rec.truth["iscell"] = c.values.col(1).transpose();
    rec.truth["iscell_flag"] = c.values.col(0).transpose();
  }
  rec.activity = std::move(f.values);
  rec.metadata["suite2p_plane"] = dir.filename().string();
  return rec;
}

}  // namespace

std::vector<fs::path> suite2p_plane_folders(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {};
  if (fs::is_regular_file(path / "F.npy", ec)) return {path};
  for (const fs::path& base : {path, path / "suite2p"}) {
    if (!fs::is_directory(base, ec)) continue;
    std::vector<std::pair<long, fs::path>> planes;
    for (const auto& entry : fs::directory_iterator(base, ec)) {
      const long n = plane_number(entry.path());
      if (n >= 0 && fs::is_regular_file(entry.path() / "F.npy", ec)) planes.emplace_back(n, entry.path());
    }
    if (planes.empty()) continue;
    std::sort(planes.begin(), planes.end());
    std::vector<fs::path> out;
    for (auto& p : planes) out.push_back(std::move(p.second));
    return out;
  }
  return {};
}

bool sniff_suite2p(const fs::path& path) { return !suite2p_plane_folders(path).empty(); }

std::vector<Recording> read_suite2p(const fs::path& path, const ReadOptions& options) {
  const std::vector<fs::path> planes = suite2p_plane_folders(path);
  check(!planes.empty(), ErrorKind::io,
        {.component = "io.suite2p", .what = "no F.npy found",
         .expected = "a folder with F.npy, planeN/F.npy or suite2p/planeN/F.npy",
         .file = path.string()});
  check(!std::isnan(options.sample_rate_hz), ErrorKind::config,
        {.component = "io.suite2p",
         .what = "the frame rate is not stored in a readable form (ops.npy is pickled): pass --fs",
         .expected = "a sampling rate in Hz", .got = "none", .file = path.string()});
  std::vector<Recording> recs;
  const bool single = planes.size() == 1 && planes[0] == path;
  fs::path abs = fs::absolute(path).lexically_normal();
  if (abs.filename().empty()) abs = abs.parent_path();  // "session/" has an empty last part
  const std::string session = abs.filename().string();
  for (const auto& dir : planes) {
    Recording rec = read_plane(dir, options);
    rec.name = single ? dir.filename().string() : session + ":" + dir.filename().string();
    recs.push_back(std::move(rec));
  }
  return recs;
}

}  // namespace neurodl::io
