// Placeholder until the reader lands: every entry point throws.
#include "neurodl/io/mat.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::io {
bool sniff_mat(const std::filesystem::path&) { return false; }
std::vector<Recording> read_mat(const std::filesystem::path&, const ReadOptions&) { throw IoError("not implemented yet"); }
}  // namespace neurodl::io
