// The threaded, cache-blocked matrix product (see matmul.h). Chunk sizes are chosen from byte counts:
// a chunk's weight rows (~128 KiB at most) and a group's activation rows (~256 KiB at most) both fit
// in a core's L2 cache, and there are several chunks per thread so that a thread slowed by a neighbour
// on a shared machine hands its share to the others.
#include "kernels/matmul.h"

#include <algorithm>
#include <atomic>

namespace chord::kernels {
namespace {

constexpr size_t kChunkWeightBytes = 128 << 10;
constexpr size_t kGroupActBytes = 256 << 10;
constexpr int64_t kChunksPerThread = 4;
constexpr int64_t kRowAlign = 16;  // rows the widest tile computes together: chunks are multiples of it
// Tokens per thread below which activations are converted on the calling thread alone.
constexpr int64_t kMinParallelTokens = 4;

}  // namespace

void matmul(const MatmulKernel& k, ThreadPool& pool, const uint8_t* w, size_t w_row_bytes, int64_t rows,
            int64_t cols, const float* x, int64_t n_tokens, float* y, std::vector<uint8_t>& act_scratch,
            bool packed) {
    const int n_threads = pool.size();
    const auto n = static_cast<size_t>(cols);
    const size_t act_row = static_cast<size_t>(row_bytes(*k.act, static_cast<uint64_t>(cols)));

    // Activations in the weight type's activation format, one row per token.
    const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
    if (k.quantize_act != nullptr) {
        const size_t need = act_row * static_cast<size_t>(n_tokens);
        if (act_scratch.size() < need) act_scratch.resize(need);
        uint8_t* dst = act_scratch.data();
        const auto quantize = [&](int64_t begin, int64_t end) {
            for (int64_t t = begin; t < end; ++t)
                k.quantize_act(x + t * cols, dst + static_cast<size_t>(t) * act_row, n);
        };
        if (n_tokens < kMinParallelTokens * n_threads) {
            quantize(0, n_tokens);
        } else {
            pool.run([&](int i) {
                const auto [b, e] = ThreadPool::split(n_tokens, i, n_threads);
                quantize(b, e);
            });
        }
        act = dst;
    }

    int64_t chunk_rows = static_cast<int64_t>(kChunkWeightBytes / std::max<size_t>(w_row_bytes, 1));
    chunk_rows = std::min(chunk_rows, rows / (kChunksPerThread * n_threads));
    chunk_rows = std::max(kRowAlign, chunk_rows / kRowAlign * kRowAlign);
    const int64_t n_chunks = (rows + chunk_rows - 1) / chunk_rows;
    const int64_t group =
        std::max<int64_t>(1, static_cast<int64_t>(kGroupActBytes / std::max<size_t>(act_row, 1)));

    const MatmulTile tile = packed ? k.packed_tile : n_tokens == 1 ? k.matvec : k.tile;
    std::atomic<int64_t> next{0};
    const auto work = [&](int) {
        for (int64_t c = next.fetch_add(1, std::memory_order_relaxed); c < n_chunks;
             c = next.fetch_add(1, std::memory_order_relaxed)) {
            const int64_t r0 = c * chunk_rows;
            const auto nr = static_cast<size_t>(std::min(chunk_rows, rows - r0));
            for (int64_t t0 = 0; t0 < n_tokens; t0 += group) {
                const auto nt = static_cast<size_t>(std::min(group, n_tokens - t0));
                tile(n, w + static_cast<size_t>(r0) * w_row_bytes, w_row_bytes, nr,
                     act + static_cast<size_t>(t0) * act_row, act_row, nt, y + t0 * rows + r0,
                     static_cast<size_t>(rows));
            }
        }
    };
    if (n_chunks == 1 || n_threads == 1) {
        work(0);
        return;
    }
    pool.run(work);
}

}  // namespace chord::kernels
