// The quant table: each supported type's reference row functions, wrapped to a common signature, and
// its vec_dot type (as ggml-cpu's type traits pair them).
#include "quant/quant_table.h"

#include <array>
#include <string>

#include "core/error.h"
#include "quant/quants.h"

namespace chord::quant {
namespace {

// Adapts a typed row function (`void f(const Block*, float*, size_t)`) to the table's signature.
template <typename Block, void (*F)(const Block*, float*, size_t)>
void dequantize_erased(const void* src, float* dst, size_t n) {
    F(static_cast<const Block*>(src), dst, n);
}

template <typename Block, void (*F)(const float*, Block*, size_t)>
void quantize_erased(const float* src, void* dst, size_t n) {
    F(src, static_cast<Block*>(dst), n);
}

template <typename Block, void (*Q)(const float*, Block*, size_t), void (*D)(const Block*, float*, size_t)>
constexpr QuantFormat format(GgmlType type, std::optional<GgmlType> vec_dot_type) {
    return QuantFormat{type, dequantize_erased<Block, D>, quantize_erased<Block, Q>, vec_dot_type};
}

constexpr auto kNone = std::nullopt;

const std::array kFormats = {
    format<float, quantize_row_f32, dequantize_row_f32>(GgmlType::F32, GgmlType::F32),
    format<uint16_t, quantize_row_f16, dequantize_row_f16>(GgmlType::F16, GgmlType::F16),
    format<uint16_t, quantize_row_bf16, dequantize_row_bf16>(GgmlType::BF16, GgmlType::BF16),
    format<BlockQ4_0, quantize_row_q4_0, dequantize_row_q4_0>(GgmlType::Q4_0, GgmlType::Q8_0),
    format<BlockQ4_1, quantize_row_q4_1, dequantize_row_q4_1>(GgmlType::Q4_1, GgmlType::Q8_1),
    format<BlockQ5_0, quantize_row_q5_0, dequantize_row_q5_0>(GgmlType::Q5_0, GgmlType::Q8_0),
    format<BlockQ5_1, quantize_row_q5_1, dequantize_row_q5_1>(GgmlType::Q5_1, GgmlType::Q8_1),
    format<BlockQ8_0, quantize_row_q8_0, dequantize_row_q8_0>(GgmlType::Q8_0, GgmlType::Q8_0),
    format<BlockQ8_1, quantize_row_q8_1, dequantize_row_q8_1>(GgmlType::Q8_1, kNone),
    format<BlockQ2_K, quantize_row_q2_K, dequantize_row_q2_K>(GgmlType::Q2_K, GgmlType::Q8_K),
    format<BlockQ3_K, quantize_row_q3_K, dequantize_row_q3_K>(GgmlType::Q3_K, GgmlType::Q8_K),
    format<BlockQ4_K, quantize_row_q4_K, dequantize_row_q4_K>(GgmlType::Q4_K, GgmlType::Q8_K),
    format<BlockQ5_K, quantize_row_q5_K, dequantize_row_q5_K>(GgmlType::Q5_K, GgmlType::Q8_K),
    format<BlockQ6_K, quantize_row_q6_K, dequantize_row_q6_K>(GgmlType::Q6_K, GgmlType::Q8_K),
    format<BlockQ8_K, quantize_row_q8_K, dequantize_row_q8_K>(GgmlType::Q8_K, kNone),
    format<BlockIQ4_NL, quantize_row_iq4_nl, dequantize_row_iq4_nl>(GgmlType::IQ4_NL, GgmlType::Q8_0),
    format<BlockIQ4_XS, quantize_row_iq4_xs, dequantize_row_iq4_xs>(GgmlType::IQ4_XS, GgmlType::Q8_K),
};

}  // namespace

const QuantFormat* find_quant_format(GgmlType type) {
    for (const auto& f : kFormats)
        if (f.type == type) return &f;
    return nullptr;
}

const QuantFormat& quant_format(GgmlType type) {
    const QuantFormat* f = find_quant_format(type);
    if (f == nullptr)
        throw Error(ErrorCode::Unsupported,
                    "no quantization code for tensor type " + std::string(type_traits(type).name));
    return *f;
}

}  // namespace chord::quant
