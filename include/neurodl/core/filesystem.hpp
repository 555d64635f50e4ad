#pragma once
// Small file-system helpers that avoid std::filesystem where it is unsafe to call.
//
// Why: the LibTorch shipped inside PyTorch's pip wheels (used for CUDA builds) exports its own
// copy of some std::filesystem functions, and the dynamic linker binds the whole process to them.
// Its std::filesystem::remove_all calls through a null pointer there (seen with torch 2.11 on
// Ubuntu 24.04), so any program linked against it crashes when it removes a folder tree. The
// helpers below use POSIX calls only.

#include <string>

namespace neurodl {

/// Removes `path` and everything below it, like `rm -rf` (symbolic links are removed, never
/// followed). A missing path is not an error. Returns false when something could not be removed.
bool remove_tree(const std::string& path);

}  // namespace neurodl
