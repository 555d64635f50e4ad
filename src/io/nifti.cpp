// NIfTI-1 (https://nifti.nimh.nih.gov/nifti-1, nifti1.h). The 348-byte header is parsed field by
// field at its fixed offsets; its byte order is the one in which sizeof_hdr reads 348. zlib's
// gzread reads both gzip-compressed and plain files, so one path serves .nii and .nii.gz.

#include "byte_order.hpp"
#include "neurodl/io/nifti.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>

#include "neurodl/core/error.hpp"

namespace neurodl::io {
namespace {

namespace fs = std::filesystem;
constexpr const char* kComponent = "io.nifti";
constexpr int kHeaderSize = 348;

struct GzCloser {
  void operator()(gzFile_s* g) const { gzclose(g); }
};
using GzPtr = std::unique_ptr<gzFile_s, GzCloser>;

[[noreturn]] void fail(ErrorKind kind, const fs::path& file, const std::string& field,
                       const std::string& what, const std::string& expected = {},
                       const std::string& got = {}) {
  raise(kind, {.component = kComponent, .what = what, .expected = expected, .got = got,
               .file = file.string(), .field = field});
}

GzPtr open_gz(const fs::path& path) {
  GzPtr g(gzopen(path.c_str(), "rb"));
  if (!g) fail(ErrorKind::io, path, "", "cannot open file");
  gzbuffer(g.get(), 1 << 18);
  return g;
}

/// Reads up to n bytes (gzread takes an unsigned int length); returns the bytes read.
std::size_t read_some(gzFile g, void* dst, std::size_t n, const fs::path& path) {
  std::size_t got = 0;
  while (got < n) {
    const auto want = static_cast<unsigned>(std::min<std::size_t>(n - got, 1u << 30));
    const int k = gzread(g, static_cast<unsigned char*>(dst) + got, want);
    if (k < 0) {
      int err = 0;
      fail(ErrorKind::io, path, "", std::string("read error: ") + gzerror(g, &err));
    }
    if (k == 0) break;
    got += static_cast<std::size_t>(k);
  }
  return got;
}

/// The header fields we use.
struct Header {
  bool swap = false;
  std::array<std::int64_t, 8> dim{};
  int datatype = 0;
  std::array<float, 8> pixdim{};
  double vox_offset = 0;
  double scl_slope = 0, scl_inter = 0;
  int xyzt_units = 0;
  int qform_code = 0, sform_code = 0;
  std::array<double, 6> quatern{};  // b, c, d, qoffset x, y, z
  std::array<std::array<double, 4>, 3> srow{};
  bool pair = false;  // "ni1": data in a separate .img file
};

Header parse_header(const unsigned char* h, const fs::path& path) {
  Header hd;
  const auto size_le = load<std::int32_t>(h, std::endian::native == std::endian::big);
  const auto size_be = load<std::int32_t>(h, std::endian::native == std::endian::little);
  if (size_le == 540 || size_be == 540)
    fail(ErrorKind::io, path, "sizeof_hdr", "NIfTI-2 files are not supported (convert to NIfTI-1)",
         "348", "540");
  if (size_le != kHeaderSize && size_be != kHeaderSize)
    fail(ErrorKind::io, path, "sizeof_hdr", "not a NIfTI-1 file", "348", std::to_string(size_le));
  hd.swap = load<std::int32_t>(h, false) != kHeaderSize;
  const char* magic = reinterpret_cast<const char*>(h + 344);
  if (std::memcmp(magic, "n+1\0", 4) == 0) hd.pair = false;
  else if (std::memcmp(magic, "ni1\0", 4) == 0) hd.pair = true;
  else
    fail(ErrorKind::io, path, "magic", "not a NIfTI-1 file (ANALYZE 7.5 is not supported)",
         "'n+1' or 'ni1'", "other bytes");
  const bool s = hd.swap;
  for (int i = 0; i < 8; ++i) hd.dim[i] = load<std::int16_t>(h + 40 + 2 * i, s);
  hd.datatype = load<std::int16_t>(h + 70, s);
  for (int i = 0; i < 8; ++i) hd.pixdim[i] = load<float>(h + 76 + 4 * i, s);
  hd.vox_offset = load<float>(h + 108, s);
  hd.scl_slope = load<float>(h + 112, s);
  hd.scl_inter = load<float>(h + 116, s);
  hd.xyzt_units = h[123];
  hd.qform_code = load<std::int16_t>(h + 252, s);
  hd.sform_code = load<std::int16_t>(h + 254, s);
  for (int i = 0; i < 6; ++i) hd.quatern[i] = load<float>(h + 256 + 4 * i, s);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) hd.srow[r][c] = load<float>(h + 280 + 16 * r + 4 * c, s);
  return hd;
}

/// Bytes per voxel of a NIfTI datatype code, 0 when unsupported.
int datatype_size(int code) {
  switch (code) {
    case 2: case 256: return 1;     // uint8, int8
    case 4: case 512: return 2;     // int16, uint16
    case 8: case 768: case 16: return 4;  // int32, uint32, float32
    case 64: case 1024: case 1280: return 8;  // float64, int64, uint64
    default: return 0;
  }
}

/// Converts n stored voxels to float32, applying y = slope·x + inter when `scale`.
void convert(int code, const unsigned char* raw, std::size_t n, bool swap, bool scale,
             double slope, double inter, float* out) {
  auto run = [&](auto tag) {
    using T = decltype(tag);
    for (std::size_t k = 0; k < n; ++k) {
      const double x = static_cast<double>(load<T>(raw + k * sizeof(T), swap));
      out[k] = static_cast<float>(scale ? slope * x + inter : x);
    }
  };
  switch (code) {
    case 2: return run(std::uint8_t{});
    case 256: return run(std::int8_t{});
    case 4: return run(std::int16_t{});
    case 512: return run(std::uint16_t{});
    case 8: return run(std::int32_t{});
    case 768: return run(std::uint32_t{});
    case 16: return run(float{});
    case 64: return run(double{});
    case 1024: return run(std::int64_t{});
    default: return run(std::uint64_t{});
  }
}

/// The stem without .nii/.nii.gz/.hdr/.hdr.gz.
std::string stem_of(const fs::path& path) {
  std::string name = path.filename().string();
  for (const char* ext : {".nii.gz", ".hdr.gz", ".nii", ".hdr"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      return name.substr(0, name.size() - e.size());
  }
  return path.stem().string();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// Voxel (i, j, k) → scanner coordinates in the header's space unit, per the NIfTI-1 methods:
/// method 3 (sform: a general affine), method 2 (qform: rotation from the quaternion (b, c, d)
/// with a = sqrt(1 − b² − c² − d²), voxel sizes, qfac = pixdim[0] flipping k, plus offsets) or
/// method 1 (pixdim × index).
std::array<double, 3> voxel_position(const Header& h, double i, double j, double k) {
  if (h.sform_code > 0) {
    std::array<double, 3> p{};
    for (int r = 0; r < 3; ++r) p[r] = h.srow[r][0] * i + h.srow[r][1] * j + h.srow[r][2] * k + h.srow[r][3];
    return p;
  }
  if (h.qform_code > 0) {
    const double b = h.quatern[0], c = h.quatern[1], d = h.quatern[2];
    const double a = std::sqrt(std::max(0.0, 1.0 - (b * b + c * c + d * d)));
    const double R[3][3] = {{a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
                            {2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)},
                            {2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b}};
    const double qfac = h.pixdim[0] < 0 ? -1.0 : 1.0;
    const double v[3] = {i * h.pixdim[1], j * h.pixdim[2], k * h.pixdim[3] * qfac};
    std::array<double, 3> p{};
    for (int r = 0; r < 3; ++r) p[r] = R[r][0] * v[0] + R[r][1] * v[1] + R[r][2] * v[2] + h.quatern[3 + r];
    return p;
  }
  return {i * h.pixdim[1], j * h.pixdim[2], k * h.pixdim[3]};
}

}  // namespace

bool sniff_nifti(const fs::path& path) {
  const std::string name = lower(path.filename().string());
  auto ends = [&](const std::string& e) {
    return name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  if (!(ends(".nii") || ends(".nii.gz") || ends(".hdr") || ends(".hdr.gz"))) return false;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  GzPtr g(gzopen(path.c_str(), "rb"));
  if (!g) return false;
  unsigned char b[4];
  if (gzread(g.get(), b, 4) != 4) return false;
  const auto le = load<std::int32_t>(b, std::endian::native == std::endian::big);
  const auto be = load<std::int32_t>(b, std::endian::native == std::endian::little);
  return le == kHeaderSize || be == kHeaderSize || le == 540 || be == 540;
}

std::vector<Recording> read_nifti(const fs::path& path, const ReadOptions& options) {
  GzPtr g = open_gz(path);
  unsigned char raw_header[kHeaderSize];
  const std::size_t got_header = read_some(g.get(), raw_header, 4, path);
  if (got_header == 4) {  // NIfTI-2's header is longer: check its size before asking for 348
    const auto le = load<std::int32_t>(raw_header, std::endian::native == std::endian::big);
    const auto be = load<std::int32_t>(raw_header, std::endian::native == std::endian::little);
    if (le == 540 || be == 540) parse_header(raw_header, path);  // throws "not supported"
  }
  const std::size_t got_rest = read_some(g.get(), raw_header + 4, kHeaderSize - 4, path);
  if (got_header + got_rest < kHeaderSize)
    fail(ErrorKind::io, path, "header", "truncated header", "348 bytes",
         std::to_string(got_header + got_rest) + " bytes");
  const Header h = parse_header(raw_header, path);

  // Dimensions: dim[0] = rank (1..7), dim[1..3] space, dim[4] time; higher ones must be 1.
  const std::int64_t rank = h.dim[0];
  if (rank < 1 || rank > 7)
    fail(ErrorKind::shape, path, "dim[0]", "rank out of range", "1..7", std::to_string(rank));
  std::array<std::int64_t, 8> d{};
  d.fill(1);
  for (int a = 1; a <= rank; ++a) {
    d[a] = h.dim[a];
    if (d[a] < 1)
      fail(ErrorKind::shape, path, "dim[" + std::to_string(a) + "]", "dimension must be positive",
           ">= 1", std::to_string(d[a]));
    if (a > 4 && d[a] != 1)
      fail(ErrorKind::shape, path, "dim[" + std::to_string(a) + "]",
           "only 3-D and 4-D volumes (time last) are supported", "1", std::to_string(d[a]));
  }
  const std::int64_t nx = d[1], ny = d[2], nz = d[3], nt = d[4];
  const std::int64_t n_vox = nx * ny * nz;  // each ≤ 32767: no overflow
  const int size = datatype_size(h.datatype);
  if (size == 0)
    fail(ErrorKind::io, path, "datatype", "unsupported data type",
         "uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32 or float64",
         "code " + std::to_string(h.datatype));

  // Where the voxels are: after vox_offset in this file, or in the .img beside an "ni1" header.
  fs::path data_path = path;
  if (h.pair) {
    const std::string name = path.filename().string();
    const std::string low = lower(name);
    std::string base = name;
    if (low.size() > 7 && low.ends_with(".hdr.gz")) base = name.substr(0, name.size() - 7);
    else if (low.size() > 4 && low.ends_with(".hdr")) base = name.substr(0, name.size() - 4);
    std::error_code ec;
    data_path = path.parent_path() / (base + ".img");
    if (!fs::exists(data_path, ec)) data_path = path.parent_path() / (base + ".img.gz");
    if (!fs::exists(data_path, ec))
      fail(ErrorKind::io, path, "magic", "header of an .hdr/.img pair but no .img file beside it",
           (path.parent_path() / (base + ".img")).string(), "missing");
    g = open_gz(data_path);
  }
  if (!(h.vox_offset >= 0) || (!h.pair && h.vox_offset < kHeaderSize))
    fail(ErrorKind::io, path, "vox_offset", "data offset inside the header", ">= 348",
         std::to_string(h.vox_offset));
  const auto offset = static_cast<z_off_t>(h.vox_offset);
  if (gzseek(g.get(), offset, SEEK_SET) != offset)
    fail(ErrorKind::io, data_path, "vox_offset", "truncated file: cannot reach the data",
         std::to_string(offset) + " bytes", "fewer");

  Recording rec;
  rec.name = stem_of(path);
  rec.kind = ActivityKind::bold;
  rec.activity.resize(nt, n_vox);
  const std::uint64_t n_values = static_cast<std::uint64_t>(nt) * static_cast<std::uint64_t>(n_vox);
  const std::uint64_t n_bytes = n_values * static_cast<std::uint64_t>(size);
  const bool scale = h.scl_slope != 0 && std::isfinite(h.scl_slope) &&
                     !(h.scl_slope == 1 && h.scl_inter == 0);
  const bool native_float = h.datatype == 16 && !h.swap;
  // The file's order (x fastest, then y, z, t) is exactly row-major time × voxels.
  std::uint64_t done = 0;
  auto truncated = [&](std::uint64_t got) {
    fail(ErrorKind::io, data_path, "data", "truncated data", std::to_string(n_bytes) + " bytes",
         std::to_string(got) + " bytes");
  };
  if (native_float && !scale) {
    done = read_some(g.get(), rec.activity.data(), n_bytes, data_path);
    if (done < n_bytes) truncated(done);
  } else {
    constexpr std::size_t kChunk = std::size_t{1} << 20;  // voxels per conversion
    std::vector<unsigned char> raw(kChunk * static_cast<std::size_t>(size));
    for (std::uint64_t p = 0; p < n_values; p += kChunk) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, n_values - p));
      const std::size_t bytes = n * static_cast<std::size_t>(size);
      const std::size_t got = read_some(g.get(), raw.data(), bytes, data_path);
      done += got;
      if (got < bytes) truncated(done);
      convert(h.datatype, raw.data(), n, h.swap, scale, h.scl_slope, h.scl_inter,
              rec.activity.data() + p);
    }
  }
  // Bytes after the last volume are ignored, as nibabel does (the shared fMRI runs carry some).

  // Rate from TR = pixdim[4]; time unit bits 0x38 of xyzt_units: 8 s, 16 ms, 24 µs.
  const int t_unit = h.xyzt_units & 0x38;
  const double t_scale = t_unit == 16 ? 1e-3 : t_unit == 24 ? 1e-6 : 1.0;
  const double tr_s = h.pixdim[4] * t_scale;
  double rate = kNaN;
  if (rank >= 4 && tr_s > 0 && std::isfinite(tr_s) && t_unit <= 24) {  // not Hz, ppm or rad/s
    rate = 1.0 / tr_s;
    rec.metadata["tr_s"] = std::to_string(tr_s);
    if (t_unit == 0) rec.metadata["tr_unit"] = "unknown in header, taken as s";
  }
  if (!std::isnan(options.sample_rate_hz)) {
    if (!std::isnan(rate) && std::abs(options.sample_rate_hz - rate) > 1e-6 * rate)
      raise(ErrorKind::config,
            {.component = kComponent, .what = "--fs disagrees with the header's TR",
             .expected = std::to_string(rate), .got = std::to_string(options.sample_rate_hz),
             .unit = "Hz", .file = path.string(), .field = "pixdim[4]"});
    rate = options.sample_rate_hz;
  }
  rec.sample_rate_hz = rate;

  // Space unit bits 0x07: 1 m, 2 mm, 3 µm; unknown (0) is taken as mm, the usual default.
  const int s_unit = h.xyzt_units & 0x07;
  const double to_um = s_unit == 1 ? 1e6 : s_unit == 3 ? 1.0 : 1e3;
  rec.units.resize(static_cast<std::size_t>(n_vox));
  for (std::int64_t k = 0, v = 0; k < nz; ++k)
    for (std::int64_t j = 0; j < ny; ++j)
      for (std::int64_t i = 0; i < nx; ++i, ++v) {
        Unit& u = rec.units[static_cast<std::size_t>(v)];
        u.id = std::to_string(i) + "_" + std::to_string(j) + "_" + std::to_string(k);
        const auto p = voxel_position(h, static_cast<double>(i), static_cast<double>(j),
                                      static_cast<double>(k));
        for (int a = 0; a < 3; ++a) u.position_um[a] = p[a] * to_um;
      }
  rec.metadata["volume_shape"] = std::to_string(nx) + "×" + std::to_string(ny) + "×" + std::to_string(nz);
  rec.metadata["position_space"] = h.sform_code > 0 ? "sform" : h.qform_code > 0 ? "qform" : "voxel grid";
  return {std::move(rec)};
}

}  // namespace neurodl::io
