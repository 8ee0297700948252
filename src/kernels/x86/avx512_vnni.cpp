// The AVX-512 kernels of avx512.cpp compiled a second time with VNNI (-mavx512vnni): the int8 dot
// products become one vpdpbusd each instead of vpmaddubsw + vpmaddwd. Only the flags differ; see
// avx512.cpp for what the kernels are.
#define CHORD_AVX512_VNNI 1
#include "kernels/x86/avx512.cpp"  // NOLINT(bugprone-suspicious-include): one source, two ISA builds
