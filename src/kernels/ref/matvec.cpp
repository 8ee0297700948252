// Reference float-row dot products, the weight type -> dot product table, and the reference
// matrix-vector product built on them (activations converted once to the vec_dot type, then one dot per
// output row). Single-threaded and allocating: the truth for tests, not the inference path.
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fp16.h"
#include "kernels/ref/ref_kernels.h"
#include "quant/quant_table.h"

namespace chord::kernels::ref {
namespace {

// Float rows as ggml's scalar code sums them: each product rounded to float, the sum kept in double.
template <typename T, float (*ToFloat)(T)>
float dot_widened(size_t n, const void* w_row, const void* a_row) {
    const T* w = static_cast<const T*>(w_row);
    const T* a = static_cast<const T*>(a_row);
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += static_cast<double>(ToFloat(w[i]) * ToFloat(a[i]));
    return static_cast<float>(sum);
}

inline float identity(float v) {
    return v;
}

struct VecDotEntry {
    GgmlType weight_type;
    VecDotFn fn;
};

constexpr VecDotEntry kVecDots[] = {
    {GgmlType::F32, vec_dot_f32_f32},        {GgmlType::F16, vec_dot_f16_f16},
    {GgmlType::BF16, vec_dot_bf16_bf16},     {GgmlType::Q4_0, vec_dot_q4_0_q8_0},
    {GgmlType::Q4_1, vec_dot_q4_1_q8_1},     {GgmlType::Q5_0, vec_dot_q5_0_q8_0},
    {GgmlType::Q5_1, vec_dot_q5_1_q8_1},     {GgmlType::Q8_0, vec_dot_q8_0_q8_0},
    {GgmlType::Q2_K, vec_dot_q2_K_q8_K},     {GgmlType::Q3_K, vec_dot_q3_K_q8_K},
    {GgmlType::Q4_K, vec_dot_q4_K_q8_K},     {GgmlType::Q5_K, vec_dot_q5_K_q8_K},
    {GgmlType::Q6_K, vec_dot_q6_K_q8_K},     {GgmlType::IQ4_NL, vec_dot_iq4_nl_q8_0},
    {GgmlType::IQ4_XS, vec_dot_iq4_xs_q8_K},
};

}  // namespace

float vec_dot_f32_f32(size_t n, const void* w_row, const void* a_row) {
    return dot_widened<float, identity>(n, w_row, a_row);
}

float vec_dot_f16_f16(size_t n, const void* w_row, const void* a_row) {
    return dot_widened<uint16_t, fp16_to_fp32>(n, w_row, a_row);
}

float vec_dot_bf16_bf16(size_t n, const void* w_row, const void* a_row) {
    return dot_widened<uint16_t, bf16_to_fp32>(n, w_row, a_row);
}

VecDotFn find_vec_dot(GgmlType weight_type) {
    for (const auto& e : kVecDots)
        if (e.weight_type == weight_type) return e.fn;
    return nullptr;
}

void matvec(GgmlType weight_type, const void* w, size_t n_rows, size_t n_cols, const float* x, float* y) {
    const TypeTraits& wt = type_traits(weight_type);
    const VecDotFn dot = find_vec_dot(weight_type);
    const quant::QuantFormat* wf = quant::find_quant_format(weight_type);
    if (dot == nullptr || wf == nullptr || !wf->vec_dot_type)
        throw Error(ErrorCode::Unsupported, "no dot product for tensor type " + std::string(wt.name));
    if (n_cols % wt.block_size != 0)
        throw Error(ErrorCode::InvalidArgument, "row of " + std::to_string(n_cols) +
                                                    " elements is not a multiple of " + std::string(wt.name) +
                                                    "'s block size " + std::to_string(wt.block_size));
    const quant::QuantFormat& af = quant::quant_format(*wf->vec_dot_type);
    std::vector<uint8_t> a(static_cast<size_t>(row_bytes(type_traits(af.type), n_cols)));
    af.quantize_row(x, a.data(), n_cols);
    const auto w_row_bytes = static_cast<size_t>(row_bytes(wt, n_cols));
    const auto* rows = static_cast<const uint8_t*>(w);
    for (size_t r = 0; r < n_rows; ++r) y[r] = dot(n_cols, rows + r * w_row_bytes, a.data());
}

}  // namespace chord::kernels::ref
