#include "mat_v5_check.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include <zlib.h>

#include "neurodl/core/error.hpp"

// The layout followed here is MathWorks' "MAT-File Format" (version 5 section): a 128-byte header,
// then data elements, each an 8-byte tag (type, byte count) or a 4-byte "small data element" tag
// (byte count in the upper 16 bits of the first word, type in the lower, data in the second
// word), padded to 8 bytes. A miCOMPRESSED element holds a zlib stream that inflates to one
// miMATRIX. matio 1.5.23 (src/mat5.c) reads the same layout but believes every count it meets:
// a cell's dimensions size a calloc and a loop before any element is read, a struct allocates
// prod(dims)·fields variables up front, and numeric data is read by the dimensions, not by the
// data element's byte count. Here each such count is checked against the bytes that must hold it.

namespace neurodl::io::mat_detail {
namespace {

constexpr const char* kComponent = "io.mat";

// Data types (MAT-File Format, table 1-1).
enum : std::uint32_t {
  kMiInt8 = 1,
  kMiUint8 = 2,
  kMiInt16 = 3,
  kMiUint16 = 4,
  kMiInt32 = 5,
  kMiUint32 = 6,
  kMiSingle = 7,
  kMiDouble = 9,
  kMiInt64 = 12,
  kMiUint64 = 13,
  kMiMatrix = 14,
  kMiCompressed = 15,
  kMiUtf8 = 16,
  kMiUtf16 = 17,
  kMiUtf32 = 18,
};
// Array classes (table 1-3), the low byte of the array flags.
enum : std::uint32_t {
  kCell = 1,
  kStruct = 2,
  kObject = 3,
  kChar = 4,
  kSparse = 5,
  kFirstNumeric = 6,  // double, single, int8, uint8, int16, uint16, int32, uint32, int64, uint64
  kLastNumeric = 15,
  kFunction = 16,
  kOpaque = 17,
};
constexpr std::uint32_t kComplexFlag = 0x0800;

constexpr std::uint64_t kHeaderBytes = 128;
constexpr std::size_t kChunkBytes = 64 * 1024;  // compressed input and inflated output windows
// deflate never expands by more than about 1032:1, so no honest stream inflates beyond that.
constexpr std::uint64_t kMaxExpansion = 1032;
// The deepest real layout (spikes{day}{epoch}{tetrode}{unit}.time) nests 5 levels; matio recurses
// once per level, so a crafted file must not nest without bound.
constexpr int kMaxDepth = 256;
// matio keeps a ~200-byte matvar_t per array while listing: 2^24 of them is gigabytes already.
constexpr std::uint64_t kMaxArrays = std::uint64_t{1} << 24;
// Variable and field names are kept for messages up to this length (MATLAB allows 63).
constexpr std::size_t kMaxNameKept = 256;
constexpr std::uint64_t kMaxFieldNameBytesKept = 64 * 1024;
// MATLAB and scipy end a compressed element's stream right after the miMATRIX; allow the padding
// a writer might add.
constexpr std::uint64_t kMaxBytesAfterMatrix = 7;

/// Bytes of one stored value of data type `t`; 0 for types that are not numeric.
std::uint64_t numeric_size(std::uint32_t t) {
  switch (t) {
    case kMiInt8:
    case kMiUint8:
      return 1;
    case kMiInt16:
    case kMiUint16:
      return 2;
    case kMiInt32:
    case kMiUint32:
    case kMiSingle:
      return 4;
    case kMiDouble:
    case kMiInt64:
    case kMiUint64:
      return 8;
    default:
      return 0;
  }
}

std::uint64_t padded(std::uint64_t bytes) { return (bytes + 7) / 8 * 8; }

/// Printable ASCII only: a damaged name must not break the one-line message.
std::string printable(const unsigned char* p, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n && p[i] != 0; ++i)
    s.push_back(p[i] >= 0x20 && p[i] < 0x7f ? static_cast<char>(p[i]) : '?');
  return s;
}

/// Bytes read once, in order: the file itself or one inflated element.
class Source {
 public:
  virtual ~Source() = default;
  /// False when the bytes run out (or the stream is corrupt: see problem()).
  virtual bool read(void* out, std::size_t n) = 0;
  virtual bool skip(std::uint64_t n) = 0;
  /// Why the last read failed when it is more than running out of bytes; empty otherwise.
  virtual std::string problem() const { return {}; }
};

class FileSource final : public Source {
 public:
  explicit FileSource(std::ifstream& in) : in_(in) {}
  bool read(void* out, std::size_t n) override {
    return static_cast<bool>(in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n)));
  }
  bool skip(std::uint64_t n) override {
    return static_cast<bool>(in_.seekg(static_cast<std::streamoff>(n), std::ios::cur));
  }

 private:
  std::ifstream& in_;
};

/// The inflated bytes of a miCOMPRESSED payload, produced 64 KiB at a time and forgotten once
/// read or skipped: memory stays fixed whatever the element's size.
class InflateSource final : public Source {
 public:
  InflateSource(std::ifstream& in, std::uint64_t compressed_bytes)
      : in_(in), input_left_(compressed_bytes), in_buf_(kChunkBytes), out_buf_(kChunkBytes) {
    if (inflateInit(&z_) != Z_OK) throw std::bad_alloc();
  }
  ~InflateSource() override { inflateEnd(&z_); }
  InflateSource(const InflateSource&) = delete;
  InflateSource& operator=(const InflateSource&) = delete;

  bool read(void* out, std::size_t n) override {
    auto* dst = static_cast<unsigned char*>(out);
    while (n > 0) {
      if (pos_ == len_ && !refill()) return false;
      const std::size_t k = std::min(n, len_ - pos_);
      std::memcpy(dst, out_buf_.data() + pos_, k);
      dst += k;
      pos_ += k;
      n -= k;
    }
    return true;
  }

  bool skip(std::uint64_t n) override {
    while (n > 0) {
      if (pos_ == len_ && !refill()) return false;
      const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, len_ - pos_));
      pos_ += k;
      n -= k;
    }
    return true;
  }

  std::string problem() const override { return error_.empty() ? error_ : "zlib: " + error_; }

  /// True when the stream reaches its end marker (its checksum verified by zlib) within `most`
  /// further inflated bytes; `extra` gets how many there were (or how many were seen).
  bool ends_within(std::uint64_t most, std::uint64_t& extra) {
    extra = len_ - pos_;
    pos_ = len_;
    while (!ended_ && extra <= most) {
      if (!refill() && !ended_) return false;
      extra += len_;
      pos_ = len_;
    }
    return ended_ && extra <= most;
  }

 private:
  // Inflates the next window; false when nothing more comes (stream end, error, input used up).
  bool refill() {
    pos_ = len_ = 0;
    while (len_ == 0 && !ended_) {
      if (z_.avail_in == 0) {
        if (input_left_ == 0) return false;  // the element's bytes end inside the stream
        const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, input_left_));
        if (!in_.read(reinterpret_cast<char*>(in_buf_.data()), static_cast<std::streamsize>(k)))
          return false;
        input_left_ -= k;
        z_.next_in = in_buf_.data();
        z_.avail_in = static_cast<uInt>(k);
      }
      z_.next_out = out_buf_.data();
      z_.avail_out = static_cast<uInt>(kChunkBytes);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      len_ = kChunkBytes - z_.avail_out;
      if (rc == Z_STREAM_END) {
        ended_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {  // Z_BUF_ERROR: needs more input
        error_ = z_.msg ? z_.msg : zError(rc);
        return false;
      }
    }
    return len_ > 0;
  }

  std::ifstream& in_;
  std::uint64_t input_left_;
  std::vector<unsigned char> in_buf_;
  std::vector<unsigned char> out_buf_;
  std::size_t pos_ = 0;  // next unread byte of out_buf_
  std::size_t len_ = 0;  // inflated bytes in out_buf_
  bool ended_ = false;
  std::string error_;
  z_stream z_{};
};

/// One element tag as read: a small element carries its (≤ 4) data bytes in the tag itself.
struct Tag {
  std::uint32_t type = 0;
  std::uint64_t bytes = 0;
  bool small = false;
  std::array<unsigned char, 4> data{};
};

/// Walks the elements, keeping the path of the array being checked (`CAttached{3}.fluo_time`)
/// for messages. Every walk function takes `left`, the bytes of the enclosing element not yet
/// consumed, and never reads beyond it.
class Walker {
 public:
  Walker(const std::filesystem::path& file, bool swap) : file_(file), swap_(swap) {}

  void walk_file(std::ifstream& in, std::uint64_t file_bytes) {
    std::uint64_t pos = kHeaderBytes;
    while (pos < file_bytes) {
      field_ = "element at byte " + std::to_string(pos);
      const std::uint64_t rest = file_bytes - pos;
      if (rest < 8) fail("file ends inside an element tag", "8", std::to_string(rest), "bytes");
      in.seekg(static_cast<std::streamoff>(pos));
      FileSource file(in);
      src_ = &file;
      unsigned char tag[8];
      read(tag, 8);
      const std::uint32_t type = word(tag);
      const std::uint64_t bytes = word(tag + 4);
      if (bytes > rest - 8)
        fail("element larger than the rest of the file", "at most " + std::to_string(rest - 8),
             std::to_string(bytes), "bytes");
      if (type == kMiMatrix) {
        if (bytes == 0) fail("empty top-level miMATRIX element");
        matrix(bytes, 0);
      } else if (type == kMiCompressed) {
        compressed(in, bytes);
      } else {
        fail("top-level element is neither miMATRIX nor miCOMPRESSED", "type 14 or 15",
             "type " + std::to_string(type));
      }
      src_ = nullptr;
      pos += 8 + bytes;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what, const std::string& expected = {},
                         const std::string& got = {}, const std::string& unit = {}) const {
    raise(ErrorKind::io, {.component = kComponent,
                          .what = "corrupt MAT-file: " + what,
                          .expected = expected,
                          .got = got,
                          .unit = unit,
                          .file = file_.string(),
                          .field = field_});
  }

  std::uint32_t word(const unsigned char* p) const {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    return swap_ ? __builtin_bswap32(w) : w;
  }

  void read(void* out, std::size_t n) {
    if (!src_->read(out, n)) ran_out();
  }
  void skip(std::uint64_t n) {
    if (n > 0 && !src_->skip(n)) ran_out();
  }
  [[noreturn]] void ran_out() const {
    const std::string why = src_->problem();
    if (!why.empty()) fail("compressed data is damaged", {}, why);
    fail("the data ends before the element does (truncated or damaged compressed stream)");
  }

  // A miCOMPRESSED element of `bytes` payload bytes: one miMATRIX, then the end of the stream.
  void compressed(std::ifstream& in, std::uint64_t bytes) {
    InflateSource z(in, bytes);
    src_ = &z;
    inflating_ = true;
    stopped_early_ = false;
    unsigned char tag[8];
    read(tag, 8);
    const std::uint32_t type = word(tag);
    const std::uint64_t inner = word(tag + 4);
    if (type != kMiMatrix)
      fail("compressed element does not hold a miMATRIX", "type 14",
           "type " + std::to_string(type));
    if (inner == 0) fail("empty top-level miMATRIX element");
    if (8 + inner > bytes * kMaxExpansion)
      fail("compressed element claims more bytes than zlib can inflate from its " +
               std::to_string(bytes) + " bytes",
           "at most " + std::to_string(bytes * kMaxExpansion), std::to_string(8 + inner), "bytes");
    matrix(inner, 0);
    inflating_ = false;
    if (stopped_early_) return;
    std::uint64_t extra = 0;
    if (!z.ends_within(kMaxBytesAfterMatrix, extra)) {
      const std::string why = z.problem();
      if (!why.empty()) fail("compressed data is damaged", {}, why);
      if (extra > kMaxBytesAfterMatrix)
        fail("compressed stream goes on after its miMATRIX",
             "at most " + std::to_string(kMaxBytesAfterMatrix), std::to_string(extra) + " or more",
             "bytes");
      fail("compressed stream has no end (truncated or damaged)");
    }
  }

  // The next tag within `left` bytes; a normal tag's byte count must fit in what is left.
  Tag next_tag(std::uint64_t& left, const char* what) {
    if (left < 8)
      fail(std::string(what) + " missing: its array ends first", "8", std::to_string(left),
           "bytes");
    unsigned char b[8];
    read(b, 8);
    left -= 8;
    Tag t;
    const std::uint32_t w0 = word(b);
    if (w0 >> 16) {
      t.small = true;
      t.type = w0 & 0xffff;
      t.bytes = w0 >> 16;
      if (t.bytes > 4)
        fail(std::string(what) + ": a small data element cannot hold more than 4 bytes", "1-4",
             std::to_string(t.bytes), "bytes");
      std::memcpy(t.data.data(), b + 4, 4);
    } else {
      t.type = w0;
      t.bytes = word(b + 4);
      if (t.bytes > left)
        fail(std::string(what) + " larger than the bytes left in its array",
             "at most " + std::to_string(left), std::to_string(t.bytes), "bytes");
    }
    return t;
  }

  // Skips what remains of `t`'s data (of which `done` bytes were read) and its padding.
  void finish(const Tag& t, std::uint64_t& left, std::uint64_t done = 0) {
    if (t.small) return;
    const std::uint64_t rest = std::min(padded(t.bytes), left + done) - done;
    skip(rest);
    left -= rest;
  }

  // A name (miINT8): up to kMaxNameKept characters kept, the rest skipped.
  std::string name(const Tag& t, std::uint64_t& left) {
    if (t.small) return printable(t.data.data(), t.bytes);
    std::array<unsigned char, kMaxNameKept> buf{};
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(t.bytes, buf.size()));
    read(buf.data(), n);
    left -= n;
    finish(t, left, n);
    return printable(buf.data(), n);
  }

  // A miMATRIX of `bytes` bytes (its tag already read); consumes exactly `bytes`.
  void matrix(std::uint64_t bytes, int depth) {
    if (depth > kMaxDepth)
      fail("arrays nested too deep", "at most " + std::to_string(kMaxDepth), "more", "levels");
    if (++arrays_ > kMaxArrays)
      fail("too many arrays for matio to list", "at most " + std::to_string(kMaxArrays));
    std::uint64_t left = bytes;

    const Tag flags = next_tag(left, "array flags");
    // matio also takes miINT32 flags (written by SWAN).
    if (flags.small || (flags.type != kMiUint32 && flags.type != kMiInt32) || flags.bytes != 8)
      fail("array flags are not 8 bytes of miUINT32", "type 6, 8 bytes",
           "type " + std::to_string(flags.type) + ", " + std::to_string(flags.bytes) + " bytes");
    unsigned char f[8];
    read(f, 8);
    left -= 8;
    const std::uint32_t cls = word(f) & 0xff;
    const bool complex = (word(f) & kComplexFlag) != 0;
    // Opaque objects (MATLAB classdef, strings, tables) follow another layout; matio neither
    // lists nor reads inside them.
    if (cls == kOpaque) return skip_rest(left);
    if (cls < kCell || cls > kOpaque) fail("unknown array class", "1 to 17", std::to_string(cls));

    const Tag d = next_tag(left, "dimensions");
    if (d.small || d.type != kMiInt32 || d.bytes % 4 != 0 || d.bytes < 8)
      fail("dimensions are not at least two miINT32 values", "type 5, 8 or more bytes",
           "type " + std::to_string(d.type) + ", " + std::to_string(d.bytes) + " bytes");
    std::uint64_t count = 1;
    bool overflow = false;
    bool empty = false;
    std::uint64_t cols = 0;
    std::string dims;
    for (std::uint64_t i = 0; i < d.bytes / 4; ++i) {
      unsigned char v[4];
      read(v, 4);
      const auto dim = static_cast<std::int32_t>(word(v));
      if (dim < 0) fail("negative dimension", "0 or more", std::to_string(dim));
      const auto n = static_cast<std::uint64_t>(dim);
      if (n == 0) empty = true;
      if (n != 0 && count > std::numeric_limits<std::uint64_t>::max() / n) overflow = true;
      count *= n;
      if (i == 1) cols = n;
      if (dims.size() < 64) dims += (i ? "×" : "") + std::to_string(n);
    }
    left -= d.bytes;
    finish(d, left, d.bytes);
    // A zero dimension empties the array whatever the others are.
    if (empty) count = 0;
    if (overflow && !empty) fail("the number of elements overflows", {}, dims);

    const Tag n = next_tag(left, "array name");
    if (n.type != kMiInt8)
      fail("array name is not miINT8", "type 1", "type " + std::to_string(n.type));
    const std::string array_name = name(n, left);
    if (depth == 0 && !array_name.empty()) field_ = array_name;

    if (cls >= kFirstNumeric && cls <= kLastNumeric) {
      // A compressed top-level real array has no structure after its data tag: inflating its
      // data only to skip it would double the cost of reading big matrices. matio reports a
      // damaged stream there itself, and the tag just checked bounds what it allocates.
      if (depth == 0 && inflating_ && !complex) {
        numeric_part(left, count, dims, "real part", false);
        stopped_early_ = true;
        return;
      }
      numeric_part(left, count, dims, "real part");
      if (complex) numeric_part(left, count, dims, "imaginary part");
    } else if (cls == kChar) {
      characters(left, count, dims);
    } else if (cls == kSparse) {
      sparse(left, cols, complex);
    } else if (cls == kCell) {
      if (count > left / 8)
        fail("cell array of " + dims + " cannot fit in the bytes left (8 per element at least)",
             "at most " + std::to_string(left / 8), std::to_string(count), "elements");
      for (std::uint64_t i = 0; i < count; ++i) {
        const std::size_t keep = field_.size();
        field_.append("{").append(std::to_string(i + 1)).append("}");
        element(left, depth);
        field_.resize(keep);
      }
    } else if (cls == kStruct || cls == kObject) {
      if (cls == kObject) {
        const Tag c = next_tag(left, "class name");
        if (c.type != kMiInt8)
          fail("class name is not miINT8", "type 1", "type " + std::to_string(c.type));
        finish(c, left);
      }
      fields(left, count, dims, depth);
    } else if (cls == kFunction) {
      // matio lists prod(dims) elements after a function handle's name.
      if (count > left / 8)
        fail("function handle of " + dims + " cannot fit in the bytes left",
             "at most " + std::to_string(left / 8), std::to_string(count), "elements");
    }
    skip_rest(left);  // bytes after the last sub-element are ignored, as matio does
  }

  void skip_rest(std::uint64_t& left) {
    skip(left);
    left = 0;
  }

  // Real or imaginary part of a numeric array: exactly prod(dims) values of its stored type
  // (MATLAB may store a double array as e.g. miUINT8; matio converts).
  void numeric_part(std::uint64_t& left, std::uint64_t count, const std::string& dims,
                    const char* part, bool skip_data = true) {
    if (left == 0 && count == 0) return;  // an empty array written without data elements
    const Tag t = next_tag(left, part);
    const std::uint64_t size = numeric_size(t.type);
    if (size == 0)
      fail(std::string(part) + " has a stored type that is not numeric", "a numeric type",
           "type " + std::to_string(t.type));
    if (count > t.bytes / size || count * size != t.bytes) {
      const std::string want = count > std::numeric_limits<std::uint64_t>::max() / size
                                   ? "more than 2^64"
                                   : std::to_string(count * size);
      fail(std::string(part) + " does not match the dimensions " + dims, want,
           std::to_string(t.bytes), "bytes");
    }
    if (skip_data) finish(t, left);
  }

  void characters(std::uint64_t& left, std::uint64_t count, const std::string& dims) {
    if (left == 0 && count == 0) return;
    const Tag t = next_tag(left, "characters");
    const std::uint64_t size = numeric_size(t.type);
    if (t.type == kMiUtf8 || t.type == kMiUtf16 || t.type == kMiUtf32) {
      // UTF-8 may take several bytes per character; UTF-16/32 as many units as characters
      // or more (surrogate pairs).
      if (t.bytes < count)
        fail("characters do not match the dimensions " + dims, "at least " + std::to_string(count),
             std::to_string(t.bytes), "bytes");
    } else if (size == 0 || size > 2) {
      fail("characters have a stored type that is not text", "a 1- or 2-byte or UTF type",
           "type " + std::to_string(t.type));
    } else if (count > t.bytes / size || count * size != t.bytes) {
      fail("characters do not match the dimensions " + dims,
           count > std::numeric_limits<std::uint64_t>::max() / size ? "more than 2^64"
                                                                    : std::to_string(count * size),
           std::to_string(t.bytes), "bytes");
    }
    finish(t, left);
  }

  // Sparse: row indices, column starts (one per column and one more), values (and imaginary).
  void sparse(std::uint64_t& left, std::uint64_t cols, bool complex) {
    const Tag ir = next_tag(left, "sparse row indices");
    finish(ir, left);
    const Tag jc = next_tag(left, "sparse column starts");
    const std::uint64_t size = numeric_size(jc.type);
    if (size == 0 || jc.bytes / size != cols + 1)
      fail("sparse column starts do not match the column count",
           std::to_string(cols + 1) + " values",
           size ? std::to_string(jc.bytes / size) : "type " + std::to_string(jc.type));
    finish(jc, left);
    for (int p = 0; p < (complex ? 2 : 1); ++p) {
      if (left == 0) return;  // an all-zero sparse matrix may be written without values
      const Tag v = next_tag(left, p ? "sparse imaginary values" : "sparse values");
      finish(v, left);
    }
  }

  // A struct's (or object's) field name length, field names, then prod(dims) × fields elements.
  void fields(std::uint64_t& left, std::uint64_t count, const std::string& dims, int depth) {
    const Tag len = next_tag(left, "field name length");
    // Always a small element; matio reads the second word of the tag as the length.
    if (!len.small || len.type != kMiInt32 || len.bytes != 4)
      fail("field name length is not a 4-byte miINT32 small element", "type 5, 4 bytes",
           "type " + std::to_string(len.type) + ", " + std::to_string(len.bytes) + " bytes");
    const std::uint64_t name_len = word(len.data.data());
    if (name_len == 0) fail("field name length is zero");
    const Tag t = next_tag(left, "field names");
    if (t.type != kMiInt8)
      fail("field names are not miINT8", "type 1", "type " + std::to_string(t.type));
    if (t.bytes % name_len != 0)
      fail("field names are not a whole number of " + std::to_string(name_len) + "-byte names",
           "a multiple of " + std::to_string(name_len), std::to_string(t.bytes), "bytes");
    const std::uint64_t n_fields = t.bytes / name_len;
    std::vector<std::string> names;
    if (t.small) {
      for (std::uint64_t k = 0; k < n_fields; ++k)
        names.push_back(printable(t.data.data() + k * name_len, name_len));
    } else if (t.bytes <= kMaxFieldNameBytesKept) {
      std::vector<unsigned char> buf(t.bytes);
      read(buf.data(), buf.size());
      left -= t.bytes;
      for (std::uint64_t k = 0; k < n_fields; ++k)
        names.push_back(printable(buf.data() + k * name_len, name_len));
      finish(t, left, t.bytes);
    } else {
      finish(t, left);
    }
    if (n_fields == 0) return;
    if (count > left / 8 / n_fields)
      fail("struct array of " + dims + " with " + std::to_string(n_fields) +
               " fields cannot fit in the bytes left (8 per field at least)",
           "at most " + std::to_string(left / 8),
           count > std::numeric_limits<std::uint64_t>::max() / n_fields
               ? "more than 2^64"
               : std::to_string(count * n_fields),
           "fields");
    for (std::uint64_t i = 0; i < count; ++i) {
      for (std::uint64_t k = 0; k < n_fields; ++k) {
        const std::size_t keep = field_.size();
        if (count > 1) field_.append("(").append(std::to_string(i + 1)).append(")");
        field_.append(".");
        if (k < names.size() && !names[k].empty())
          field_.append(names[k]);
        else
          field_.append("field").append(std::to_string(k + 1));
        element(left, depth);
        field_.resize(keep);
      }
    }
  }

  // A cell or field: a miMATRIX element (0 bytes for an empty one) inside `left`.
  void element(std::uint64_t& left, int depth) {
    if (left < 8)
      fail("element missing: its parent ends first", "8", std::to_string(left), "bytes");
    unsigned char b[8];
    read(b, 8);
    left -= 8;
    const std::uint32_t type = word(b);
    const std::uint64_t bytes = word(b + 4);
    if (type != kMiMatrix)
      fail("element is not a miMATRIX", "type 14", "type " + std::to_string(type));
    if (bytes > left)
      fail("element larger than the bytes left in its parent", "at most " + std::to_string(left),
           std::to_string(bytes), "bytes");
    if (bytes == 0) return;
    matrix(bytes, depth + 1);
    left -= bytes;
    const std::uint64_t pad = std::min(padded(bytes) - bytes, left);
    skip(pad);
    left -= pad;
  }

  const std::filesystem::path& file_;
  const bool swap_;
  Source* src_ = nullptr;
  std::string field_;
  std::uint64_t arrays_ = 0;
  bool inflating_ = false;      // walking a miCOMPRESSED element
  bool stopped_early_ = false;  // its walk ended at a numeric data tag
};

}  // namespace

void check_v5_structure(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;  // matio reports unreadable files
  std::array<unsigned char, kHeaderBytes> header{};
  if (!in.read(reinterpret_cast<char*>(header.data()), header.size())) return;
  // Bytes 124-125 hold the version, 126-127 the endian indicator as the writer stored "IM".
  bool swap;
  if (header[126] == 'I' && header[127] == 'M')
    swap = false;
  else if (header[126] == 'M' && header[127] == 'I')
    swap = true;
  else
    return;
  std::uint16_t version;
  std::memcpy(&version, header.data() + 124, 2);
  if (swap) version = __builtin_bswap16(version);
  if (version != 0x0100) return;  // 0x0200 is v7.3 (HDF5)
  std::error_code ec;
  const std::uint64_t file_bytes = std::filesystem::file_size(path, ec);
  if (ec) return;
  Walker(path, swap).walk_file(in, file_bytes);
}

}  // namespace neurodl::io::mat_detail
