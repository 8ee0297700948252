// Seeded generator of test strings for tokenizer parity: words and contractions, runs of many scripts
// (with combining marks), emoji sequences, digits in several numeral systems, white space runs
// (including non-ASCII spaces), code, special-token lookalikes and random code points from every
// plane. Same seed, same strings. Code points that Unicode 15.1 assigned (U+2EBF0..U+2EE5D,
// U+2FFC..U+2FFF, U+31EF) are left out: llama.cpp's tables are 15.1, Debian's unicode-data 15.0.
//   import { generateStrings } from "./tokenizer_strings.mjs"; generateStrings(2000, 1)

// mulberry32: a small, good-enough seeded PRNG.
export function makeRandom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));  // inclusive
  const pick = (list) => list[Math.floor(next() * list.length)];
  return { next, int, pick };
}

const WORDS = ["the", "Hello", "world", "tokenizer", "a", "I", "llama", "GGUF", "WebAssembly", "naïve", "café",
  "Straße", "ÄPFEL", "über", "résumé", "façade", "Ωmega", "Привет", "мир", "Γειά", "σου", "שלום", "مرحبا",
  "नमस्ते", "こんにちは", "世界", "你好", "안녕하세요", "สวัสดี", "ქართული", "Ελληνικά", "ﬁne", "Ⅻ", "ǅungla", "İstanbul",
  "ıi", "ß", "ẞ", "Kelvin", "K", "µs", "Ångström", "e\u0301", "n\u0303o", "Zalgo\u0336\u0337\u0338", "x\u20d7"];
// Case changes inside words, with ASCII and non-ASCII letters (the GPT-4o family cuts words there).
const CASED = ["ÄBc", "ÄB", "ABÄ", "aÄB", "HELLOworld", "helloWORLD", "ÉCOLEécole", "McDonald's", "IPhone",
  "iPHONE's", "X'S", "Æ'RE", "ŞEHİR", "straßeSTRASSE", "ΑΒΓαβγ", "ПРИВЕТмир", "ǅǆǄ", "camelCaseWord", "snake_case",
  "HTTPServer", "getHTTPResponseCode", "ÀÉÎ", "àéî", "A\u0301B", "e\u0301E", "Q̃q", "日本Ab", "ÄäÄä", "I'LL", "WE'Ve"];
const CONTRACTIONS = ["don't", "I'm", "we'll", "they've", "She's", "you're", "I'd", "'s", "'t", "'re", "'ve", "'m",
  "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL", "'D", "o'clock", "rock'n'roll", "' s", "''", "'", "'x", "'Ll"];
const WHITESPACE = [" ", "  ", "   ", "    ", "        ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r",
  " \n", "\n ", " \n ", "  \n  ", "\t\n", "\u00a0", "\u3000", "\u2009", "\u200a", "\u200b", "\u0085", "\u2028",
  "\u2029", "\u000b", "\u000c", "\u1680", "\u202f", "\u205f", "\u180e", "\ufeff", " \t \n", "\n\t\t", "\r\r\n"];
const NUMBERS = ["0", "7", "42", "123", "1234", "12345", "123456", "1234567", "12345678901", "3.14159", "1,234.56",
  "1e10", "-5", "+7", "007", "٣٤٥", "۱۲۳", "१२३", "০১২", "๑๒๓", "½", "²", "³", "¼", "Ⅻ", "ⅻ", "①", "⑳", "𝟙𝟚𝟛", "１２３",
  "0x1F", "1_000_000", "10%", "$100", "€5", "¥500", "2024-01-01", "12:30:45", "v1.2.3"];
const PUNCT = [".", ",", "!", "?", "...", "…", "!!", "?!", "--", "—", "–", "-", "_", "__", "(", ")", "[", "]", "{",
  "}", "<", ">", "<=", ">=", "==", "!=", "=>", "->", "::", ";", ":", "\"", "“", "”", "‘", "’", "«", "»", "¿", "¡",
  "@", "#", "$", "%", "^", "&", "*", "+", "=", "|", "\\", "/", "`", "```", "~", "§", "¶", "•", "·", "†", "‰",
  "、", "。", "，", "！", "？", "「", "」", "【", "】", "・", "！？", "~~", "^^", "||", "&&", "/*", "*/", "<!--"];
const CODE = ["int main() { return 0; }", "for (int i = 0; i < n; ++i) {\n    sum += a[i];\n}",
  "def f(x):\n    return x ** 2\n", "    if (a != b) {\n\t\tx += 1;\n    }", "{\"key\": [1, 2, 3], \"ok\": true}",
  "<div class=\"x\">a &amp; b</div>", "#include <stdio.h>\n", "SELECT * FROM t WHERE id = 42;",
  "x = y ?? z || w && !v;", "/* comment */ // line", "$var = @array[0] . '%s';", "```python\nprint('hi')\n```",
  "a\\nb\\t", "==> --> <=> :: ...", "__init__(self)", "std::vector<int> v{1, 2};", "fn main() -> i32 {}",
  "console.log(`${x}`);", "   \n\n   ", "    return;", "\t\treturn None", "x=1;y=2", "i++;j--;", "a[i][j]",
  "// note: x", "#!/bin/sh\necho $HOME", "<?php echo 1; ?>", "\\begin{equation}", "0b1010 & 0xFF"];
const SPECIAL = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|begin_of_text|>",
  "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<s>", "</s>", "<unk>", "<pad>", "[INST]",
  "[/INST]", "<<SYS>>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>", "<|fim_prefix|>", "<fim_middle>",
  "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<|im_start", "im_end|>", "<|", "|>", "< |im_start| >",
  "<0x0A>", "<0xFF>", "▁", "▁▁", "Ġ", "Ċ", "<|reserved_special_token_5|>", "<|EOT|>", "<EOT>",
  "<|START_OF_TURN_TOKEN|>", "<|END_OF_TURN_TOKEN|>", "<BOS_TOKEN>", "<mask>", "[CLS]", "<|padding|>",
  "<|fim_middle|>", "<|file_sep|>", "<|repo_name|>", "<|placeholder1|>", "<|endofprompt|>", "<fim-prefix>",
  "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", "<s>[INST] hi [/INST]", "<|user|>\nhi<|end|>\n"];
const EMOJI = ["👍", "👍🏽", "👨‍👩‍👧‍👦", "🇺🇸", "🇯🇵", "❤️", "🏳️‍🌈", "😀😃😄", "🤖", "🦙", "1️⃣", "©️", "☺", "🙂",
  "🔥🔥🔥", "🧑🏾‍💻", "⚡", "✅", "✨", "🎉", "👋🏻", "🫠", "🪐"];

// Blocks to draw "script" runs from: [first, last].
const BLOCKS = [[0x41, 0x5A], [0x61, 0x7A], [0xC0, 0x24F], [0x250, 0x2FF], [0x300, 0x36F], [0x370, 0x3FF],
  [0x400, 0x52F], [0x531, 0x58A], [0x591, 0x5F4], [0x600, 0x6FF], [0x700, 0x74F], [0x900, 0x97F],
  [0x980, 0x9FE], [0xB80, 0xBFA], [0xE01, 0xE5B], [0xE81, 0xEDF], [0x10A0, 0x10FF], [0x1100, 0x11FF],
  [0x13A0, 0x13F5], [0x1680, 0x169C], [0x1780, 0x17F9], [0x1E00, 0x1FFF], [0x2000, 0x206F], [0x20A0, 0x20C0],
  [0x20D0, 0x20F0], [0x2100, 0x218B], [0x2190, 0x23FF], [0x2460, 0x24FF], [0x2500, 0x27BF], [0x2C00, 0x2C7F],
  [0x2E80, 0x2EF3], [0x3000, 0x303F], [0x3041, 0x30FF], [0x3131, 0x318E], [0x31F0, 0x31FF], [0x3400, 0x4DBF],
  [0x4E00, 0x9FFF], [0xA000, 0xA4C6], [0xA640, 0xA69F], [0xA720, 0xA7FF], [0xAC00, 0xD7A3], [0xE000, 0xE0FF],
  [0xF900, 0xFAFF], [0xFB00, 0xFB4F], [0xFE00, 0xFE0F], [0xFE30, 0xFE4F], [0xFF01, 0xFFEE], [0xFFF0, 0xFFFD],
  [0x10000, 0x1007F], [0x10400, 0x1044F], [0x1D400, 0x1D7FF], [0x1F000, 0x1F0FF], [0x1F300, 0x1F64F],
  [0x1F680, 0x1F6FF], [0x1F900, 0x1F9FF], [0x1FA70, 0x1FAFF], [0x20000, 0x2A6DF], [0x2F800, 0x2FA1F],
  [0xE0000, 0xE007F], [0xF0000, 0xF00FF], [0x10FF00, 0x10FFFF]];

const unicode151 = (cp) => (cp >= 0x2EBF0 && cp <= 0x2EE5D) || (cp >= 0x2FFC && cp <= 0x2FFF) || cp === 0x31EF;

function codepoint(cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || unicode151(cp)) return "\ufffd";
  return String.fromCodePoint(cp);
}

function scriptRun(r) {
  const [first, last] = r.pick(BLOCKS);
  let s = "";
  for (let n = r.int(1, 12); n > 0; n--) s += codepoint(r.int(first, last));
  return s;
}

function anyCodepoints(r) {
  let s = "";
  for (let n = r.int(1, 8); n > 0; n--) {
    const plane = r.next();
    const cp = plane < 0.5 ? r.int(0, 0x7F) : plane < 0.85 ? r.int(0x80, 0xFFFF) : r.int(0x10000, 0x10FFFF);
    s += codepoint(cp);
  }
  return s;
}

const ATOMS = [
  [14, (r) => r.pick(WORDS)],
  [5, (r) => r.pick(CONTRACTIONS)],
  [5, (r) => r.pick(CASED)],
  [12, (r) => r.pick(WHITESPACE)],
  [7, (r) => r.pick(NUMBERS)],
  [4, (r) => { let s = ""; for (let n = r.int(1, 20); n > 0; n--) s += String(r.int(0, 9)); return s; }],
  [8, (r) => r.pick(PUNCT)],
  [10, scriptRun],
  [4, (r) => r.pick(EMOJI)],
  [4, (r) => r.pick(CODE)],
  [6, (r) => r.pick(SPECIAL)],
  [6, anyCodepoints],
  [3, (r) => " ".repeat(r.int(1, 40))],
  [2, (r) => r.pick(["\n", "\r\n", " \n", "\t"]).repeat(r.int(2, 6))],
];
const TOTAL = ATOMS.reduce((sum, [w]) => sum + w, 0);

function atom(r) {
  let x = r.next() * TOTAL;
  for (const [w, make] of ATOMS) {
    if ((x -= w) < 0) return make(r);
  }
  return ATOMS[0][1](r);
}

export function generateStrings(count, seed = 1) {
  const r = makeRandom(seed);
  const out = ["", " ", "  ", "\n", "a", "<|im_start|>", "Hello world", " Hello world"];
  while (out.length < count) {
    let s = "";
    const n = r.next() < 0.2 ? r.int(1, 3) : r.int(2, 16);
    for (let i = 0; i < n; i++) {
      s += atom(r);
      if (r.next() < 0.35) s += " ";
    }
    if (r.next() < 0.1) s = " " + s;
    out.push(s);
  }
  return out.slice(0, count);
}
