// fp16 / bf16 conversions: exact round trips, IEEE rounding cases derived from the formats, and
// (natively on x86 with F16C) agreement with the hardware converter ggml itself uses.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/fp16.h"

#if defined(__x86_64__) && !defined(__EMSCRIPTEN__)
#include <cpuid.h>
#include <immintrin.h>
#define CHORD_TEST_F16C 1
static bool cpu_has_f16c() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}
__attribute__((target("f16c"))) static uint16_t hw_fp32_to_fp16(float f) {
    return static_cast<uint16_t>(_mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT)) &
                                 0xffff);
}
__attribute__((target("f16c"))) static float hw_fp16_to_fp32(uint16_t h) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}
#endif

namespace chord {
namespace {

TEST(Fp16, EveryHalfRoundTripsThroughFloat) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = fp16_to_fp32(static_cast<uint16_t>(h));
        if (std::isnan(f)) {
            EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(f)))) << h;
            continue;
        }
        EXPECT_EQ(fp32_to_fp16(f), h) << "half 0x" << std::hex << h;
    }
}

TEST(Fp16, KnownValues) {
    EXPECT_EQ(fp32_to_fp16(1.0f), 0x3c00);
    EXPECT_EQ(fp32_to_fp16(-2.0f), 0xc000);
    EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7bff);  // largest half
    EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);  // halfway to 2^16 rounds (to even) up to infinity
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);  // half of it: tie, rounds to even (0)
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);
    EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7c00);
    // 1 + 2^-11 is exactly between 1 and the next half (1 + 2^-10): ties go to the even one, 1.
    EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
    EXPECT_EQ(fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
    EXPECT_EQ(fp16_to_fp32(0x3555), 0.333251953125f);
}

#ifdef CHORD_TEST_F16C
TEST(Fp16, MatchesF16cHardware) {
    if (!cpu_has_f16c()) GTEST_SKIP() << "CPU has no F16C";
    uint32_t state = 12345;
    for (int i = 0; i < 2000000; ++i) {
        state = state * 1664525u + 1013904223u;
        const float f = bits_float(state);
        if (std::isnan(f)) continue;
        ASSERT_EQ(fp32_to_fp16(f), hw_fp32_to_fp16(f)) << "bits 0x" << std::hex << state;
    }
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float a = fp16_to_fp32(static_cast<uint16_t>(h));
        const float b = hw_fp16_to_fp32(static_cast<uint16_t>(h));
        if (std::isnan(a)) {
            EXPECT_TRUE(std::isnan(b));
        } else {
            EXPECT_EQ(float_bits(a), float_bits(b)) << h;
        }
    }
}
#endif

TEST(Bf16, RoundsToNearestEven) {
    EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
    EXPECT_EQ(fp32_to_bf16(bits_float(0x3f808000u)), 0x3f80);  // tie, even stays
    EXPECT_EQ(fp32_to_bf16(bits_float(0x3f818000u)), 0x3f82);  // tie, odd rounds up
    EXPECT_EQ(fp32_to_bf16(bits_float(0x3f808001u)), 0x3f81);  // above the tie
    EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
    // A signalling NaN whose payload sits in the low bits must not become infinity.
    EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(bits_float(0x7f800001u)))));
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = bf16_to_fp32(static_cast<uint16_t>(h));
        if (!std::isnan(f)) {
            EXPECT_EQ(fp32_to_bf16(f), h);
        }
    }
}

}  // namespace
}  // namespace chord
