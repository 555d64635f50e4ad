// Tests of the structural check of v5 MAT-files (src/io/mat_v5_check.cpp), through read_mat:
// damaged counts must give a one-line IoError naming the file (and the variable) before matio
// can allocate or loop on them. The damaged files are made here from the fixtures of
// tests/reference/make_mat_fixtures.py: compressed elements are inflated, patched and deflated
// again with zlib's compress2, so that the damage lies inside a valid zlib stream.

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/mat.hpp"
#include "test_support.hpp"

namespace {

using neurodl::IoError;
using neurodl::io::read_mat;
namespace fs = std::filesystem;
using Bytes = std::string;

constexpr std::size_t kHeader = 128;
constexpr std::uint32_t kMiMatrix = 14;
constexpr std::uint32_t kMiCompressed = 15;

Bytes slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const fs::path& p, const Bytes& b) {
  std::ofstream(p, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
}

Bytes fixture_bytes(const std::string& name) {
  return slurp(neurodl::test::fixture("mat/" + name));
}

std::uint32_t get32(const Bytes& b, std::size_t at) {
  std::uint32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

void put32(Bytes& b, std::size_t at, std::uint32_t v) { std::memcpy(b.data() + at, &v, 4); }

Bytes tag(std::uint32_t type, std::uint32_t bytes) {
  Bytes t(8, '\0');
  put32(t, 0, type);
  put32(t, 4, bytes);
  return t;
}

/// Offset and tag of each top-level element of a v5 file.
struct Element {
  std::size_t pos;
  std::uint32_t type;
  std::uint32_t bytes;
};

std::vector<Element> top_level(const Bytes& file) {
  std::vector<Element> out;
  for (std::size_t p = kHeader; p + 8 <= file.size(); p += 8 + get32(file, p + 4))
    out.push_back({p, get32(file, p), get32(file, p + 4)});
  return out;
}

Bytes inflate_all(const Bytes& z) {
  Bytes out(z.size() * 64 + 4096, '\0');
  uLongf n = out.size();
  const int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &n,
                            reinterpret_cast<const Bytef*>(z.data()), z.size());
  EXPECT_EQ(rc, Z_OK);
  out.resize(n);
  return out;
}

Bytes deflate_all(const Bytes& raw) {
  Bytes out(compressBound(raw.size()), '\0');
  uLongf n = out.size();
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                      reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 6),
            Z_OK);
  out.resize(n);
  return out;
}

/// The bytes of top-level element `i` as one miMATRIX element (inflated when compressed).
Bytes matrix_of(const Bytes& file, std::size_t i) {
  const Element e = top_level(file).at(i);
  const Bytes payload = file.substr(e.pos + 8, e.bytes);
  return e.type == kMiCompressed ? inflate_all(payload) : tag(e.type, e.bytes) + payload;
}

/// `file` with top-level element `i` replaced by `matrix`, compressed when the original was.
Bytes with_matrix(const Bytes& file, std::size_t i, const Bytes& matrix) {
  const Element e = top_level(file).at(i);
  Bytes element = matrix;
  if (e.type == kMiCompressed) {
    const Bytes z = deflate_all(matrix);
    element = tag(kMiCompressed, static_cast<std::uint32_t>(z.size())) + z;
  }
  return file.substr(0, e.pos) + element + file.substr(e.pos + 8 + e.bytes);
}

/// Offsets (within a miMATRIX element) of the dimension values of every array header in it,
/// outermost first: an 8-byte miUINT32 flags tag followed 16 bytes later by a miINT32 tag.
std::vector<std::size_t> dims_offsets(const Bytes& m) {
  std::vector<std::size_t> out;
  for (std::size_t p = 8; p + 32 <= m.size(); p += 8)
    if (get32(m, p) == 6 && get32(m, p + 4) == 8 && get32(m, p + 16) == 5) out.push_back(p + 24);
  return out;
}

// The IoError of a damaged file names the file and `also`, on one line.
void expect_damage_reported(const fs::path& file, const std::string& also) {
  try {
    read_mat(file, {});
    FAIL() << "no IoError for " << file;
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("io.mat"), std::string::npos) << m;
    EXPECT_NE(m.find(file.string()), std::string::npos) << m;
    EXPECT_NE(m.find(also), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

// Both the uncompressed and the compressed form of a layout.
class DamagedV5 : public ::testing::TestWithParam<std::string> {
 protected:
  Bytes cattached() const { return fixture_bytes("cattached" + GetParam() + ".mat"); }
  fs::path write(const Bytes& b) const {
    const fs::path p = dir_ / ("damaged" + GetParam() + ".mat");
    spit(p, b);
    return p;
  }
  neurodl::test::ScratchDir dir_;
};
INSTANTIATE_TEST_SUITE_P(Compression, DamagedV5, ::testing::Values("_v5", "_v5z"));

// CAttached is a 1×3 cell of structs: outermost dims are the cell's, then CAttached{1}'s, then
// its first field's (fluo_time, 1×10 double).
TEST_P(DamagedV5, HugeCellDimensions) {
  const Bytes file = cattached();
  Bytes m = matrix_of(file, 0);
  const auto dims = dims_offsets(m);
  ASSERT_GE(dims.size(), 3u);
  ASSERT_EQ(get32(m, dims[0] + 4), 3u);
  put32(m, dims[0] + 4, 0x7fffffff);  // 1 × (2^31 − 1) cells
  expect_damage_reported(write(with_matrix(file, 0, m)), "CAttached: corrupt MAT-file: cell array");
}

TEST_P(DamagedV5, HugeStructDimensionsInsideACell) {
  const Bytes file = cattached();
  Bytes m = matrix_of(file, 0);
  const auto dims = dims_offsets(m);
  put32(m, dims[1], 0x7fffffff);
  put32(m, dims[1] + 4, 0x7fffffff);
  expect_damage_reported(write(with_matrix(file, 0, m)), "CAttached{1}: corrupt MAT-file: struct");
}

TEST_P(DamagedV5, NumericDimensionsDisagreeWithData) {
  const Bytes file = cattached();
  Bytes m = matrix_of(file, 0);
  const auto dims = dims_offsets(m);
  ASSERT_EQ(get32(m, dims[2] + 4), 10u);
  put32(m, dims[2] + 4, 0x7fffffff);  // fluo_time 1 × (2^31 − 1), 80 bytes of data
  expect_damage_reported(write(with_matrix(file, 0, m)),
                         "CAttached{1}.fluo_time: corrupt MAT-file: real part does not match");
}

TEST_P(DamagedV5, NegativeDimension) {
  const Bytes file = cattached();
  Bytes m = matrix_of(file, 0);
  put32(m, dims_offsets(m)[2], 0xffffffff);
  expect_damage_reported(write(with_matrix(file, 0, m)), "negative dimension");
}

TEST_P(DamagedV5, NestedElementLargerThanItsParent) {
  const Bytes file = cattached();
  Bytes m = matrix_of(file, 0);
  const std::size_t element_tag = dims_offsets(m)[2] - 32;  // fluo_time's miMATRIX tag
  ASSERT_EQ(get32(m, element_tag), kMiMatrix);
  put32(m, element_tag + 4, 0x7ffffff0);
  expect_damage_reported(write(with_matrix(file, 0, m)), "larger than the bytes left");
}

TEST_P(DamagedV5, TopLevelElementLargerThanTheFile) {
  Bytes file = cattached();
  put32(file, kHeader + 4, 0xfffffff0);
  expect_damage_reported(write(file), "element at byte 128: corrupt MAT-file: element larger");
}

TEST_P(DamagedV5, FileCutInsideAnElementTag) {
  const Bytes file = cattached();
  expect_damage_reported(write(file + Bytes(4, '\0')), "ends inside an element tag");
}

TEST(DamagedV5Compressed, DamagedDeflateStream) {
  neurodl::test::ScratchDir dir;
  Bytes file = fixture_bytes("cattached_v5z.mat");
  const Element e = top_level(file).at(0);
  ASSERT_EQ(e.type, kMiCompressed);
  file[e.pos + 8 + e.bytes / 2] ^= 0x55;
  const auto p = dir / "bad_stream.mat";
  spit(p, file);
  expect_damage_reported(p, "corrupt MAT-file");
}

TEST(DamagedV5Compressed, StreamCutShort) {
  neurodl::test::ScratchDir dir;
  Bytes file = fixture_bytes("cattached_v5z.mat");
  const Element e = top_level(file).at(0);
  const std::uint32_t kept = e.bytes / 2;
  file = file.substr(0, e.pos + 8 + kept);
  put32(file, e.pos + 4, kept);
  const auto p = dir / "short_stream.mat";
  spit(p, file);
  expect_damage_reported(p, "CAttached");
}

TEST(DamagedV5Compressed, StreamGoesOnAfterItsMatrix) {
  neurodl::test::ScratchDir dir;
  const Bytes file = fixture_bytes("cattached_v5z.mat");
  const auto p = dir / "long_stream.mat";
  spit(p, with_matrix(file, 0, matrix_of(file, 0) + Bytes(64, '\0')));
  expect_damage_reported(p, "goes on after its miMATRIX");
}

TEST(DamagedV5Compressed, InflatedSizeBeyondZlibsReach) {
  neurodl::test::ScratchDir dir;
  const Bytes file = fixture_bytes("triplett_v5z.mat");
  Bytes m = matrix_of(file, 0);
  put32(m, 4, 0xfffffff0);
  const auto p = dir / "inflated_size.mat";
  spit(p, with_matrix(file, 0, m));
  expect_damage_reported(p, "more bytes than zlib can inflate");
}

// A miMATRIX element of class `cls` named `name` with `dims` and already encoded sub-elements.
Bytes array(std::uint32_t cls, std::int32_t rows, std::int32_t cols, const Bytes& rest) {
  Bytes body = tag(6, 8) + Bytes(8, '\0') + tag(5, 8) + Bytes(8, '\0') + tag(1, 0) + rest;
  put32(body, 8, cls);
  put32(body, 24, static_cast<std::uint32_t>(rows));
  put32(body, 28, static_cast<std::uint32_t>(cols));
  return tag(kMiMatrix, static_cast<std::uint32_t>(body.size())) + body;
}

// Cells nested `depth` deep around an empty double, written by hand as one variable "c".
Bytes nested_cells(int depth) {
  Bytes inner = array(6, 0, 0, tag(9, 0));
  for (int i = 0; i < depth; ++i) inner = array(1, 1, 1, inner);
  // Name the outermost array "c" (a small element: 1 byte, type miINT8).
  const std::size_t name_tag = 8 + 16 + 16;
  put32(inner, name_tag, (1u << 16) | 1u);
  inner[name_tag + 4] = 'c';
  Bytes header = fixture_bytes("plain_v5.mat").substr(0, kHeader);
  return header + inner;
}

TEST(DamagedV5Nesting, DeepNestingIsRefusedShallowIsWalked) {
  neurodl::test::ScratchDir dir;
  const auto deep = dir / "deep.mat";
  spit(deep, nested_cells(300));
  expect_damage_reported(deep, "nested too deep");
  const auto shallow = dir / "shallow.mat";
  spit(shallow, nested_cells(6));
  try {
    read_mat(shallow, {});
    FAIL() << "a file with nothing usable must be an IoError";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("c (1×1 cell)"), std::string::npos) << e.what();
  }
}

// Random damage of small fixtures, seeded: every case either reads or throws neurodl::Error
// (one line, naming the file when it is an IoError). The loop finishing is the hang check;
// before the structural check, a few cases in a thousand kept matio busy for 20 s or more.
TEST(DamagedV5Fuzz, RandomDamageReadsOrThrowsError) {
  neurodl::test::ScratchDir dir;
  std::mt19937_64 rng(20240611);
  int n_read = 0;
  int n_error = 0;
  for (const char* name :
       {"cattached_v5.mat", "cattached_v5z.mat", "triplett_v5.mat", "triplett_v5z.mat",
        "tetrode/spikes_v5z.mat", "plain_v5z.mat", "stringer_v5.mat", "stringer_v5z.mat"}) {
    const Bytes original = fixture_bytes(name);
    const auto elements = top_level(original);
    for (int c = 0; c < 50; ++c) {
      // Half the cases damage the file's bytes; half damage an element's inflated bytes (then
      // deflated again, so that zlib's checksum does not catch it first).
      const std::size_t i = rng() % elements.size();
      const bool inner = rng() % 2 == 0;
      Bytes target = inner ? matrix_of(original, i) : original;
      const std::size_t from = inner ? 0 : kHeader;
      const int kind = static_cast<int>(rng() % 3);
      const int n_hits = kind == 0 ? 1 : 2 + static_cast<int>(rng() % 6);
      for (int h = 0; h < n_hits; ++h) {
        const std::size_t at = from + rng() % (target.size() - from);
        if (kind == 2 && at + 4 <= target.size()) {
          // A whole word set to a count that damage typically produces.
          const std::uint32_t words[] = {0x7fffffffu, 0xffffffffu, 0x80000000u, 0x10000u,
                                         static_cast<std::uint32_t>(rng())};
          put32(target, at & ~std::size_t{3}, words[rng() % 5]);
        } else {
          target[at] = static_cast<char>(target[at] ^ static_cast<char>(1 + rng() % 255));
        }
      }
      const Bytes damaged = inner ? with_matrix(original, i, target) : target;
      const fs::path p = dir / ("case" + std::to_string(c) + ".mat");
      spit(p, damaged);
      SCOPED_TRACE(std::string(name) + " case " + std::to_string(c));
      try {
        read_mat(p, {});
        ++n_read;
      } catch (const IoError& e) {
        ++n_error;
        const std::string m = e.what();
        EXPECT_NE(m.find(p.string()), std::string::npos) << m;
        EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      } catch (const neurodl::Error&) {
        ++n_error;
      }
      fs::remove(p);
    }
  }
  EXPECT_EQ(n_read + n_error, 400);
  EXPECT_GT(n_error, 0);
}

}  // namespace
