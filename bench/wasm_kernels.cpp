// Kernel benchmark for the WebAssembly build (built by the wasm preset only, run under node; Google
// Benchmark is not built for emscripten). Times the threaded matrix product the CPU backend runs
// (kernels::matmul with the SIMD128 kernels, the load-time repacked layout where the type has one) for
// one token (decode: GB/s of weights) and for 64 tokens (prompt: GOP/s, 2 x rows x cols x tokens), on
// the TinyLlama FFN shapes 5632x2048 and 2048x5632, at 1 and 2 threads. The weights cycle through
// copies of > 100 MiB in all, so they come from memory as a real model's do. Not a test: results are
// printed, never checked. A plain read of 128 MiB gives the memory bandwidth for scale.
//
//   node build/wasm/bench/bench_wasm_kernels.js [types, default Q4_0,Q8_0] [seconds per case, default 1]
#include <wasm_simd128.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "core/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "quant/type_table.h"

namespace chord {
namespace {

constexpr size_t kStreamBytes = 128u << 20;  // weights cycled through per case

struct Shape {
    size_t rows, cols;
};
const Shape kShapes[] = {{5632, 2048}, {2048, 5632}};

// splitmix64
struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    float uniform() { return static_cast<float>(next() >> 40) * 0x1p-24f * 2.0f - 1.0f; }
};

// Copies of one random matrix of a 32-element block type whose first two bytes per block are the fp16
// scale (Q4_0, Q5_0, Q8_0, IQ4_NL; the kernels' speed does not depend on the values), repacked when the
// kernel has a layout of its own.
struct Matrix {
    size_t row_bytes = 0;
    bool packed = false;
    std::vector<std::vector<uint8_t>> copies;
};

Matrix make_matrix(const kernels::MatmulKernel& k, GgmlType type, Shape shape) {
    Matrix m;
    const TypeTraits& tt = type_traits(type);
    m.row_bytes = static_cast<size_t>(row_bytes(tt, shape.cols));
    const size_t bytes = m.row_bytes * shape.rows;
    std::vector<uint8_t> w(bytes);
    Rng rng{static_cast<uint64_t>(type) * 1000 + shape.rows};
    for (auto& b : w) b = static_cast<uint8_t>(rng.next());
    const uint16_t half = fp32_to_fp16(0.01f);
    for (size_t off = 0; off < bytes; off += tt.block_bytes) std::memcpy(&w[off], &half, 2);
    if (k.repack != nullptr) {
        std::vector<uint8_t> p(bytes);
        if (k.repack(w.data(), m.row_bytes, shape.rows, shape.cols, p.data())) {
            w.swap(p);
            m.packed = true;
        }
    }
    const size_t n_copies = std::max<size_t>(2, (kStreamBytes + bytes - 1) / bytes);
    m.copies.assign(n_copies, w);
    return m;
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void run_case(GgmlType type, Shape shape, int threads, size_t tokens, double seconds, ThreadPool& pool) {
    const kernels::MatmulKernel* k = kernels::find_matmul_kernel(type, "simd128");
    if (k == nullptr) return;
    const Matrix m = make_matrix(*k, type, shape);
    Rng rng{42};
    std::vector<float> x(tokens * shape.cols);
    for (float& v : x) v = rng.uniform();
    std::vector<float> y(tokens * shape.rows);
    std::vector<uint8_t> scratch;
    const auto call = [&](size_t i) {
        kernels::matmul(*k, pool, m.copies[i % m.copies.size()].data(), m.row_bytes,
                        static_cast<int64_t>(shape.rows), static_cast<int64_t>(shape.cols), x.data(),
                        static_cast<int64_t>(tokens), y.data(), scratch, m.packed);
    };
    for (size_t i = 0; i < m.copies.size(); ++i) call(i);  // warm-up: one pass over every copy
    size_t iters = 0;
    const double t0 = now_s();
    double t = t0;
    while (t - t0 < seconds) {
        call(iters++);
        t = now_s();
    }
    const double per = (t - t0) / static_cast<double>(iters);
    const double weight_bytes = static_cast<double>(m.row_bytes * shape.rows);
    const double ops = 2.0 * static_cast<double>(shape.rows * shape.cols * tokens);
    std::printf("%-5s %4zux%-4zu tokens %-3zu threads %d%s  %8.3f ms  %6.2f GB/s  %7.2f GOP/s\n",
                std::string(type_traits(type).name).c_str(), shape.rows, shape.cols, tokens, threads,
                m.packed ? " packed" : "", per * 1e3, weight_bytes / per / 1e9, ops / per / 1e9);
    std::fflush(stdout);
}

// The memory bandwidth for scale: 128 MiB read (summed, 16 bytes a load) by each of the threads' share.
void run_memory(int threads, double seconds, ThreadPool& pool) {
    static std::vector<uint8_t> src(kStreamBytes, 1);
    v128_t sums[2] = {wasm_i32x4_splat(0), wasm_i32x4_splat(0)};
    const auto call = [&] {
        pool.run([&](int t) {
            const auto [b, e] = ThreadPool::split(static_cast<int64_t>(src.size() / 64), t, threads);
            v128_t s0 = wasm_i32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
            for (int64_t i = b; i < e; ++i) {
                const uint8_t* p = &src[static_cast<size_t>(i) * 64];
                s0 = wasm_i32x4_add(s0, wasm_v128_load(p));
                s1 = wasm_i32x4_add(s1, wasm_v128_load(p + 16));
                s2 = wasm_i32x4_add(s2, wasm_v128_load(p + 32));
                s3 = wasm_i32x4_add(s3, wasm_v128_load(p + 48));
            }
            sums[t] = wasm_i32x4_add(wasm_i32x4_add(s0, s1), wasm_i32x4_add(s2, s3));
        });
    };
    call();
    size_t iters = 0;
    const double t0 = now_s();
    double t = t0;
    while (t - t0 < seconds) {
        call();
        ++iters;
        t = now_s();
    }
    const double per = (t - t0) / static_cast<double>(iters);
    std::printf("memory read 128 MiB       threads %d   %8.3f ms  %6.2f GB/s  (%d)\n", threads, per * 1e3,
                static_cast<double>(kStreamBytes) / per / 1e9, wasm_i32x4_extract_lane(sums[0], 0));
    std::fflush(stdout);
}

}  // namespace
}  // namespace chord

int main(int argc, char** argv) {
    using namespace chord;
    std::vector<GgmlType> types;
    const std::string list = argc > 1 ? argv[1] : "Q4_0,Q8_0";
    for (size_t at = 0; at < list.size();) {
        const size_t comma = std::min(list.find(',', at), list.size());
        if (const auto t = type_from_name(list.substr(at, comma - at))) types.push_back(*t);
        at = comma + 1;
    }
    const double seconds = argc > 2 ? std::atof(argv[2]) : 1.0;
    std::printf("kernels: %s\n", kernels::kernel_isa());
    for (int threads : {1, 2}) {
        ThreadPool pool(threads);
        run_memory(threads, seconds, pool);
        for (GgmlType type : types) {
            for (Shape shape : kShapes) run_case(type, shape, threads, 1, seconds, pool);
            run_case(type, kShapes[0], threads, 64, seconds, pool);
        }
    }
    return 0;
}
