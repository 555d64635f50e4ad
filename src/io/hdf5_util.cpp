#include "hdf5_util.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <mutex>
#include <new>
#include <system_error>

#include "neurodl/core/progress.hpp"

namespace neurodl::io::h5 {
namespace {

// HDF5 prints its whole error stack to stderr by default; neurodl reports one line instead.
void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

// Collects the outermost (API) and innermost (cause) messages of HDF5's error stack.
struct StackMessages {
  std::string innermost;
  std::string outermost;
};

herr_t collect_message(unsigned n, const H5E_error2_t* err, void* data) {
  auto* m = static_cast<StackMessages*>(data);
  const std::string desc = err->desc ? err->desc : "";
  if (n == 0) m->innermost = desc;  // the upward walk starts where the error was detected
  m->outermost = desc;
  return 0;
}

std::string hdf5_reason() {
  StackMessages m;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_message, &m);
  H5Eclear2(H5E_DEFAULT);
  if (m.innermost.empty()) return m.outermost;
  if (m.outermost.empty() || m.outermost == m.innermost) return m.innermost;
  return m.outermost + ": " + m.innermost;
}

// Reclaims the strings HDF5 allocated for a variable-length read.
void reclaim_vlen(hid_t mem_type, hid_t space, void* buf) {
#if H5_VERSION_GE(1, 12, 0)
  H5Treclaim(mem_type, space, H5P_DEFAULT, buf);
#else
  H5Dvlen_reclaim(mem_type, space, H5P_DEFAULT, buf);
#endif
}

// neurodl writes fixed-length UTF-8 strings, NUL-padded, at least one byte wide (HDF5 has no
// zero-size string type; "" reads back as ""). Variable-length strings would live in the global
// heap, which has no checksum, and HDF5 1.10 crashes on a corrupt global heap instead of
// reporting it; fixed-length strings sit in checksummed headers or in plain raw data.
Id fixed_utf8_type(size_t longest) {
  Id t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.get(), std::max<size_t>(longest, 1));
  H5Tset_strpad(t.get(), H5T_STR_NULLPAD);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

std::string object_name(hid_t id) {
  const ssize_t n = H5Iget_name(id, nullptr, 0);
  if (n <= 0) return {};
  std::string s(static_cast<size_t>(n) + 1, '\0');
  H5Iget_name(id, s.data(), s.size());
  s.resize(static_cast<size_t>(n));
  return s;
}

// Reads `n` strings of file type `file_type` through `read` (an H5Aread or H5Dread call taking a
// memory type and a buffer). Variable-length strings come back as char* that HDF5 allocated;
// fixed-length ones as n × size bytes padded with NUL or spaces.
template <class ReadFn>
bool read_string_elements(hid_t file_type, hid_t space, size_t n, ReadFn read,
                          std::vector<std::string>& out) {
  out.clear();
  if (n == 0) return true;
  const htri_t variable = H5Tis_variable_str(file_type);
  if (variable < 0) return false;
  if (variable > 0) {
    Id mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(file_type));
    std::vector<char*> buf(n, nullptr);
    if (read(mem.get(), buf.data()) < 0) return false;
    out.reserve(n);
    for (char* p : buf) out.emplace_back(p ? p : "");
    reclaim_vlen(mem.get(), space, buf.data());
    return true;
  }
  const size_t size = H5Tget_size(file_type);
  if (size == 0) return false;
  Id mem(H5Tcopy(H5T_C_S1));
  H5Tset_size(mem.get(), size);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  H5Tset_cset(mem.get(), H5Tget_cset(file_type));
  std::vector<char> buf(n * size, '\0');
  if (read(mem.get(), buf.data()) < 0) return false;
  const bool space_padded = H5Tget_strpad(file_type) == H5T_STR_SPACEPAD;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const char* p = buf.data() + i * size;
    std::string s(p, strnlen(p, size));
    if (space_padded)
      while (!s.empty() && s.back() == ' ') s.pop_back();
    out.push_back(std::move(s));
  }
  return true;
}

size_t space_points(hid_t space) {
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  return n < 0 ? 0 : static_cast<size_t>(n);
}

// Chunks of about 1 MiB: wide enough rows to read a time block of many units at once, but
// capped in width so that a single unit's trace does not drag in the whole row.
constexpr std::uint64_t kChunkBytes = 1u << 20;
constexpr std::uint64_t kMaxChunkCols = 8192;
// Rows written per H5Dwrite call: whole chunk rows, about 64 MiB at a time.
constexpr std::uint64_t kWriteBlockBytes = 64u << 20;

}  // namespace

// ---------------------------------------------------------------------------------------------

Id& Id::operator=(Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Id::reset() {
  if (id_ >= 0 && H5Iis_valid(id_) > 0) H5Idec_ref(id_);
  id_ = H5I_INVALID_HID;
}

std::uint64_t element_count(const std::vector<hsize_t>& dims) {
  std::uint64_t n = 1;
  for (hsize_t d : dims) n *= d;
  return n;
}

std::string dims_string(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "×" : "") + std::to_string(dims[i]);
  return s;
}

bool has_hdf5_signature(const std::filesystem::path& path) {
  static constexpr std::array<char, 8> kSignature = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  // The superblock sits at 0 or after a user block of 512·2^k bytes.
  for (std::uintmax_t offset = 0; offset + 8 <= size; offset = offset ? offset * 2 : 512) {
    std::array<char, 8> head{};
    in.seekg(static_cast<std::streamoff>(offset));
    if (!in.read(head.data(), head.size())) return false;
    if (head == kSignature) return true;
    if (offset >= (1u << 20)) break;  // user blocks larger than this do not occur in practice
  }
  return false;
}

File File::open_read(const std::filesystem::path& path, std::string component) {
  silence_hdf5();
  const std::string name = path.string();
  std::error_code ec;
  check(std::filesystem::is_regular_file(path, ec), ErrorKind::io,
        {.component = component, .what = "no such file", .file = name});
  check(has_hdf5_signature(path), ErrorKind::io,
        {.component = component, .what = "not an HDF5 file (no HDF5 signature)", .file = name});
  Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  Id id(H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!id.valid()) {
    raise(ErrorKind::io, {.component = component,
                          .what = "cannot open as HDF5 (truncated or corrupt?): " + hdf5_reason(),
                          .file = name});
  }
  return File(std::move(id), name, std::move(component));
}

File File::create(const std::filesystem::path& path, std::string component,
                  std::string shown_as) {
  silence_hdf5();
  const std::string name = shown_as.empty() ? path.string() : std::move(shown_as);
  Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  // 1.8+ object headers, heaps and B-tree nodes carry checksums: a corrupt byte in the metadata
  // is reported as an error on reading instead of being interpreted.
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  Id id(H5Fcreate(path.string().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
  if (!id.valid())
    raise(ErrorKind::io, {.component = component,
                          .what = "cannot create HDF5 file: " + hdf5_reason(), .file = name});
  return File(std::move(id), name, std::move(component));
}

void File::close() {
  if (!id_.valid()) return;
  if (H5Fclose(id_.release()) < 0) fail_hdf5("/", "cannot finish writing the file");
}

void File::fail(ErrorKind kind, const std::string& object, const std::string& what,
                const std::string& expected, const std::string& got) const {
  raise(kind, {.component = component_, .what = what, .expected = expected, .got = got,
               .file = name_, .field = object});
}

void File::fail_hdf5(const std::string& object, const std::string& what) const {
  const std::string reason = hdf5_reason();
  fail(ErrorKind::io, object, reason.empty() ? what : what + ": " + reason);
}

// ---- structure --------------------------------------------------------------------------------

bool File::exists(const std::string& path) const {
  if (path.empty() || path == "/") return true;
  // H5Lexists fails (rather than returning false) when an intermediate group is missing, so
  // check each prefix in turn.
  size_t pos = path[0] == '/' ? 1 : 0;
  while (pos <= path.size()) {
    const size_t next = path.find('/', pos);
    const std::string prefix = path.substr(0, next);
    if (H5Lexists(id_.get(), prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return true;
}

Id File::open_object(const std::string& path) const {
  if (!exists(path)) return Id{};
  Id obj(H5Oopen(id_.get(), path.c_str(), H5P_DEFAULT));
  if (!obj.valid()) H5Eclear2(H5E_DEFAULT);
  return obj;
}

bool File::is_dataset(const std::string& path) const {
  Id obj = open_object(path);
  return obj.valid() && H5Iget_type(obj.get()) == H5I_DATASET;
}

bool File::is_group(const std::string& path) const {
  Id obj = open_object(path);
  return obj.valid() && H5Iget_type(obj.get()) == H5I_GROUP;
}

std::vector<std::string> File::children(const std::string& group) const {
  Id g(H5Gopen2(id_.get(), group.c_str(), H5P_DEFAULT));
  if (!g.valid()) fail_hdf5(group, "cannot open group");
  H5G_info_t info;
  if (H5Gget_info(g.get(), &info) < 0) fail_hdf5(group, "cannot list group");
  std::vector<std::string> names;
  names.reserve(info.nlinks);
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0,
                                         H5P_DEFAULT);
    if (n < 0) fail_hdf5(group, "cannot list group");
    std::string s(static_cast<size_t>(n) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size(),
                       H5P_DEFAULT);
    s.resize(static_cast<size_t>(n));
    names.push_back(std::move(s));
  }
  return names;
}

namespace {
#if H5_VERSION_GE(1, 12, 0)
using ObjectInfo = H5O_info2_t;
#else
using ObjectInfo = H5O_info_t;
#endif

herr_t collect_object(hid_t, const char* name, const ObjectInfo* info, void* data) {
  // No exception may cross HDF5's C frames: catch here and stop the visit.
  try {
    auto* out = static_cast<std::vector<std::string>*>(data);
    if (info->type == H5O_TYPE_GROUP || info->type == H5O_TYPE_DATASET) {
      const std::string n = name;
      out->push_back(n == "." ? std::string("/") : "/" + n);
    }
    return 0;
  } catch (...) {
    return -1;
  }
}
}  // namespace

std::vector<std::string> File::walk() const {
  std::vector<std::string> paths;
#if H5_VERSION_GE(1, 12, 0)
  const herr_t rc = H5Ovisit3(id_.get(), H5_INDEX_NAME, H5_ITER_INC, collect_object, &paths,
                              H5O_INFO_BASIC);
#else
  const herr_t rc = H5Ovisit2(id_.get(), H5_INDEX_NAME, H5_ITER_INC, collect_object, &paths,
                              H5O_INFO_BASIC);
#endif
  if (rc < 0) fail_hdf5("/", "cannot walk the file's objects");
  return paths;
}

std::optional<std::string> File::soft_link_target(const std::string& path) const {
  if (!exists(path)) return std::nullopt;
#if H5_VERSION_GE(1, 12, 0)
  H5L_info2_t info;
  if (H5Lget_info2(id_.get(), path.c_str(), &info, H5P_DEFAULT) < 0) return std::nullopt;
#else
  H5L_info_t info;
  if (H5Lget_info(id_.get(), path.c_str(), &info, H5P_DEFAULT) < 0) return std::nullopt;
#endif
  if (info.type != H5L_TYPE_SOFT) return std::nullopt;
  std::string buf(info.u.val_size + 1, '\0');
  if (H5Lget_val(id_.get(), path.c_str(), buf.data(), buf.size(), H5P_DEFAULT) < 0)
    return std::nullopt;
  buf.resize(strnlen(buf.data(), buf.size()));
  return buf;
}

// ---- attributes -------------------------------------------------------------------------------

bool File::has_attr(const std::string& object, const std::string& name) const {
  if (!exists(object)) return false;
  const htri_t r = H5Aexists_by_name(id_.get(), object.c_str(), name.c_str(), H5P_DEFAULT);
  if (r < 0) H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

Id File::open_attr(const std::string& object, const std::string& name) const {
  if (!has_attr(object, name)) return Id{};
  Id a(H5Aopen_by_name(id_.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT));
  if (!a.valid()) fail_hdf5(object, "cannot open attribute '" + name + "'");
  return a;
}

std::optional<std::string> File::attr_string(const std::string& object,
                                             const std::string& name) const {
  Id a = open_attr(object, name);
  if (!a.valid()) return std::nullopt;
  Id type(H5Aget_type(a.get()));
  Id space(H5Aget_space(a.get()));
  if (H5Tget_class(type.get()) != H5T_STRING)
    fail(ErrorKind::io, object, "attribute '" + name + "' is not text");
  const size_t n = space_points(space.get());
  std::vector<std::string> values;
  const bool ok = read_string_elements(type.get(), space.get(), n,
                                       [&](hid_t mem, void* buf) { return H5Aread(a.get(), mem, buf); },
                                       values);
  if (!ok) fail_hdf5(object, "cannot read attribute '" + name + "'");
  if (values.size() != 1)
    fail(ErrorKind::shape, object, "attribute '" + name + "' must hold one string", "1",
         std::to_string(values.size()));
  return values[0];
}

std::optional<double> File::attr_double(const std::string& object, const std::string& name) const {
  Id a = open_attr(object, name);
  if (!a.valid()) return std::nullopt;
  Id type(H5Aget_type(a.get()));
  Id space(H5Aget_space(a.get()));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    fail(ErrorKind::io, object, "attribute '" + name + "' is not a number");
  if (space_points(space.get()) != 1)
    fail(ErrorKind::shape, object, "attribute '" + name + "' must hold one number", "1",
         std::to_string(space_points(space.get())));
  double v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0)
    fail_hdf5(object, "cannot read attribute '" + name + "'");
  return v;
}

std::optional<std::int64_t> File::attr_int64(const std::string& object,
                                             const std::string& name) const {
  Id a = open_attr(object, name);
  if (!a.valid()) return std::nullopt;
  Id type(H5Aget_type(a.get()));
  Id space(H5Aget_space(a.get()));
  if (H5Tget_class(type.get()) != H5T_INTEGER)
    fail(ErrorKind::io, object, "attribute '" + name + "' is not an integer");
  if (space_points(space.get()) != 1)
    fail(ErrorKind::shape, object, "attribute '" + name + "' must hold one integer", "1",
         std::to_string(space_points(space.get())));
  std::int64_t v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0)
    fail_hdf5(object, "cannot read attribute '" + name + "'");
  return v;
}

std::optional<std::string> File::attr_reference_path(const std::string& object,
                                                     const std::string& name) const {
  Id a = open_attr(object, name);
  if (!a.valid()) return std::nullopt;
  Id type(H5Aget_type(a.get()));
  Id space(H5Aget_space(a.get()));
  if (H5Tequal(type.get(), H5T_STD_REF_OBJ) <= 0 || space_points(space.get()) != 1)
    return std::nullopt;
  hobj_ref_t ref{};
  if (H5Aread(a.get(), H5T_STD_REF_OBJ, &ref) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  Id target(H5Rdereference2(id_.get(), H5P_DEFAULT, H5R_OBJECT, &ref));
  if (!target.valid()) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  return object_name(target.get());
}

// ---- datasets ---------------------------------------------------------------------------------

Id File::open_dataset(const std::string& path) const {
  if (!exists(path)) fail(ErrorKind::io, path, "missing dataset");
  Id ds(H5Dopen2(id_.get(), path.c_str(), H5P_DEFAULT));
  if (!ds.valid()) fail_hdf5(path, "cannot open dataset");
  return ds;
}

std::vector<hsize_t> File::dims(const std::string& path) const {
  Id ds = open_dataset(path);
  Id space(H5Dget_space(ds.get()));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail_hdf5(path, "cannot read dataset shape");
  std::vector<hsize_t> d(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), d.data(), nullptr) < 0)
    fail_hdf5(path, "cannot read dataset shape");
  if (rank == 0 && H5Sget_simple_extent_type(space.get()) == H5S_NULL) d = {0};
  return d;
}

H5T_class_t File::type_class(const std::string& path) const {
  Id ds = open_dataset(path);
  Id type(H5Dget_type(ds.get()));
  const H5T_class_t c = H5Tget_class(type.get());
  if (c == H5T_NO_CLASS) fail_hdf5(path, "cannot read dataset type");
  return c;
}

void File::read_numeric(const std::string& path, hid_t mem_type, void* out, size_t n,
                        bool integer_only) const {
  Id ds = open_dataset(path);
  Id type(H5Dget_type(ds.get()));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (integer_only ? cls != H5T_INTEGER : (cls != H5T_INTEGER && cls != H5T_FLOAT))
    fail(ErrorKind::io, path, "wrong data type", integer_only ? "integers" : "numbers",
         cls == H5T_STRING ? "text" : "class " + std::to_string(static_cast<int>(cls)));
  if (n == 0) return;
  if (H5Dread(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    fail_hdf5(path, "cannot read dataset");
}

std::vector<double> File::read_doubles(const std::string& path) const {
  const auto n = static_cast<size_t>(element_count(dims(path)));
  std::vector<double> v(n);
  read_numeric(path, H5T_NATIVE_DOUBLE, v.data(), n, false);
  return v;
}

std::vector<std::int64_t> File::read_int64s(const std::string& path) const {
  const auto n = static_cast<size_t>(element_count(dims(path)));
  std::vector<std::int64_t> v(n);
  read_numeric(path, H5T_NATIVE_INT64, v.data(), n, true);
  return v;
}

MatrixF File::read_matrix(const std::string& path) const {
  const auto d = dims(path);
  if (d.size() > 2)
    fail(ErrorKind::shape, path, "expected a matrix", "rank ≤ 2", dims_string(d));
  const auto rows = static_cast<Eigen::Index>(d.empty() ? 1 : d[0]);
  const auto cols = static_cast<Eigen::Index>(d.size() == 2 ? d[1] : 1);
  MatrixF m;
  try {
    m.resize(rows, cols);
  } catch (const std::bad_alloc&) {
    fail(ErrorKind::io, path, "dataset too large for memory", "", dims_string(d));
  }
  // Large matrices (10,000 units × 100,000 frames is 4 GB) are read in blocks of whole rows so
  // that a progress bar can report; small ones in one call.
  constexpr Eigen::Index kBlockBytes = Eigen::Index{64} << 20;
  const Eigen::Index row_bytes = std::max<Eigen::Index>(cols, 1) * static_cast<Eigen::Index>(sizeof(float));
  if (d.size() != 2 || rows * row_bytes <= 4 * kBlockBytes) {
    read_numeric(path, H5T_NATIVE_FLOAT, m.data(), static_cast<size_t>(m.size()), false);
    return m;
  }
  read_numeric(path, H5T_NATIVE_FLOAT, nullptr, 0, false);  // checks the stored type only
  Id ds = open_dataset(path);
  Id file_space(H5Dget_space(ds.get()));
  const Eigen::Index block = std::max<Eigen::Index>(1, kBlockBytes / row_bytes);
  Progress progress("read " + path, rows);
  for (Eigen::Index r0 = 0; r0 < rows; r0 += block) {
    const hsize_t start[2] = {static_cast<hsize_t>(r0), 0};
    const hsize_t count[2] = {static_cast<hsize_t>(std::min(block, rows - r0)), static_cast<hsize_t>(cols)};
    Id mem_space(H5Screate_simple(2, count, nullptr));
    if (H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0 ||
        H5Dread(ds.get(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), H5P_DEFAULT,
                m.data() + r0 * cols) < 0)
      fail_hdf5(path, "cannot read dataset");
    progress.advance(static_cast<std::int64_t>(count[0]));
  }
  return m;
}

std::vector<std::string> File::read_strings(const std::string& path) const {
  Id ds = open_dataset(path);
  Id type(H5Dget_type(ds.get()));
  Id space(H5Dget_space(ds.get()));
  if (H5Tget_class(type.get()) != H5T_STRING)
    fail(ErrorKind::io, path, "wrong data type", "text", "numbers or other");
  if (H5Sget_simple_extent_ndims(space.get()) > 1)
    fail(ErrorKind::shape, path, "expected a list of strings", "rank ≤ 1",
         dims_string(dims(path)));
  std::vector<std::string> out;
  const bool ok = read_string_elements(
      type.get(), space.get(), space_points(space.get()),
      [&](hid_t mem, void* buf) { return H5Dread(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); },
      out);
  if (!ok) fail_hdf5(path, "cannot read strings");
  return out;
}

double File::read_scalar(const std::string& path) const {
  const auto d = dims(path);
  if (element_count(d) != 1)
    fail(ErrorKind::shape, path, "expected one number", "1 element", dims_string(d));
  return read_doubles(path)[0];
}

std::vector<std::string> File::read_reference_paths(const std::string& path) const {
  Id ds = open_dataset(path);
  Id type(H5Dget_type(ds.get()));
  Id space(H5Dget_space(ds.get()));
  if (H5Tequal(type.get(), H5T_STD_REF_OBJ) <= 0)
    fail(ErrorKind::io, path, "expected object references");
  const size_t n = space_points(space.get());
  std::vector<hobj_ref_t> refs(n);
  if (n > 0 && H5Dread(ds.get(), H5T_STD_REF_OBJ, H5S_ALL, H5S_ALL, H5P_DEFAULT, refs.data()) < 0)
    fail_hdf5(path, "cannot read references");
  std::vector<std::string> out;
  out.reserve(n);
  for (const auto& r : refs) {
    Id target(H5Rdereference2(ds.get(), H5P_DEFAULT, H5R_OBJECT, &r));
    if (!target.valid()) fail_hdf5(path, "dangling object reference");
    out.push_back(object_name(target.get()));
  }
  return out;
}

// ---- writing ----------------------------------------------------------------------------------

void File::create_group(const std::string& path) const {
  Id g(H5Gcreate2(id_.get(), path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!g.valid()) fail_hdf5(path, "cannot create group");
}

namespace {
// Creates and writes one attribute; returns false on an HDF5 failure.
bool put_attr(hid_t file, const std::string& object, const std::string& name, hid_t file_type,
              hid_t mem_type, const void* value) {
  Id space(H5Screate(H5S_SCALAR));
  Id a(H5Acreate_by_name(file, object.c_str(), name.c_str(), file_type, space.get(), H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT));
  return a.valid() && H5Awrite(a.get(), mem_type, value) >= 0;
}
}  // namespace

void File::write_attr(const std::string& object, const std::string& name,
                      const std::string& value) const {
  Id type = fixed_utf8_type(value.size());
  std::string padded = value;
  padded.resize(std::max<size_t>(value.size(), 1), '\0');
  if (!put_attr(id_.get(), object, name, type.get(), type.get(), padded.data()))
    fail_hdf5(object, "cannot write attribute '" + name + "'");
}

void File::write_attr(const std::string& object, const std::string& name, double value) const {
  if (!put_attr(id_.get(), object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value))
    fail_hdf5(object, "cannot write attribute '" + name + "'");
}

void File::write_attr(const std::string& object, const std::string& name,
                      std::int64_t value) const {
  if (!put_attr(id_.get(), object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value))
    fail_hdf5(object, "cannot write attribute '" + name + "'");
}

void File::write_dataset(const std::string& path, hid_t file_type, hid_t mem_type,
                         const void* data, const std::vector<hsize_t>& dims) const {
  Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  Id ds(H5Dcreate2(id_.get(), path.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                   H5P_DEFAULT));
  if (!ds.valid()) fail_hdf5(path, "cannot create dataset");
  if (element_count(dims) > 0 &&
      H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail_hdf5(path, "cannot write dataset");
}

void File::write_vector(const std::string& path, const double* data, size_t n) const {
  write_dataset(path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data, {n});
}

void File::write_vector(const std::string& path, const std::int64_t* data, size_t n) const {
  write_dataset(path, H5T_STD_I64LE, H5T_NATIVE_INT64, data, {n});
}

void File::write_strings(const std::string& path, const std::vector<std::string>& values) const {
  size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  Id type = fixed_utf8_type(width);
  std::vector<char> buf(values.size() * width, '\0');
  for (size_t i = 0; i < values.size(); ++i)
    std::memcpy(buf.data() + i * width, values[i].data(), values[i].size());
  write_dataset(path, type.get(), type.get(), buf.data(), {values.size()});
}

void File::write_matrix(const std::string& path, const double* data, std::int64_t rows,
                        std::int64_t cols) const {
  write_dataset(path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data,
                {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)});
}

void File::write_matrix(const std::string& path, const float* data, std::int64_t rows,
                        std::int64_t cols, bool chunked) const {
  const std::vector<hsize_t> dims = {static_cast<hsize_t>(rows), static_cast<hsize_t>(cols)};
  if (!chunked || rows == 0 || cols == 0) {
    write_dataset(path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, data, dims);
    return;
  }
  const hsize_t chunk_cols = std::min<hsize_t>(dims[1], kMaxChunkCols);
  const hsize_t chunk_rows =
      std::clamp<hsize_t>(kChunkBytes / (chunk_cols * sizeof(float)), 1, dims[0]);
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE));
  const hsize_t chunk[2] = {chunk_rows, chunk_cols};
  H5Pset_chunk(dcpl.get(), 2, chunk);
  Id space(H5Screate_simple(2, dims.data(), nullptr));
  Id ds(H5Dcreate2(id_.get(), path.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, dcpl.get(),
                   H5P_DEFAULT));
  if (!ds.valid()) fail_hdf5(path, "cannot create dataset");
  // Row-major Eigen storage is HDF5's C order, so each block of whole chunk rows is a contiguous
  // slice of the matrix buffer: write it in place, with no staging copy.
  const hsize_t row_bytes = dims[1] * sizeof(float);
  const hsize_t block_rows =
      chunk_rows * std::max<hsize_t>(1, kWriteBlockBytes / (chunk_rows * row_bytes));
  for (hsize_t r0 = 0; r0 < dims[0]; r0 += block_rows) {
    const hsize_t start[2] = {r0, 0};
    const hsize_t count[2] = {std::min<hsize_t>(block_rows, dims[0] - r0), dims[1]};
    Id mem(H5Screate_simple(2, count, nullptr));
    H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    if (H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, mem.get(), space.get(), H5P_DEFAULT,
                 data + r0 * dims[1]) < 0)
      fail_hdf5(path, "cannot write rows " + std::to_string(r0) + "..");
  }
}

}  // namespace neurodl::io::h5
