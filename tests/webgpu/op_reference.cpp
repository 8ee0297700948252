// webgpu_op_reference: the CPU side of the WebGPU op-parity test (tests/webgpu/ops.test.mjs). Reads an
// op's random inputs from a file, computes the op with the CPU backend and the reference kernels, and
// writes what the GPU must reproduce (for weight ops, the quantized weights first, so the GPU gets the
// very same bytes).
//   webgpu_op_reference OP IN OUT ARGS...
//   matmul TYPE ROWS COLS N        in: w (rows*cols f32), x (n*cols)  out: w bytes, y (n*rows)
//   get_rows TYPE ROWS COLS N      in: w (rows*cols f32), ids (n i32) out: w bytes, y (n*cols)
//   rmsnorm DIM N EPS              in: x (n*dim), w (dim)             out: y (n*dim)
//   rope N HEADS HEAD_DIM N_ROT NEOX BASE FREQ_SCALE  in: x, positions (n i32)  out: x rotated
//   attention N_CTX N HEADS KV_HEADS HEAD_DIM KV_TYPE  in: k, v (n_ctx*kv_dim), q (n*heads*head_dim),
//                                  positions (n i32); the cache holds k, v at positions 0..n_ctx-1
//                                  out: (n*heads*head_dim)
//   swiglu N | add N               in: a (n), b (n)                   out: a'
//   add_bias N DIM                 in: a (n*dim), b (dim)             out: a'
// Matrix products are the exact dot of the dequantized weights with x in double (x rounded to fp16
// first for F16 weights, as the CPU backend does), not the CPU kernel, which also quantizes x.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "core/fp16.h"
#include "kernels/dispatch.h"
#include "model/hparams.h"
#include "model/kv_cache.h"
#include "quant/quant_table.h"
#include "quant/type_table.h"

using namespace chord;

namespace {

struct Reader {
    std::vector<uint8_t> data;
    size_t pos = 0;
    template <typename T>
    std::vector<T> take(size_t n) {
        if (pos + n * sizeof(T) > data.size()) throw std::runtime_error("input file too short");
        std::vector<T> v(n);
        std::memcpy(v.data(), data.data() + pos, n * sizeof(T));
        pos += n * sizeof(T);
        return v;
    }
};

template <typename T>
void put(std::ofstream& out, const std::vector<T>& v) {
    out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
}

GgmlType type_arg(const std::string& name) {
    const auto t = type_from_name(name);
    if (!t) throw std::runtime_error("unknown type " + name);
    return *t;
}

// Quantizes rows of f32 weights to `type`, returning the bytes and the dequantized values.
std::vector<uint8_t> quantize(GgmlType type, const std::vector<float>& w, int64_t rows, int64_t cols,
                              std::vector<float>& deq) {
    const size_t rb = row_bytes(type_traits(type), static_cast<uint64_t>(cols));
    std::vector<uint8_t> q(rb * static_cast<size_t>(rows));
    const auto& f = quant::quant_format(type);
    deq.resize(w.size());
    for (int64_t r = 0; r < rows; ++r) {
        f.quantize_row(w.data() + r * cols, q.data() + r * rb, static_cast<size_t>(cols));
        kernels::dequantize_row(type)(q.data() + r * rb, deq.data() + r * cols, static_cast<size_t>(cols));
    }
    return q;
}

int run(int argc, char** argv) {
    if (argc < 4) throw std::runtime_error("usage: webgpu_op_reference OP IN OUT ARGS...");
    const std::string op = argv[1];
    std::ifstream in(argv[2], std::ios::binary);
    Reader r{std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {})};
    std::ofstream out(argv[3], std::ios::binary);
    auto arg = [&](int i) -> std::string {
        if (i + 4 >= argc) throw std::runtime_error("missing argument " + std::to_string(i));
        return argv[i + 4];
    };
    auto iarg = [&](int i) { return std::stoll(arg(i)); };
    backend::CpuBackend cpu(1);

    if (op == "matmul" || op == "get_rows") {
        const GgmlType type = type_arg(arg(0));
        const int64_t rows = iarg(1), cols = iarg(2), n = iarg(3);
        const auto w = r.take<float>(static_cast<size_t>(rows * cols));
        std::vector<float> deq;
        const auto q = quantize(type, w, rows, cols, deq);
        put(out, q);
        if (op == "matmul") {
            auto x = r.take<float>(static_cast<size_t>(n * cols));
            if (type == GgmlType::F16)
                for (float& v : x) v = fp16_to_fp32(fp32_to_fp16(v));
            std::vector<float> y(static_cast<size_t>(n * rows));
            for (int64_t t = 0; t < n; ++t)
                for (int64_t o = 0; o < rows; ++o) {
                    double s = 0.0;
                    for (int64_t i = 0; i < cols; ++i)
                        s += static_cast<double>(deq[o * cols + i]) * static_cast<double>(x[t * cols + i]);
                    y[t * rows + o] = static_cast<float>(s);
                }
            put(out, y);
        } else {
            const auto ids = r.take<int32_t>(static_cast<size_t>(n));
            model::Matrix m;
            m.type = type, m.rows = rows, m.cols = cols, m.data = q.data();
            m.row_bytes = row_bytes(type_traits(type), static_cast<uint64_t>(cols));
            std::vector<float> y(static_cast<size_t>(n * cols));
            cpu.get_rows(m, ids.data(), n, y.data());
            put(out, y);
        }
    } else if (op == "rmsnorm") {
        const int64_t dim = iarg(0), n = iarg(1);
        const float eps = std::stof(arg(2));
        const auto x = r.take<float>(static_cast<size_t>(n * dim));
        const auto w = r.take<float>(static_cast<size_t>(dim));
        std::vector<float> y(x.size());
        cpu.rmsnorm(x.data(), w.data(), n, dim, eps, y.data());
        put(out, y);
    } else if (op == "rope") {
        const int64_t n = iarg(0), heads = iarg(1), head_dim = iarg(2);
        backend::RopeParams p;
        p.n_rot = static_cast<int>(iarg(3));
        p.style = iarg(4) != 0 ? model::RopeStyle::Neox : model::RopeStyle::Norm;
        p.base = std::stof(arg(5));
        p.freq_scale = std::stof(arg(6));
        auto x = r.take<float>(static_cast<size_t>(n * heads * head_dim));
        const auto pos = r.take<int32_t>(static_cast<size_t>(n));
        cpu.rope(x.data(), n, heads, head_dim, pos.data(), p);
        put(out, x);
    } else if (op == "attention") {
        const int64_t n_ctx = iarg(0), n = iarg(1), heads = iarg(2), kv_heads = iarg(3), head_dim = iarg(4);
        const GgmlType kv_type = type_arg(arg(5));
        model::HParams h;
        h.n_layers = 1, h.n_heads = static_cast<uint32_t>(heads),
        h.n_kv_heads = static_cast<uint32_t>(kv_heads);
        h.head_dim = static_cast<uint32_t>(head_dim), h.dim = h.n_heads * h.head_dim;
        const int64_t kv_dim = kv_heads * head_dim;
        const auto k = r.take<float>(static_cast<size_t>(n_ctx * kv_dim));
        const auto v = r.take<float>(static_cast<size_t>(n_ctx * kv_dim));
        const auto q = r.take<float>(static_cast<size_t>(n * heads * head_dim));
        const auto pos = r.take<int32_t>(static_cast<size_t>(n));
        model::KvCache kv(h, static_cast<uint32_t>(n_ctx), kv_type);
        std::vector<int32_t> all(static_cast<size_t>(n_ctx));
        for (int64_t i = 0; i < n_ctx; ++i) all[static_cast<size_t>(i)] = static_cast<int32_t>(i);
        cpu.kv_store(kv, 0, all.data(), n_ctx, k.data(), v.data());
        std::vector<float> o(q.size());
        cpu.attention(q.data(), kv, 0, pos.data(), n, heads, kv_heads, head_dim,
                      1.0f / std::sqrt(static_cast<float>(head_dim)), o.data());
        put(out, o);
    } else if (op == "swiglu" || op == "add") {
        const int64_t n = iarg(0);
        auto a = r.take<float>(static_cast<size_t>(n));
        const auto b = r.take<float>(static_cast<size_t>(n));
        if (op == "swiglu")
            cpu.swiglu(a.data(), b.data(), n);
        else
            cpu.add(a.data(), b.data(), n);
        put(out, a);
    } else if (op == "add_bias") {
        const int64_t n = iarg(0), dim = iarg(1);
        auto a = r.take<float>(static_cast<size_t>(n * dim));
        const auto b = r.take<float>(static_cast<size_t>(dim));
        cpu.add_bias(a.data(), b.data(), n, dim);
        put(out, a);
    } else {
        throw std::runtime_error("unknown op " + op);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "webgpu_op_reference: " << e.what() << '\n';
        return 1;
    }
}
