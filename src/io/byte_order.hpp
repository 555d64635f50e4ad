#pragma once
// Private: reading numbers stored in a file's byte order (npy, NIfTI, ...).

#include <algorithm>
#include <cstring>

namespace neurodl::io {

/// Loads a T stored at `p` (possibly unaligned), byte-swapped when the file's byte order differs
/// from the machine's.
template <class T>
T load(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap) std::reverse(b, b + sizeof(T));
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

}  // namespace neurodl::io
