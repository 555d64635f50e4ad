#pragma once
// Private to neurodl_io: the .npy format itself (header parsing, element conversion) over an
// abstract byte stream, so that a plain file and a (possibly deflated) .npz member share one
// reader. Used by npy.cpp and suite2p.cpp.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "neurodl/core/error.hpp"
#include "neurodl/core/matrix.hpp"
#include "neurodl/io/npy.hpp"

namespace neurodl::io::detail {

/// Where bytes come from, for error messages: the file and, inside an archive, the member.
struct Origin {
  std::string component = "io.npy";
  std::string file;    ///< path of the file on disk
  std::string member;  ///< archive member name, empty for a plain file

  /// Formats and throws: field is prefixed with the member name when there is one.
  [[noreturn]] void fail(ErrorKind kind, const std::string& field, const std::string& what,
                         const std::string& expected = {}, const std::string& got = {}) const;
};

/// A forward-only stream of bytes.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Copies up to `n` bytes into `dst`; returns fewer only at the end of the data.
  /// Throws IoError when the underlying file cannot be read or is corrupt.
  virtual std::size_t read(void* dst, std::size_t n) = 0;
  /// Bytes left before the end when known without reading them; -1 when unknown.
  virtual std::int64_t remaining() const = 0;
};

/// RAII std::FILE handle.
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Opens `path` for binary reading; throws IoError naming the file (component given).
FilePtr open_for_reading(const std::filesystem::path& path, const std::string& component);

/// A byte range [offset, offset + length) of an open file.
class FileRangeSource : public ByteSource {
 public:
  /// `file` must outlive the source. Seeks to `offset`; throws IoError when that fails.
  FileRangeSource(std::FILE* file, std::uint64_t offset, std::uint64_t length, Origin origin);
  std::size_t read(void* dst, std::size_t n) override;
  std::int64_t remaining() const override { return static_cast<std::int64_t>(left_); }

 private:
  std::FILE* file_;
  std::uint64_t left_;
  Origin origin_;
};

/// Reads the magic string, version and header dictionary; leaves `src` at the first data byte.
/// Throws IoError (bad magic, version, malformed dict, unsupported/object dtype) and ShapeError
/// (rank other than 1 or 2).
NpyHeader read_header(ByteSource& src, const Origin& origin);

/// Reads the data that follows the header into a row-major matrix of float or double; see
/// read_npy() for the layout. Checks that the stream holds exactly the bytes the shape needs.
template <class Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> read_data(
    ByteSource& src, const NpyHeader& header, bool transpose, const Origin& origin);

extern template MatrixF read_data<float>(ByteSource&, const NpyHeader&, bool, const Origin&);
extern template MatrixD read_data<double>(ByteSource&, const NpyHeader&, bool, const Origin&);

}  // namespace neurodl::io::detail
