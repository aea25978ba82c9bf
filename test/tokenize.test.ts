import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer as HFTokenizer } from "@huggingface/tokenizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BOS_ID,
  EOS_ID,
  MIN_VOCAB_SIZE,
  PAD_ID,
  SEP_ID,
  SPECIAL_TOKENS,
  fromTokenizerJson,
  loadTokenizer,
  saveTokenizer,
  toTokenizerConfigJson,
  toTokenizerJson,
  trainTokenizer,
  type Tokenizer,
} from "../loaders/tokenize.js";
import { createRng } from "../loaders/random.js";

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

/** Random well-formed strings drawn from ASCII, controls, Latin-1, combining marks, CJK, astral emoji, spaces. */
function randomString(rand: () => number, maxLength: number): string {
  const ranges: [number, number][] = [
    [0x20, 0x7e], [0x00, 0x1f], [0x80, 0xff], [0x300, 0x36f], [0x4e00, 0x9fff],
    [0x1f300, 0x1faff], [0x2000, 0x200d], [0xac00, 0xd7a3], [0xe000, 0xfffd], [0x10000, 0x10ffff],
  ];
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

const LONG_TEXTS: [string, string][] = [
  ["100k of one letter", "a".repeat(100_000)],
  ["a long repeated phrase", "the answer is helpful. ".repeat(5_000)],
  ["10k spaces", " ".repeat(10_000)],
  ["long emoji run", "🙂".repeat(5_000)],
];

let tok: Tokenizer;
let hf: HFTokenizer;
beforeAll(() => {
  tok = trainTokenizer(makeCorpus(1, 2_000), { vocabSize: 600 });
  hf = new HFTokenizer(toTokenizerJson(tok), toTokenizerConfigJson());
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

describe("encode and decode", () => {
  it.each([...TEXTS, ...LONG_TEXTS])("round-trips %s exactly", (_name, text) => {
    expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it("round-trips 400 seeded random strings of any code points", () => {
    const rand = createRng(42);
    for (let i = 0; i < 400; i++) {
      const text = randomString(rand, 120);
      expect(tok.decode(tok.encode(text)), JSON.stringify(text)).toBe(text);
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

describe("agreement with @huggingface/tokenizers", () => {
  it.each(TEXTS.filter(([name]) => name !== "special-token strings as plain text"))("gives identical ids for %s", (_name, text) => {
    const ids = tok.encode(text);
    expect(hf.encode(text).ids).toEqual(ids);
    if (ids.length > 0) expect(hf.decode(ids)).toBe(text); // HF rejects decoding []
  });

  it.each(LONG_TEXTS)("gives identical ids for %s", (_name, text) => {
    expect(hf.encode(text).ids).toEqual(tok.encode(text));
  });

  it("matches special-token strings in text as HF does when allowSpecial is set", () => {
    const text = "<|bos|>hello<|eos|> <|pad|><|sep|>x<|bos";
    const ids = tok.encode(text, { allowSpecial: true });
    expect(hf.encode(text).ids).toEqual(ids);
    expect(hf.decode(ids, { skip_special_tokens: true })).toBe(tok.decode(ids));
    expect(hf.decode(ids)).toBe(tok.decode(ids, { skipSpecial: false }));
  });

  it("gives identical ids on 200 seeded random strings", () => {
    const rand = createRng(7);
    for (let i = 0; i < 200; i++) {
      const text = randomString(rand, 80).replace(/<\|/g, "<");
      expect(hf.encode(text).ids, JSON.stringify(text)).toEqual(tok.encode(text));
    }
  });

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

describe("tokenizer.json", () => {
  it("declares a ByteLevel BPE with the specials as added tokens", () => {
    const json = toTokenizerJson(tok);
    expect(json.model.type).toBe("BPE");
    expect(json.pre_tokenizer).toEqual({ type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true });
    expect(json.decoder.type).toBe("ByteLevel");
    expect(json.post_processor).toBeNull();
    expect(json.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual(SPECIAL_TOKENS.map((s, i) => [i, s, true]));
    expect(Object.keys(json.model.vocab)).toHaveLength(tok.vocabSize);
    expect(json.model.merges[0]).toMatch(/^\S+ \S+$/);
  });

  it("rebuilds an identical tokenizer from its JSON text", () => {
    const back = fromTokenizerJson(JSON.parse(JSON.stringify(toTokenizerJson(tok))));
    expect(back.tokens).toEqual(tok.tokens);
    expect(back.merges).toEqual(tok.merges);
    for (const [, text] of TEXTS) expect(back.encode(text)).toEqual(tok.encode(text));
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
    const fromDisk = new HFTokenizer(JSON.parse(await readFile(join(out, "tokenizer.json"), "utf8")), config);
    expect(fromDisk.encode("Hello, world!").ids).toEqual(tok.encode("Hello, world!"));
  });

  it("names the file when loading fails", async () => {
    await expect(loadTokenizer(join(dir, "missing"))).rejects.toThrow(/missing[/\\]tokenizer\.json/);
  });
});
