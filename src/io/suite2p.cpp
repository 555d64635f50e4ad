// Placeholder until the reader lands: every entry point throws.
#include "neurodl/io/suite2p.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::io {
bool sniff_suite2p(const std::filesystem::path&) { return false; }
std::vector<Recording> read_suite2p(const std::filesystem::path&, const ReadOptions&) { throw IoError("not implemented yet"); }
}  // namespace neurodl::io
