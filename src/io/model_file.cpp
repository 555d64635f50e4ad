#include "neurodl/io/model_file.hpp"

#include <system_error>

#include "hdf5_util.hpp"
#include "neurodl/core/atomic_file.hpp"

namespace neurodl::io {
namespace {
constexpr const char* kComponent = "io.model";
constexpr const char* kFormatName = "neurodl-model";
constexpr std::int64_t kFormatVersion = 1;
}  // namespace

void write_model(const std::filesystem::path& path, const ModelState& state) {
  AtomicFile out(path);
  {
    h5::File f = h5::File::create(out.temp_path(), kComponent, path.string());
    f.write_attr("/", "neurodl_format", std::string(kFormatName));
    f.write_attr("/", "format_version", kFormatVersion);
    f.write_attr("/", "model", state.model);
    f.write_attr("/", "params", state.params.dump());
    f.create_group("/arrays");
    for (const auto& [name, m] : state.arrays)
      f.write_matrix("/arrays/" + name, m.data(), m.rows(), m.cols());
    f.close();
  }
  out.commit();
}

ModelState read_model(const std::filesystem::path& path) {
  std::error_code ec;
  check(std::filesystem::is_regular_file(path, ec), ErrorKind::io,
        {.component = kComponent, .what = "no such model file", .file = path.string()});
  check(h5::has_hdf5_signature(path), ErrorKind::io,
        {.component = kComponent, .what = "not a neurodl model file (not HDF5)",
         .file = path.string()});
  const h5::File f = h5::File::open_read(path, kComponent);
  const auto format = f.attr_string("/", "neurodl_format");
  if (format != std::optional<std::string>(kFormatName))
    f.fail(ErrorKind::io, "/", "not a neurodl model file (root attribute neurodl_format)",
           std::string("'") + kFormatName + "'", format ? "'" + *format + "'" : "none");
  const auto version = f.attr_int64("/", "format_version");
  if (!version || *version < 1 || *version > kFormatVersion)
    f.fail(ErrorKind::io, "/", "unsupported format_version", "1.." + std::to_string(kFormatVersion),
           version ? std::to_string(*version) : "none");
  ModelState s;
  const auto model = f.attr_string("/", "model");
  const auto params = f.attr_string("/", "params");
  if (!model || !params) f.fail(ErrorKind::io, "/", "model or params attribute missing");
  s.model = *model;
  try {
    s.params = nlohmann::json::parse(*params);
  } catch (const nlohmann::json::exception&) {
    f.fail(ErrorKind::io, "/params", "params attribute is not valid JSON");
  }
  if (!f.is_group("/arrays")) f.fail(ErrorKind::io, "/arrays", "group missing");
  for (const auto& name : f.children("/arrays")) {
    const std::string p = "/arrays/" + name;
    const auto dims = f.dims(p);
    if (dims.size() != 2)
      f.fail(ErrorKind::shape, p, "model arrays must be 2-D", "rank 2", h5::dims_string(dims));
    const auto values = f.read_doubles(p);
    MatrixD m(static_cast<Eigen::Index>(dims[0]), static_cast<Eigen::Index>(dims[1]));
    std::copy(values.begin(), values.end(), m.data());
    s.arrays[name] = std::move(m);
  }
  return s;
}

}  // namespace neurodl::io
