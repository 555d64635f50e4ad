// Peer prediction (shared latents raise R², neighbours are excluded) and area-to-area
// prediction (planted communication rank), bad inputs.

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/linear/peer.hpp"
#include "linear_test_support.hpp"

using namespace neurodl;
using neurodl::linear::AreaOptions;
using neurodl::linear::PeerOptions;
using neurodl::test::expect_error;

namespace {

MatrixF gaussian(Eigen::Index rows, Eigen::Index cols, double sd, Rng& rng) {
  MatrixF m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(sd * rng.normal());
  return m;
}

}  // namespace

TEST(Peer, SharedLatentsArePredictedPrivateNoiseIsNot) {
  // 200 units 30 µm apart on a line; even units carry 3 latents (loadings sd 0.5, latent sd 1)
  // plus unit noise sd 1, odd units only noise. A driven unit's best linear prediction from the
  // other driven units approaches its latent variance share, ≈ 0.75 / 1.75 = 0.43 on average;
  // a noise unit has nothing to predict: its R² is ≈ −(k / T_train) ≈ −0.01 with k = 20 PCs.
  Rng rng(4);
  const Eigen::Index t = 4000, n = 200;
  const MatrixF z = gaussian(t, 3, 1.0, rng), load = gaussian(3, n, 0.5, rng);
  MatrixF x = gaussian(t, n, 1.0, rng);
  for (Eigen::Index j = 0; j < n; j += 2) x.col(j) += z * load.col(j);
  std::vector<std::array<double, 3>> pos(n);
  for (Eigen::Index j = 0; j < n; ++j) pos[j] = {30.0 * j, 0.0, kNaN};
  PeerOptions o;
  o.n_components = 20;
  o.radius_um = 40;
  const auto r = linear::peer_prediction(x, pos, o);
  double driven = 0, noise = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    if (j % 2 == 0) {
      driven += r.r2(j) / (n / 2);
    } else {
      noise += r.r2(j) / (n / 2);
      EXPECT_LT(r.r2(j), 0.05) << "noise unit " << j;
    }
  }
  EXPECT_GT(driven, 0.3);
  EXPECT_LT(std::abs(noise), 0.03);
  EXPECT_EQ(r.n_components, 20);
  // Neighbours within 40 µm of a unit: itself and the units 30 µm on either side; tiles of 40 µm
  // hold 1–2 units, so each excluded set has 3–4 units.
  for (auto e : r.n_excluded) {
    EXPECT_GE(e, 2);
    EXPECT_LE(e, 4);
  }
}

TEST(Peer, ReducedRankKeepsThePlantedRankAndLosesTheRest) {
  // 80 units 30 µm apart, all driven by 3 independent latents of different strength (loadings
  // N(0, sd_l²) with sd 0.8, 0.5, 0.3; latent sd 1) plus unit noise sd 1. Unit j's predictable
  // share is s_j/(s_j + 1), s_j = Σ_l load_lj². Through rank 3 the prediction keeps all three
  // latents (as at full rank, less the noise of 17 dropped directions); through rank 1 only the
  // strongest, whose share is load_1j²/(s_j + 1): the expected loss is computed from the planted
  // loadings.
  Rng rng(21);
  const Eigen::Index t = 1500, n = 80;
  const MatrixF z = gaussian(t, 3, 1.0, rng);
  MatrixF load = gaussian(3, n, 1.0, rng);
  const float sd[3] = {0.8f, 0.5f, 0.3f};
  for (int l = 0; l < 3; ++l) load.row(l) *= sd[l];
  MatrixF x = gaussian(t, n, 1.0, rng);
  x += z * load;
  double share = 0, loss = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double s = load.col(j).cast<double>().squaredNorm();
    share += s / (s + 1) / n;
    loss += (s - double(load(0, j)) * load(0, j)) / (s + 1) / n;
  }
  std::vector<std::array<double, 3>> pos(n);
  for (Eigen::Index j = 0; j < n; ++j) pos[j] = {30.0 * j, 0.0, 0.0};
  PeerOptions o;
  o.n_components = 20;
  o.radius_um = 40;
  const auto full = linear::peer_prediction(x, pos, o);
  o.rank = 3;
  const auto r3 = linear::peer_prediction(x, pos, o);
  o.rank = 1;
  const auto r1 = linear::peer_prediction(x, pos, o);
  EXPECT_EQ(full.rank, 0);
  EXPECT_EQ(r3.rank, 3);
  // Full rank pays for estimating 20 directions on 1,200 training samples (~k/T_train ≈ 0.02 per
  // unit, plus the noise in the PCs' directions); seed 21 gives 0.41 against a share of 0.45.
  EXPECT_LT(full.r2_mean, share + 0.01);
  EXPECT_GT(full.r2_mean, share - 0.07);
  EXPECT_GT(r3.r2_mean, full.r2_mean - 0.02);
  EXPECT_NEAR(r3.r2_mean - r1.r2_mean, loss, 0.04);
  // A rank above the number of components is clipped to it.
  const MatrixF small = x.topLeftCorner(200, 10);
  o.n_components = 4;
  o.rank = 100;
  o.radius_um = 0;
  EXPECT_EQ(linear::peer_prediction(small, {}, o).rank, 4);
}

TEST(Peer, NeighbourExclusionExcludes) {
  // 30 pairs of units 5 µm apart, pairs 100 µm apart. Within a pair both units see the same
  // signal c (sd 1, "cross-talk") plus their own noise (sd 0.5); pairs are independent. With
  // radius 0 the partner predicts a unit: R² ≈ corr² = (1/1.25)² = 0.64. With radius 10 µm the
  // partner is excluded and nothing else carries c: R² ≈ −p/T_train ≈ −0.04 (58 predictors).
  Rng rng(9);
  const Eigen::Index t = 2000, pairs = 30, n = 2 * pairs;
  const MatrixF c = gaussian(t, pairs, 1.0, rng);
  MatrixF x = gaussian(t, n, 0.5, rng);
  std::vector<std::array<double, 3>> pos(n);
  for (Eigen::Index p = 0; p < pairs; ++p) {
    x.col(2 * p) += c.col(p);
    x.col(2 * p + 1) += c.col(p);
    pos[2 * p] = {100.0 * p, 0, 0};
    pos[2 * p + 1] = {100.0 * p + 5, 0, 0};
  }
  PeerOptions o;
  o.n_components = n;  // every population direction is available
  o.radius_um = 0;
  const auto with_partner = linear::peer_prediction(x, {}, o);
  o.radius_um = 10;
  const auto without = linear::peer_prediction(x, pos, o);
  for (Eigen::Index j = 0; j < n; ++j) {
    EXPECT_GT(with_partner.r2(j), 0.5) << j;
    EXPECT_LT(without.r2(j), 0.05) << j;
  }
  EXPECT_EQ(with_partner.n_excluded[0], 1);
  EXPECT_EQ(without.n_excluded[0], 2);
}

TEST(Peer, AreaToAreaRecoversCommunicationRank) {
  // Area V1 (40 units) drives HVA (30 units) through a rank-2 map; HVA adds noise of sd 0.5.
  Rng rng(12);
  const Eigen::Index t = 3000;
  Recording rec;
  rec.sample_rate_hz = 30;
  const MatrixF v1 = gaussian(t, 40, 1.0, rng);
  const MatrixF map = gaussian(40, 2, 0.3, rng) * gaussian(2, 30, 1.0, rng);
  rec.activity.resize(t, 70);
  rec.activity << v1, MatrixF(v1 * map + gaussian(t, 30, 0.5, rng));
  rec.units.resize(70);
  for (int i = 0; i < 70; ++i) rec.units[i].area = i < 40 ? "V1" : "HVA";
  rec.validate();
  AreaOptions o;
  o.from_area = "V1";
  o.to_area = "HVA";
  o.rrr.ranks = {1, 2, 3, 4, 6, 8};
  const auto curve = linear::area_prediction(rec, o);
  EXPECT_EQ(curve.predictive_dimensionality, 2);
  EXPECT_GT(curve.r2_mean[1], curve.r2_mean[0] + 0.05);
  EXPECT_GT(curve.r2_mean[1], 0.5);
  const auto j = linear::to_json(curve);
  EXPECT_EQ(j["predictive_dimensionality"], 2);
  o.to_area = "M2";
  expect_error<ConfigError>([&] { linear::area_prediction(rec, o); },
                            "linear.areas: units: unknown area (expected one of HVA, V1, got M2)");
  o.to_area = "V1";
  expect_error<ConfigError>([&] { linear::area_prediction(rec, o); }, "must be different areas");
}

TEST(Peer, BadInputs) {
  MatrixF x = MatrixF::Random(200, 4);
  std::vector<std::array<double, 3>> pos(4, {0.0, 0.0, 0.0});
  PeerOptions o;
  o.radius_um = -1;
  expect_error<ConfigError>([&] { linear::peer_prediction(x, pos, o); },
                            "linear.peer: radius must be finite and non-negative (expected >= 0, got -1.000000) [µm]");
  o.radius_um = 10;
  expect_error<ShapeError>([&] { linear::peer_prediction(x, {}, o); },
                           "linear.peer: positions_um: one position per unit needed (expected 4, got 0)");
  pos[2][1] = kNaN;
  expect_error<ConfigError>([&] { linear::peer_prediction(x, pos, o); }, "unit 2 has no x, y position");
  pos[2][1] = 0;
  x(1, 1) = NAN;
  expect_error<ConfigError>([&] { linear::peer_prediction(x, pos, o); }, "linear.peer: activity: NaN or Inf values");
  expect_error<ShapeError>([&] { linear::peer_prediction(MatrixF::Ones(10, 1), {}, {.radius_um = 0}); },
                           "need at least 2 units");
}
