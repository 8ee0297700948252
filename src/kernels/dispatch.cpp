// Kernel selection (see dispatch.h): the variants this build has, which of them the CPU runs (cpuid and
// the OS's saved-register mask natively; the build flags in WebAssembly), and per variant a table that
// falls back type by type to the next lower variant and finally to the scalar references. Compiled for
// the baseline ISA: nothing here runs a variant's instructions.
#include "kernels/dispatch.h"

#include <array>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/variants.h"
#include "kernels/vector_ops.h"
#include "quant/quant_table.h"

#if defined(CHORD_KERNELS_X86)
#include <cpuid.h>
#endif

namespace chord::kernels {
namespace {

constexpr size_t kMaxTypeId = 64;

// The scalar variant: the reference dot products, tiled by plain loops.
template <ref::VecDotFn Dot>
void scalar_tile(size_t n, const void* w, size_t w_stride, size_t n_rows, const void* a, size_t a_stride,
                 size_t n_tokens, float* y, size_t y_stride) {
    const auto* wb = static_cast<const uint8_t*>(w);
    const auto* ab = static_cast<const uint8_t*>(a);
    for (size_t r = 0; r < n_rows; ++r)
        for (size_t t = 0; t < n_tokens; ++t)
            y[t * y_stride + r] = Dot(n, wb + r * w_stride, ab + t * a_stride);
}

#define CHORD_SCALAR(type, fn) \
    { GgmlType::type, ref::fn, scalar_tile<ref::fn> }
constexpr WeightKernels kScalarWeights[] = {
    CHORD_SCALAR(F32, vec_dot_f32_f32),        CHORD_SCALAR(F16, vec_dot_f16_f16),
    CHORD_SCALAR(BF16, vec_dot_bf16_bf16),     CHORD_SCALAR(Q4_0, vec_dot_q4_0_q8_0),
    CHORD_SCALAR(Q4_1, vec_dot_q4_1_q8_1),     CHORD_SCALAR(Q5_0, vec_dot_q5_0_q8_0),
    CHORD_SCALAR(Q5_1, vec_dot_q5_1_q8_1),     CHORD_SCALAR(Q8_0, vec_dot_q8_0_q8_0),
    CHORD_SCALAR(Q2_K, vec_dot_q2_K_q8_K),     CHORD_SCALAR(Q3_K, vec_dot_q3_K_q8_K),
    CHORD_SCALAR(Q4_K, vec_dot_q4_K_q8_K),     CHORD_SCALAR(Q5_K, vec_dot_q5_K_q8_K),
    CHORD_SCALAR(Q6_K, vec_dot_q6_K_q8_K),     CHORD_SCALAR(IQ4_NL, vec_dot_iq4_nl_q8_0),
    CHORD_SCALAR(IQ4_XS, vec_dot_iq4_xs_q8_K),
};
#undef CHORD_SCALAR

const Variant kScalarVariant = {"scalar", kScalarWeights, sizeof kScalarWeights / sizeof kScalarWeights[0],
                                nullptr, 0};

#if defined(CHORD_KERNELS_X86)
struct CpuFeatures {
    bool avx2 = false;    // AVX2 + FMA + F16C, with the OS saving ymm registers
    bool avx512 = false;  // AVX-512 F/BW/VL/DQ, with the OS saving zmm and mask registers
    bool vnni = false;    // AVX-512 VNNI
};

CpuFeatures detect_cpu() {
    CpuFeatures f;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28), f16c = c & (1u << 29);
    if (!osxsave || !avx) return f;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0x6u) != 0x6u) return f;  // xmm and ymm state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    f.avx2 = fma && f16c && (b & (1u << 5));
    const bool zmm_state = (xcr0_lo & 0xe6u) == 0xe6u;  // plus opmask, zmm0-15 high halves, zmm16-31
    f.avx512 =
        f.avx2 && zmm_state && (b & (1u << 16)) && (b & (1u << 17)) && (b & (1u << 30)) && (b & (1u << 31));
    f.vnni = f.avx512 && (c & (1u << 11));
    return f;
}
#endif

// CHORD_REPACK=0 turns load-time repacking off (for comparisons).
bool repack_enabled() {
    const char* v = std::getenv("CHORD_REPACK");
    return v == nullptr || std::string_view(v) != "0";
}

// The variants this build has and this CPU runs, best first, ending with the scalar one.
std::vector<const Variant*> runnable_variants() {
    std::vector<const Variant*> out;
#if defined(CHORD_KERNELS_X86)
    const CpuFeatures f = detect_cpu();
    if (f.vnni) out.push_back(&kAvx512VnniVariant);
    if (f.avx512) out.push_back(&kAvx512Variant);
    if (f.avx2) out.push_back(&kAvx2Variant);
#endif
#if defined(CHORD_KERNELS_SIMD128)
    out.push_back(&kSimd128Variant);
#endif
    out.push_back(&kScalarVariant);
    return out;
}

const WeightKernels* own_weights(const Variant& v, GgmlType type) {
    for (size_t i = 0; i < v.n_weights; ++i)
        if (v.weights[i].type == type) return &v.weights[i];
    return nullptr;
}

QuantizeRow own_quantizer(const Variant& v, GgmlType type) {
    for (size_t i = 0; i < v.n_quantizers; ++i)
        if (v.quantizers[i].type == type) return v.quantizers[i].quantize;
    return nullptr;
}

// One variant's view: its own kernels, and the kernels it runs after falling back type by type.
struct Level {
    const char* isa = nullptr;
    std::array<MatmulKernel, kMaxTypeId> own{};
    std::array<bool, kMaxTypeId> has_own{};
    std::array<MatmulKernel, kMaxTypeId> best{};
    std::array<bool, kMaxTypeId> has_best{};
};

struct Tables {
    std::vector<Level> levels;  // as runnable_variants()
    size_t chosen = 0;          // the level matmul_kernel() uses
};

// The activation quantizer at `level` or below (the reference one when no variant has its own).
QuantizeRow act_quantizer(const std::vector<const Variant*>& variants, size_t level, GgmlType act) {
    if (act == GgmlType::F32) return nullptr;
    for (size_t l = level; l < variants.size(); ++l)
        if (QuantizeRow q = own_quantizer(*variants[l], act)) return q;
    return quant::quant_format(act).quantize_row;
}

Tables build_tables() {
    const std::vector<const Variant*> variants = runnable_variants();
    Tables t;
    t.levels.resize(variants.size());
    for (size_t l = 0; l < variants.size(); ++l) {
        Level& level = t.levels[l];
        level.isa = variants[l]->isa;
        for (uint32_t id = 0; id < kMaxTypeId; ++id) {
            const TypeTraits* traits = find_type_traits(id);
            if (traits == nullptr) continue;
            const quant::QuantFormat* format = quant::find_quant_format(traits->type);
            if (format == nullptr || !format->vec_dot_type) continue;
            const GgmlType act = *format->vec_dot_type;
            for (size_t from = l; from < variants.size(); ++from) {
                const WeightKernels* w = own_weights(*variants[from], traits->type);
                if (w == nullptr) continue;
                MatmulKernel k{&type_traits(act),
                               act_quantizer(variants, l, act),
                               w->vec_dot,
                               w->tile,
                               w->tile,
                               variants[from]->isa,
                               variants[from]->isa};
                for (size_t pv = l; pv < variants.size(); ++pv) {
                    const WeightKernels* p = own_weights(*variants[pv], traits->type);
                    if (p != nullptr && p->repack != nullptr && repack_enabled()) {
                        k.repack = p->repack;
                        k.packed_tile = p->packed_tile;
                        k.packed_isa = variants[pv]->isa;
                        k.repack_in_place = p->repack_in_place;
                        break;
                    }
                }
                for (size_t mv = l; mv < variants.size(); ++mv) {
                    const WeightKernels* m = own_weights(*variants[mv], traits->type);
                    if (m != nullptr && m->matvec != nullptr) {
                        k.matvec = m->matvec;
                        k.matvec_isa = variants[mv]->isa;
                        break;
                    }
                }
                if (from == l) {
                    level.own[id] = k;
                    level.has_own[id] = true;
                }
                level.best[id] = k;
                level.has_best[id] = true;
                break;
            }
        }
    }
    if (const char* cap = std::getenv("CHORD_KERNELS"); cap != nullptr && *cap != '\0') {
        bool found = false;
        std::string names;
        for (size_t l = 0; l < t.levels.size(); ++l) {
            names += (l ? ", " : "") + std::string(t.levels[l].isa);
            if (std::string_view(cap) == t.levels[l].isa) {
                t.chosen = l;
                found = true;
            }
        }
        if (!found)
            throw Error(ErrorCode::InvalidArgument, "CHORD_KERNELS=" + std::string(cap) +
                                                        " is not a kernel variant this CPU runs (" + names +
                                                        ")");
    }
    return t;
}

const Tables& tables() {
    static const Tables t = build_tables();
    return t;
}

const Level* find_level(std::string_view isa) {
    for (const Level& l : tables().levels)
        if (isa == l.isa) return &l;
    return nullptr;
}

}  // namespace

const MatmulKernel& matmul_kernel(GgmlType weight_type) {
    const auto id = static_cast<uint32_t>(weight_type);
    const Level& level = tables().levels[tables().chosen];
    if (id >= kMaxTypeId || !level.has_best[id])
        throw Error(ErrorCode::Unsupported,
                    "no matrix kernel for tensor type " + std::string(type_traits(weight_type).name));
    return level.best[id];
}

DequantizeRow dequantize_row(GgmlType type) {
    return quant::quant_format(type).dequantize_row;
}

namespace {

constexpr VectorKernels kScalarVector = {
    ref::attn_dot_f16,  ref::attn_dot_f32, ref::attn_exp_sum, ref::attn_axpy_f16,
    ref::attn_axpy_f32, ref::swiglu,       "scalar"};

const VectorKernels* own_vector(std::string_view isa) {
    if (isa == "scalar") return &kScalarVector;
#if defined(CHORD_KERNELS_X86)
    if (isa == "avx2") return &kAvx2Vector;
#endif
#if defined(CHORD_KERNELS_SIMD128)
    if (isa == "simd128") return &kSimd128Vector;
#endif
    return nullptr;
}

}  // namespace

const VectorKernels& vector_kernels() {
    static const VectorKernels* chosen = [] {
        const std::vector<Level>& levels = tables().levels;
        for (size_t l = tables().chosen; l < levels.size(); ++l)
            if (const VectorKernels* k = own_vector(levels[l].isa)) return k;
        return &kScalarVector;
    }();
    return *chosen;
}

const VectorKernels* find_vector_kernels(const char* isa) {
    if (find_level(isa) == nullptr) return nullptr;
    return own_vector(isa);
}

const char* kernel_isa() {
    return tables().levels[tables().chosen].isa;
}

std::vector<std::string_view> kernel_isas() {
    std::vector<std::string_view> out;
    for (const Level& l : tables().levels) out.emplace_back(l.isa);
    return out;
}

const MatmulKernel* find_matmul_kernel(GgmlType weight_type, std::string_view isa) {
    const auto id = static_cast<uint32_t>(weight_type);
    const Level* level = find_level(isa);
    if (level == nullptr || id >= kMaxTypeId || !level->has_own[id]) return nullptr;
    return &level->own[id];
}

QuantizeRow find_act_quantizer(GgmlType act_type, std::string_view isa) {
    for (const Variant* v : runnable_variants())
        if (isa == v->isa) return own_quantizer(*v, act_type);
    return nullptr;
}

}  // namespace chord::kernels
