// What each ISA file (kernels/x86/*.cpp, kernels/wasm/simd128.cpp) hands to dispatch.cpp: a constant
// table of the weight types it has dot products for and the activation formats it quantizes to. The
// tables are plain constant data, so reading them runs none of the ISA's instructions; dispatch.cpp
// calls into a variant only after cpuid said the CPU has its features. Internal to src/kernels.
#pragma once

#include <cstddef>

#include "kernels/dispatch.h"
#include "kernels/vector_ops.h"

namespace chord::kernels {

struct WeightKernels {
    GgmlType type;
    VecDot vec_dot;
    MatmulTile tile;
    MatmulTile matvec = nullptr;  // a tile for one token, where the variant has a faster one
    Repack repack = nullptr;      // a load-time layout of its own, with the tile that reads it
    MatmulTile packed_tile = nullptr;
    bool repack_in_place = false;  // see MatmulKernel::repack_in_place
};

struct ActQuantizer {
    GgmlType type;  // the activation format written
    QuantizeRow quantize;
};

struct Variant {
    const char* isa;
    const WeightKernels* weights;
    size_t n_weights;
    const ActQuantizer* quantizers;
    size_t n_quantizers;
};

#if defined(CHORD_KERNELS_X86)
extern const Variant kAvx2Variant;        // x86/avx2.cpp: AVX2, FMA, F16C
extern const Variant kAvx512Variant;      // x86/avx512.cpp: AVX-512 F/BW/VL/DQ
extern const Variant kAvx512VnniVariant;  // x86/avx512_vnni.cpp: the same with VNNI (vpdpbusd)
extern const VectorKernels kAvx2Vector;   // x86/avx2.cpp
#endif
#if defined(CHORD_KERNELS_SIMD128)
extern const Variant kSimd128Variant;       // wasm/simd128.cpp
extern const VectorKernels kSimd128Vector;  // wasm/simd128.cpp
#endif

}  // namespace chord::kernels
