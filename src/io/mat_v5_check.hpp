#pragma once
// Private to the .mat reader: a structural check of MATLAB v5 MAT-files that runs before matio
// sees the file. matio trusts the sizes written in a file; damaged dimensions inside a compressed
// cell or struct can make it allocate and loop for minutes while merely listing the variables.
// This walk reads only tags, flags, dimensions and names (inflating compressed elements through
// two 64 KiB windows, whatever their size), builds no values, and refuses any size that the
// bytes around it cannot hold. docs/readers/mat.md lists the checks.

#include <filesystem>

namespace neurodl::io::mat_detail {

/// Checks that every data element of the v5 MAT-file `path` is consistent with its parent and
/// with the file: each element's byte count fits in what remains of its parent (of the file at
/// top level), compressed elements inflate to exactly one well-formed miMATRIX with a complete,
/// valid zlib stream, dimensions are non-negative without overflow, numeric data holds exactly
/// prod(dims) values of its stored type, and cells and structs claim no more elements than the
/// remaining bytes can hold (8 bytes each at least). Does nothing for a file whose header is not
/// a v5 header (v7.3, v4, not a MAT-file: matio reports those). Throws IoError (component
/// "io.mat") naming the file and the variable (`CAttached{3}.fluo_time`, or the element's byte
/// offset while its name is unknown) and saying what is inconsistent.
void check_v5_structure(const std::filesystem::path& path);

}  // namespace neurodl::io::mat_detail
