// Model quantization (see quantize.h): plan every tensor's type with llama.cpp's rules, then write the
// output with each converted tensor filled while the file is written, its rows split over a thread pool.
#include "model/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.h"
#include "core/thread_pool.h"
#include "gguf/writer.h"
#include "quant/quant_table.h"

namespace chord::model {
namespace {

constexpr uint32_t kQuantizationVersion = 2;  // GGML_QNT_VERSION: the block layouts of this ggml

// A u32 hyper-parameter that some models store per layer as an array: the first layer's value.
uint32_t layer0_u32(const gguf::File& in, const std::string& key, uint32_t fallback) {
    const gguf::Value* v = in.find(key);
    if (v == nullptr) return fallback;
    const gguf::Value first = v->is_array() && v->size() > 0 && v->elem_type() != gguf::ValueType::String &&
                                      v->elem_type() != gguf::ValueType::Array
                                  ? v->element(0)
                                  : *v;
    const auto n = first.to_u64();
    if (!n || *n > std::numeric_limits<uint32_t>::max())
        throw Error(ErrorCode::Format, "metadata key '" + key + "' is not a non-negative 32-bit integer");
    return static_cast<uint32_t>(*n);
}

MixModelFacts model_facts(const gguf::File& in) {
    MixModelFacts f;
    f.arch = in.get_string("general.architecture");
    f.n_layer = in.get_u32(f.arch + ".block_count");
    if (f.n_layer == 0) throw Error(ErrorCode::Format, "'" + f.arch + ".block_count' is 0");
    f.n_head = layer0_u32(in, f.arch + ".attention.head_count", 0);
    f.n_head_kv = layer0_u32(in, f.arch + ".attention.head_count_kv", f.n_head);
    f.n_expert = layer0_u32(in, f.arch + ".expert_count", 0);
    f.has_output = in.find_tensor("output.weight") != nullptr;
    return f;
}

MixTensor mix_tensor(const gguf::TensorInfo& t) {
    MixTensor m;
    m.name = t.name;
    std::copy(t.ne.begin(), t.ne.end(), m.ne.begin());
    m.type = t.type;
    return m;
}

// Converts rows [begin, end) of `t` from `src` to `dst`: each row dequantized to F32 in `scratch`
// (unless it is F32 already) and quantized with the reference quantizer. Runs on pool threads, so it
// neither throws nor allocates: returns the first row holding a NaN or infinity, or -1.
int64_t convert_rows(const gguf::TensorInfo& t, const quant::QuantFormat& src, const quant::QuantFormat& dst,
                     int64_t begin, int64_t end, float* scratch, uint8_t* out) {
    const size_t n = static_cast<size_t>(t.ne[0]);
    // Whole tensors fit in memory (the mapped input, the output buffer), so their offsets fit a size_t.
    const auto src_row = static_cast<size_t>(row_bytes(t.traits(), n));
    const auto dst_row = static_cast<size_t>(row_bytes(type_traits(dst.type), n));
    for (int64_t r = begin; r < end; ++r) {
        const uint8_t* row = t.data.data() + static_cast<size_t>(r) * src_row;
        const float* x = reinterpret_cast<const float*>(row);  // tensor data is 32-byte aligned
        if (t.type != GgmlType::F32) {
            src.dequantize_row(row, scratch, n);
            x = scratch;
        }
        if (!std::all_of(x, x + n, [](float v) { return std::isfinite(v); })) return r;
        dst.quantize_row(x, out + static_cast<size_t>(r) * dst_row, n);
    }
    return -1;
}

}  // namespace

QuantizePlan plan_quantization(const gguf::File& in, const QuantizeOptions& options) {
    QuantizePlan plan;
    plan.mix = &find_quant_mix(options.mix);
    if (in.tensors().empty())
        throw Error(ErrorCode::Missing,
                    "'" + in.origin() + "' has no tensors (a vocabulary-only file?): nothing to quantize");
    const MixModelFacts facts = model_facts(in);

    std::vector<const gguf::TensorInfo*> order;
    for (const auto& t : in.tensors()) order.push_back(&t);
    std::stable_sort(order.begin(), order.end(), [](const gguf::TensorInfo* a, const gguf::TensorInfo* b) {
        return quantize_tensor_order(a->name, b->name);
    });

    MixPlanner planner(*plan.mix, options.pure, facts);
    for (const auto* t : order) planner.count(t->name);
    for (const auto* t : order) {
        const MixPlanner::Choice c = planner.choose(mix_tensor(*t));
        if (c.type != t->type) {
            // Checked here so that nothing is written for a file that cannot be converted.
            if (quant::find_quant_format(t->type) == nullptr)
                throw Error(ErrorCode::Unsupported, "tensor '" + t->name + "' is " +
                                                        std::string(t->traits().name) +
                                                        ", which wasm-chord cannot dequantize");
            if (quant::find_quant_format(c.type) == nullptr)
                throw Error(ErrorCode::Unsupported, "tensor '" + t->name + "' would be " +
                                                        std::string(type_traits(c.type).name) +
                                                        ", which wasm-chord cannot quantize");
        }
        plan.tensors.push_back({t->name, t->type, c.type, c.fell_back});
    }
    return plan;
}

QuantizePlan quantize(const gguf::File& in, const std::string& out_path, const QuantizeOptions& options) {
    // Writing over the input is safe: the writer renames a finished temporary file over it, and the
    // mapped input lives on until it is unmapped.
    QuantizePlan plan = plan_quantization(in, options);

    // llama-quantize copies the metadata in order, then sets these two, which moves them to the end.
    gguf::Writer w(3);
    for (const auto& kv : in.metadata()) w.set(kv.key, kv.value);
    w.remove("general.quantization_version");
    w.remove("general.file_type");
    w.set("general.quantization_version", gguf::Value::scalar<uint32_t>(kQuantizationVersion));
    w.set("general.file_type", gguf::Value::scalar<uint32_t>(plan.mix->file_type));

    ThreadPool pool(options.threads > 0 ? options.threads : default_thread_count());
    for (const TensorPlan& p : plan.tensors) {
        const gguf::TensorInfo& t = in.get_tensor(p.name);
        const std::vector<uint64_t> dims(t.ne.begin(), t.ne.begin() + t.n_dims);
        if (p.to == t.type) {
            w.add_tensor(t.name, dims, t.type, t.data);
            continue;
        }
        const quant::QuantFormat& src = quant::quant_format(t.type);
        const quant::QuantFormat& dst = quant::quant_format(p.to);
        w.add_tensor(t.name, dims, p.to, [&t, &src, &dst, &pool](std::span<uint8_t> out) {
            const auto rows = static_cast<int64_t>(t.rows());
            const auto n_threads = static_cast<size_t>(pool.size());
            std::vector<int64_t> bad(n_threads, -1);
            std::vector<std::vector<float>> scratch(n_threads,
                                                    std::vector<float>(static_cast<size_t>(t.ne[0])));
            pool.run([&](int i) {
                const auto [begin, end] = ThreadPool::split(rows, i, pool.size());
                const auto k = static_cast<size_t>(i);
                bad[k] = convert_rows(t, src, dst, begin, end, scratch[k].data(), out.data());
            });
            for (int64_t r : bad)
                if (r >= 0)
                    throw Error(ErrorCode::Format,
                                "tensor '" + t.name + "' has a NaN or infinity in row " + std::to_string(r));
        });
    }
    try {
        w.write_file(out_path);
    } catch (...) {
        std::remove((out_path + ".partial").c_str());
        throw;
    }
    return plan;
}

}  // namespace chord::model
