#pragma once
// Private to neurodl_io: a minimal zip reader for .npz archives. It reads the central directory
// (with zip64 extensions) and streams one member at a time, stored or deflated (zlib), checking
// its CRC-32 and size when the stream ends.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "npy_format.hpp"

namespace neurodl::io::detail {

/// One member as listed in the central directory.
struct ZipEntry {
  std::string name;
  std::uint16_t flags = 0;            ///< general-purpose bit flags (bit 0: encrypted)
  std::uint16_t method = 0;           ///< 0 stored, 8 deflated
  std::uint32_t crc32 = 0;            ///< CRC-32 of the uncompressed bytes
  std::uint64_t compressed_size = 0;  ///< bytes in the archive
  std::uint64_t size = 0;             ///< bytes after decompression
  std::uint64_t local_header_offset = 0;
};

/// An open zip archive.
class ZipArchive {
 public:
  /// Opens `path` and reads its central directory; throws IoError (component as given) when the
  /// file is not a zip archive or its directory is damaged.
  ZipArchive(const std::filesystem::path& path, std::string component);
  /// Members in directory order.
  const std::vector<ZipEntry>& entries() const { return entries_; }
  /// A stream of the member's uncompressed bytes. Reading it to the end checks size and CRC-32.
  /// Throws IoError for encrypted members or compression methods other than stored/deflated.
  /// Only one member stream may be in use at a time (they share the file handle).
  std::unique_ptr<ByteSource> open(const ZipEntry& entry);

 private:
  std::filesystem::path path_;
  std::string component_;
  FilePtr file_;
  std::uint64_t file_size_ = 0;
  std::vector<ZipEntry> entries_;
};

}  // namespace neurodl::io::detail
