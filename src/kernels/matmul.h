// The threaded matrix product the CPU backend runs, over any MatmulKernel (so benchmarks can drive one
// variant): activations are converted once per call to the weight type's activation format, then the
// threads take chunks of output rows from a shared counter and run the kernel's tile on each chunk, one
// group of tokens at a time, so a chunk's weights are read from memory once and stay in cache while
// every token passes over them. Decode (one token) runs the kernel's matvec tile instead, which reads the
// rows one after another. No allocation once `act_scratch` has grown to the largest call. Not a BLAS:
// row-major weights times activations only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/dispatch.h"

namespace chord::kernels {

// y[t * rows + r] = dot(weight row r, activation row t) for r < rows, t < n_tokens. `w` holds `rows`
// rows of `cols` elements, `w_row_bytes` apart; `x` holds n_tokens rows of `cols` floats. With `packed`,
// `w` is the output of k.repack and k.packed_tile runs.
void matmul(const MatmulKernel& k, ThreadPool& pool, const uint8_t* w, size_t w_row_bytes, int64_t rows,
            int64_t cols, const float* x, int64_t n_tokens, float* y, std::vector<uint8_t>& act_scratch,
            bool packed = false);

}  // namespace chord::kernels
