// NIfTI-1 reader. Fixtures: tests/reference/make_nifti_fixtures.py (headers packed by hand with
// struct, data with numpy); values recomputed here. Real files: ../shared/data/fmri/fmri{1,2}.nii.gz.

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/nifti.hpp"
#include "neurodl/io/registry.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace io = neurodl::io;
using neurodl::test::fixture;

namespace {

fs::path nii(const std::string& name) { return fixture("nifti/" + name); }

template <class E>
void expect_error(const fs::path& file, const std::string& needle, io::ReadOptions opt = {}) {
  neurodl::test::expect_error_naming<E>([&] { io::read_nifti(file, opt); }, file, needle);
}

void expect_position(const neurodl::Unit& u, double x_mm, double y_mm, double z_mm) {
  EXPECT_NEAR(u.position_um[0], x_mm * 1000, 1e-3) << u.id;
  EXPECT_NEAR(u.position_um[1], y_mm * 1000, 1e-3) << u.id;
  EXPECT_NEAR(u.position_um[2], z_mm * 1000, 1e-3) << u.id;
}

}  // namespace

TEST(Nifti, Int16WithScaling) {
  EXPECT_TRUE(io::sniff_nifti(nii("int16_scaled.nii")));
  EXPECT_EQ(io::detect_format(nii("int16_scaled.nii")).name, std::string("nifti"));
  const auto recs = io::read_recordings(nii("int16_scaled.nii"));
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0];
  EXPECT_EQ(r.name, "int16_scaled");
  EXPECT_EQ(r.kind, neurodl::ActivityKind::bold);
  EXPECT_DOUBLE_EQ(r.sample_rate_hz, 1 / 1.5);
  ASSERT_EQ(r.n_samples(), 5);
  ASSERT_EQ(r.n_units(), 12);
  for (int t = 0; t < 5; ++t)
    for (int v = 0; v < 12; ++v) EXPECT_EQ(r.activity(t, v), 0.5f * (v + 12 * t - 20) + 10) << t << " " << v;
  // Voxel (i, j, k) = (2, 1, 1) is column 2 + 3 (1 + 2·1) = 11; no affine: pixdim 2, 3, 4 mm.
  EXPECT_EQ(r.units[11].id, "2_1_1");
  expect_position(r.units[11], 4, 3, 4);
  EXPECT_EQ(r.metadata.at("position_space"), "voxel grid");
}

TEST(Nifti, GzipFloat32InMillisecondsWithSform) {
  const auto recs = io::read_recordings(nii("float32.nii.gz"));
  const auto& r = recs[0];
  EXPECT_EQ(r.name, "float32");
  EXPECT_DOUBLE_EQ(r.sample_rate_hz, 1 / 1.5);  // TR 1500 ms
  ASSERT_EQ(r.n_samples(), 3);
  ASSERT_EQ(r.n_units(), 4);
  for (int t = 0; t < 3; ++t)
    for (int v = 0; v < 4; ++v) EXPECT_EQ(r.activity(t, v), 0.25f * (v + 4 * t));
  EXPECT_EQ(r.units[3].id, "1_1_0");
  expect_position(r.units[3], -2 + 10, 2 - 5, 1);
  // The header's TR and --fs must agree.
  io::ReadOptions same;
  same.sample_rate_hz = 1 / 1.5;
  EXPECT_NO_THROW(io::read_nifti(nii("float32.nii.gz"), same));
  io::ReadOptions other;
  other.sample_rate_hz = 2.0;
  expect_error<neurodl::ConfigError>(nii("float32.nii.gz"), "--fs disagrees", other);
}

TEST(Nifti, BigEndian3DVolumeWithQform) {
  const auto r = io::read_recordings(nii("be_float64.nii"))[0];
  ASSERT_EQ(r.n_samples(), 1);
  ASSERT_EQ(r.n_units(), 8);
  EXPECT_TRUE(std::isnan(r.sample_rate_hz));
  for (int v = 0; v < 8; ++v) EXPECT_EQ(r.activity(0, v), v / 8.0f);
  EXPECT_EQ(r.metadata.at("position_space"), "qform");
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 2; ++j)
      for (int i = 0; i < 2; ++i) expect_position(r.units[i + 2 * (j + 2 * k)], -2 * i + 1, -2 * j + 2, -2 * k + 3);
}

TEST(Nifti, HeaderImagePair) {
  EXPECT_TRUE(io::sniff_nifti(nii("pair.hdr")));
  const auto r = io::read_recordings(nii("pair.hdr"))[0];
  EXPECT_EQ(r.name, "pair");
  ASSERT_EQ(r.n_samples(), 4);
  ASSERT_EQ(r.n_units(), 2);
  EXPECT_DOUBLE_EQ(r.sample_rate_hz, 0.5);
  for (int t = 0; t < 4; ++t)
    for (int v = 0; v < 2; ++v) EXPECT_EQ(r.activity(t, v), 10.0f + v + 2 * t);
}

TEST(Nifti, RejectsBadFiles) {
  expect_error<neurodl::IoError>(nii("truncated.nii"), "data: truncated data (expected 120 bytes, got 100 bytes)");
  expect_error<neurodl::IoError>(nii("nifti2.nii"), "NIfTI-2 files are not supported");
  expect_error<neurodl::IoError>(nii("bad_magic.nii"), "magic");
  expect_error<neurodl::IoError>(nii("complex.nii"), "datatype: unsupported data type");
  expect_error<neurodl::IoError>(nii("pair_without_img.hdr"), "no .img file");
  expect_error<neurodl::ShapeError>(nii("five_d.nii"), "dim[5]");
  expect_error<neurodl::IoError>(nii("pair.img"), "truncated header");
  EXPECT_TRUE(io::sniff_nifti(nii("nifti2.nii")));  // so that reading it says why it fails
  EXPECT_FALSE(io::sniff_nifti(nii("pair.img")));
  EXPECT_FALSE(io::sniff_nifti(fixture("csv/rois.csv")));
}

TEST(Nifti, RealFmriRuns) {
  NEURODL_REQUIRE_SHARED_DATA("fmri/fmri2.nii.gz");
  const fs::path dir = neurodl::test::shared_data() / "fmri";
  // Reference values from numpy on the decompressed bytes (int16 from offset 352, slope 1).
  const struct { const char* file; float centre0, last39; double sum; } runs[] = {
      {"fmri1.nii.gz", 676, 797, 49828854.0}, {"fmri2.nii.gz", 779, 876, 56690803.0}};
  for (const auto& run : runs) {
    SCOPED_TRACE(run.file);
    const auto recs = io::read_recordings(dir / run.file);
    ASSERT_EQ(recs.size(), 1u);
    const auto& r = recs[0];
    ASSERT_EQ(r.n_samples(), 40);
    ASSERT_EQ(r.n_units(), 1800);
    EXPECT_NEAR(r.sample_rate_hz, 1 / 1.35, 1e-6);
    EXPECT_EQ(r.activity(0, 5 + 10 * (5 + 10 * 9)), run.centre0);  // voxel (5, 5, 9), t = 0
    EXPECT_EQ(r.activity(39, 1799), run.last39);
    EXPECT_EQ(r.activity.cast<double>().sum(), run.sum);
    EXPECT_EQ(r.units[1799].id, "9_9_17");
    // sform: voxel (0, 0, 0) sits at the affine's translation (mm).
    expect_position(r.units[0], 96.9955062866211, -30.810714721679688, -71.39714813232422);
  }
}
