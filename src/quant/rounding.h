// Float-to-integer steps of the reference quantizers, spelled out so their results are the same bits
// as ggml's on every input, native or WebAssembly. Private to src/quant (the quantizers); not a
// general-purpose rounding library.
#pragma once

#include <cstdint>
#include <cstring>

namespace chord::quant::detail {

// Round to nearest, ties to even, by the float trick the K-quant code uses: adding 1.5 * 2^23 pushes
// the fraction out of the mantissa, whose low 23 bits then hold round(v) + 2^22. Exact for |v| < 2^22;
// beyond that (possible when a scale rounds to ~0 in fp16) the result is whatever the same bits give,
// kept on purpose so degenerate blocks still produce ggml's bytes.
inline int nearest_int(float v) {
    const float shifted = v + 12582912.0f;
    int32_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

// C's float -> int conversion (truncation toward zero) with x86's answer for NaN and out-of-range
// values (INT32_MIN), which is what ggml's prebuilt quantizers produce there. In C++ those inputs are
// undefined behaviour and in WebAssembly they trap, so the check is explicit.
inline int32_t truncate_to_int(float v) {
    if (!(v > -2147483648.0f && v < 2147483648.0f)) return INT32_MIN;
    return static_cast<int32_t>(v);
}

}  // namespace chord::quant::detail
