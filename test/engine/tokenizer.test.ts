import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer as HFTokenizer } from "@huggingface/tokenizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOS_ID, EOS_ID, MIN_VOCAB_SIZE, PAD_ID, SEP_ID, SPECIAL_TOKENS, type Tokenizer } from "../../loaders/engine/tokenizer/bpe.js";
import { trainTokenizer } from "../../loaders/engine/tokenizer/train.js";
import {
  fromTokenizerJson,
  loadTokenizer,
  preTokenizerJson,
  saveTokenizer,
  toTokenizerConfigJson,
  toTokenizerJson,
} from "../../loaders/engine/tokenizer/json.js";
import { createRng } from "../../loaders/engine/random.js";

const WORDS = (
  "the a of to and in is that it for you was with on as have be at not this but by from they we say her she " +
  "or an will my one all would there their what so up out if about who get which go me when make can like time " +
  "no just him know take people into year your good some could them see other than then now look only come its " +
  "over think also back after use two how our work first well way even new want because any these give day most " +
  "don't I'll we've it's harmful helpful answer question assistant user aligner correction safety honest"
).split(" ");

function makeCorpus(seed: number, count: number): string[] {
  const rand = createRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const extras = ["日本語", "数据", "naïve", "café", "🙂", "—", "...", "42", "3.14", "\t", "  "];
  return Array.from({ length: count }, () => {
    const n = 5 + Math.floor(rand() * 20);
    const parts = Array.from({ length: n }, () => (rand() < 0.08 ? pick(extras) : pick(WORDS)));
    return parts.join(" ") + pick([".", "?", "!", ",", "\n", "\n\n"]);
  });
}

/** Sentences full of numbers: arithmetic, prices, versions, decimals, percentages, other scripts' digits. */
function makeNumberCorpus(seed: number, count: number): string[] {
  const rand = createRng(seed);
  const n = (max: number) => Math.floor(rand() ** 2 * max);
  const forms = [
    () => `${n(100)} + ${n(100)} = ${n(200)}.`,
    () => `It is ${n(10_000)} grams, not ${n(10_000)}.`,
    () => `v${n(10)}.${n(10)}.${n(20)} released in ${1990 + n(35)}`,
    () => `${n(100)}% of ${n(1000)} is ${n(1000)}.${n(100)}`,
    () => `x² + y² = ${n(100)}, ½ and ¾ of ${n(50)}`,
    () => `${String(n(1000)).replace(/\d/g, (d) => String.fromCharCode(0x660 + Number(d)))} Arabic-Indic digits`,
  ];
  return Array.from({ length: count }, () => (forms[Math.floor(rand() * forms.length)] as () => string)());
}

const ANY_TEXT: [number, number][] = [
  [0x20, 0x7e],
  [0x00, 0x1f],
  [0x80, 0xff],
  [0x300, 0x36f],
  [0x4e00, 0x9fff],
  [0x1f300, 0x1faff],
  [0x2000, 0x200d],
  [0xac00, 0xd7a3],
  [0xe000, 0xfffd],
  [0x10000, 0x10ffff],
];
/** Number characters (ASCII, Arabic-Indic, superscripts and fractions, Roman numerals, fullwidth) among spaces, letters, punctuation. */
const NUMBER_HEAVY: [number, number][] = [
  [0x30, 0x39],
  [0x30, 0x39],
  [0x20, 0x20],
  [0x20, 0x20],
  [0x09, 0x0d],
  [0x21, 0x2f],
  [0x61, 0x7a],
  [0x660, 0x669],
  [0xb2, 0xbe],
  [0x2160, 0x2188],
  [0xff10, 0xff19],
  [0x3000, 0x3000],
];

/** Random well-formed strings drawn from `ranges` (by default ASCII, controls, Latin-1, combining marks, CJK, astral emoji, spaces). */
function randomString(rand: () => number, maxLength: number, ranges: readonly [number, number][] = ANY_TEXT): string {
  const length = Math.floor(rand() * maxLength);
  let s = "";
  for (let i = 0; i < length; i++) {
    const [lo, hi] = ranges[Math.floor(rand() * ranges.length)] as [number, number];
    s += String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)));
  }
  return s;
}

const TEXTS: [string, string][] = [
  ["empty string", ""],
  ["one letter", "a"],
  ["a sentence", "The assistant gave a helpful answer."],
  ["contractions", "don't I'll we've it's THEY'RE"],
  ["punctuation runs", "Wait... what?!? (yes) [no] {maybe} <tag/> a--b"],
  ["numbers", "3.14159 1,000,000 0x1F 2024-01-02 42nd"],
  ["whitespace runs", "a  b   c    d\t\te"],
  ["leading and trailing spaces", "   padded   "],
  ["newlines", "line one\nline two\r\n\n\nline five\n"],
  ["emoji with modifiers and ZWJ", "👍🏽 family: 👨‍👩‍👧‍👦 flag: 🏳️‍🌈"],
  ["CJK", "日本語のテキストと中文文本"],
  ["Hangul", "한국어 문장입니다"],
  ["combining marks", "e\u0301 n\u0303 a\u0308\u0304 Z\u0351\u0358"],
  ["Arabic and Hebrew", "مرحبا بالعالم שלום עולם"],
  ["control characters", "\u0000\u0001\u0007\u001b[31mred\u001b[0m\u007f"],
  ["unicode spaces", "a\u00a0b\u2003c\u3000d\u200be"],
  ["byte order mark", "\ufeffstarts with a BOM"],
  ["private use and noncharacters", "\ue000\uf8ff\ufffd\u{10fffd}"],
  ["special-token strings as plain text", "<|bos|>hello<|eos|> <|pad|><|sep|>"],
];

const NUMBER_TEXTS: [string, string][] = [
  ["arithmetic", "90 + 13 = 103."],
  ["large numbers", "It is 7999 grams, not 8000."],
  ["a version", "v1.2.3"],
  ["Arabic-Indic digits", "١٢٣ Arabic-Indic digits"],
  ["a superscript", "x²"],
  ["a percentage", "100%"],
  ["a leading space", " 42"],
  ["a trailing space", "42 "],
  ["decimals", "3.14159"],
  ["spaces and tabs before digits", "a  1\t\t2 \n3   x 4"],
  ["fractions, Roman and fullwidth numerals", "½¾ Ⅻ ⅻ １２３ 2⁵ ₂"],
];

const LONG_TEXTS: [string, string][] = [
  ["100k of one letter", "a".repeat(100_000)],
  ["a long repeated phrase", "the answer is helpful. ".repeat(5_000)],
  ["10k spaces", " ".repeat(10_000)],
  ["long emoji run", "🙂".repeat(5_000)],
  ["long digit run", "31415926535 ".repeat(5_000)],
];

const DIGIT = /\p{N}/u;
/** The text of each token of an encoding. */
const pieces = (t: Tokenizer, text: string) => t.encode(text).map((id) => t.decode([id]));

/** `tok` splits digits (the default), `plain` does not; both learn from the same corpus. */
let tok: Tokenizer;
let plain: Tokenizer;
let hf: HFTokenizer;
let hfPlain: HFTokenizer;
beforeAll(() => {
  const corpus = [...makeCorpus(1, 2_000), ...makeNumberCorpus(5, 400)];
  tok = trainTokenizer(corpus, { vocabSize: 600 });
  plain = trainTokenizer(corpus, { vocabSize: 600, splitDigits: false });
  hf = new HFTokenizer(toTokenizerJson(tok), toTokenizerConfigJson());
  hfPlain = new HFTokenizer(toTokenizerJson(plain), toTokenizerConfigJson());
});

describe("trainTokenizer", () => {
  it("places the specials at fixed small ids before the 256 byte tokens", () => {
    expect([PAD_ID, BOS_ID, EOS_ID, SEP_ID]).toEqual([0, 1, 2, 3]);
    expect(tok.tokens.slice(0, 4)).toEqual(SPECIAL_TOKENS);
    expect(tok.tokenToId("<|eos|>")).toBe(EOS_ID);
    expect(tok.idToToken(4 + 0x41)).toBe("A");
    expect(tok.idToToken(4 + 0x20)).toBe("Ġ");
  });

  it("fills the requested vocabulary on a large enough corpus", () => {
    expect(tok.vocabSize).toBe(600);
    expect(tok.merges.length).toBeGreaterThanOrEqual(600 - MIN_VOCAB_SIZE);
  });

  it("learns merges that compress in-domain text", () => {
    const text = makeCorpus(2, 50).join("");
    expect(tok.encode(text).length).toBeLessThan(new TextEncoder().encode(text).length / 2.5);
  });

  it("is deterministic and independent of the order of the texts", () => {
    const corpus = makeCorpus(3, 400);
    const a = trainTokenizer(corpus, { vocabSize: 400 });
    const b = trainTokenizer([...corpus].reverse(), { vocabSize: 400 });
    expect(b.merges).toEqual(a.merges);
    expect(b.tokens).toEqual(a.tokens);
  });

  it("stops early when no pair reaches minFrequency", () => {
    const small = trainTokenizer(["ab ab ab cd"], { vocabSize: 1000 });
    expect(small.tokens.slice(MIN_VOCAB_SIZE)).toEqual(["ab", "Ġab"]);
    expect(trainTokenizer(["ab ab ab cd"], { vocabSize: 1000, minFrequency: 1 }).vocabSize).toBeGreaterThan(small.vocabSize);
  });

  it("handles an empty corpus with a bytes-only vocabulary", () => {
    const empty = trainTokenizer([], { vocabSize: 500 });
    expect(empty.vocabSize).toBe(MIN_VOCAB_SIZE);
    expect(empty.decode(empty.encode("héllo 🙂"))).toBe("héllo 🙂");
  });

  it.each([[0], [259], [2.5], [Number.NaN], [2 ** 22]])("rejects vocabSize %s", (vocabSize) => {
    expect(() => trainTokenizer(["x"], { vocabSize })).toThrow(/vocabSize must be an integer/);
  });
});

describe("splitDigits", () => {
  it("is on by default and stored in the tokenizer", () => {
    expect(tok.splitDigits).toBe(true);
    expect(plain.splitDigits).toBe(false);
  });

  it("never learns a token holding a number character and anything else", () => {
    const withDigits = (t: Tokenizer) => t.tokens.map((_, id) => t.decode([id])).filter((text) => DIGIT.test(text));
    expect(withDigits(tok).every((text) => [...text].length === 1)).toBe(true);
    expect(withDigits(tok)).toContain("١"); // a two-byte digit still becomes one token
    expect(withDigits(plain).filter((text) => [...text].length > 1).length).toBeGreaterThan(10); // what the option prevents
  });

  it("encodes every number character as its own token, so unseen numbers are spelled digit by digit", () => {
    // HF's Split isolates each \p{N} match and ByteLevel continues on each piece: encoding is piecewise.
    const piecewise = (text: string) => text.split(/(\p{N})/u).flatMap((p) => tok.encode(p));
    const rand = createRng(11);
    for (const text of [...NUMBER_TEXTS.map(([, t]) => t), ...Array.from({ length: 100 }, () => randomString(rand, 60, NUMBER_HEAVY))]) {
      expect(tok.encode(text), JSON.stringify(text)).toEqual(piecewise(text));
    }
    const digitIds = (ds: string) => [...ds].map((d) => tok.tokenToId(d));
    expect(tok.encode("103")).toEqual(digitIds("103"));
    expect(tok.encode("90 + 13 = 98765")).toEqual([...tok.encode("90 + 13 ="), tok.tokenToId("Ġ"), ...digitIds("98765")]);
    expect(pieces(plain, "90 + 13 = 103. It is 7999 grams, not 8000.").filter((p) => DIGIT.test(p) && [...p].length > 1)).not.toEqual([]);
  });

  it("gives a space before a digit a token of its own, as HF's Split then ByteLevel do", () => {
    expect(pieces(tok, " 42")).toEqual([" ", "4", "2"]);
    expect(pieces(tok, "42 ")).toEqual(["4", "2", " "]);
    expect(pieces(tok, "a  1")).toEqual(["a", "  ", "1"].flatMap((w) => pieces(tok, w)));
  });

  it("leaves text without number characters encoded as before", () => {
    const text = makeCorpus(9, 30).join("").replace(/\p{N}/gu, "");
    const noSplit = trainTokenizer(
      makeCorpus(1, 500).map((t) => t.replace(/\p{N}/gu, "")),
      { vocabSize: 400, splitDigits: false },
    );
    const split = trainTokenizer(
      makeCorpus(1, 500).map((t) => t.replace(/\p{N}/gu, "")),
      { vocabSize: 400 },
    );
    expect(split.merges).toEqual(noSplit.merges);
    expect(split.encode(text)).toEqual(noSplit.encode(text));
  });
});

describe("encode and decode", () => {
  it.each([...TEXTS, ...NUMBER_TEXTS, ...LONG_TEXTS])("round-trips %s exactly", (_name, text) => {
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(plain.decode(plain.encode(text))).toBe(text);
  });

  it("round-trips 400 seeded random strings of any code points", () => {
    const rand = createRng(42);
    for (let i = 0; i < 400; i++) {
      const text = randomString(rand, 120, i % 2 ? ANY_TEXT : NUMBER_HEAVY);
      expect(tok.decode(tok.encode(text)), JSON.stringify(text)).toBe(text);
      expect(plain.decode(plain.encode(text)), JSON.stringify(text)).toBe(text);
    }
  });

  it("never emits special ids unless allowSpecial is set", () => {
    const text = "<|bos|>hi<|eos|>";
    expect(tok.encode(text).some((id) => id < 4)).toBe(false);
    const ids = tok.encode(text, { allowSpecial: true });
    expect(ids[0]).toBe(BOS_ID);
    expect(ids.at(-1)).toBe(EOS_ID);
    expect(tok.decode(ids)).toBe("hi");
    expect(tok.decode(ids, { skipSpecial: false })).toBe(text);
  });

  it("skips special ids when decoding by default and renders them on request", () => {
    const ids = [BOS_ID, ...tok.encode("hello"), SEP_ID, ...tok.encode(" world"), EOS_ID, PAD_ID];
    expect(tok.decode(ids)).toBe("hello world");
    expect(tok.decode(ids, { skipSpecial: false })).toBe("<|bos|>hello<|sep|> world<|eos|><|pad|>");
  });

  it("encodes a batch like one text at a time", () => {
    const texts = TEXTS.map(([, t]) => t);
    expect(tok.encodeBatch(texts)).toEqual(texts.map((t) => tok.encode(t)));
  });

  it.each([[-1], [600], [1.5]])("rejects the out-of-vocabulary id %s when decoding", (id) => {
    expect(() => tok.decode([5, id])).toThrow(RangeError);
  });
});

describe.each([
  ["splitDigits true", () => ({ ours: tok, theirs: hf })],
  ["splitDigits false", () => ({ ours: plain, theirs: hfPlain })],
])("agreement with @huggingface/tokenizers, %s", (_mode, pair) => {
  it.each([...TEXTS.filter(([name]) => name !== "special-token strings as plain text"), ...NUMBER_TEXTS])(
    "gives identical ids for %s",
    (_name, text) => {
      const { ours, theirs } = pair();
      const ids = ours.encode(text);
      expect(theirs.encode(text).ids).toEqual(ids);
      if (ids.length > 0) expect(theirs.decode(ids)).toBe(text); // HF rejects decoding []
    },
  );

  it.each(LONG_TEXTS)("gives identical ids for %s", (_name, text) => {
    const { ours, theirs } = pair();
    expect(theirs.encode(text).ids).toEqual(ours.encode(text));
  });

  it("matches special-token strings in text as HF does when allowSpecial is set", () => {
    const { ours, theirs } = pair();
    const text = "<|bos|>hello<|eos|> <|pad|><|sep|>x<|bos 1<|sep|>2";
    const ids = ours.encode(text, { allowSpecial: true });
    expect(theirs.encode(text).ids).toEqual(ids);
    expect(theirs.decode(ids, { skip_special_tokens: true })).toBe(ours.decode(ids));
    expect(theirs.decode(ids)).toBe(ours.decode(ids, { skipSpecial: false }));
  });

  it.each([
    ["any code points", ANY_TEXT, 7],
    ["number-heavy text", NUMBER_HEAVY, 8],
  ] as const)("gives identical ids on 200 seeded random strings of %s", (_kind, ranges, seed) => {
    const { ours, theirs } = pair();
    const rand = createRng(seed);
    for (let i = 0; i < 200; i++) {
      const text = randomString(rand, 80, ranges).replace(/<\|/g, "<");
      expect(theirs.encode(text).ids, JSON.stringify(text)).toEqual(ours.encode(text));
    }
  });
});

describe("agreement with @huggingface/tokenizers on hand-made files", () => {
  it("agrees on a tokenizer whose token is spelled by two merges", () => {
    const json = toTokenizerJson(trainTokenizer([], { vocabSize: MIN_VOCAB_SIZE }));
    const vocab = { ...json.model.vocab, bc: 260, abc: 261, ab: 262 };
    const twoPaths = { ...json, model: { ...json.model, vocab, merges: ["b c", "a bc", "a b", "ab c"] } };
    const ours = fromTokenizerJson(twoPaths);
    const theirs = new HFTokenizer(twoPaths, toTokenizerConfigJson());
    const text = "abc abcab xabc bca abab";
    expect(ours.encode("abc")).toEqual([261]);
    expect(theirs.encode(text).ids).toEqual(ours.encode(text));
    expect(ours.decode(ours.encode(text))).toBe(text);
  });
});

const BYTE_LEVEL = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
const DIGIT_SPLIT = { type: "Split", pattern: { Regex: "\\p{N}" }, behavior: "Isolated", invert: false };

describe("tokenizer.json", () => {
  it("declares a ByteLevel BPE with the specials as added tokens", () => {
    const json = toTokenizerJson(tok);
    expect(json.model.type).toBe("BPE");
    expect(json.pre_tokenizer).toEqual({ type: "Sequence", pretokenizers: [DIGIT_SPLIT, BYTE_LEVEL] });
    expect(toTokenizerJson(plain).pre_tokenizer).toEqual(BYTE_LEVEL); // as every file written before splitDigits
    expect(json.decoder).toEqual(BYTE_LEVEL);
    expect(json.post_processor).toBeNull();
    expect(json.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual(SPECIAL_TOKENS.map((s, i) => [i, s, true]));
    expect(Object.keys(json.model.vocab)).toHaveLength(tok.vocabSize);
    expect(json.model.merges[0]).toMatch(/^\S+ \S+$/);
  });

  it.each([
    ["splitDigits true", () => tok],
    ["splitDigits false", () => plain],
  ])("rebuilds an identical tokenizer from its JSON text, %s", (_mode, get) => {
    const original = get();
    const back = fromTokenizerJson(JSON.parse(JSON.stringify(toTokenizerJson(original))));
    expect(back.splitDigits).toBe(original.splitDigits);
    expect(back.tokens).toEqual(original.tokens);
    expect(back.merges).toEqual(original.merges);
    for (const [, text] of [...TEXTS, ...NUMBER_TEXTS]) expect(back.encode(text)).toEqual(original.encode(text));
  });

  it("reads a file written before splitDigits (a lone ByteLevel) as splitDigits false", () => {
    const old = {
      ...toTokenizerJson(plain),
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    };
    const back = fromTokenizerJson(old);
    expect(back.splitDigits).toBe(false);
    expect(back.encode("It is 7999 grams.")).toEqual(plain.encode("It is 7999 grams."));
    expect(
      fromTokenizerJson({ ...old, pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false } }).splitDigits,
    ).toBe(false);
    expect(preTokenizerJson(false)).toEqual(BYTE_LEVEL);
  });

  it("accepts merges in the newer [left, right] array form", () => {
    const json = toTokenizerJson(tok);
    const arrays = { ...json, model: { ...json.model, merges: json.model.merges.map((m) => m.split(" ")) } };
    expect(fromTokenizerJson(arrays).merges).toEqual(tok.merges);
  });

  it.each<[string, (j: ReturnType<typeof toTokenizerJson>) => unknown, RegExp]>([
    ["a non-BPE model", (j) => ({ ...j, model: { ...j.model, type: "WordPiece" } }), /expected a BPE model/],
    ["a gap in the vocab ids", (j) => ({ ...j, model: { ...j.model, vocab: { ...j.model.vocab, "<|pad|>": 99_999 } } }), /without gaps/],
    ["a merge of unknown tokens", (j) => ({ ...j, model: { ...j.model, merges: ["zz qq"] } }), /merge 0 "zz qq"/],
    ["a merge whose result is missing", (j) => ({ ...j, model: { ...j.model, merges: ["q q"] } }), /merge 0 .* does not produce/],
    ["a duplicate merge", (j) => ({ ...j, model: { ...j.model, merges: [j.model.merges[0], j.model.merges[0]] } }), /duplicate/],
  ])("rejects %s", (_name, corrupt, message) => {
    expect(() => fromTokenizerJson(corrupt(toTokenizerJson(tok)))).toThrow(message);
  });

  it.each<[string, unknown, RegExp?]>([
    ["no pre_tokenizer", undefined],
    ["a null pre_tokenizer", null],
    [
      "HF's Digits pre-tokenizer (ASCII-only in JS, Unicode in Rust)",
      { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: true }, BYTE_LEVEL] },
      /Digits pre-tokenizer is not supported/,
    ],
    ["a ByteLevel that adds a prefix space", { ...BYTE_LEVEL, add_prefix_space: true }],
    ["a ByteLevel that leaves add_prefix_space to the (differing) defaults", { type: "ByteLevel", use_regex: true }],
    ["a ByteLevel without the regex", { ...BYTE_LEVEL, use_regex: false }],
    ["a Split on another pattern", { type: "Sequence", pretokenizers: [{ ...DIGIT_SPLIT, pattern: { Regex: "\\d" } }, BYTE_LEVEL] }],
    ["a Split that keeps only the digits", { type: "Sequence", pretokenizers: [{ ...DIGIT_SPLIT, invert: true }, BYTE_LEVEL] }],
    ["the Sequence in the other order", { type: "Sequence", pretokenizers: [BYTE_LEVEL, DIGIT_SPLIT] }],
    ["a Metaspace", { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true }],
  ])("rejects %s as pre_tokenizer, naming the accepted forms", (_name, preTokenizer, message) => {
    const json = { ...toTokenizerJson(tok), pre_tokenizer: preTokenizer };
    expect(() => fromTokenizerJson(json)).toThrow(
      /tokenizer\.json: unsupported pre_tokenizer .*expected \{"type":"ByteLevel".*with split digits, \{"type":"Sequence"/,
    );
    if (message) expect(() => fromTokenizerJson(json)).toThrow(message);
  });
});

describe("saveTokenizer and loadTokenizer", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tokenize-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes tokenizer.json and tokenizer_config.json and reads the tokenizer back", async () => {
    const out = join(dir, "run-1");
    await saveTokenizer(out, tok);
    expect((await readdir(out)).sort()).toEqual(["tokenizer.json", "tokenizer_config.json"]);
    const loaded = await loadTokenizer(out);
    expect(loaded.merges).toEqual(tok.merges);
    const config = JSON.parse(await readFile(join(out, "tokenizer_config.json"), "utf8"));
    expect(loaded.splitDigits).toBe(true);
    const fromDisk = new HFTokenizer(JSON.parse(await readFile(join(out, "tokenizer.json"), "utf8")), config);
    const text = "Hello, world! 90 + 13 = 103, ١٢٣";
    expect(fromDisk.encode(text).ids).toEqual(tok.encode(text));
    expect(loaded.encode(text)).toEqual(tok.encode(text));
  });

  it("names the file when loading fails", async () => {
    await expect(loadTokenizer(join(dir, "missing"))).rejects.toThrow(/missing[/\\]tokenizer\.json/);
  });
});
