// Llama-family hyper-parameters from GGUF metadata, as src/model/hparams.cpp reads them. Architectures
// the CPU backend runs but this backend does not (qwen3: per-head q/k norms) throw WebGpuUnavailable, so
// callers fall back to the CPU backend.
import { WebGpuUnavailable } from './device.js';

const ARCHS = ['llama', 'qwen2'];

export function readHParams(meta) {
    const get = (k) => {
        if (!meta.has(k)) throw new Error(`GGUF: missing key '${k}'`);
        return meta.get(k);
    };
    const opt = (k, d) => (meta.has(k) ? meta.get(k) : d);
    const arch = get('general.architecture');
    if (!ARCHS.includes(arch))
        throw new WebGpuUnavailable(`architecture '${arch}' is not supported by the WebGPU backend (${ARCHS.join(', ')})`);
    const a = arch;
    const h = { arch };
    h.dim = get(`${a}.embedding_length`);
    h.nLayers = get(`${a}.block_count`);
    h.nHeads = get(`${a}.attention.head_count`);
    h.nKvHeads = opt(`${a}.attention.head_count_kv`, h.nHeads);
    h.ffn = get(`${a}.feed_forward_length`);
    h.nCtxTrain = get(`${a}.context_length`);
    h.rmsEps = get(`${a}.attention.layer_norm_rms_epsilon`);
    h.ropeBase = opt(`${a}.rope.freq_base`, 10000);
    h.headDim = opt(`${a}.attention.key_length`, Math.floor(h.dim / h.nHeads));
    if (opt(`${a}.attention.value_length`, h.headDim) !== h.headDim) throw new Error('key and value head sizes differ');
    h.nRot = opt(`${a}.rope.dimension_count`, h.headDim);
    if (h.nHeads % h.nKvHeads !== 0) throw new Error('head count is not a multiple of the kv head count');
    if (h.headDim % 2 !== 0 || h.nRot > h.headDim || h.nRot % 2 !== 0) throw new Error('head size / rope dimensions are not usable');
    if (h.headDim > 256) throw new Error(`head size ${h.headDim} is above the WebGPU backend's 256`);
    if (h.headDim % 8 !== 0) throw new WebGpuUnavailable(`head size ${h.headDim} is not a multiple of 8 (the attention shader reads keys 16 bytes at a time)`);
    h.neox = arch !== 'llama';
    // As llama.cpp: a missing type is linear, a missing or zero factor is 1, "none" ignores the factor.
    const scaling = opt(`${a}.rope.scaling.type`, 'linear');
    h.ropeFreqScale = 1;
    if (scaling === 'linear') {
        const factor = opt(`${a}.rope.scaling.factor`, opt(`${a}.rope.scale_linear`, 0));
        if (!(factor >= 0) || !Number.isFinite(factor)) throw new Error('the RoPE scaling factor must be positive');
        if (factor !== 0) h.ropeFreqScale = 1 / factor;
    } else if (scaling !== 'none') throw new Error(`RoPE scaling '${scaling}' is not supported (none, linear)`);
    const tokens = meta.get('tokenizer.ggml.tokens');
    h.nVocab = opt(`${a}.vocab_size`, tokens ? tokens.length : 0);
    if (!h.nVocab) throw new Error('the vocabulary size is unknown');
    h.qDim = h.nHeads * h.headDim;
    h.kvDim = h.nKvHeads * h.headDim;
    return h;
}
