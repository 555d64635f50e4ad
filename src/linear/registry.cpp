#include "neurodl/linear/registry.hpp"

namespace neurodl::linear {

const std::map<std::string, ModelFactory>& models() {
  static const std::map<std::string, ModelFactory> kModels = {};
  return kModels;
}

}  // namespace neurodl::linear
