// Parameter, MAC and FLOP counts of small networks against hand-computed values, and the
// parameter count against the torch module's own tensors.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "neurodl/core/error.hpp"
#include "neurodl/nets/architectures.hpp"
#include "neurodl/nets/compute.hpp"
#include "neurodl/nets/latent_net.hpp"

using namespace neurodl;
using namespace neurodl::nets;

namespace {
std::int64_t torch_params(torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}
}  // namespace

TEST(NetsCompute, LayerFormulas) {
  const auto l = linear_cost("l", 3, 4);
  EXPECT_EQ(l.params, 16);
  EXPECT_EQ(l.macs, 12);
  EXPECT_EQ(l.flops, 24);
  const auto nb = linear_cost("s", 3, 4, false);
  EXPECT_EQ(nb.params, 12);
  EXPECT_EQ(nb.flops, 20);  // 4 outputs × (3 products + 2 sums)
  const auto c = conv1d_cost("c", 2, 3, 4, 10);  // L_out = 7
  EXPECT_EQ(c.params, 2 * 3 * 4 + 3);
  EXPECT_EQ(c.macs, 2 * 3 * 4 * 7);
  EXPECT_EQ(c.flops, 2 * 168);
  EXPECT_EQ(elementwise_cost("elu", 9).flops, 9);
  EXPECT_DOUBLE_EQ(energy_joules(15.0, 2.0), 30.0);
}

TEST(NetsCompute, BottleneckCountsEqualHandComputation) {
  // p = 3, q = 2, k = 1, hidden = 4, linear decoder, MSE:
  //  scale_x 2·3 = 6 FLOPs; head_in 3·4 MACs (12), 24 FLOPs, 16 params; ELU 4 FLOPs;
  //  head_out 4·1 MACs, 8 FLOPs, 5 params; skip 3·1 MACs, 2·3 − 1 = 5 FLOPs, 3 params; add 1;
  //  dec_out 1·2 MACs, 4 FLOPs, 4 params; unscale_y 2·2 = 4 FLOPs.
  LatentNetOptions o;
  o.hidden = 4;
  const auto c = architecture_cost(Architecture::bottleneck, o, 3, 2, 1);
  EXPECT_EQ(c.params(), 16 + 5 + 3 + 4);
  EXPECT_EQ(c.macs(), 12 + 4 + 3 + 2);
  EXPECT_EQ(c.flops(), 6 + 24 + 4 + 8 + 5 + 1 + 4 + 4);
  EXPECT_EQ(c.flops(), 2 * c.macs() + 6 + 4 + 4);  // 2·MACs + elementwise (− 1 + 1 for the skip)
  auto net = make_latent_module(Architecture::bottleneck, o, 3, 2, 1);
  EXPECT_EQ(torch_params(*net), c.params());
}

TEST(NetsCompute, BehaviorNetCountsEqualHandComputation) {
  // p = 2, window 5, kernel 2, channels 3 → L1 = 4, L2 = 3; hidden 0; k = 2; q = 3; Poisson.
  //  scale_x 2·2·5 = 20; conv1 2·3·2·4 = 48 MACs, 15 params; ELU 12; conv2 3·3·2·3 = 54 MACs,
  //  21 params; ELU 9; head_out Linear(9→2) 18 MACs, 20 params; skip 2·2 = 4 MACs, 4 params,
  //  2·4 − 2 = 6 FLOPs; add 2; dec_out 2·3 = 6 MACs, 9 params; softplus 3.
  LatentNetOptions o;
  o.hidden = 0;
  o.window = 5;
  o.kernel = 2;
  o.channels = 3;
  o.loss = "poisson";
  const auto c = architecture_cost(Architecture::behavior_net, o, 2, 3, 2);
  EXPECT_EQ(c.params(), 15 + 21 + 20 + 4 + 9);
  EXPECT_EQ(c.macs(), 48 + 54 + 18 + 4 + 6);
  EXPECT_EQ(c.flops(), 20 + 96 + 12 + 108 + 9 + 36 + 6 + 2 + 12 + 3);
  auto net = make_latent_module(Architecture::behavior_net, o, 2, 3, 2);
  EXPECT_EQ(torch_params(*net), c.params());
  o.window = 2;  // shorter than 2·kernel − 1 = 3
  try {
    architecture_cost(Architecture::behavior_net, o, 2, 3, 2);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("window shorter than two convolutions need"), std::string::npos) << e.what();
  }
}
