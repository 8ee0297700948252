// Scalar reference dot products and matrix-vector product: the truth every SIMD kernel (AVX2, AVX-512,
// WebAssembly SIMD128) and shader is tested against. Each vec_dot_<weight>_<activation> multiplies one
// weight row by one activation row already converted to the weight type's vec_dot type (quant_table.h),
// computing exactly as ggml's generic C code does: integer sums per block, scaled by the block scales in
// ggml's order, so the result is the same float ggml's scalar build gives. Not the fast path.
//
// `n` is the row length in elements, a multiple of the weight type's block size; rows are arrays of
// blocks (quant/blocks.h), or of float / half / bfloat16 values for the float types.
#pragma once

#include <cstddef>
#include <cstdint>

#include "quant/type_table.h"

namespace chord::kernels::ref {

using VecDotFn = float (*)(size_t n, const void* w_row, const void* a_row);

// Float rows: products in float, summed in double (ggml's scalar path), then rounded to float.
float vec_dot_f32_f32(size_t n, const void* w_row, const void* a_row);
float vec_dot_f16_f16(size_t n, const void* w_row, const void* a_row);
float vec_dot_bf16_bf16(size_t n, const void* w_row, const void* a_row);

// 32-element blocks (vec_dot_legacy.cpp).
float vec_dot_q4_0_q8_0(size_t n, const void* w_row, const void* a_row);
float vec_dot_q4_1_q8_1(size_t n, const void* w_row, const void* a_row);
float vec_dot_q5_0_q8_0(size_t n, const void* w_row, const void* a_row);
float vec_dot_q5_1_q8_1(size_t n, const void* w_row, const void* a_row);
float vec_dot_q8_0_q8_0(size_t n, const void* w_row, const void* a_row);
float vec_dot_iq4_nl_q8_0(size_t n, const void* w_row, const void* a_row);

// 256-element super-blocks against Q8_K (vec_dot_k.cpp).
float vec_dot_q2_K_q8_K(size_t n, const void* w_row, const void* a_row);
float vec_dot_q3_K_q8_K(size_t n, const void* w_row, const void* a_row);
float vec_dot_q4_K_q8_K(size_t n, const void* w_row, const void* a_row);
float vec_dot_q5_K_q8_K(size_t n, const void* w_row, const void* a_row);
float vec_dot_q6_K_q8_K(size_t n, const void* w_row, const void* a_row);
float vec_dot_iq4_xs_q8_K(size_t n, const void* w_row, const void* a_row);

// The dot product for rows of `weight_type` (against its vec_dot type); nullptr when there is none.
VecDotFn find_vec_dot(GgmlType weight_type);

// y[r] = vec_dot(row r of w, x converted to weight_type's vec_dot type) for r < n_rows. `w` holds n_rows
// rows of n_cols elements back to back; n_cols must be a multiple of the block size. Allocates the
// converted activation row; throws Error(Unsupported / InvalidArgument) for a type without a dot
// product or a bad n_cols.
void matvec(GgmlType weight_type, const void* w, size_t n_rows, size_t n_cols, const float* x, float* y);

// The vector operations of kernels/vector_ops.h (ref/attention.cpp).
float attn_dot_f16(size_t n, const uint16_t* q, const uint16_t* k);
float attn_dot_f32(size_t n, const float* q, const float* k);
double attn_exp_sum(float* s, size_t n, float max);
void attn_axpy_f16(size_t n, float p, const uint16_t* v, float* y);
void attn_axpy_f32(size_t n, float p, const float* v, float* y);
void swiglu(size_t n, float* gate, const float* up);

}  // namespace chord::kernels::ref
