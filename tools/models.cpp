#include "models.hpp"

#include "neurodl/core/error.hpp"
#include "neurodl/linear/registry.hpp"
#ifdef NEURODL_HAVE_NETS
#include "neurodl/nets/registry.hpp"
#endif

namespace neurodl::cli {

const std::map<std::string, ModelFactory>& all_models() {
  static const std::map<std::string, ModelFactory> kAll = [] {
    std::map<std::string, ModelFactory> m = linear::models();
#ifdef NEURODL_HAVE_NETS
    for (const auto& [name, factory] : nets::models()) m.emplace(name, factory);
#endif
    return m;
  }();
  return kAll;
}

std::unique_ptr<Model> make_model(const std::string& name) {
  std::string valid;
  for (const auto& [n, f] : all_models()) {
    if (n == name) return f();
    valid += (valid.empty() ? "" : ", ") + n;
  }
  raise(ErrorKind::config, {.component = "fit", .what = "unknown model",
                            .expected = valid.empty() ? "no models built" : "one of " + valid,
                            .got = "'" + name + "'", .field = "--model"});
}

}  // namespace neurodl::cli
