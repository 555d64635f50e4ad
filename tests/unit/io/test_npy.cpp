// .npy/.npz reader and writer. Fixtures: tests/reference/make_npy_fixtures.py (numpy's np.save,
// np.savez, np.savez_compressed and np.lib.format.write_array), values recomputed here.

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/npy.hpp"
#include "neurodl/io/registry.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using neurodl::ConfigError;
using neurodl::IoError;
using neurodl::MatrixD;
using neurodl::MatrixF;
using neurodl::ShapeError;
using neurodl::test::fixture;
namespace io = neurodl::io;

namespace {

fs::path npy(const std::string& name) { return fixture("npy/" + name); }

/// The value the fixture script stored at C-order index k for a dtype kind (see its docstring).
double expected(char kind, int k) {
  switch (kind) {
    case 'f': return k * 0.5 - 2;
    case 'i': return k - 5;
    case 'u': return 3 * k;
    default: return k % 3 == 0 ? 1 : 0;
  }
}

void expect_3x4(const MatrixF& m, char kind, bool transposed = false) {
  ASSERT_EQ(m.rows(), transposed ? 4 : 3);
  ASSERT_EQ(m.cols(), transposed ? 3 : 4);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      EXPECT_EQ(transposed ? m(j, i) : m(i, j), static_cast<float>(expected(kind, 4 * i + j)))
          << "element (" << i << ", " << j << ")";
}

std::string bytes_of(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

/// Runs `fn`, expects exception E whose message names the file and contains `needle`.
template <class E, class Fn>
void expect_error(Fn fn, const fs::path& file, const std::string& needle) {
  neurodl::test::expect_error_naming<E>([&] { fn(); }, file, needle);
}

}  // namespace

TEST(Npy, ReadsEveryDtypeInBothByteOrders) {
  for (std::string code : {"f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"}) {
    SCOPED_TRACE(code);
    const auto a = io::read_npy(npy("dtype_" + code + ".npy"));
    EXPECT_EQ(a.header.type_code, code[0]);
    EXPECT_EQ(a.header.item_size, code[1] - '0');
    EXPECT_FALSE(a.header.big_endian);
    expect_3x4(a.values, code[0]);
    if (code[1] == '1') continue;
    const auto be = io::read_npy(npy("dtype_be_" + code + ".npy"));
    EXPECT_TRUE(be.header.big_endian);
    expect_3x4(be.values, code[0]);
  }
}

TEST(Npy, FortranOrderAndUnitsByTime) {
  const auto f = io::read_npy(npy("fortran_f4.npy"));
  EXPECT_TRUE(f.header.fortran_order);
  expect_3x4(f.values, 'f');
  expect_3x4(io::read_npy(npy("fortran_be_i2.npy")).values, 'i');
  // Transposed while reading, from C order (block transpose) and Fortran order (straight copy).
  expect_3x4(io::read_npy(npy("dtype_f4.npy"), true).values, 'f', true);
  expect_3x4(io::read_npy(npy("fortran_f4.npy"), true).values, 'f', true);
  expect_3x4(io::read_npy(npy("fortran_be_i2.npy"), true).values, 'i', true);
  io::ReadOptions opt;
  opt.units_by_time = true;
  const auto recs = io::read_npy_recordings(npy("dtype_u2.npy"), opt);
  ASSERT_EQ(recs.size(), 1u);
  expect_3x4(recs[0].activity, 'u', true);
}

TEST(Npy, OneDimensionalIsOneUnit) {
  for (bool t : {false, true}) {
    const auto a = io::read_npy(npy("vector_f8.npy"), t);
    ASSERT_EQ(a.values.rows(), 5);
    ASSERT_EQ(a.values.cols(), 1);
    for (int k = 0; k < 5; ++k) EXPECT_EQ(a.values(k, 0), 0.25f * k);
  }
}

TEST(Npy, FormatVersions2And3) {
  for (int v : {2, 3}) {
    const auto a = io::read_npy(npy("version" + std::to_string(v) + "_f4.npy"));
    EXPECT_EQ(a.header.major_version, v);
    expect_3x4(a.values, 'f');
  }
}

TEST(Npy, RecordingFromRegistry) {
  io::ReadOptions opt;
  opt.sample_rate_hz = 30.0;
  const auto recs = io::read_recordings(npy("dtype_i4.npy"), opt);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].name, "dtype_i4");
  EXPECT_EQ(recs[0].kind, neurodl::ActivityKind::unknown);
  EXPECT_EQ(recs[0].sample_rate_hz, 30.0);
  EXPECT_EQ(recs[0].units.size(), 4u);
  expect_3x4(recs[0].activity, 'i');
  // Without --fs the rate is unknown (NaN), which is allowed.
  EXPECT_TRUE(std::isnan(io::read_recordings(npy("dtype_f4.npy"))[0].sample_rate_hz));
  EXPECT_TRUE(io::sniff_npy(npy("dtype_f4.npy")));
  EXPECT_FALSE(io::sniff_npy(npy("bad_magic.npy")));
  EXPECT_FALSE(io::sniff_npy(npy("stored.npz")));
  EXPECT_TRUE(io::sniff_npz(npy("stored.npz")));
  EXPECT_FALSE(io::sniff_npz(npy("dtype_f4.npy")));
}

TEST(Npy, RejectsBadFiles) {
  auto read = [](const std::string& name) { return [name] { io::read_npy(npy(name)); }; };
  expect_error<IoError>(read("object.npy"), npy("object.npy"), "never unpickles");
  expect_error<ShapeError>(read("cube.npy"), npy("cube.npy"), "3 dimensions");
  expect_error<IoError>(read("structured.npy"), npy("structured.npy"), "structured");
  expect_error<IoError>(read("complex.npy"), npy("complex.npy"), "unsupported dtype");
  expect_error<IoError>(read("truncated.npy"), npy("truncated.npy"),
                        "data: truncated data (expected 48 bytes, got 20 bytes)");
  expect_error<IoError>(read("bad_magic.npy"), npy("bad_magic.npy"), "magic");
  expect_error<IoError>(read("missing_shape.npy"), npy("missing_shape.npy"),
                        "shape: malformed header dict: missing key");
  expect_error<IoError>(read("bad_dict.npy"), npy("bad_dict.npy"), "malformed header dict");
  expect_error<IoError>(read("too_long.npy"), npy("too_long.npy"),
                        "data size does not match the shape");
  expect_error<IoError>([] { io::read_npy(npy("no_such.npy")); }, npy("no_such.npy"),
                        "cannot open");
}

TEST(Npy, NpzStoredDeflatedAndZip64) {
  for (std::string name : {"stored.npz", "deflated.npz", "zip64.npz"}) {
    SCOPED_TRACE(name);
    io::ReadOptions opt;
    opt.sample_rate_hz = 10.0;
    const auto recs = io::read_recordings(npy(name), opt);
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].name, "a");
    expect_3x4(recs[0].activity, 'f');
    EXPECT_EQ(recs[1].name, "b");
    ASSERT_EQ(recs[1].activity.rows(), 5);
    ASSERT_EQ(recs[1].activity.cols(), 1);
    for (int k = 0; k < 5; ++k) EXPECT_EQ(recs[1].activity(k, 0), k - 2.0f);
    EXPECT_EQ(recs[1].sample_rate_hz, 10.0);
    // units_by_time applies to every member.
    const auto t = io::read_npz(npy(name), true);
    expect_3x4(t[0].array.values, 'f', true);
  }
}

TEST(Npy, NpzRejectsObjectsAndDamage) {
  expect_error<IoError>([] { io::read_npz(npy("with_object.npz")); }, npy("with_object.npz"),
                        "o.npy/descr: object array");
  expect_error<IoError>([] { io::read_npz(npy("truncated.npz")); }, npy("truncated.npz"),
                        "not a zip archive");
  expect_error<IoError>([] { io::read_npz(npy("bad_crc.npz")); }, npy("bad_crc.npz"),
                        "a.npy: zip member is corrupt (CRC-32 mismatch)");
}

TEST(Npy, WriterMatchesNumpyByteForByte) {
  neurodl::test::ScratchDir dir;
  MatrixD d(3, 4);
  for (int k = 0; k < 12; ++k) d(k / 4, k % 4) = k * 0.1;
  const MatrixF f = d.cast<float>();
  io::write_npy(dir / "f8.npy", d);
  io::write_npy(dir / "f4.npy", f);
  EXPECT_EQ(bytes_of(dir / "f8.npy"), bytes_of(npy("written_f8.npy")));
  EXPECT_EQ(bytes_of(dir / "f4.npy"), bytes_of(npy("written_f4.npy")));
  EXPECT_EQ(io::read_npy_f64(dir / "f8.npy"), d);
  EXPECT_EQ(io::read_npy(dir / "f4.npy").values, f);
  // And numpy's own file reads back to the same values.
  EXPECT_EQ(io::read_npy_f64(npy("written_f8.npy")), d);
}

TEST(Npy, LargeTransposeBlocksAndSegments) {
  // Larger than one conversion chunk (2^20 elements): exercises the blocked transpose and the
  // per-row segments used when one stored row exceeds a chunk.
  neurodl::test::ScratchDir dir;
  for (auto [r, c] : {std::pair{1500, 1000}, std::pair{2, 1'200'000}}) {
    MatrixF m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(i % 100003);
    io::write_npy(dir / "big.npy", m);
    const MatrixF t = io::read_npy(dir / "big.npy", true).values;
    ASSERT_EQ(t.rows(), c);
    ASSERT_EQ(t.cols(), r);
    EXPECT_TRUE(t == m.transpose()) << r << "×" << c;
  }
}

TEST(Npy, FailedWriteLeavesNoFile) {
  neurodl::test::ScratchDir dir;
  const MatrixF m = MatrixF::Ones(2, 2);
  expect_error<IoError>([&] { io::write_npy(dir / "missing" / "x.npy", m); },
                        dir / "missing" / "x.npy", "folder does not exist");
  EXPECT_FALSE(fs::exists(dir / "missing"));
  fs::create_directory(dir / "taken.npy");
  EXPECT_THROW(io::write_npy(dir / "taken.npy", m), IoError);
  EXPECT_TRUE(fs::is_directory(dir / "taken.npy"));
  // Nothing else (no temporary file) was left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1);
}

TEST(Npy, RealLfpAndImageFiles) {
  NEURODL_REQUIRE_SHARED_DATA("lfp/sample_data_2.npy");
  const fs::path base = neurodl::test::shared_data();
  const auto ecog = io::read_npy(base / "lfp/sample_data_1.npy");
  EXPECT_EQ(ecog.header.descr, "<f8");
  EXPECT_EQ(ecog.values.rows(), 10000);
  EXPECT_EQ(ecog.values.cols(), 1);
  const auto lfp = io::read_npy(base / "lfp/sample_data_2.npy");
  EXPECT_EQ(lfp.header.descr, "<i2");
  EXPECT_EQ(lfp.values.rows(), 150000);
  // Integers convert exactly to float32.
  EXPECT_EQ(lfp.values, lfp.values.array().round().matrix());
  NEURODL_REQUIRE_SHARED_DATA("images/Allen_test_input.npy");
  const MatrixD img = io::read_npy_f64(base / "images/Allen_test_input.npy");
  EXPECT_EQ(img.rows(), 18);
  EXPECT_EQ(img.cols(), 961);
  EXPECT_EQ(img(0, 0), 239.0);  // first 8 data bytes: 00 00 00 00 00 e0 6d 40
}
