// Placeholder until the reader lands: every entry point throws.
#include "neurodl/io/npy.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::io {
bool sniff_npy(const std::filesystem::path&) { return false; }
bool sniff_npz(const std::filesystem::path&) { return false; }
std::vector<Recording> read_npy_recordings(const std::filesystem::path&, const ReadOptions&) { throw IoError("not implemented yet"); }
std::vector<Recording> read_npz_recordings(const std::filesystem::path&, const ReadOptions&) { throw IoError("not implemented yet"); }
void write_npy(const std::filesystem::path&, const MatrixF&) { throw IoError("not implemented yet"); }
void write_npy(const std::filesystem::path&, const MatrixD&) { throw IoError("not implemented yet"); }
}  // namespace neurodl::io
