// The Llama-family forward pass (see llama.h). Shapes: n = tokens in the batch, d = dim,
// hq = n_heads * head_dim, hkv = n_kv_heads * head_dim, f = ffn, V = vocabulary.
#include "model/llama.h"

#include <cmath>

#include "core/error.h"

namespace chord::model {

ForwardState::ForwardState(const HParams& h, int64_t max_tokens_) : max_tokens(max_tokens_) {
    const auto n = static_cast<size_t>(max_tokens_);
    x.resize(n * h.dim);
    xb.resize(n * h.dim);
    xb2.resize(n * h.dim);
    q.resize(n * h.q_dim());
    k.resize(n * h.kv_dim());
    v.resize(n * h.kv_dim());
    att.resize(n * h.q_dim());
    hb.resize(n * h.ffn);
    hb2.resize(n * h.ffn);
}

namespace {

// ============================== one transformer block ==============================

void attention_block(const Model& m, backend::Backend& be, KvCache& kv, ForwardState& s, uint32_t l,
                     const int32_t* positions, int64_t n) {
    const HParams& h = m.hparams();
    const LayerWeights& w = m.weights().layers[l];
    const int64_t d = h.dim, hq = h.q_dim(), hkv = h.kv_dim();

    be.rmsnorm(s.x.data(), w.attn_norm.data(), n, d, h.rms_eps, s.xb.data());  // xb (n, d)
    be.matmul(w.wq, s.xb.data(), n, s.q.data());                               // q (n, hq)
    be.matmul(w.wk, s.xb.data(), n, s.k.data());                               // k (n, hkv)
    be.matmul(w.wv, s.xb.data(), n, s.v.data());                               // v (n, hkv)
    if (!w.bq.empty()) be.add_bias(s.q.data(), w.bq.data(), n, hq);
    if (!w.bk.empty()) be.add_bias(s.k.data(), w.bk.data(), n, hkv);
    if (!w.bv.empty()) be.add_bias(s.v.data(), w.bv.data(), n, hkv);
    if (!w.q_norm.empty()) {  // qwen3: every head normed on its own, before RoPE
        be.rmsnorm(s.q.data(), w.q_norm.data(), n * h.n_heads, h.head_dim, h.rms_eps, s.q.data());
        be.rmsnorm(s.k.data(), w.k_norm.data(), n * h.n_kv_heads, h.head_dim, h.rms_eps, s.k.data());
    }

    backend::RopeParams rope;
    rope.style = h.rope_style;
    rope.n_rot = static_cast<int>(h.n_rot);
    rope.base = h.rope_base;
    rope.freq_scale = h.rope_freq_scale;
    rope.freq_factors = m.weights().rope_freqs.empty() ? nullptr : m.weights().rope_freqs.data();
    be.rope(s.q.data(), n, h.n_heads, h.head_dim, positions, rope);     // q (n, n_heads, head_dim)
    be.rope(s.k.data(), n, h.n_kv_heads, h.head_dim, positions, rope);  // k (n, n_kv_heads, head_dim)

    be.kv_store(kv, l, positions, n, s.k.data(), s.v.data());
    const float scale = 1.0f / std::sqrt(static_cast<float>(h.head_dim));
    be.attention(s.q.data(), kv, l, positions, n, h.n_heads, h.n_kv_heads, h.head_dim, scale,
                 s.att.data());                      // att (n, hq)
    be.matmul(w.wo, s.att.data(), n, s.xb2.data());  // xb2 (n, d)
    be.add(s.x.data(), s.xb2.data(), n * d);         // x += attention
}

void ffn_block(const Model& m, backend::Backend& be, ForwardState& s, uint32_t l, int64_t n) {
    const HParams& h = m.hparams();
    const LayerWeights& w = m.weights().layers[l];
    const int64_t d = h.dim, f = h.ffn;

    be.rmsnorm(s.x.data(), w.ffn_norm.data(), n, d, h.rms_eps, s.xb.data());  // xb (n, d)
    be.matmul(w.w_gate, s.xb.data(), n, s.hb.data());                         // hb (n, f)
    be.matmul(w.w_up, s.xb.data(), n, s.hb2.data());                          // hb2 (n, f)
    be.swiglu(s.hb.data(), s.hb2.data(), n * f);                              // hb = silu(hb) * hb2
    be.matmul(w.w_down, s.hb.data(), n, s.xb2.data());                        // xb2 (n, d)
    be.add(s.x.data(), s.xb2.data(), n * d);                                  // x += ffn
}

}  // namespace

// ============================== the whole pass ==============================

void forward(const Model& m, backend::Backend& be, KvCache& kv, ForwardState& s, const int32_t* tokens,
             const int32_t* positions, int64_t n, bool all_logits) {
    const HParams& h = m.hparams();
    if (n <= 0 || n > s.max_tokens)
        throw Error(ErrorCode::InvalidArgument, "batch of " + std::to_string(n) + " tokens (1.." +
                                                    std::to_string(s.max_tokens) + " allowed)");
    for (int64_t t = 0; t < n; ++t)
        if (positions[t] < 0 || static_cast<uint32_t>(positions[t]) >= kv.n_ctx())
            throw Error(ErrorCode::InvalidArgument, "position " + std::to_string(positions[t]) +
                                                        " is outside the context of " +
                                                        std::to_string(kv.n_ctx()));
    const int64_t d = h.dim;

    be.get_rows(m.weights().token_embd, tokens, n, s.x.data());  // x (n, d)
    for (uint32_t l = 0; l < h.n_layers; ++l) {
        attention_block(m, be, kv, s, l, positions, n);
        ffn_block(m, be, s, l, n);
    }

    // Only the rows whose logits are wanted go through the final norm and the vocabulary projection.
    const int64_t n_out = all_logits ? n : 1;
    const float* last = s.x.data() + (n - n_out) * d;
    be.rmsnorm(last, m.weights().output_norm.data(), n_out, d, h.rms_eps, s.xb.data());  // xb (n_out, d)
    s.logits.resize(static_cast<size_t>(n_out) * h.n_vocab);
    be.matmul(m.weights().output, s.xb.data(), n_out, s.logits.data());  // logits (n_out, V)
}

}  // namespace chord::model
