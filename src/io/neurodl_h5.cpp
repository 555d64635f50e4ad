// Placeholder until the reader lands: every entry point throws.
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::io {
bool sniff_neurodl_h5(const std::filesystem::path&) { return false; }
std::vector<Recording> read_neurodl_h5(const std::filesystem::path&, const ReadOptions&) { throw IoError("not implemented yet"); }
void write_neurodl_h5(const std::filesystem::path&, const std::vector<Recording>&) { throw IoError("not implemented yet"); }
}  // namespace neurodl::io
