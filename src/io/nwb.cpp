// Placeholder until the reader lands: every entry point throws.
#include "neurodl/io/nwb.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::io {
bool sniff_nwb(const std::filesystem::path&) { return false; }
std::vector<Recording> read_nwb(const std::filesystem::path&, const ReadOptions&) { throw IoError("not implemented yet"); }
}  // namespace neurodl::io
