#!/usr/bin/env python3
"""A minimal GGUF (version 3) writer: metadata and F32 / F16 tensors, for tools/train_demo_model.py.

Format facts (docs/FORMATS.md): little-endian; header "GGUF", u32 version, u64 tensor count, u64
metadata count; each key a string (u64 length + UTF-8 bytes), a u32 value type and the value; then per
tensor its name, u32 dimension count, u64 dimensions (innermost, ne0, first), u32 type and u64 offset
into the data section; the data section starts at the next multiple of general.alignment (32) and each
tensor's data starts at such a multiple too. A PyTorch weight of shape [rows, cols] is ne0 = cols,
ne1 = rows, stored row after row as it is.
"""
import struct

ALIGN = 32
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, \
    T_UINT64, T_INT64, T_FLOAT64 = range(13)
GGML_F32, GGML_F16 = 0, 1


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


class Writer:
    def __init__(self):
        self.kv = []        # encoded key/value records
        self.tensors = []   # (name, shape ne0-first, ggml type, bytes)

    def _add(self, key, vtype, payload):
        self.kv.append(_str(key) + struct.pack("<I", vtype) + payload)

    def add_string(self, key, v):
        self._add(key, T_STRING, _str(v))

    def add_u32(self, key, v):
        self._add(key, T_UINT32, struct.pack("<I", v))

    def add_i32(self, key, v):
        self._add(key, T_INT32, struct.pack("<i", v))

    def add_f32(self, key, v):
        self._add(key, T_FLOAT32, struct.pack("<f", v))

    def add_bool(self, key, v):
        self._add(key, T_BOOL, struct.pack("<B", 1 if v else 0))

    def add_array(self, key, vtype, values):
        head = struct.pack("<IQ", vtype, len(values))
        if vtype == T_STRING:
            body = b"".join(_str(v) for v in values)
        else:
            fmt = {T_FLOAT32: "f", T_INT32: "i", T_UINT32: "I"}[vtype]
            body = struct.pack("<%d%s" % (len(values), fmt), *values)
        self._add(key, T_ARRAY, head + body)

    def add_tensor(self, name, shape_ne, ggml_type, data):
        """shape_ne: dimensions innermost first; data: the raw little-endian bytes."""
        elem = {GGML_F32: 4, GGML_F16: 2}[ggml_type]
        n = 1
        for d in shape_ne:
            n *= d
        assert len(data) == n * elem, (name, shape_ne, len(data))
        self.tensors.append((name, list(shape_ne), ggml_type, data))

    def write(self, path):
        out = bytearray()
        out += b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))
        for rec in self.kv:
            out += rec
        offset = 0
        offsets = []
        for name, shape, gtype, data in self.tensors:
            offsets.append(offset)
            out += _str(name) + struct.pack("<I", len(shape))
            out += struct.pack("<%dQ" % len(shape), *shape)
            out += struct.pack("<IQ", gtype, offset)
            offset += (len(data) + ALIGN - 1) // ALIGN * ALIGN
        out += b"\0" * (-len(out) % ALIGN)
        for (name, shape, gtype, data), off in zip(self.tensors, offsets):
            out += data
            out += b"\0" * (-len(out) % ALIGN)
        with open(path, "wb") as f:
            f.write(out)
        return len(out)


def add_llama_vocab(w, pieces, scores, types, bos=1, eos=2, unk=0):
    w.add_string("tokenizer.ggml.model", "llama")
    w.add_array("tokenizer.ggml.tokens", T_STRING, pieces)
    w.add_array("tokenizer.ggml.scores", T_FLOAT32, scores)
    w.add_array("tokenizer.ggml.token_type", T_INT32, types)
    w.add_u32("tokenizer.ggml.bos_token_id", bos)
    w.add_u32("tokenizer.ggml.eos_token_id", eos)
    w.add_u32("tokenizer.ggml.unknown_token_id", unk)
    w.add_bool("tokenizer.ggml.add_bos_token", True)
    w.add_bool("tokenizer.ggml.add_eos_token", False)


if __name__ == "__main__":
    # gguf_min.py VOCAB.json OUT.gguf: a vocabulary-only GGUF, for tokenizer checks.
    import sys
    import spm_vocab
    p, s, t = spm_vocab.load(sys.argv[1])
    w = Writer()
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", "vocabulary only")
    add_llama_vocab(w, p, s, t)
    w.write(sys.argv[2])
