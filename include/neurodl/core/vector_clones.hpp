#pragma once
// NEURODL_VECTOR_CLONES: put before a function whose loops are plain arithmetic on arrays to get
// it compiled three times — AVX-512 (x86-64-v4), AVX2+FMA (x86-64-v3) and the baseline the
// library is built for (SSE2) — with the copy chosen once, at load time, from the CPU (GCC's
// target_clones). Vector loops then use 2–4× the width without giving up machines that lack the
// newer instructions. Elsewhere (other compilers, other CPUs) it expands to nothing.
// Results may differ from the baseline copy in the last bits where the wider copies fuse a
// multiply and an add.

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NEURODL_VECTOR_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NEURODL_VECTOR_CLONES
#endif
