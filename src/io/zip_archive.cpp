// A minimal zip reader (PKWARE APPNOTE 6.3): only what .npz archives need.
// The central directory is authoritative: numpy writes members with zip64 local headers whose size
// fields hold 0xFFFFFFFF, so sizes are taken from the directory (and its zip64 extra field), and a
// local header is read only to find where the member's data starts.

#include "zip_archive.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace neurodl::io::detail {
namespace {

constexpr std::uint32_t kEndOfDirectory = 0x06054b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr std::uint32_t kDirectoryEntry = 0x02014b50;
constexpr std::uint32_t kLocalHeader = 0x04034b50;

std::uint64_t le(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// zlib's crc32 takes a 32-bit length: feed it in slices.
std::uint32_t update_crc(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  while (n > 0) {
    const auto k = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    crc = static_cast<std::uint32_t>(::crc32(crc, p, k));
    p += k;
    n -= k;
  }
  return crc;
}

/// Shared by both member streams: counts bytes, accumulates the CRC, checks both at the end.
class MemberCheck {
 public:
  MemberCheck(const ZipEntry& e, Origin o)
      : size_(e.size), crc_expected_(e.crc32), origin_(std::move(o)) {}
  void add(const void* p, std::size_t n) {
    crc_ = update_crc(crc_, static_cast<const unsigned char*>(p), n);
    produced_ += n;
  }
  void finish() {
    if (checked_) return;
    checked_ = true;
    if (produced_ != size_)
      origin_.fail(ErrorKind::io, "", "zip member size differs from its directory entry",
                   std::to_string(size_) + " bytes", std::to_string(produced_) + " bytes");
    if (crc_ != crc_expected_)
      origin_.fail(ErrorKind::io, "", "zip member is corrupt (CRC-32 mismatch)",
                   std::to_string(crc_expected_), std::to_string(crc_));
  }
  std::uint64_t produced() const { return produced_; }
  const Origin& origin() const { return origin_; }

 private:
  std::uint64_t size_;
  std::uint32_t crc_expected_;
  Origin origin_;
  std::uint32_t crc_ = 0;
  std::uint64_t produced_ = 0;
  bool checked_ = false;
};

class StoredSource : public ByteSource {
 public:
  StoredSource(std::FILE* f, std::uint64_t offset, const ZipEntry& e, const Origin& o)
      : range_(f, offset, e.compressed_size, o), check_(e, o), size_(e.size) {}
  std::size_t read(void* dst, std::size_t n) override {
    const std::size_t got = range_.read(dst, n);
    check_.add(dst, got);
    if (got < n) check_.finish();
    return got;
  }
  std::int64_t remaining() const override {
    return static_cast<std::int64_t>(size_ - std::min(size_, check_.produced()));
  }

 private:
  FileRangeSource range_;
  MemberCheck check_;
  std::uint64_t size_;
};

class DeflatedSource : public ByteSource {
 public:
  DeflatedSource(std::FILE* f, std::uint64_t offset, const ZipEntry& e, const Origin& o)
      : range_(f, offset, e.compressed_size, o), check_(e, o), size_(e.size), in_(1 << 18) {
    std::memset(&z_, 0, sizeof z_);
    // Negative window bits: a raw deflate stream, without the zlib header zip does not use.
    if (inflateInit2(&z_, -MAX_WBITS) != Z_OK)
      o.fail(ErrorKind::io, "", "cannot initialise zlib inflate");
  }
  ~DeflatedSource() override { inflateEnd(&z_); }

  std::size_t read(void* dst, std::size_t n) override {
    auto* out = static_cast<unsigned char*>(dst);
    std::size_t produced = 0;
    while (produced < n && !ended_) {
      if (z_.avail_in == 0) {
        z_.avail_in = static_cast<uInt>(range_.read(in_.data(), in_.size()));
        z_.next_in = in_.data();
      }
      const std::size_t want = std::min<std::size_t>(n - produced, UINT_MAX);
      z_.next_out = out + produced;
      z_.avail_out = static_cast<uInt>(want);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      const std::size_t made = want - z_.avail_out;
      check_.add(out + produced, made);
      produced += made;
      if (rc == Z_STREAM_END) {
        ended_ = true;
        check_.finish();
      } else if (rc == Z_BUF_ERROR && z_.avail_in == 0 && made == 0) {
        check_.origin().fail(ErrorKind::io, "", "truncated compressed data",
                             std::to_string(size_) + " bytes",
                             std::to_string(check_.produced()) + " bytes");
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        check_.origin().fail(ErrorKind::io, "", std::string("corrupt deflate stream: ") +
                                                    (z_.msg ? z_.msg : "zlib error"));
      }
    }
    return produced;
  }
  std::int64_t remaining() const override {
    return static_cast<std::int64_t>(size_ - std::min(size_, check_.produced()));
  }

 private:
  FileRangeSource range_;
  MemberCheck check_;
  std::uint64_t size_;
  std::vector<unsigned char> in_;
  z_stream z_;
  bool ended_ = false;
};

}  // namespace

ZipArchive::ZipArchive(const std::filesystem::path& path, std::string component)
    : path_(path), component_(std::move(component)), file_(open_for_reading(path, component_)) {
  const Origin origin{.component = component_, .file = path_.string()};
  std::FILE* f = file_.get();
  ::fseeko(f, 0, SEEK_END);
  file_size_ = static_cast<std::uint64_t>(::ftello(f));
  auto read_at = [&](std::uint64_t offset, unsigned char* dst, std::size_t n, const char* field) {
    if (offset + n > file_size_ || ::fseeko(f, static_cast<off_t>(offset), SEEK_SET) != 0 ||
        std::fread(dst, 1, n, f) != n)
      origin.fail(ErrorKind::io, field, "truncated or damaged zip archive",
                  std::to_string(offset + n) + " bytes", std::to_string(file_size_) + " bytes");
  };

  // The end-of-directory record is 22 bytes plus a comment of up to 65535 bytes: search backwards.
  const std::uint64_t tail = std::min<std::uint64_t>(file_size_, 22 + 65535);
  std::vector<unsigned char> buf(tail);
  if (tail < 22) origin.fail(ErrorKind::io, "end of central directory", "not a zip archive (too short)");
  read_at(file_size_ - tail, buf.data(), tail, "end of central directory");
  std::int64_t eocd = -1;
  for (std::int64_t i = static_cast<std::int64_t>(tail) - 22; i >= 0; --i)
    if (le(&buf[i], 4) == kEndOfDirectory) {
      eocd = i;
      break;
    }
  if (eocd < 0)
    origin.fail(ErrorKind::io, "end of central directory",
                "not a zip archive (no end-of-central-directory record)");
  const unsigned char* e = &buf[static_cast<std::size_t>(eocd)];
  std::uint64_t n_entries = le(e + 10, 2);
  std::uint64_t dir_size = le(e + 12, 4);
  std::uint64_t dir_offset = le(e + 16, 4);
  const std::uint64_t eocd_pos = file_size_ - tail + static_cast<std::uint64_t>(eocd);
  // zip64: a locator sits just before the classic record and points at the zip64 record, whose
  // 64-bit counts replace the saturated 16/32-bit ones.
  if (eocd_pos >= 20) {
    unsigned char loc[20];
    read_at(eocd_pos - 20, loc, 20, "zip64 locator");
    if (le(loc, 4) == kZip64Locator) {
      unsigned char z64[56];
      read_at(le(loc + 8, 8), z64, 56, "zip64 end of central directory");
      if (le(z64, 4) != kZip64EndOfDirectory)
        origin.fail(ErrorKind::io, "zip64 end of central directory", "bad signature");
      n_entries = le(z64 + 32, 8);
      dir_size = le(z64 + 40, 8);
      dir_offset = le(z64 + 48, 8);
    }
  }
  if (dir_offset + dir_size > file_size_ || n_entries > dir_size / 46 + 1)
    origin.fail(ErrorKind::io, "central directory", "truncated or damaged zip archive",
                "directory within " + std::to_string(file_size_) + " bytes",
                "offset " + std::to_string(dir_offset) + " + " + std::to_string(dir_size));
  std::vector<unsigned char> dir(dir_size);
  read_at(dir_offset, dir.data(), dir.size(), "central directory");

  std::size_t p = 0;
  for (std::uint64_t k = 0; k < n_entries; ++k) {
    if (p + 46 > dir.size() || le(&dir[p], 4) != kDirectoryEntry)
      origin.fail(ErrorKind::io, "central directory", "damaged directory entry",
                  "entry " + std::to_string(k) + " of " + std::to_string(n_entries));
    const unsigned char* d = &dir[p];
    ZipEntry z;
    z.flags = static_cast<std::uint16_t>(le(d + 8, 2));
    z.method = static_cast<std::uint16_t>(le(d + 10, 2));
    z.crc32 = static_cast<std::uint32_t>(le(d + 16, 4));
    z.compressed_size = le(d + 20, 4);
    z.size = le(d + 24, 4);
    const std::size_t name_len = le(d + 28, 2), extra_len = le(d + 30, 2), comment_len = le(d + 32, 2);
    z.local_header_offset = le(d + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > dir.size())
      origin.fail(ErrorKind::io, "central directory", "damaged directory entry");
    z.name.assign(reinterpret_cast<const char*>(d + 46), name_len);
    // The zip64 extra field (id 1) holds, in this order, only those of size, compressed size and
    // local header offset whose 32-bit fields are saturated at 0xFFFFFFFF.
    const unsigned char* x = d + 46 + name_len;
    for (std::size_t q = 0; q + 4 <= extra_len;) {
      const auto id = le(x + q, 2), len = le(x + q + 2, 2);
      if (q + 4 + len > extra_len) break;
      if (id == 1) {
        std::size_t r = q + 4;
        auto take = [&](std::uint64_t& v) {
          if (v == 0xFFFFFFFFu && r + 8 <= q + 4 + len) {
            v = le(x + r, 8);
            r += 8;
          }
        };
        take(z.size);
        take(z.compressed_size);
        take(z.local_header_offset);
      }
      q += 4 + len;
    }
    entries_.push_back(std::move(z));
    p += 46 + name_len + extra_len + comment_len;
  }
}

std::unique_ptr<ByteSource> ZipArchive::open(const ZipEntry& entry) {
  const Origin origin{.component = component_, .file = path_.string(), .member = entry.name};
  if (entry.flags & 1u)
    origin.fail(ErrorKind::io, "", "encrypted zip members are not supported");
  if (entry.method != 0 && entry.method != 8)
    origin.fail(ErrorKind::io, "", "unsupported zip compression method", "0 (stored) or 8 (deflated)",
                std::to_string(entry.method));
  unsigned char h[30];
  std::FILE* f = file_.get();
  if (entry.local_header_offset + 30 > file_size_ ||
      ::fseeko(f, static_cast<off_t>(entry.local_header_offset), SEEK_SET) != 0 ||
      std::fread(h, 1, 30, f) != 30 || le(h, 4) != kLocalHeader)
    origin.fail(ErrorKind::io, "", "damaged local header");
  const std::uint64_t data = entry.local_header_offset + 30 + le(h + 26, 2) + le(h + 28, 2);
  if (data + entry.compressed_size > file_size_)
    origin.fail(ErrorKind::io, "", "truncated zip archive",
                std::to_string(data + entry.compressed_size) + " bytes",
                std::to_string(file_size_) + " bytes");
  if (entry.method == 0) {
    if (entry.compressed_size != entry.size)
      origin.fail(ErrorKind::io, "", "stored member sizes disagree",
                  std::to_string(entry.size) + " bytes", std::to_string(entry.compressed_size) + " bytes");
    return std::make_unique<StoredSource>(f, data, entry, origin);
  }
  return std::make_unique<DeflatedSource>(f, data, entry, origin);
}

}  // namespace neurodl::io::detail
