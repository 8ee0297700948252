// Kernel selection (see dispatch.h). Today every type runs its scalar reference
// from kernels/ref; the SIMD variants plug in here, chosen per type from cpuid
// (native) or at build time (wasm).
#include "kernels/dispatch.h"

#include <array>

#include "core/error.h"
#include "kernels/ref/ref_kernels.h"
#include "quant/quant_table.h"

namespace chord::kernels {
namespace {

constexpr size_t kMaxTypeId = 64;

struct Table {
  std::array<MatmulKernel, kMaxTypeId> matmul{};
  std::array<bool, kMaxTypeId> has_matmul{};
};

const Table &table() {
  static const Table t = [] {
    Table out;
    for (uint32_t id = 0; id < kMaxTypeId; ++id) {
      const TypeTraits *traits = find_type_traits(id);
      if (traits == nullptr)
        continue;
      const quant::QuantFormat *format = quant::find_quant_format(traits->type);
      const ref::VecDotFn dot = ref::find_vec_dot(traits->type);
      if (format == nullptr || !format->vec_dot_type || dot == nullptr)
        continue;
      const GgmlType act_type = *format->vec_dot_type;
      MatmulKernel k;
      k.act = &type_traits(act_type);
      k.quantize_act = act_type == GgmlType::F32
                           ? nullptr
                           : quant::quant_format(act_type).quantize_row;
      k.vec_dot = dot;
      out.matmul[id] = k;
      out.has_matmul[id] = true;
    }
    return out;
  }();
  return t;
}

} // namespace

const MatmulKernel &matmul_kernel(GgmlType weight_type) {
  const auto id = static_cast<uint32_t>(weight_type);
  if (id >= kMaxTypeId || !table().has_matmul[id])
    throw Error(ErrorCode::Unsupported,
                "no matrix kernel for tensor type " +
                    std::string(type_traits(weight_type).name));
  return table().matmul[id];
}

DequantizeRow dequantize_row(GgmlType type) {
  return quant::quant_format(type).dequantize_row;
}

const char *kernel_isa() { return "scalar"; }

} // namespace chord::kernels
