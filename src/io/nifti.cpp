// Placeholder until the reader lands: every entry point throws.
#include "neurodl/io/nifti.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::io {
bool sniff_nifti(const std::filesystem::path&) { return false; }
std::vector<Recording> read_nifti(const std::filesystem::path&, const ReadOptions&) { throw IoError("not implemented yet"); }
}  // namespace neurodl::io
