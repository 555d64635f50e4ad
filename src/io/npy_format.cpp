// The .npy format (numpy's NEP 1, "A simple file format for NumPy arrays"):
//   "\x93NUMPY", major, minor, header length (uint16 LE for 1.x, uint32 LE for 2.x/3.x),
//   a Python dict literal {'descr': <dtype>, 'fortran_order': <bool>, 'shape': <tuple>} padded
//   with spaces and ended by '\n', then the raw elements in C or Fortran order.
// We parse the dict literal with a tiny recursive-descent reader instead of evaluating it, so a
// hostile header can do nothing but fail. Object dtypes ('O') hold pickles and are refused.

#include "byte_order.hpp"
#include "npy_format.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <map>
#include <variant>
#include <vector>

namespace neurodl::io::detail {

void Origin::fail(ErrorKind kind, const std::string& field, const std::string& what,
                  const std::string& expected, const std::string& got) const {
  std::string f = member.empty() ? field : (field.empty() ? member : member + "/" + field);
  raise(kind, {.component = component, .what = what, .expected = expected, .got = got,
               .file = file, .field = f});
}

FilePtr open_for_reading(const std::filesystem::path& path, const std::string& component) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f)
    raise(ErrorKind::io, {.component = component,
                          .what = std::string("cannot open file: ") + std::strerror(errno),
                          .file = path.string()});
  return f;
}

FileRangeSource::FileRangeSource(std::FILE* file, std::uint64_t offset, std::uint64_t length,
                                 Origin origin)
    : file_(file), left_(length), origin_(std::move(origin)) {
  if (::fseeko(file_, static_cast<off_t>(offset), SEEK_SET) != 0)
    origin_.fail(ErrorKind::io, "", "cannot seek", std::to_string(offset), std::strerror(errno));
}

std::size_t FileRangeSource::read(void* dst, std::size_t n) {
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, left_));
  const std::size_t got = want ? std::fread(dst, 1, want, file_) : 0;
  if (got < want && std::ferror(file_))
    origin_.fail(ErrorKind::io, "", std::string("read error: ") + std::strerror(errno));
  left_ -= got;
  if (got < want) left_ = 0;  // the file is shorter than it claimed: report as the end
  return got;
}

namespace {

// ---- the header dict literal ------------------------------------------------------------------

struct ListValue {};  // a [...] literal: only structured dtypes use one
using HeaderValue = std::variant<std::string, bool, std::vector<std::int64_t>, ListValue>;

class DictParser {
 public:
  DictParser(std::string_view text, const Origin& origin) : s_(text), origin_(origin) {}

  std::map<std::string, HeaderValue> parse() {
    std::map<std::string, HeaderValue> out;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      out[key] = parse_value();
      skip_space();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() != '}') bad("expected ',' or '}'");
    }
    ++i_;
    skip_space();
    if (i_ != s_.size()) bad("text after the closing '}'");
    return out;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    std::string_view excerpt = s_.substr(0, 120);
    while (!excerpt.empty() && (excerpt.back() == ' ' || excerpt.back() == '\n')) excerpt.remove_suffix(1);
    origin_.fail(ErrorKind::io, "header", "malformed header dict: " + what, {},
                 "'" + std::string(excerpt) + "' at character " + std::to_string(i_));
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  void expect(char c) {
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string parse_string() {
    const char q = peek();
    if (q != '\'' && q != '"') bad("expected a quoted string");
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\') ++i_;  // dtype strings never need escapes; keep the next char as is
      if (i_ < s_.size()) out += s_[i_++];
    }
    expect(q);
    return out;
  }
  std::int64_t parse_int() {
    if (!(peek() >= '0' && peek() <= '9')) bad("expected a non-negative integer");
    std::int64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      const int d = s_[i_++] - '0';
      if (v > (INT64_MAX - d) / 10) bad("integer too large");
      v = v * 10 + d;
    }
    if (peek() == 'L') ++i_;  // Python 2 long suffix in very old files
    return v;
  }
  HeaderValue parse_value() {
    const char c = peek();
    if (c == '\'' || c == '"') return parse_string();
    if (s_.substr(i_, 4) == "True") {
      i_ += 4;
      return true;
    }
    if (s_.substr(i_, 5) == "False") {
      i_ += 5;
      return false;
    }
    if (c == '(') {
      ++i_;
      std::vector<std::int64_t> dims;
      while (true) {
        skip_space();
        if (peek() == ')') break;
        dims.push_back(parse_int());
        skip_space();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        if (peek() != ')') bad("expected ',' or ')' in the shape");
      }
      ++i_;
      return dims;
    }
    if (c == '[') {
      // Skip a nested list literal (structured dtype); it is rejected by the caller.
      int depth = 0;
      do {
        if (peek() == '[') ++depth;
        if (peek() == ']') --depth;
        if (peek() == '\'' || peek() == '"') {
          parse_string();
          continue;
        }
        if (i_ >= s_.size()) bad("unterminated list");
        ++i_;
      } while (depth > 0);
      return ListValue{};
    }
    bad("unsupported value");
  }

  std::string_view s_;
  std::size_t i_ = 0;
  const Origin& origin_;
};

void parse_descr(const std::string& d, NpyHeader& h, const Origin& origin) {
  const std::string supported = "f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1 (either byte order)";
  std::size_t i = 0;
  char order = '|';
  if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) order = d[i++];
  if (i >= d.size()) origin.fail(ErrorKind::io, "descr", "empty dtype", supported, "'" + d + "'");
  const char code = d[i++];
  if (code == 'O')
    origin.fail(ErrorKind::io, "descr",
                "object array: its elements are pickled Python objects and neurodl never "
                "unpickles (save a numeric array instead)",
                "a numeric dtype", "'" + d + "'");
  int size = 0;
  for (; i < d.size(); ++i) {
    if (d[i] < '0' || d[i] > '9' || size > 1000)
      origin.fail(ErrorKind::io, "descr", "unsupported dtype", supported, "'" + d + "'");
    size = size * 10 + (d[i] - '0');
  }
  const bool ok = (code == 'f' && (size == 4 || size == 8)) ||
                  ((code == 'i' || code == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                  (code == 'b' && size == 1);
  if (!ok) origin.fail(ErrorKind::io, "descr", "unsupported dtype", supported, "'" + d + "'");
  h.descr = d;
  h.type_code = code;
  h.item_size = size;
  const bool file_big = order == '>' || (order == '=' && std::endian::native == std::endian::big);
  h.big_endian = size > 1 && file_big;
}

// ---- element conversion -----------------------------------------------------------------------

template <class Src, class Dst>
void convert_as(const unsigned char* raw, std::size_t n, bool swap, Dst* out) {
  for (std::size_t k = 0; k < n; ++k)
    out[k] = static_cast<Dst>(load<Src>(raw + k * sizeof(Src), swap));
}

/// Converts `n` stored elements at `raw` into `out` (float or double).
template <class Dst>
void convert(const NpyHeader& h, const unsigned char* raw, std::size_t n, Dst* out) {
  const bool swap = h.big_endian != (std::endian::native == std::endian::big);
  switch (h.type_code) {
    case 'f':
      if (h.item_size == 4) return convert_as<float>(raw, n, swap, out);
      return convert_as<double>(raw, n, swap, out);
    case 'i':
      switch (h.item_size) {
        case 1: return convert_as<std::int8_t>(raw, n, false, out);
        case 2: return convert_as<std::int16_t>(raw, n, swap, out);
        case 4: return convert_as<std::int32_t>(raw, n, swap, out);
        default: return convert_as<std::int64_t>(raw, n, swap, out);
      }
    case 'u':
      switch (h.item_size) {
        case 1: return convert_as<std::uint8_t>(raw, n, false, out);
        case 2: return convert_as<std::uint16_t>(raw, n, swap, out);
        case 4: return convert_as<std::uint32_t>(raw, n, swap, out);
        default: return convert_as<std::uint64_t>(raw, n, swap, out);
      }
    default:  // 'b': numpy writes 0 or 1, but any non-zero byte is true
      for (std::size_t k = 0; k < n; ++k) out[k] = raw[k] != 0 ? Dst(1) : Dst(0);
  }
}

/// Elements converted per chunk: bounds the staging buffers to a few MB whatever the array size.
constexpr std::size_t kChunkElements = std::size_t{1} << 20;

}  // namespace

NpyHeader read_header(ByteSource& src, const Origin& origin) {
  unsigned char pre[8];
  const std::size_t got = src.read(pre, sizeof pre);
  if (got < 6 || std::memcmp(pre, "\x93NUMPY", 6) != 0)
    origin.fail(ErrorKind::io, "magic", "not a .npy file (bad magic string)", "\\x93NUMPY",
                got < 6 ? std::to_string(got) + " bytes" : "other bytes");
  if (got < 8) origin.fail(ErrorKind::io, "version", "truncated header");
  NpyHeader h;
  h.major_version = pre[6];
  if (h.major_version < 1 || h.major_version > 3)
    origin.fail(ErrorKind::io, "version", "unsupported .npy format version", "1, 2 or 3",
                std::to_string(pre[6]) + "." + std::to_string(pre[7]));
  unsigned char len_bytes[4] = {0, 0, 0, 0};
  const std::size_t len_size = h.major_version == 1 ? 2 : 4;
  if (src.read(len_bytes, len_size) != len_size)
    origin.fail(ErrorKind::io, "header_len", "truncated header");
  const std::uint32_t header_len = std::uint32_t(len_bytes[0]) | std::uint32_t(len_bytes[1]) << 8 |
                                   std::uint32_t(len_bytes[2]) << 16 |
                                   std::uint32_t(len_bytes[3]) << 24;
  // numpy itself refuses headers over 10 kB unless told otherwise; 16 MB is a generous bound
  // that still stops a corrupt length from allocating gigabytes.
  if (header_len > (1u << 24))
    origin.fail(ErrorKind::io, "header_len", "header length is implausible", "< 16 MB",
                std::to_string(header_len) + " bytes");
  std::string text(header_len, '\0');
  const std::size_t got_text = src.read(text.data(), header_len);
  if (got_text != header_len)
    origin.fail(ErrorKind::io, "header", "truncated header", std::to_string(header_len) + " bytes",
                std::to_string(got_text) + " bytes");
  const auto dict = DictParser(text, origin).parse();

  auto get = [&](const char* key) -> const HeaderValue& {
    auto it = dict.find(key);
    if (it == dict.end())
      origin.fail(ErrorKind::io, key, "malformed header dict: missing key",
                  "'descr', 'fortran_order' and 'shape'");
    return it->second;
  };
  const HeaderValue& descr = get("descr");
  if (std::holds_alternative<ListValue>(descr))
    origin.fail(ErrorKind::io, "descr", "structured (record) dtypes are not supported",
                "a plain numeric dtype", "a field list");
  if (!std::holds_alternative<std::string>(descr))
    origin.fail(ErrorKind::io, "descr", "malformed header dict: descr is not a string");
  parse_descr(std::get<std::string>(descr), h, origin);
  const HeaderValue& order = get("fortran_order");
  if (!std::holds_alternative<bool>(order))
    origin.fail(ErrorKind::io, "fortran_order", "malformed header dict: expected True or False");
  h.fortran_order = std::get<bool>(order);
  const HeaderValue& shape = get("shape");
  if (!std::holds_alternative<std::vector<std::int64_t>>(shape))
    origin.fail(ErrorKind::io, "shape", "malformed header dict: shape is not a tuple");
  h.shape = std::get<std::vector<std::int64_t>>(shape);
  if (h.shape.empty() || h.shape.size() > 2) {
    std::string s = "(";
    for (auto d : h.shape) s += std::to_string(d) + ",";
    s += ")";
    origin.fail(ErrorKind::shape, "shape", "only 1-D and 2-D arrays are supported",
                "1 or 2 dimensions", std::to_string(h.shape.size()) + " dimensions " + s);
  }
  return h;
}

template <class Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> read_data(
    ByteSource& src, const NpyHeader& h, bool transpose, const Origin& origin) {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const bool two_d = h.shape.size() == 2;
  const std::int64_t r = h.shape[0];
  const std::int64_t c = two_d ? h.shape[1] : 1;
  std::uint64_t n_elements = 0, n_bytes = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(c),
                             &n_elements) ||
      __builtin_mul_overflow(n_elements, static_cast<std::uint64_t>(h.item_size), &n_bytes) ||
      n_elements > static_cast<std::uint64_t>(INT64_MAX))
    origin.fail(ErrorKind::io, "shape", "array size overflows", "", "shape " +
                std::to_string(r) + "×" + std::to_string(c));

  // A file that is too short fails here, before gigabytes are allocated.
  const std::int64_t avail = src.remaining();
  if (avail >= 0 && static_cast<std::uint64_t>(avail) < n_bytes)
    origin.fail(ErrorKind::io, "data", "truncated data", std::to_string(n_bytes) + " bytes",
                std::to_string(avail) + " bytes");
  if (avail >= 0 && static_cast<std::uint64_t>(avail) > n_bytes)
    origin.fail(ErrorKind::io, "data", "data size does not match the shape",
                std::to_string(n_bytes) + " bytes", std::to_string(avail) + " bytes");

  const bool flip = transpose && two_d;
  Matrix m(flip ? c : r, flip ? r : c);
  std::uint64_t done = 0;  // bytes consumed, for the truncation message
  auto read_exact = [&](void* dst, std::size_t bytes) {
    std::size_t got = 0;
    while (got < bytes) {
      const std::size_t k = src.read(static_cast<unsigned char*>(dst) + got, bytes - got);
      if (k == 0) break;
      got += k;
    }
    done += got;
    if (got < bytes)
      origin.fail(ErrorKind::io, "data", "truncated data", std::to_string(n_bytes) + " bytes",
                  std::to_string(done) + " bytes");
  };

  // Element p of the file (in storage order) lands at linear index p of the row-major result
  // exactly when the storage order and the requested orientation agree: C order read as is, or
  // Fortran order read transposed. Otherwise stored "row" k (a C row, or a Fortran column) is
  // column k of the result and we transpose block-wise while reading.
  const bool linear = !two_d || h.fortran_order == flip;
  const std::size_t item = static_cast<std::size_t>(h.item_size);
  const bool native_same = h.type_code == 'f' && item == sizeof(Scalar) &&
                           (h.big_endian == (std::endian::native == std::endian::big));
  std::vector<unsigned char> raw;
  if (linear && native_same) {
    read_exact(m.data(), static_cast<std::size_t>(n_bytes));  // straight into the destination
  } else if (linear) {
    raw.resize(kChunkElements * item);
    for (std::uint64_t p = 0; p < n_elements; p += kChunkElements) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunkElements, n_elements - p));
      read_exact(raw.data(), n * item);
      convert(h, raw.data(), n, m.data() + p);
    }
  } else {
    const auto L = static_cast<std::size_t>(m.rows());  // elements per stored row
    const auto K = static_cast<std::size_t>(m.cols());  // stored rows
    if (L > 0 && K > 0) {
      // B stored rows per block; a row longer than the chunk is read in segments.
      const std::size_t B = std::max<std::size_t>(1, std::min(K, kChunkElements / L));
      const std::size_t seg = std::min(L, kChunkElements);
      std::vector<Scalar> conv(B * seg);
      raw.resize(B * seg * item);
      for (std::size_t k0 = 0; k0 < K; k0 += B) {
        const std::size_t nb = std::min(B, K - k0);
        if (seg == L) {
          read_exact(raw.data(), nb * L * item);
          convert(h, raw.data(), nb * L, conv.data());
          for (std::size_t t = 0; t < L; ++t) {
            Scalar* row = m.data() + t * K + k0;
            for (std::size_t b = 0; b < nb; ++b) row[b] = conv[b * L + t];
          }
        } else {
          for (std::size_t t0 = 0; t0 < L; t0 += seg) {
            const std::size_t ns = std::min(seg, L - t0);
            read_exact(raw.data(), ns * item);
            convert(h, raw.data(), ns, conv.data());
            for (std::size_t t = 0; t < ns; ++t) m.data()[(t0 + t) * K + k0] = conv[t];
          }
        }
      }
    }
  }
  unsigned char extra;
  if (src.read(&extra, 1) != 0)
    origin.fail(ErrorKind::io, "data", "data size does not match the shape: bytes after the data",
                std::to_string(n_bytes) + " bytes", "more");
  return m;
}

template MatrixF read_data<float>(ByteSource&, const NpyHeader&, bool, const Origin&);
template MatrixD read_data<double>(ByteSource&, const NpyHeader&, bool, const Origin&);

}  // namespace neurodl::io::detail
