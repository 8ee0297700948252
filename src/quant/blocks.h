// The ggml block formats byte for byte: one struct per quantized type, laid out exactly as GGUF files
// store them (and as ggml-common.h declares them), with the few bit-unpacking helpers that every reader
// of a layout needs. Half-precision scales are kept as raw IEEE half bits (read them with
// fp16_to_fp32); Q8_K's scale is a float. This header only describes memory; quantizing, dequantizing
// and dot products live in quants.h and kernels/. docs/FORMATS.md explains each layout in prose.
//
// Every struct has natural alignment (2, or 4 for Q8_K) and no padding, so a row of blocks is an array
// of these structs at any 2-byte (4-byte) aligned address, which GGUF's 32-byte tensor alignment gives.
#pragma once

#include <cstddef>
#include <cstdint>

namespace chord::quant {

constexpr size_t kBlockSize = 32;        // elements per block: Q4_0..Q8_1, IQ4_NL
constexpr size_t kSuperBlockSize = 256;  // elements per super-block: K-quants, IQ4_XS, Q8_K

// ---------------------------------------------------------------------------------------------------
// Legacy formats: 32 elements per block, one fp16 scale (and for the _1 types an fp16 offset).
// The 32 quants are split in halves: element j (j < 16) is in the low nibble of qs[j], element j + 16
// in the high nibble of qs[j].

// x = d * (q - 8), q in [0, 15]
struct BlockQ4_0 {
    uint16_t d;      // fp16 scale
    uint8_t qs[16];  // (16) two 4-bit quants per byte: low nibble = element j, high = element j + 16
};

// x = d * q + m, q in [0, 15]
struct BlockQ4_1 {
    uint16_t d;      // fp16 scale
    uint16_t m;      // fp16 offset (the block minimum)
    uint8_t qs[16];  // (16) as BlockQ4_0
};

// x = d * (q - 16), q in [0, 31]; bit 4 of element j's quant is bit j of the little-endian qh word
struct BlockQ5_0 {
    uint16_t d;      // fp16 scale
    uint8_t qh[4];   // (32) fifth bits, one per element, as a little-endian uint32
    uint8_t qs[16];  // (16) low 4 bits, as BlockQ4_0
};

// x = d * q + m, q in [0, 31]; bits as BlockQ5_0
struct BlockQ5_1 {
    uint16_t d;      // fp16 scale
    uint16_t m;      // fp16 offset
    uint8_t qh[4];   // (32) fifth bits
    uint8_t qs[16];  // (16) low 4 bits
};

// x = d * q, q in [-127, 127] (quantizers never write -128)
struct BlockQ8_0 {
    uint16_t d;     // fp16 scale
    int8_t qs[32];  // (32) quants in element order
};

// Q8_0 plus s = d * sum(qs), which lets a dot with a Q4_1/Q5_1 block apply that block's offset at once
struct BlockQ8_1 {
    uint16_t d;     // fp16 scale
    uint16_t s;     // fp16 of d * sum(qs)
    int8_t qs[32];  // (32) quants in element order
};

// ---------------------------------------------------------------------------------------------------
// K-quants: super-blocks of 256 elements in 16 sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or 8 of 32 (Q4_K,
// Q5_K). Each sub-block has a small integer scale (and min), themselves scaled by fp16 d (and dmin).

// x = d * sc * q - dmin * m, q in [0, 3]; sub-block s (16 elements) has scales[s] = sc | (m << 4).
// Bits: qs is two 128-element halves of 32 bytes; in half h, byte l holds elements
// 128h + l + 32k (k = 0..3) in bits 2k..2k+1.
struct BlockQ2_K {
    uint8_t scales[16];  // (16) per sub-block: low nibble scale, high nibble min
    uint8_t qs[64];      // (256) 2-bit quants
    uint16_t d;          // fp16 super-scale of the scales
    uint16_t dmin;       // fp16 super-scale of the mins
};

// x = d * (sc - 32) * (q - 4), q in [0, 7]: low 2 bits in qs (packed like BlockQ2_K), the third bit of
// element e in bit e / 32 of hmask[e % 32]. The 16 six-bit scales are packed in 12 bytes: see
// q3_K_scale().
struct BlockQ3_K {
    uint8_t hmask[32];   // (256) high bits
    uint8_t qs[64];      // (256) low 2 bits
    uint8_t scales[12];  // (16) 6-bit scales, offset by 32
    uint16_t d;          // fp16 super-scale
};

// x = d * sc * q - dmin * m, q in [0, 15]; 8 sub-blocks of 32 with 6-bit sc and m packed in 12 bytes
// (see k4_scale_min()). qs is four 64-element quarters of 32 bytes: in quarter c, byte l holds
// element 64c + l in its low nibble and element 64c + 32 + l in its high nibble.
struct BlockQ4_K {
    uint16_t d;          // fp16 super-scale of the scales
    uint16_t dmin;       // fp16 super-scale of the mins
    uint8_t scales[12];  // (8 + 8) 6-bit scales and mins
    uint8_t qs[128];     // (256) 4-bit quants
};

// As BlockQ4_K with a fifth bit per element: element 64c + l has it in bit 2c of qh[l], element
// 64c + 32 + l in bit 2c + 1 (l < 32).
struct BlockQ5_K {
    uint16_t d;          // fp16 super-scale of the scales
    uint16_t dmin;       // fp16 super-scale of the mins
    uint8_t scales[12];  // (8 + 8) 6-bit scales and mins
    uint8_t qh[32];      // (256) fifth bits
    uint8_t qs[128];     // (256) low 4 bits
};

// x = d * sc * (q - 32), q in [0, 63], 16 sub-blocks of 16 with int8 scales. Two 128-element halves;
// in half h (ql + 64h, qh + 32h), for l < 32: element 128h + l + 32k has its low nibble in
// ql[l + 32 (k & 1)] (low nibble for k < 2, high for k >= 2) and its top 2 bits in bits 2k..2k+1 of qh[l].
struct BlockQ6_K {
    uint8_t ql[128];    // (256) low 4 bits
    uint8_t qh[64];     // (256) high 2 bits
    int8_t scales[16];  // (16) sub-block scales
    uint16_t d;         // fp16 super-scale
};

// The activation format the K-quants are dotted against: x = d * q with a float scale, plus the sum of
// each group of 16 quants (used to apply K-quant mins without touching the quants).
struct BlockQ8_K {
    float d;            // scale
    int8_t qs[256];     // (256) quants in element order, in [-127, 127]
    int16_t bsums[16];  // (16) sum of qs[16g .. 16g + 15]
};

// ---------------------------------------------------------------------------------------------------
// Non-linear 4-bit: a quant indexes a fixed table of 16 int8 levels (kIq4nlLevels) instead of being a
// level itself.

// x = d * kIq4nlLevels[q]; nibbles as BlockQ4_0
struct BlockIQ4_NL {
    uint16_t d;      // fp16 scale
    uint8_t qs[16];  // (32) 4-bit level indices
};

// x = d * (ls - 32) * kIq4nlLevels[q] with a 6-bit ls per 32-element sub-block s: its low 4 bits in
// nibble s % 2 of scales_l[s / 2], its high 2 bits in bits 2s..2s+1 of scales_h. Sub-block s's quants
// are qs[16s .. 16s + 15], nibbled as BlockQ4_0.
struct BlockIQ4_XS {
    uint16_t d;           // fp16 super-scale
    uint16_t scales_h;    // (8) high 2 bits of each sub-block scale
    uint8_t scales_l[4];  // (8) low 4 bits of each sub-block scale
    uint8_t qs[128];      // (256) 4-bit level indices
};

// The 16 levels of IQ4_NL / IQ4_XS (ggml's kvalues_iq4nl): non-uniform, denser near zero.
inline constexpr int8_t kIq4nlLevels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

static_assert(sizeof(BlockQ4_0) == 18 && alignof(BlockQ4_0) == 2);
static_assert(sizeof(BlockQ4_1) == 20 && alignof(BlockQ4_1) == 2);
static_assert(sizeof(BlockQ5_0) == 22 && alignof(BlockQ5_0) == 2);
static_assert(sizeof(BlockQ5_1) == 24 && alignof(BlockQ5_1) == 2);
static_assert(sizeof(BlockQ8_0) == 34 && alignof(BlockQ8_0) == 2);
static_assert(sizeof(BlockQ8_1) == 36 && alignof(BlockQ8_1) == 2);
static_assert(sizeof(BlockQ2_K) == 84 && offsetof(BlockQ2_K, d) == 80);
static_assert(sizeof(BlockQ3_K) == 110 && offsetof(BlockQ3_K, d) == 108);
static_assert(sizeof(BlockQ4_K) == 144 && offsetof(BlockQ4_K, qs) == 16);
static_assert(sizeof(BlockQ5_K) == 176 && offsetof(BlockQ5_K, qs) == 48);
static_assert(sizeof(BlockQ6_K) == 210 && offsetof(BlockQ6_K, d) == 208);
static_assert(sizeof(BlockQ8_K) == 292 && alignof(BlockQ8_K) == 4);
static_assert(sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockIQ4_XS) == 136 && offsetof(BlockIQ4_XS, qs) == 8);

// ---------------------------------------------------------------------------------------------------
// Unpacking helpers shared by dequantization and the dot kernels.

// Q4_K / Q5_K: the 6-bit scale and min of sub-block j (0..7). Bytes 0-3 hold scales 0-3 in their low
// 6 bits, bytes 4-7 mins 0-3; bytes 8-11 hold the low 4 bits of scale 4+i (low nibble) and min 4+i
// (high nibble), whose top 2 bits sit in the spare top bits of bytes i and 4+i.
inline void k4_scale_min(int j, const uint8_t* scales, uint8_t& scale, uint8_t& min) {
    if (j < 4) {
        scale = scales[j] & 63;
        min = scales[j + 4] & 63;
    } else {
        scale = static_cast<uint8_t>((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4));
        min = static_cast<uint8_t>((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
    }
}

// Q3_K: the signed scale (6-bit value - 32) of sub-block j (0..15). The low 4 bits of scale j are in
// nibble j / 8 of byte j % 8; its high 2 bits in bits 2 (j / 4)..+1 of byte 8 + j % 4.
inline int q3_K_scale(int j, const uint8_t* scales) {
    const int low = j < 8 ? (scales[j] & 0xF) : (scales[j - 8] >> 4);
    const int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (low | (high << 4)) - 32;
}

}  // namespace chord::quant
