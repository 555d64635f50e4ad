// numpy .npy/.npz reading and writing; the format details live in npy_format.cpp and the zip
// reader in zip_archive.cpp.

#include "neurodl/io/npy.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>

#include "neurodl/core/atomic_file.hpp"
#include "neurodl/core/error.hpp"
#include "npy_format.hpp"
#include "zip_archive.hpp"

namespace neurodl::io {
namespace {

using detail::Origin;

/// The whole file as a byte source, with its size known so truncation is reported up front.
class WholeFile {
 public:
  explicit WholeFile(const std::filesystem::path& path)
      : file_(detail::open_for_reading(path, "io.npy")) {
    ::fseeko(file_.get(), 0, SEEK_END);
    const auto size = static_cast<std::uint64_t>(::ftello(file_.get()));
    source_.emplace(file_.get(), 0, size, Origin{.file = path.string()});
  }
  detail::ByteSource& source() { return *source_; }

 private:
  detail::FilePtr file_;
  std::optional<detail::FileRangeSource> source_;
};

template <class Scalar>
auto read_file(const std::filesystem::path& path, bool transpose, NpyHeader* header_out) {
  WholeFile f(path);
  const Origin origin{.file = path.string()};
  NpyHeader h = detail::read_header(f.source(), origin);
  auto m = detail::read_data<Scalar>(f.source(), h, transpose, origin);
  if (header_out) *header_out = std::move(h);
  return m;
}

bool has_extension(const std::filesystem::path& path, const std::string& ext) {
  std::string e = path.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e == ext;
}

bool starts_with_bytes(const std::filesystem::path& path, const char* magic, std::size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[16] = {};
  const std::size_t got = std::fread(buf, 1, n, f);
  std::fclose(f);
  return got == n && std::memcmp(buf, magic, n) == 0;
}

Recording to_recording(std::string name, NpyArray&& a, const ReadOptions& options) {
  Recording rec;
  rec.name = std::move(name);
  rec.activity = std::move(a.values);
  rec.kind = ActivityKind::unknown;
  rec.sample_rate_hz = options.sample_rate_hz;
  rec.metadata["dtype"] = a.header.descr;
  return rec;
}

/// numpy's header text for a C-order 2-D array, padded exactly as numpy 1.x pads it so that our
/// files are byte-identical to np.save's: 21 spare characters minus the digits of the first axis
/// (room to grow the array in place), then spaces so that the data starts on a 64-byte boundary.
std::string npy_header(const char* descr, Eigen::Index rows, Eigen::Index cols) {
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" +
                     std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  dict.append(21 - std::to_string(rows).size(), ' ');
  const std::size_t hlen = dict.size() + 1;  // + '\n'
  std::size_t prefix = 8 + 2;                // magic + version, then a uint16 length (1.0)
  int version = 1;
  std::size_t pad = 64 - ((prefix + hlen) % 64);
  if (hlen + pad > 65535) {  // too long for 1.0: a uint32 length (2.0)
    version = 2;
    prefix = 8 + 4;
    pad = 64 - ((prefix + hlen) % 64);
  }
  const std::size_t total = hlen + pad;
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  for (std::size_t b = 0; b < prefix - 8; ++b) out += static_cast<char>((total >> (8 * b)) & 0xFF);
  out += dict;
  out.append(pad, ' ');
  out += '\n';
  return out;
}

template <class Scalar>
void write_matrix(const std::filesystem::path& path, const Scalar* data, Eigen::Index rows,
                  Eigen::Index cols, const char* descr) {
  AtomicFile out(path);
  const Origin origin{.file = path.string()};
  {
    detail::FilePtr f(std::fopen(out.temp_path().c_str(), "wb"));
    if (!f) origin.fail(ErrorKind::io, "", std::string("cannot create file: ") + std::strerror(errno));
    const std::string header = npy_header(descr, rows, cols);
    bool ok = std::fwrite(header.data(), 1, header.size(), f.get()) == header.size();
    const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    if constexpr (std::endian::native == std::endian::little) {
      ok = ok && std::fwrite(data, sizeof(Scalar), n, f.get()) == n;
    } else {  // big-endian host: write little-endian bytes
      for (std::size_t k = 0; ok && k < n; ++k) {
        unsigned char b[sizeof(Scalar)];
        std::memcpy(b, data + k, sizeof b);
        std::reverse(b, b + sizeof b);
        ok = std::fwrite(b, 1, sizeof b, f.get()) == sizeof b;
      }
    }
    // fclose flushes: a full disk may only show up here.
    ok = std::fclose(f.release()) == 0 && ok;
    if (!ok) origin.fail(ErrorKind::io, "data", std::string("write failed: ") + std::strerror(errno));
  }
  out.commit();
}

}  // namespace

NpyHeader read_npy_header(const std::filesystem::path& path) {
  WholeFile f(path);
  return detail::read_header(f.source(), Origin{.file = path.string()});
}

NpyArray read_npy(const std::filesystem::path& path, bool transpose) {
  NpyArray a;
  a.values = read_file<float>(path, transpose, &a.header);
  return a;
}

MatrixD read_npy_f64(const std::filesystem::path& path, bool transpose) {
  return read_file<double>(path, transpose, nullptr);
}

std::vector<NpzMember> read_npz(const std::filesystem::path& path, bool transpose) {
  detail::ZipArchive zip(path, "io.npz");
  std::vector<NpzMember> out;
  for (const auto& e : zip.entries()) {
    // np.load treats members without the .npy suffix as raw bytes; we have no use for them.
    if (e.name.size() < 4 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0) continue;
    const Origin origin{.component = "io.npz", .file = path.string(), .member = e.name};
    auto src = zip.open(e);
    NpzMember m;
    m.name = e.name.substr(0, e.name.size() - 4);
    m.array.header = detail::read_header(*src, origin);
    m.array.values = detail::read_data<float>(*src, m.array.header, transpose, origin);
    out.push_back(std::move(m));
  }
  return out;
}

bool sniff_npy(const std::filesystem::path& path) {
  return starts_with_bytes(path, "\x93NUMPY", 6);
}

bool sniff_npz(const std::filesystem::path& path) {
  // "PK\3\4": first local header; "PK\5\6": an empty archive (np.savez with no arrays).
  return has_extension(path, ".npz") &&
         (starts_with_bytes(path, "PK\x03\x04", 4) || starts_with_bytes(path, "PK\x05\x06", 4));
}

std::vector<Recording> read_npy_recordings(const std::filesystem::path& path,
                                           const ReadOptions& options) {
  std::vector<Recording> recs;
  recs.push_back(to_recording(path.stem().string(), read_npy(path, options.units_by_time), options));
  return recs;
}

std::vector<Recording> read_npz_recordings(const std::filesystem::path& path,
                                           const ReadOptions& options) {
  std::vector<NpzMember> members = read_npz(path, options.units_by_time);
  check(!members.empty(), ErrorKind::io,
        {.component = "io.npz", .what = "archive holds no .npy arrays", .file = path.string()});
  std::vector<Recording> recs;
  for (auto& m : members) recs.push_back(to_recording(m.name, std::move(m.array), options));
  return recs;
}

void write_npy(const std::filesystem::path& path, const MatrixF& m) {
  write_matrix(path, m.data(), m.rows(), m.cols(), "<f4");
}

void write_npy(const std::filesystem::path& path, const MatrixD& m) {
  write_matrix(path, m.data(), m.rows(), m.cols(), "<f8");
}

}  // namespace neurodl::io
