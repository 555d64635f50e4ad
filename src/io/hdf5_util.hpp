#pragma once
// Private RAII wrappers over the HDF5 C API, shared by the neurodl-h5 and NWB readers.
//
// Every object is addressed by its absolute path inside the file ("/recordings/0000/activity"),
// so that a failure can name the file and the object. HDF5's automatic printing of its error
// stack is switched off; a failed call becomes one neurodl::IoError line that carries the innermost
// HDF5 message. Not thread-safe: Debian's serial HDF5 build is not either.

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "neurodl/core/error.hpp"
#include "neurodl/core/matrix.hpp"

namespace neurodl::io::h5 {

/// Owns one HDF5 identifier of any kind and releases it on destruction.
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(Id&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  Id& operator=(Id&& o) noexcept;
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() { reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Releases the identifier (errors are ignored: this runs on unwinding paths).
  void reset();
  /// Gives up ownership without closing (after an explicit, checked close).
  hid_t release() {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

/// True when the file starts with the HDF5 signature at offset 0 or at a user-block boundary
/// (512, 1024, ... bytes; MATLAB v7.3 files use 512). Reads at most a few small blocks.
bool has_hdf5_signature(const std::filesystem::path& path);

/// One open HDF5 file plus the names needed for error messages. Move-only.
class File {
 public:
  /// Opens an existing file read-only; throws IoError (naming the file and HDF5's reason).
  static File open_read(const std::filesystem::path& path, std::string component);
  /// Creates (truncates) a file for writing in the HDF5 1.8+ format, whose metadata carries
  /// checksums so that corruption is detected on reading; throws IoError. Messages name
  /// `shown_as` (the final name of an atomic write) when given, else `path`.
  static File create(const std::filesystem::path& path, std::string component,
                     std::string shown_as = {});

  /// Flushes and closes the file; throws IoError when HDF5 cannot finish writing it.
  void close();

  hid_t id() const { return id_.get(); }
  const std::string& name() const { return name_; }
  const std::string& component() const { return component_; }

  /// Throws `kind` with a one-line message naming the file and the object path.
  [[noreturn]] void fail(ErrorKind kind, const std::string& object, const std::string& what,
                         const std::string& expected = {}, const std::string& got = {}) const;

  // ---- structure ----
  /// True when every link along `path` exists (soft links are not required to resolve).
  bool exists(const std::string& path) const;
  /// True when `path` exists and resolves to a dataset.
  bool is_dataset(const std::string& path) const;
  /// True when `path` exists and resolves to a group.
  bool is_group(const std::string& path) const;
  /// Names of the links in a group, in name order.
  std::vector<std::string> children(const std::string& group) const;
  /// Every group and dataset reachable by hard links from the root, as absolute paths in visit
  /// order (each object once). Soft and external links are not followed.
  std::vector<std::string> walk() const;
  /// Target path of a soft link, or nullopt when `path` is not a soft link.
  std::optional<std::string> soft_link_target(const std::string& path) const;

  // ---- attributes of the object at `object` ----
  bool has_attr(const std::string& object, const std::string& name) const;
  /// A string attribute (fixed or variable length; 1-element arrays accepted); nullopt if absent.
  std::optional<std::string> attr_string(const std::string& object, const std::string& name) const;
  /// A numeric attribute converted to double (scalar or 1 element); nullopt if absent.
  std::optional<double> attr_double(const std::string& object, const std::string& name) const;
  /// An integer attribute (scalar or 1 element); nullopt if absent; IoError when not integer.
  std::optional<std::int64_t> attr_int64(const std::string& object, const std::string& name) const;
  /// Path of the object an object-reference attribute points to; nullopt if absent/unreadable.
  std::optional<std::string> attr_reference_path(const std::string& object,
                                                 const std::string& name) const;

  // ---- datasets ----
  /// Dimensions of a dataset (empty for a scalar); IoError when missing.
  std::vector<hsize_t> dims(const std::string& path) const;
  /// HDF5 type class of a dataset (H5T_FLOAT, H5T_INTEGER, H5T_STRING, ...).
  H5T_class_t type_class(const std::string& path) const;
  /// All elements of a numeric dataset as double / int64 / float (any rank, C order).
  /// IoError unless the stored class is integer or float (integer only for read_int64s).
  std::vector<double> read_doubles(const std::string& path) const;
  std::vector<std::int64_t> read_int64s(const std::string& path) const;
  /// A rank-0, 1 or 2 numeric dataset as a float32 matrix (rank 0/1: n×1). Reads straight into
  /// the matrix buffer: HDF5 converts integer or float64 storage to float32 on the fly.
  MatrixF read_matrix(const std::string& path) const;
  /// Strings of a rank-0 or rank-1 string dataset (fixed or variable length).
  std::vector<std::string> read_strings(const std::string& path) const;
  /// One double from a scalar or 1-element numeric dataset.
  double read_scalar(const std::string& path) const;
  /// Paths of the objects an object-reference dataset points to (rank 1).
  std::vector<std::string> read_reference_paths(const std::string& path) const;

  // ---- writing ----
  void create_group(const std::string& path) const;
  void write_attr(const std::string& object, const std::string& name,
                  const std::string& value) const;
  void write_attr(const std::string& object, const std::string& name, double value) const;
  void write_attr(const std::string& object, const std::string& name, std::int64_t value) const;
  /// A rank-1 dataset of n values (n may be 0).
  void write_vector(const std::string& path, const double* data, size_t n) const;
  void write_vector(const std::string& path, const std::int64_t* data, size_t n) const;
  /// A rank-1 dataset of fixed-length UTF-8 strings (NUL-padded to the longest; a string must
  /// not contain NUL bytes). Attributes written by write_attr use the same type.
  void write_strings(const std::string& path, const std::vector<std::string>& values) const;
  /// A rows×cols row-major matrix (either may be 0). With `chunked`, non-empty data is stored in
  /// chunks of about 1 MiB and written in blocks of whole chunk rows straight from `data`.
  void write_matrix(const std::string& path, const float* data, std::int64_t rows,
                    std::int64_t cols, bool chunked = false) const;
  void write_matrix(const std::string& path, const double* data, std::int64_t rows,
                    std::int64_t cols) const;

 private:
  File(Id id, std::string name, std::string component)
      : id_(std::move(id)), name_(std::move(name)), component_(std::move(component)) {}
  /// Throws IoError for a failed HDF5 call, appending HDF5's own reason to `what`.
  [[noreturn]] void fail_hdf5(const std::string& object, const std::string& what) const;
  Id open_object(const std::string& path) const;
  Id open_dataset(const std::string& path) const;
  Id open_attr(const std::string& object, const std::string& name) const;
  void read_numeric(const std::string& path, hid_t mem_type, void* out, size_t n,
                    bool integer_only) const;
  void write_dataset(const std::string& path, hid_t file_type, hid_t mem_type, const void* data,
                     const std::vector<hsize_t>& dims) const;

  Id id_;
  std::string name_;
  std::string component_;
};

/// Number of elements described by `dims` (1 for a scalar).
std::uint64_t element_count(const std::vector<hsize_t>& dims);
/// "20000×3" (or "scalar") for messages.
std::string dims_string(const std::vector<hsize_t>& dims);

}  // namespace neurodl::io::h5
