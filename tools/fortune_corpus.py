#!/usr/bin/env python3
"""Cleans Debian's English fortune-cookie collections into one corpus with a fixed train / held-out split.

Input: the collections under /usr/share/games/fortunes (packages fortunes, fortunes-min,
fortunes-bofh-excuses, fortunes-debian-hints; see tools/make-fortune-corpus.sh). Each collection is a
plain text file with a line holding only '%' between entries.

Cleaning, in this order, per fortune:
  - overstrike sequences ("_\\b" underlining, "X\\bX" bold) are reduced to the printed character;
  - tabs are expanded to 8-column stops, trailing spaces and leading / trailing blank lines removed;
  - fortunes with other control characters (C1 ones too: mojibake), empty ones, and ones over 2,000 characters are dropped;
  - exact duplicates (after cleaning) are dropped, keeping the first.
Order: the collections in sorted order of file name, entries in file order. The fortune with index i
(0-based, after cleaning) goes to the held-out set when i % 20 == 19, to the training set otherwise.

Output (in OUTDIR): fortunes-train.txt, fortunes-heldout.txt, fortunes-all.txt, each in the fortune
file format (every entry followed by a line '%'), and corpus-stats.txt.
"""
import os
import re
import sys

SRC = "/usr/share/games/fortunes"
# English collections; ascii-art (pictures, not text) and the non-English subfolders are left out.
COLLECTIONS = [
    # package fortunes
    "art", "computers", "cookie", "debian", "definitions", "disclaimer", "drugs", "education",
    "ethnic", "food", "goedel", "humorists", "kids", "knghtbrd", "law", "linux", "linuxcookie", "love",
    "magic", "medicine", "men-women", "miscellaneous", "news", "paradoxum", "people", "perl", "pets",
    "platitudes", "politics", "pratchett", "science", "songs-poems", "sports", "startrek", "tao",
    "translate-me", "wisdom", "work", "zippy",
    # package fortunes-min
    "fortunes", "literature", "riddles",
    # packages fortunes-bofh-excuses, fortunes-debian-hints
    "bofh-excuses", "debian-hints",
]
MAX_CHARS = 2000
HELDOUT_EVERY = 20  # i % 20 == 19 is held out

OVERSTRIKE = re.compile(r"(.)\x08(.)", re.S)
BAD_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C1 controls: mojibake


def clean(entry):
    prev = None
    while prev != entry:  # "_\bX" -> X, "X\bX" -> X (bold), repeated for chains
        prev = entry
        entry = OVERSTRIKE.sub(lambda m: m.group(2) if m.group(1) == "_" else m.group(1), entry)
    lines = [ln.expandtabs(8).rstrip() for ln in entry.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    text = "\n".join(lines)
    if not text or len(text) > MAX_CHARS or BAD_CONTROL.search(text):
        return None
    return text


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "corpus"
    os.makedirs(outdir, exist_ok=True)
    seen = set()
    fortunes = []
    per_file = []
    dropped = 0
    for name in sorted(COLLECTIONS):
        path = os.path.join(SRC, name)
        if not os.path.exists(path):
            sys.exit(f"fortune_corpus: {path} is missing (run tools/install-deps.sh)")
        with open(path, encoding="utf-8", errors="replace") as f:
            raw = f.read().replace("\r\n", "\n")
        entries = re.split(r"\n%\n", "\n" + raw + "\n")
        kept = 0
        for e in entries:
            t = clean(e)
            if t is None:
                dropped += 1
                continue
            if t in seen:
                continue
            seen.add(t)
            fortunes.append(t)
            kept += 1
        per_file.append((name, kept))
    train = [t for i, t in enumerate(fortunes) if i % HELDOUT_EVERY != HELDOUT_EVERY - 1]
    held = [t for i, t in enumerate(fortunes) if i % HELDOUT_EVERY == HELDOUT_EVERY - 1]

    def write(fn, items):
        with open(os.path.join(outdir, fn), "w", encoding="utf-8", newline="\n") as f:
            for t in items:
                f.write(t + "\n%\n")

    write("fortunes-all.txt", fortunes)
    write("fortunes-train.txt", train)
    write("fortunes-heldout.txt", held)
    with open(os.path.join(outdir, "corpus-stats.txt"), "w") as f:
        f.write(f"fortunes {len(fortunes)} train {len(train)} heldout {len(held)} dropped {dropped}\n")
        f.write(f"chars train {sum(len(t) + 3 for t in train)} heldout {sum(len(t) + 3 for t in held)}\n")
        for name, kept in per_file:
            f.write(f"  {name} {kept}\n")
    print(f"fortune_corpus: {len(fortunes)} fortunes ({len(train)} train, {len(held)} held out) in {outdir}")


if __name__ == "__main__":
    main()
