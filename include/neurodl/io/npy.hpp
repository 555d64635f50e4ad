#pragma once
// numpy .npy and .npz arrays: reading (float32/64, integers, bool; either byte order; C and Fortran
// order; format versions 1.0, 2.0 and 3.0) and writing float32/float64 matrices. Object and pickled
// arrays are rejected, never unpickled. .npz archives are read with a zip reader of our own
// (stored and deflated members, zip64) and zlib for inflate.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "neurodl/core/recording.hpp"
#include "neurodl/io/registry.hpp"

namespace neurodl::io {

/// What the header of a .npy array says, after checking it.
struct NpyHeader {
  std::string descr;                ///< numpy dtype string as stored, e.g. "<f4", ">i2", "|b1"
  char type_code = 'f';             ///< 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool
  int item_size = 4;                ///< bytes per element (1, 2, 4 or 8)
  bool big_endian = false;          ///< true for '>' dtypes of more than one byte
  bool fortran_order = false;       ///< true when the data is stored column-major
  std::vector<std::int64_t> shape;  ///< 1 or 2 entries (other ranks are rejected)
  int major_version = 1;            ///< format version 1, 2 or 3
};

/// A 1-D or 2-D numeric array converted to float32.
struct NpyArray {
  NpyHeader header;  ///< dtype, order and shape as stored
  /// shape[0] × shape[1] (a 1-D array of n values is n × 1); transposed to shape[1] × shape[0]
  /// when read with `transpose`. Integers and float64 are rounded to the nearest float32.
  MatrixF values;
};

/// One member of an .npz archive.
struct NpzMember {
  std::string name;  ///< member name without the ".npy" suffix, e.g. "arr_0"
  NpyArray array;
};

/// Reads a .npy file into float32. With `transpose`, a 2-D array is returned transposed (the
/// transpose is done while reading, without a second copy); 1-D arrays are always n × 1.
/// Little-endian float32 in the requested order is read straight into the result.
/// Throws IoError (bad magic, malformed header, unsupported or object dtype, truncated or
/// oversized data: the message names the file and field) and ShapeError (3-D or higher, 0-D).
NpyArray read_npy(const std::filesystem::path& path, bool transpose = false);
/// Reads a .npy file into float64, same rules as read_npy (for data where float32 loses digits).
MatrixD read_npy_f64(const std::filesystem::path& path, bool transpose = false);
/// Reads only the header of a .npy file (cheap); throws as read_npy.
NpyHeader read_npy_header(const std::filesystem::path& path);
/// Reads every "*.npy" member of an .npz archive, in archive order (other members are ignored).
/// Throws IoError for a damaged archive (bad directory, CRC mismatch, encrypted or unsupported
/// compression) or for a member read_npy would reject (the message names archive and member).
std::vector<NpzMember> read_npz(const std::filesystem::path& path, bool transpose = false);

/// True for a file that starts with the .npy magic string "\x93NUMPY".
bool sniff_npy(const std::filesystem::path& path);
/// One recording whose activity is the array (time × units; units × time with
/// options.units_by_time), kind unknown, at options.sample_rate_hz (NaN: unknown). A 1-D array is
/// one unit. Named after the file stem.
std::vector<Recording> read_npy_recordings(const std::filesystem::path& path,
                                           const ReadOptions& options);
/// True for a file named .npz that starts with a zip signature.
bool sniff_npz(const std::filesystem::path& path);
/// One recording per 1-D or 2-D numeric array in the archive, named after the member (without
/// ".npy"), with the same conventions as read_npy_recordings.
std::vector<Recording> read_npz_recordings(const std::filesystem::path& path,
                                           const ReadOptions& options);
/// Writes a T × N float32 matrix as a C-order <f4 .npy file (format 1.0, or 2.0 for a very long
/// header), atomically: on failure no file is left and an existing target is untouched.
/// Throws IoError when the folder is missing or the write fails.
void write_npy(const std::filesystem::path& path, const MatrixF& m);
/// Writes a T × N float64 matrix as a C-order <f8 .npy file, atomically (as above).
void write_npy(const std::filesystem::path& path, const MatrixD& m);

}  // namespace neurodl::io
