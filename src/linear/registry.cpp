#include "neurodl/linear/registry.hpp"

#include "neurodl/linear/ridge.hpp"
#include "neurodl/linear/rrr.hpp"

namespace neurodl::linear {

const std::map<std::string, ModelFactory>& models() {
  static const std::map<std::string, ModelFactory> kModels = {
      {"ridge", [] { return std::make_unique<Ridge>(); }},
      {"rrr", [] { return std::make_unique<ReducedRankRegression>(); }},
  };
  return kModels;
}

}  // namespace neurodl::linear
