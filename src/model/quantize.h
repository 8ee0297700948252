// model::quantize: converts a GGUF model to one of llama.cpp's quantization mixes, writing the file
// llama-quantize writes for the same input (without an importance matrix): the same tensor order,
// per-tensor types (model/quant_mix.h), bytes (the reference quantizers in quant/) and metadata, with
// general.quantization_version and general.file_type set. Input tensors may be of any type wasm-chord
// can dequantize; they go through F32 first. Rows are quantized in parallel on a thread pool, one
// tensor at a time, so memory stays at one tensor beyond the mapped input.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "model/quant_mix.h"

namespace chord::model {

struct QuantizeOptions {
    std::string mix = "Q8_0";  // a llama-quantize type name (model/quant_mix.h)
    bool pure = false;         // every quantizable matrix in the mix's type (llama-quantize --pure)
    int threads = 0;           // 0: default_thread_count()
};

struct TensorPlan {
    std::string name;
    GgmlType from;
    GgmlType to;
    bool fell_back = false;  // the mix's type did not fit the row length (see MixPlanner)
};

struct QuantizePlan {
    const QuantMix* mix = nullptr;
    std::vector<TensorPlan> tensors;  // in output order
};

// Chooses every tensor's type; throws chord::Error (one line, naming the tensor or key) when the
// model lacks what the rules need or a tensor would have to be converted from or to a type wasm-chord
// has no code for. Nothing is written.
QuantizePlan plan_quantization(const gguf::File& in, const QuantizeOptions& options);

// Plans, then writes `out_path` (through a temporary file, so a failure leaves no partial output).
QuantizePlan quantize(const gguf::File& in, const std::string& out_path, const QuantizeOptions& options);

}  // namespace chord::model
