// Kernel benchmarks (Google Benchmark). matvec/<type>/<variant>/<rows>x<cols>/threads:<t> times the
// threaded matrix-vector product the CPU backend runs for one token (kernels::matmul with one variant's
// kernels) and reports GB/s of weights streamed; the weights cycle through copies that together are
// several times the L3 cache, so they come from DRAM as a real model's do. matmul/... is the same with
// a batch of prompt tokens, in GOP/s (2 x rows x cols x tokens). memory/... measures the machine's
// bandwidth for scale (memcpy, and a plain read). Where the llama.cpp oracle package is installed,
// variant "ggml-<cpu>" runs llama.cpp's own vec_dot on the same data and threads, for comparison
// (CHORD_GGML_CPUS picks its CPU builds, CHORD_GGML_DIR where they are).
// Not a test: results are printed, never checked.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "core/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "quant/blocks.h"
#include "quant/quant_table.h"

namespace chord {
namespace {

constexpr size_t kStreamBytes = 160u << 20;  // weights cycled through per benchmark: 5x a 32 MiB L3

const GgmlType kTypes[] = {
    GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K,   GgmlType::Q5_K,
    GgmlType::F16,  GgmlType::F32,  GgmlType::Q4_1, GgmlType::Q5_0,   GgmlType::Q5_1,
    GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::BF16, GgmlType::IQ4_NL, GgmlType::IQ4_XS,
};

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

ThreadPool& pool(int threads) {
    static std::unique_ptr<ThreadPool> pools[3];
    if (!pools[threads]) pools[threads] = std::make_unique<ThreadPool>(threads);
    return *pools[threads];
}

// The weights of the current benchmark (one matrix kept at a time: all of them would not fit).
struct Matrix {
    GgmlType type{};
    Shape shape{};
    size_t row_bytes = 0;
    std::vector<std::vector<uint8_t>> copies;
};

// Random rows of `type`: floats from a uniform distribution for the float types; random bytes with
// moderate fp16 scales for the block types (the kernels' speed does not depend on the values).
const Matrix& matrix(GgmlType type, Shape shape) {
    static Matrix m;
    if (!m.copies.empty() && m.type == type && m.shape.rows == shape.rows && m.shape.cols == shape.cols)
        return m;
    m = Matrix{type, shape, static_cast<size_t>(row_bytes(type_traits(type), shape.cols)), {}};
    const size_t bytes = m.row_bytes * shape.rows;
    std::vector<uint8_t> w(bytes);
    Rng rng{static_cast<uint64_t>(type) * 1000 + shape.rows};
    if (type_traits(type).block_size == 1) {
        std::vector<float> row(shape.cols);
        for (size_t r = 0; r < shape.rows; ++r) {
            for (float& v : row) v = rng.uniform();
            quant::quant_format(type).quantize_row(row.data(), &w[r * m.row_bytes], shape.cols);
        }
    } else {
        for (auto& b : w) b = static_cast<uint8_t>(rng.next());
        const uint16_t half = fp32_to_fp16(0.01f);
        const size_t bb = type_traits(type).block_bytes;
        size_t scale_at[2] = {0, 2};  // where the fp16 scales sit (d and, for some, dmin / m)
        size_t n_scales = 1;
        switch (type) {
            case GgmlType::Q4_1:
            case GgmlType::Q5_1:
            case GgmlType::Q4_K:
            case GgmlType::Q5_K:
                n_scales = 2;
                break;
            case GgmlType::Q2_K:
                scale_at[0] = offsetof(quant::BlockQ2_K, d);
                scale_at[1] = offsetof(quant::BlockQ2_K, dmin);
                n_scales = 2;
                break;
            case GgmlType::Q3_K:
                scale_at[0] = offsetof(quant::BlockQ3_K, d);
                break;
            case GgmlType::Q6_K:
                scale_at[0] = offsetof(quant::BlockQ6_K, d);
                break;
            default:
                break;
        }
        for (size_t off = 0; off < bytes; off += bb)
            for (size_t s = 0; s < n_scales; ++s) std::memcpy(&w[off + scale_at[s]], &half, 2);
    }
    const size_t n_copies = std::max<size_t>(2, (kStreamBytes + bytes - 1) / bytes);
    m.copies.assign(n_copies, w);
    return m;
}

std::vector<float> activations(size_t tokens, size_t cols) {
    Rng rng{42};
    std::vector<float> x(tokens * cols);
    for (float& v : x) v = rng.uniform();
    return x;
}

// --- llama.cpp's kernels, from the oracle package -------------------------------------------------------

struct GgmlTraitsCpu {  // ggml-cpu.h's struct ggml_type_traits_cpu
    void (*from_float)(const float*, void*, int64_t);
    void (*vec_dot)(int n, float* s, size_t bs, const void* x, size_t bx, const void* y, size_t by, int nrc);
    int vec_dot_type;
    int64_t nrows;
};
using GgmlGetTraits = const GgmlTraitsCpu* (*)(int type);

// ggml_get_type_traits_cpu of one of the oracle's CPU builds ("zen4", "haswell", ...), or null. The
// libraries are looked for in CHORD_GGML_DIR if set, else in the oracle package.
GgmlGetTraits ggml_cpu(const std::string& variant) {
    const char* env = std::getenv("CHORD_GGML_DIR");
    const std::string dir = env != nullptr ? env : CHORD_GGML_ORACLE_DIR;
    if (dlopen((dir + "/libggml-base.so").c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) return nullptr;
    void* lib = dlopen((dir + "/libggml-cpu-" + variant + ".so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return nullptr;
    auto init = reinterpret_cast<void (*)()>(dlsym(lib, "ggml_cpu_init"));
    auto get = reinterpret_cast<GgmlGetTraits>(dlsym(lib, "ggml_get_type_traits_cpu"));
    if (init == nullptr || get == nullptr) return nullptr;
    init();
    return get;
}

// --- Benchmarks -----------------------------------------------------------------------------------------

void report(benchmark::State& state, double bytes, double ops) {
    state.counters["GB/s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    if (ops > 0)
        state.counters["GOP/s"] =
            benchmark::Counter(ops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void bench_matmul(benchmark::State& state, GgmlType type, std::string isa, Shape shape, size_t tokens,
                  int threads) {
    const kernels::MatmulKernel* k = kernels::find_matmul_kernel(type, isa);
    const Matrix& m = matrix(type, shape);
    const std::vector<float> x = activations(tokens, shape.cols);
    std::vector<float> y(tokens * shape.rows);
    std::vector<uint8_t> scratch;
    ThreadPool& p = pool(threads);
    size_t i = 0;
    for (auto _ : state) {
        kernels::matmul(*k, p, m.copies[i++ % m.copies.size()].data(), m.row_bytes,
                        static_cast<int64_t>(shape.rows), static_cast<int64_t>(shape.cols), x.data(),
                        static_cast<int64_t>(tokens), y.data(), scratch);
        benchmark::DoNotOptimize(y.data());
    }
    report(state, static_cast<double>(m.row_bytes * shape.rows),
           tokens > 1 ? 2.0 * static_cast<double>(shape.rows * shape.cols * tokens) : 0.0);
}

void bench_ggml_matvec(benchmark::State& state, GgmlGetTraits get, GgmlType type, Shape shape, int threads) {
    const GgmlTraitsCpu* wt = get(static_cast<int>(type));
    const auto act = static_cast<GgmlType>(wt->vec_dot_type);
    const Matrix& m = matrix(type, shape);
    const std::vector<float> x = activations(1, shape.cols);
    std::vector<uint8_t> a(static_cast<size_t>(row_bytes(type_traits(act), shape.cols)));
    std::vector<float> y(shape.rows);
    ThreadPool& p = pool(threads);
    const int n = static_cast<int>(shape.cols);
    size_t i = 0;
    for (auto _ : state) {
        const uint8_t* w = m.copies[i++ % m.copies.size()].data();
        if (act == GgmlType::F32) {
            std::memcpy(a.data(), x.data(), a.size());
        } else {
            get(static_cast<int>(act))->from_float(x.data(), a.data(), n);
        }
        p.run([&](int t) {
            const auto [r0, r1] = ThreadPool::split(static_cast<int64_t>(shape.rows), t, threads);
            for (int64_t r = r0; r < r1; ++r)
                wt->vec_dot(n, &y[static_cast<size_t>(r)], 0, w + static_cast<size_t>(r) * m.row_bytes, 0,
                            a.data(), 0, 1);
        });
        benchmark::DoNotOptimize(y.data());
    }
    report(state, static_cast<double>(m.row_bytes * shape.rows), 0);
}

// 256 MiB copied (memcpy) or read (summed), split across the threads.
constexpr size_t kMemoryBytes = 256u << 20;

void bench_memory(benchmark::State& state, bool copy, int threads) {
    static std::vector<uint64_t> src(kMemoryBytes / 8, 1), dst(kMemoryBytes / 8, 0);
    ThreadPool& p = pool(threads);
    uint64_t sums[2] = {0, 0};
    for (auto _ : state) {
        p.run([&](int t) {
            const auto [b, e] = ThreadPool::split(static_cast<int64_t>(src.size()), t, threads);
            if (copy) {
                std::memcpy(&dst[static_cast<size_t>(b)], &src[static_cast<size_t>(b)],
                            static_cast<size_t>(e - b) * 8);
            } else {
                uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int64_t j = b; j + 4 <= e; j += 4) {
                    s0 += src[static_cast<size_t>(j)];
                    s1 += src[static_cast<size_t>(j + 1)];
                    s2 += src[static_cast<size_t>(j + 2)];
                    s3 += src[static_cast<size_t>(j + 3)];
                }
                sums[t] = s0 + s1 + s2 + s3;
            }
        });
        benchmark::DoNotOptimize(dst.data());
        benchmark::DoNotOptimize(sums);
    }
    report(state, static_cast<double>(kMemoryBytes), 0);
}

std::string shape_name(Shape s) {
    return std::to_string(s.rows) + "x" + std::to_string(s.cols);
}

void register_all() {
    for (int threads : {1, 2}) {
        const std::string th = "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(("memory/memcpy" + th).c_str(), bench_memory, true, threads)
            ->UseRealTime();
        benchmark::RegisterBenchmark(("memory/read" + th).c_str(), bench_memory, false, threads)
            ->UseRealTime();
    }
    struct GgmlCpu {
        std::string name;
        GgmlGetTraits get;
    };
    std::vector<GgmlCpu> ggml;
    // llama.cpp's CPU builds to compare with: CHORD_GGML_CPUS (comma-separated), by default its AVX-512
    // VNNI build for this project's AMD machines and its AVX2 build.
    const char* cpus = std::getenv("CHORD_GGML_CPUS");
    std::string list = cpus != nullptr ? cpus : "zen4,haswell";
    for (size_t at = 0; at < list.size();) {
        const size_t comma = std::min(list.find(',', at), list.size());
        const std::string v = list.substr(at, comma - at);
        if (!v.empty())
            if (GgmlGetTraits get = ggml_cpu(v)) ggml.push_back({"ggml-" + v, get});
        at = comma + 1;
    }

    for (GgmlType type : kTypes) {
        const std::string tn(type_traits(type).name);
        for (Shape shape : kShapes) {
            for (std::string_view isa : kernels::kernel_isas()) {
                if (kernels::find_matmul_kernel(type, isa) == nullptr) continue;
                for (int threads : {1, 2}) {
                    const std::string name = "matvec/" + tn + "/" + std::string(isa) + "/" +
                                             shape_name(shape) + "/threads:" + std::to_string(threads);
                    benchmark::RegisterBenchmark(name.c_str(), bench_matmul, type, std::string(isa), shape, 1,
                                                 threads)
                        ->UseRealTime();
                }
            }
            for (const GgmlCpu& g : ggml) {
                for (int threads : {1, 2}) {
                    const std::string name = "matvec/" + tn + "/" + g.name + "/" + shape_name(shape) +
                                             "/threads:" + std::to_string(threads);
                    benchmark::RegisterBenchmark(name.c_str(), bench_ggml_matvec, g.get, type, shape, threads)
                        ->UseRealTime();
                }
            }
        }
        // Prompt processing: 64 tokens against the 5632 x 2048 matrix, SIMD variants only.
        for (std::string_view isa : kernels::kernel_isas()) {
            if (isa == "scalar" || kernels::find_matmul_kernel(type, isa) == nullptr) continue;
            for (int threads : {1, 2}) {
                const std::string name = "matmul/" + tn + "/" + std::string(isa) +
                                         "/5632x2048/tokens:64/threads:" + std::to_string(threads);
                benchmark::RegisterBenchmark(name.c_str(), bench_matmul, type, std::string(isa), kShapes[0],
                                             64, threads)
                    ->UseRealTime();
            }
        }
    }
}

}  // namespace
}  // namespace chord

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    chord::register_all();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
