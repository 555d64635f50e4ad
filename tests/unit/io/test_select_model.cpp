// Input selections (FILE:PART?QUERY) and model files.

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/model_file.hpp"
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/io/npy.hpp"
#include "neurodl/io/select.hpp"
#include "test_support.hpp"

using namespace neurodl;

namespace {
// 6 samples at 10 Hz, units in areas V1, V1, LM; one behaviour channel at 5 Hz; one truth array.
Recording planted() {
  Recording r;
  r.name = "planted";
  r.activity = MatrixF(6, 3);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 3; ++j) r.activity(i, j) = static_cast<float>(10 * i + j);
  r.sample_rate_hz = 10;
  r.units = {{"a", "V1"}, {"b", "V1"}, {"c", "LM"}};
  BehaviorChannel speed{"speed", "cm/s", {0.0, 0.2, 0.4, 0.6}, MatrixF(4, 1)};
  speed.values << 0, 2, 4, 6;  // v(t) = 10 t, so on activity time it is 0, 1, 2, 3, 4, 5
  r.behavior.push_back(speed);
  r.truth["latents"] = MatrixF::Constant(6, 2, 1.5f);
  r.truth["loadings"] = MatrixF::Zero(2, 3);
  return r;
}
}  // namespace

TEST(Select, PartsOfARecordingFile) {
  test::ScratchDir dir;
  const std::string f = (dir / "rec.h5").string();
  io::write_neurodl_h5(f, {planted(), planted()});
  const auto all = io::select_matrix(f + ":activity", {});
  EXPECT_EQ(all.data.rows(), 6);
  EXPECT_EQ(all.data.cols(), 3);
  EXPECT_DOUBLE_EQ(all.sample_rate_hz, 10);
  EXPECT_TRUE(all.data == io::select_matrix(f, {}).data);  // no part: activity
  const auto v1 = io::select_matrix(f + ":activity?area=V1", {});
  ASSERT_EQ(v1.data.cols(), 2);
  EXPECT_FLOAT_EQ(v1.data(5, 1), 51);
  EXPECT_EQ(io::select_matrix(f + ":activity?area=V1,LM&recording=1", {}).data.cols(), 3);
  const auto speed = io::select_matrix(f + ":behavior/speed", {});
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(speed.data(i, 0), i, 1e-5);
  EXPECT_EQ(io::select_matrix(f + ":truth/latents", {}).data.cols(), 2);
}

TEST(Select, BadSelectionsNameWhatIsValid) {
  test::ScratchDir dir;
  const std::string f = (dir / "rec.h5").string();
  io::write_neurodl_h5(f, {planted()});
  auto message = [&](const std::string& spec) -> std::string {
    try {
      io::select_matrix(spec, {});
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message(f + ":activity?area=PFC").find("'V1', 'LM'"), std::string::npos);
  EXPECT_NE(message(f + ":behavior/pupil").find("one of speed"), std::string::npos);
  EXPECT_NE(message(f + ":truth/spikes").find("one of latents, loadings"), std::string::npos);
  EXPECT_NE(message(f + ":truth/loadings").find("not sampled on activity time"), std::string::npos);
  EXPECT_NE(message(f + ":stuff").find("unknown part"), std::string::npos);
  EXPECT_NE(message(f + ":activity?recording=3").find("out of range"), std::string::npos);
  EXPECT_NE(message((dir / "none.h5").string()).find("none.h5"), std::string::npos);
}

TEST(Select, PairingChecksRowsAndRates) {
  io::Selection a{MatrixF::Zero(5, 2), 30.0, "a"}, b{MatrixF::Zero(5, 1), 30.0, "b"};
  EXPECT_NO_THROW(io::check_paired(a, b));
  b.sample_rate_hz = kNaN;  // unknown rate pairs with anything
  EXPECT_NO_THROW(io::check_paired(a, b));
  b.sample_rate_hz = 15.0;
  EXPECT_THROW(io::check_paired(a, b), ConfigError);
  b.data = MatrixF::Zero(4, 1);
  EXPECT_THROW(io::check_paired(a, b), ShapeError);
}

TEST(ModelFile, RoundTripAndBadFiles) {
  test::ScratchDir dir;
  ModelState s;
  s.model = "ridge";
  s.params = {{"alphas", {1.0, 10.0}}, {"fit_intercept", true}};
  s.arrays["weights"] = MatrixD::Random(4, 3);
  s.arrays["empty"] = MatrixD(0, 3);
  io::write_model(dir / "m.h5", s);
  EXPECT_TRUE(io::read_model(dir / "m.h5") == s);
  EXPECT_THROW(io::read_model(dir / "missing.h5"), IoError);
  io::write_neurodl_h5(dir / "rec.h5", {planted()});
  try {
    io::read_model(dir / "rec.h5");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("not a neurodl model"), std::string::npos) << e.what();
  }
  EXPECT_THROW(io::write_model(dir / "no" / "m.h5", s), IoError);
  EXPECT_FALSE(std::filesystem::exists(dir / "no"));
}

TEST(Select, TrialLevelStimulusMatrices) {
  test::ScratchDir dir;
  Recording r = planted();  // 6 samples at 10 Hz: t = 0.0 .. 0.5
  r.stimuli.images = MatrixF(2, 4);
  r.stimuli.images << 1, 2, 3, 4, 5, 6, 7, 8;
  r.stimuli.image_height = r.stimuli.image_width = 2;
  r.stimuli.events = {{0.0, 0.2, 1, 0}, {0.25, 0.45, 0, 0}};  // samples {0,1} and {3,4}
  const std::string f = (dir / "rec.h5").string();
  io::write_neurodl_h5(f, {r});
  const auto images = io::select_matrix(f + ":stimuli/images", {});
  ASSERT_EQ(images.data.rows(), 2);
  EXPECT_FLOAT_EQ(images.data(0, 0), 5);  // the first presentation shows image 1
  EXPECT_FLOAT_EQ(images.data(1, 3), 4);
  const auto resp = io::select_matrix(f + ":stimuli/responses", {});
  ASSERT_EQ(resp.data.cols(), 3);
  EXPECT_FLOAT_EQ(resp.data(0, 1), 1 + 11);  // rows 0 and 1 of unit 1
  EXPECT_FLOAT_EQ(resp.data(1, 2), 32 + 42);  // rows 3 and 4 of unit 2
  EXPECT_FLOAT_EQ(io::select_matrix(f + ":stimuli/ids", {}).data(0, 0), 1);
  io::write_neurodl_h5(f, {planted()});
  EXPECT_THROW(io::select_matrix(f + ":stimuli/images", {}), ConfigError);
}

TEST(Select, LargeActivityIsReadInBlocksExactly) {
  // 300 MB of activity is past the 256 MB above which HDF5 matrices are read in row blocks
  // (with a progress bar); the blocks must tile the matrix exactly, including a partial last one.
  test::ScratchDir dir;
  Recording r;
  r.name = "large";
  r.activity = MatrixF(75'001, 1'000);
  for (Eigen::Index i = 0; i < r.activity.rows(); ++i)
    r.activity.row(i).setConstant(static_cast<float>(i % 9973));
  r.activity(75'000, 999) = -1.5f;
  r.sample_rate_hz = 30;
  r.validate();
  io::write_neurodl_h5(dir / "large.h5", {r});
  const auto back = io::read_recordings(dir / "large.h5");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(back[0].activity == r.activity);
}
