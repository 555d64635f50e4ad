#include "neurodl/nets/registry.hpp"

#include "neurodl/nets/image_net.hpp"
#include "neurodl/nets/joint_net.hpp"
#include "neurodl/nets/latent_net.hpp"

namespace neurodl::nets {

const std::map<std::string, ModelFactory>& models() {
  static const std::map<std::string, ModelFactory> kModels = {
      {"behavior-net", [] { return std::make_unique<BehaviorNet>(); }},
      {"bottleneck", [] { return std::make_unique<Bottleneck>(); }},
      {"image-net", [] { return std::make_unique<ImageNet>(); }},
      {"joint", [] { return std::make_unique<JointNet>(); }},
  };
  return kModels;
}

}  // namespace neurodl::nets
