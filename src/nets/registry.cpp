#include "neurodl/nets/registry.hpp"

#include "neurodl/nets/latent_net.hpp"

namespace neurodl::nets {

const std::map<std::string, ModelFactory>& models() {
  static const std::map<std::string, ModelFactory> kModels = {
      {"behavior-net", [] { return std::make_unique<BehaviorNet>(); }},
      {"bottleneck", [] { return std::make_unique<Bottleneck>(); }},
  };
  return kModels;
}

}  // namespace neurodl::nets
