// Binding a GGUF file's tensors to the Llama-family weight layout (see model.h).
#include "model/model.h"

#include <cstring>

#include "core/error.h"
#include "core/fp16.h"
#include "kernels/dispatch.h"
#include "model/support.h"

namespace chord::model {
namespace {

std::string shape_of(std::initializer_list<int64_t> dims) {
    std::string s = "[";
    for (int64_t d : dims) s += (s.size() > 1 ? ", " : "") + std::to_string(d);
    return s + "]";
}

class Binder {
  public:
    explicit Binder(const gguf::File& f) : f_(f) {}

    Matrix matrix(const std::string& name, int64_t rows, int64_t cols) const {
        const gguf::TensorInfo& t = f_.get_tensor(name);
        if (t.n_dims > 2 || static_cast<int64_t>(t.ne[0]) != cols || static_cast<int64_t>(t.ne[1]) != rows)
            throw Error(ErrorCode::Format, "tensor '" + name + "' has shape " + t.shape_string() +
                                               ", expected " + shape_of({cols, rows}));
        if (!t.traits().computable)
            throw Error(ErrorCode::Unsupported, "tensor '" + name + "' has type " +
                                                    std::string(t.traits().name) +
                                                    ", which wasm-chord cannot compute yet");
        Matrix m;
        m.name = name;
        m.type = t.type;
        m.rows = rows;
        m.cols = cols;
        m.row_bytes = static_cast<size_t>(row_bytes(t.traits(), static_cast<uint64_t>(cols)));
        m.data = t.data.data();
        return m;
    }

    std::vector<float> vector(const std::string& name, int64_t n) const {
        const gguf::TensorInfo& t = f_.get_tensor(name);
        if (t.n_elements != static_cast<uint64_t>(n) || t.ne[0] != static_cast<uint64_t>(n))
            throw Error(ErrorCode::Format, "tensor '" + name + "' has shape " + t.shape_string() +
                                               ", expected " + shape_of({n}));
        std::vector<float> out(static_cast<size_t>(n));
        const uint8_t* p = t.data.data();
        for (size_t i = 0; i < out.size(); ++i) {
            uint16_t h = 0;
            switch (t.type) {
                case GgmlType::F32:
                    std::memcpy(&out[i], p + 4 * i, 4);
                    break;
                case GgmlType::F16:
                    std::memcpy(&h, p + 2 * i, 2);
                    out[i] = fp16_to_fp32(h);
                    break;
                case GgmlType::BF16:
                    std::memcpy(&h, p + 2 * i, 2);
                    out[i] = bf16_to_fp32(h);
                    break;
                default:
                    throw Error(ErrorCode::Unsupported, "tensor '" + name + "' is a vector of type " +
                                                            std::string(t.traits().name) +
                                                            " (expected f32/f16/bf16)");
            }
        }
        return out;
    }

    std::vector<float> optional_vector(const std::string& name, int64_t n) const {
        return f_.find_tensor(name) != nullptr ? vector(name, n) : std::vector<float>{};
    }

  private:
    const gguf::File& f_;
};

}  // namespace

std::shared_ptr<const Model> Model::load(const std::string& path) {
    return from_file(gguf::File::open(path));
}

std::shared_ptr<const Model> Model::from_file(gguf::File file) {
    std::shared_ptr<Model> m(new Model(std::move(file)));
    const gguf::File& f = m->file_;
    m->hparams_ = read_hparams(f);
    const HParams& h = m->hparams_;
    const Binder bind(f);
    Weights& w = m->weights_;

    const int64_t dim = h.dim, vocab = h.n_vocab, ffn = h.ffn, q_dim = h.q_dim(), kv_dim = h.kv_dim();
    w.token_embd = bind.matrix("token_embd.weight", vocab, dim);
    w.output_norm = bind.vector("output_norm.weight", dim);
    w.output =
        f.find_tensor("output.weight") != nullptr ? bind.matrix("output.weight", vocab, dim) : w.token_embd;
    w.rope_freqs = bind.optional_vector("rope_freqs.weight", h.n_rot / 2);
    w.layers.resize(h.n_layers);
    for (uint32_t l = 0; l < h.n_layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        LayerWeights& L = w.layers[l];
        L.attn_norm = bind.vector(p + "attn_norm.weight", dim);
        L.wq = bind.matrix(p + "attn_q.weight", q_dim, dim);
        L.wk = bind.matrix(p + "attn_k.weight", kv_dim, dim);
        L.wv = bind.matrix(p + "attn_v.weight", kv_dim, dim);
        L.bq = bind.optional_vector(p + "attn_q.bias", q_dim);
        L.bk = bind.optional_vector(p + "attn_k.bias", kv_dim);
        L.bv = bind.optional_vector(p + "attn_v.bias", kv_dim);
        if (h.arch == "qwen3") {
            L.q_norm = bind.vector(p + "attn_q_norm.weight", h.head_dim);
            L.k_norm = bind.vector(p + "attn_k_norm.weight", h.head_dim);
        }
        L.wo = bind.matrix(p + "attn_output.weight", dim, q_dim);
        L.ffn_norm = bind.vector(p + "ffn_norm.weight", dim);
        L.w_gate = bind.matrix(p + "ffn_gate.weight", ffn, dim);
        L.w_up = bind.matrix(p + "ffn_up.weight", ffn, dim);
        L.w_down = bind.matrix(p + "ffn_down.weight", dim, ffn);
    }
    m->pack_for_cpu();
    return m;
}

void Model::pack_for_cpu() {
    const auto pack = [&](Matrix& mat) {
        const kernels::MatmulKernel* k = nullptr;
        try {
            k = &kernels::matmul_kernel(mat.type);
        } catch (const Error&) {
            return;  // no kernel: the forward pass reports it when it gets there
        }
        if (k->repack == nullptr || k->repack_in_place || mat.packed != nullptr) return;
        const size_t bytes = static_cast<size_t>(mat.rows) * mat.row_bytes;
        std::vector<uint8_t> buf(bytes);
        if (!k->repack(mat.data, mat.row_bytes, static_cast<size_t>(mat.rows), static_cast<size_t>(mat.cols),
                       buf.data()))
            return;
        mat.packed = buf.data();
        packed_.push_back(std::move(buf));
        packed_bytes_ += bytes;
        // The token embedding (when tied to the output) is still read row by row from the file.
        if (mat.data != weights_.token_embd.data) file_.source()->release(mat.data, bytes);
    };
    for (LayerWeights& L : weights_.layers)
        for (Matrix* mat : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) pack(*mat);
    pack(weights_.output);
}

void Model::pack_in_place() {
    const auto pack = [&](Matrix& mat) {
        const kernels::MatmulKernel* k = nullptr;
        try {
            k = &kernels::matmul_kernel(mat.type);
        } catch (const Error&) {
            return;
        }
        if (k->repack == nullptr || !k->repack_in_place || mat.packed != nullptr) return;
        if (mat.data == weights_.token_embd.data) return;  // get_rows reads it in the file's layout
        const size_t bytes = static_cast<size_t>(mat.rows) * mat.row_bytes;
        uint8_t* w = file_.source()->writable(mat.data, bytes);
        if (w == nullptr ||
            !k->repack(w, mat.row_bytes, static_cast<size_t>(mat.rows), static_cast<size_t>(mat.cols), w))
            return;
        mat.packed = mat.data;
        packed_in_place_bytes_ += bytes;
    };
    for (LayerWeights& L : weights_.layers)
        for (Matrix* mat : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) pack(*mat);
    pack(weights_.output);
}

}  // namespace chord::model
