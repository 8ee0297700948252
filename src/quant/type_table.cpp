// Block geometry of every ggml type (ggml-common.h's block structs, sizes in bytes).
#include "quant/type_table.h"

#include <array>
#include <cctype>

#include "core/error.h"

namespace chord {
namespace {

constexpr uint32_t kQK = 256;  // K-quant and IQ super-block size

// `computable`: the type has reference quantize / dequantize code (quant/quant_table.h) and a dot
// product (kernels/ref); Q8_1 and Q8_K have the former only, being activation formats.
constexpr std::array kTypes = {
    TypeTraits{GgmlType::F32, "f32", 1, 4, true},
    TypeTraits{GgmlType::F16, "f16", 1, 2, true},
    TypeTraits{GgmlType::Q4_0, "q4_0", 32, 2 + 16, true},
    TypeTraits{GgmlType::Q4_1, "q4_1", 32, 2 + 2 + 16, true},
    TypeTraits{GgmlType::Q5_0, "q5_0", 32, 2 + 4 + 16, true},
    TypeTraits{GgmlType::Q5_1, "q5_1", 32, 2 + 2 + 4 + 16, true},
    TypeTraits{GgmlType::Q8_0, "q8_0", 32, 2 + 32, true},
    TypeTraits{GgmlType::Q8_1, "q8_1", 32, 2 + 2 + 32, false},
    TypeTraits{GgmlType::Q2_K, "q2_K", kQK, kQK / 16 + kQK / 4 + 2 + 2, true},
    TypeTraits{GgmlType::Q3_K, "q3_K", kQK, kQK / 8 + kQK / 4 + 12 + 2, true},
    TypeTraits{GgmlType::Q4_K, "q4_K", kQK, 2 + 2 + 12 + kQK / 2, true},
    TypeTraits{GgmlType::Q5_K, "q5_K", kQK, 2 + 2 + 12 + kQK / 8 + kQK / 2, true},
    TypeTraits{GgmlType::Q6_K, "q6_K", kQK, kQK / 2 + kQK / 4 + kQK / 16 + 2, true},
    TypeTraits{GgmlType::Q8_K, "q8_K", kQK, 4 + kQK + kQK / 16 * 2, false},
    TypeTraits{GgmlType::IQ2_XXS, "iq2_xxs", kQK, 2 + kQK / 8 * 2, false},
    TypeTraits{GgmlType::IQ2_XS, "iq2_xs", kQK, 2 + kQK / 8 * 2 + kQK / 32, false},
    TypeTraits{GgmlType::IQ3_XXS, "iq3_xxs", kQK, 2 + 3 * kQK / 8, false},
    TypeTraits{GgmlType::IQ1_S, "iq1_s", kQK, 2 + kQK / 8 + kQK / 16, false},
    TypeTraits{GgmlType::IQ4_NL, "iq4_nl", 32, 2 + 16, true},
    TypeTraits{GgmlType::IQ3_S, "iq3_s", kQK, 2 + kQK / 4 + kQK / 32 + kQK / 8 + 4, false},
    TypeTraits{GgmlType::IQ2_S, "iq2_s", kQK, 2 + kQK / 4 + kQK / 16, false},
    TypeTraits{GgmlType::IQ4_XS, "iq4_xs", kQK, 2 + 2 + kQK / 64 + kQK / 2, true},
    TypeTraits{GgmlType::I8, "i8", 1, 1, false},
    TypeTraits{GgmlType::I16, "i16", 1, 2, false},
    TypeTraits{GgmlType::I32, "i32", 1, 4, false},
    TypeTraits{GgmlType::I64, "i64", 1, 8, false},
    TypeTraits{GgmlType::F64, "f64", 1, 8, false},
    TypeTraits{GgmlType::IQ1_M, "iq1_m", kQK, kQK / 8 + kQK / 16 + kQK / 32, false},
    TypeTraits{GgmlType::BF16, "bf16", 1, 2, true},
    TypeTraits{GgmlType::TQ1_0, "tq1_0", kQK, (kQK - 4 * kQK / 64) / 5 + kQK / 64 + 2, false},
    TypeTraits{GgmlType::TQ2_0, "tq2_0", kQK, 2 + kQK / 4, false},
    TypeTraits{GgmlType::MXFP4, "mxfp4", 32, 1 + 16, false},
    TypeTraits{GgmlType::NVFP4, "nvfp4", 64, 4 + 32, false},
    TypeTraits{GgmlType::Q1_0, "q1_0", 128, 2 + 128 / 8, false},
    TypeTraits{GgmlType::Q2_0, "q2_0", 64, 2 + 64 / 4, false},
};

}  // namespace

const TypeTraits* find_type_traits(uint32_t id) {
    for (const auto& t : kTypes)
        if (static_cast<uint32_t>(t.type) == id) return &t;
    return nullptr;
}

const TypeTraits& type_traits(GgmlType type) {
    const TypeTraits* t = find_type_traits(static_cast<uint32_t>(type));
    if (t == nullptr)
        throw Error(ErrorCode::InvalidArgument,
                    "unknown ggml type id " + std::to_string(static_cast<uint32_t>(type)));
    return *t;
}

std::optional<GgmlType> type_from_name(std::string_view name) {
    for (const auto& t : kTypes) {
        if (t.name.size() != name.size()) continue;
        bool same = true;
        for (size_t i = 0; i < name.size() && same; ++i)
            same = std::tolower(static_cast<unsigned char>(t.name[i])) ==
                   std::tolower(static_cast<unsigned char>(name[i]));
        if (same) return t.type;
    }
    return std::nullopt;
}

}  // namespace chord
