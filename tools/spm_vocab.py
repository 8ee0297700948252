#!/usr/bin/env python3
"""A small SentencePiece-style (BPE) vocabulary builder and tokenizer, written for the demo model.

The vocabulary is meant for GGUF's `tokenizer.ggml.model = "llama"` and follows the conventions that
llama.cpp's SPM tokenizer (and wasm-chord's) expects:
  id 0 `<unk>` (type 2, unknown), 1 `<s>` and 2 `</s>` (type 3, control), 3..258 the byte-fallback
  pieces `<0x00>`..`<0xFF>` (type 6, byte), then normal pieces (type 1): single characters, then the
  merged pieces in the order they were learnt. Spaces are written as U+2581 ('▁') and a '▁' is put in
  front of the text (add_space_prefix).
Scores: a merged piece learnt as the r-th merge scores -(r + 1); single characters score below every
merge; special and byte pieces score 0. The SPM tokenizer merges the adjacent pair with the highest
score first (leftmost on ties) and only into pieces of the vocabulary, then maps characters that are
not pieces to their UTF-8 byte pieces. `Tokenizer.encode` below does exactly that, so the training
data is tokenized the way llama.cpp and wasm-chord tokenize it at run time.

Pieces never contain '\\n' (newlines are always the byte piece <0x0A>) and contain '▁' either not at
all, only at their start, or only (runs of spaces). Therefore no piece spans the boundary before a
'▁' that follows another character, nor a newline, and the text can be cut there into segments that
are tokenized independently (and cached) with the same result as tokenizing it whole.
"""
import collections
import heapq
import json
import re
import sys

SPACE = "\u2581"
SEGMENT = re.compile("\n|" + SPACE + "+[^" + SPACE + "\n]*|[^" + SPACE + "\n]+")
N_SPECIAL = 3
N_BYTES = 256


def escape(text):
    return SPACE + text.replace(" ", SPACE)


def segments(text):
    return SEGMENT.findall(escape(text))


def valid_piece(s):
    if "\n" in s:
        return False
    if SPACE not in s:
        return True
    if s.strip(SPACE) == "":
        return True
    return s[0] == SPACE and SPACE not in s[1:]


def build(text, vocab_size, min_char_count=20, log=None):
    """Learns a vocabulary of vocab_size pieces from text; returns (pieces, scores, types)."""
    words = collections.Counter(s for s in segments(text) if s != "\n")
    chars = collections.Counter()
    for w, c in words.items():
        for ch in w:
            chars[ch] += c
    alphabet = [ch for ch, c in sorted(chars.items(), key=lambda x: (-x[1], x[0])) if c >= min_char_count]
    alpha = set(alphabet)
    n_merges = vocab_size - N_SPECIAL - N_BYTES - len(alphabet)
    if n_merges <= 0:
        raise ValueError("vocab_size too small for the alphabet")

    wlist = [list(w) for w in words]
    wcount = [words[w] for w in words]
    pair_count = collections.Counter()
    pair_where = collections.defaultdict(set)

    def ok(a, b):
        return a in known and b in known and valid_piece(a + b)

    known = set(alpha)

    changed = set()

    def add_pairs(i, sign):
        sym = wlist[i]
        c = wcount[i] * sign
        for j in range(len(sym) - 1):
            a, b = sym[j], sym[j + 1]
            if ok(a, b):
                pair_count[(a, b)] += c
                changed.add((a, b))
                if sign > 0:
                    pair_where[(a, b)].add(i)

    for i in range(len(wlist)):
        add_pairs(i, 1)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    changed.clear()

    merged = []  # new pieces in order
    merged_set = set()
    while len(merged) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        if pair_count.get(pair, 0) != -negc or -negc <= 0:
            continue  # stale heap entry (the count changed and was pushed again)
        a, b = pair
        ab = a + b
        if ab not in merged_set and ab not in alpha:
            merged.append(ab)
            merged_set.add(ab)
            known.add(ab)
        for i in sorted(pair_where.pop(pair, ())):
            sym = wlist[i]
            add_pairs(i, -1)
            out = []
            j = 0
            while j < len(sym):
                if j + 1 < len(sym) and sym[j] == a and sym[j + 1] == b:
                    out.append(ab)
                    j += 2
                else:
                    out.append(sym[j])
                    j += 1
            wlist[i] = out
            add_pairs(i, 1)
        pair_count.pop(pair, None)
        changed.discard(pair)
        for p in sorted(changed):
            c = pair_count.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
        changed.clear()
        if log and len(merged) % 500 == 0:
            log(f"spm_vocab: {len(merged)} / {n_merges} merges")

    pieces = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + alphabet + merged
    scores = [0.0] * (N_SPECIAL + N_BYTES)
    scores += [float(-(len(merged) + 1 + k)) for k in range(len(alphabet))]
    scores += [float(-(r + 1)) for r in range(len(merged))]
    types = [2, 3, 3] + [6] * 256 + [1] * (len(alphabet) + len(merged))
    return pieces, scores, types


class Tokenizer:
    """llama.cpp's SPM tokenization (as in llm_tokenizer_spm) over this module's vocabularies."""

    def __init__(self, pieces, scores, types):
        self.pieces, self.scores, self.types = pieces, scores, types
        self.ids = {p: i for i, p in enumerate(pieces) if types[i] == 1}
        self.byte_ids = {int(p[3:5], 16): i for i, p in enumerate(pieces) if types[i] == 6}
        self.cache = {}

    def _segment(self, seg):
        ids = self.cache.get(seg)
        if ids is not None:
            return ids
        text = list(seg)
        n = len(text)
        prev = list(range(-1, n - 1))
        nxt = list(range(1, n + 1))
        nxt[-1] = -1
        heap = []

        def try_add(left, right):
            if left < 0 or right < 0:
                return
            s = text[left] + text[right]
            i = self.ids.get(s)
            if i is not None:
                heapq.heappush(heap, (-self.scores[i], left, len(s), right))

        for k in range(n - 1):
            try_add(k, k + 1)
        while heap:
            _, left, size, right = heapq.heappop(heap)
            if not text[left] or not text[right] or len(text[left]) + len(text[right]) != size:
                continue
            if nxt[left] != right:
                continue
            text[left] += text[right]
            text[right] = ""
            nxt[left] = nxt[right]
            if nxt[right] >= 0:
                prev[nxt[right]] = left
            try_add(prev[left], left)
            try_add(left, nxt[left])
        ids = []
        k = 0
        while k >= 0 and k < n:
            t = text[k]
            i = self.ids.get(t)
            if i is not None:
                ids.append(i)
            else:
                ids.extend(self.byte_ids[b] for b in t.encode("utf-8"))
            k = nxt[k]
        self.cache[seg] = ids
        return ids

    def encode(self, text):
        out = []
        for seg in segments(text):
            out.extend(self._segment(seg))
        return out

    def decode(self, ids):
        bs = bytearray()
        for i in ids:
            if self.types[i] == 6:
                bs.append(int(self.pieces[i][3:5], 16))
            elif self.types[i] == 1:
                bs.extend(self.pieces[i].replace(SPACE, " ").encode("utf-8"))
        s = bs.decode("utf-8", errors="replace")
        return s[1:] if s.startswith(" ") else s


def save(path, pieces, scores, types):
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"pieces": pieces, "scores": scores, "types": types}, f, ensure_ascii=False)


def load(path):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    return d["pieces"], d["scores"], d["types"]


if __name__ == "__main__":
    # spm_vocab.py TRAIN_TEXT VOCAB_SIZE OUT.json
    import time
    t0 = time.time()
    text = open(sys.argv[1], encoding="utf-8").read()
    p, s, t = build(text, int(sys.argv[2]), log=lambda m: print(m, file=sys.stderr))
    save(sys.argv[3], p, s, t)
    tok = Tokenizer(p, s, t)
    ids = tok.encode(text)
    assert tok.decode(ids) == text, "round trip failed"
    print(f"spm_vocab: {len(p)} pieces, {len(text)} chars -> {len(ids)} tokens "
          f"({len(text) / len(ids):.2f} chars/token) in {time.time() - t0:.1f} s")
