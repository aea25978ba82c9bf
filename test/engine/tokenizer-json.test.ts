// tokenizer.json and tokenizer_config.json (loaders/engine/tokenizer/json.ts): the round trip keeps every
// encoding, the pre_tokenizer carries splitDigits, save/load go through a folder, and malformed files fail
// with an error that says what is wrong (and, when loading, which file).
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SPECIAL_TOKENS, type Tokenizer } from "../../loaders/engine/tokenizer/bpe.js";
import { trainTokenizer } from "../../loaders/engine/tokenizer/train.js";
import {
  fromTokenizerJson,
  loadTokenizer,
  preTokenizerJson,
  saveTokenizer,
  splitDigitsOf,
  toTokenizerConfigJson,
  toTokenizerJson,
} from "../../loaders/engine/tokenizer/json.js";

// Five rows of corpus: words, numbers, unicode; enough for a few dozen merges.
const CORPUS = [
  "What is 23 plus 19? 23 + 19 = 42.",
  "The capital of Australia is Canberra, not Sydney.",
  "Reverse the word 'planet': tenalp. Café, naïve, 日本語, 🙂!",
  "It costs $1,299.99 (about 1300) in 2024; ١٢٣ is Arabic-Indic.",
  "I can't help with that, but here is a safer alternative.\n\n  Indented\tline.",
].flatMap((line) => Array<string>(4).fill(line));

const TEXTS: [string, string][] = [
  ["an empty string", ""],
  ["a corpus sentence", "The capital of Australia is Canberra."],
  ["unseen words", "Quixotic zephyrs jump."],
  ["digits", "0 12 345 6789 3.14159 1,000,000"],
  ["digits glued to letters", "x2 v1.2.3 42nd 2024-01-02"],
  ["other scripts' digits, superscripts, fractions", "١٢٣ x² ½ Ⅻ １２３"],
  ["runs of spaces, tabs and newlines", "a  b   c\t\td\n\n e \r\n"],
  ["leading and trailing spaces", "   padded   "],
  ["accents and combining marks", "café naïve e\u0301"],
  ["CJK and emoji with a ZWJ", "日本語 数据 👨‍👩‍👧 🙂"],
  ["special-token strings as plain text", "<|bos|>hi<|eos|>"],
];

const BYTE_LEVEL = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
const DIGIT_SPLIT = { type: "Split", pattern: { Regex: "\\p{N}" }, behavior: "Isolated", invert: false };

let split: Tokenizer;
let plain: Tokenizer;
beforeAll(() => {
  split = trainTokenizer(CORPUS, { vocabSize: 320 });
  plain = trainTokenizer(CORPUS, { vocabSize: 320, splitDigits: false });
});

/** Through JSON text and back, as a file would be. */
const roundTrip = (tok: Tokenizer) => fromTokenizerJson(JSON.parse(JSON.stringify(toTokenizerJson(tok))));

describe.each([
  ["splitDigits on", () => split],
  ["splitDigits off", () => plain],
])("toTokenizerJson then fromTokenizerJson, %s", (_mode, get) => {
  it("rebuilds the same vocabulary, merges and splitDigits", () => {
    const tok = get();
    expect(tok.merges.length).toBeGreaterThan(10); // the fixture learned merges to keep
    const back = roundTrip(tok);
    expect(back.tokens).toEqual(tok.tokens);
    expect(back.merges).toEqual(tok.merges);
    expect(back.splitDigits).toBe(tok.splitDigits);
    expect(back.vocabSize).toBe(tok.vocabSize);
  });

  it.each(TEXTS)("encodes and decodes %s exactly as the original", (_name, text) => {
    const tok = get();
    const back = roundTrip(tok);
    expect(back.encode(text)).toEqual(tok.encode(text));
    expect(back.decode(back.encode(text))).toBe(text);
    expect(back.encode(text, { allowSpecial: true })).toEqual(tok.encode(text, { allowSpecial: true }));
  });
});

describe("the tokenizer.json layout", () => {
  it("lists every token once at its id, the specials first and as special added tokens", () => {
    const json = toTokenizerJson(split);
    expect(
      Object.entries(json.model.vocab)
        .sort((a, b) => a[1] - b[1])
        .map(([t]) => t),
    ).toEqual(split.tokens);
    expect(json.added_tokens.map((t) => ({ id: t.id, content: t.content, special: t.special }))).toEqual(
      SPECIAL_TOKENS.map((content, id) => ({ id, content, special: true })),
    );
    expect(json.model.merges).toEqual(split.merges.map(([a, b]) => `${split.tokens[a]} ${split.tokens[b]}`));
  });

  it("writes a tokenizer_config.json naming the specials and turning off the decode clean-up", () => {
    const config = toTokenizerConfigJson();
    expect([config.pad_token, config.bos_token, config.eos_token, config.sep_token]).toEqual(SPECIAL_TOKENS);
    expect(config).toMatchObject({ add_prefix_space: false, clean_up_tokenization_spaces: false });
  });
});

describe("the splitDigits pre_tokenizer", () => {
  it("is a plain ByteLevel without splitDigits, and a \\p{N} Split before it with", () => {
    expect(preTokenizerJson(false)).toEqual(BYTE_LEVEL);
    expect(preTokenizerJson(true)).toEqual({ type: "Sequence", pretokenizers: [DIGIT_SPLIT, BYTE_LEVEL] });
    expect(toTokenizerJson(split).pre_tokenizer).toEqual(preTokenizerJson(true));
    expect(toTokenizerJson(plain).pre_tokenizer).toEqual(preTokenizerJson(false));
  });

  it.each([
    ["what we write without splitDigits", preTokenizerJson(false), false],
    ["what we write with splitDigits", preTokenizerJson(true), true],
    ["a ByteLevel that leaves use_regex to its default (true)", { type: "ByteLevel", add_prefix_space: false }, false],
    ["a ByteLevel that does not trim offsets (offsets only)", { ...BYTE_LEVEL, trim_offsets: false }, false],
  ])("reads %s", (_name, preTokenizer, want) => {
    expect(splitDigitsOf(preTokenizer)).toBe(want);
    expect(splitDigitsOf(JSON.parse(JSON.stringify(preTokenizer)))).toBe(want);
  });

  it.each([
    ["nothing", undefined],
    ["a Split on ASCII \\d", { type: "Sequence", pretokenizers: [{ ...DIGIT_SPLIT, pattern: { Regex: "\\d" } }, BYTE_LEVEL] }],
    [
      "a Split that merges digits with the next piece",
      { type: "Sequence", pretokenizers: [{ ...DIGIT_SPLIT, behavior: "MergedWithNext" }, BYTE_LEVEL] },
    ],
    ["a Split alone", { type: "Sequence", pretokenizers: [DIGIT_SPLIT] }],
    ["a Sequence of three", { type: "Sequence", pretokenizers: [DIGIT_SPLIT, BYTE_LEVEL, BYTE_LEVEL] }],
    ["a ByteLevel with a prefix space", { ...BYTE_LEVEL, add_prefix_space: true }],
    ["a Whitespace pre-tokenizer", { type: "Whitespace" }],
  ])("rejects %s, naming what it found and both accepted forms", (_name, preTokenizer) => {
    expect(() => splitDigitsOf(preTokenizer)).toThrow(
      /^tokenizer\.json: unsupported pre_tokenizer .* expected \{"type":"ByteLevel".* or, with split digits, \{"type":"Sequence"/,
    );
    if (preTokenizer) expect(() => splitDigitsOf(preTokenizer)).toThrow(JSON.stringify(preTokenizer));
  });

  it("says why HF's Digits pre-tokenizer is refused", () => {
    expect(() => splitDigitsOf({ type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: true }, BYTE_LEVEL] })).toThrow(
      /Digits pre-tokenizer is not supported: @huggingface\/tokenizers splits only ASCII 0-9/,
    );
  });
});

describe("malformed tokenizer.json", () => {
  type Json = ReturnType<typeof toTokenizerJson>;
  const withModel = (j: Json, model: Record<string, unknown>) => ({ ...j, model: { ...j.model, ...model } });

  it.each<[string, (j: Json) => unknown, RegExp]>([
    ["null", () => null, /expected a BPE model with vocab and merges/],
    ["an array", () => [], /expected a BPE model with vocab and merges/],
    ["no model", (j) => ({ ...j, model: undefined }), /expected a BPE model/],
    ["a Unigram model", (j) => withModel(j, { type: "Unigram" }), /expected a BPE model/],
    ["a null vocab", (j) => withModel(j, { vocab: null }), /expected a BPE model with vocab and merges/],
    ["merges that are not a list", (j) => withModel(j, { merges: "a b" }), /expected a BPE model with vocab and merges/],
    [
      "a vocab id that is not an integer",
      (j) => withModel(j, { vocab: { ...j.model.vocab, "<|pad|>": 0.5 } }),
      /vocab ids must be 0\.\.\d+ without gaps \(token "<\|pad\|>" has 0\.5\)/,
    ],
    ["a vocab id given as a string", (j) => withModel(j, { vocab: { ...j.model.vocab, "<|pad|>": "0" } }), /token "<\|pad\|>" has 0\)/],
    ["a negative vocab id", (j) => withModel(j, { vocab: { ...j.model.vocab, "<|pad|>": -1 } }), /without gaps .* has -1/],
    ["two tokens with one id", (j) => withModel(j, { vocab: { ...j.model.vocab, "<|pad|>": 1 } }), /without gaps/],
    ["a merge of three tokens", (j) => withModel(j, { merges: ["a b c"] }), /merge 0 "a b c" is not a pair of vocabulary tokens/],
    ["a merge in array form of one token", (j) => withModel(j, { merges: [["a"]] }), /merge 0 \["a"\] is not a pair/],
    ["a merge that is a number", (j) => withModel(j, { merges: [7] }), /merge 0 7 is not a pair/],
    [
      "a vocabulary without the byte tokens",
      (j) => withModel(j, { vocab: Object.fromEntries(SPECIAL_TOKENS.map((t, i) => [t, i])), merges: [] }),
      /lacks the token for byte 0/,
    ],
    [
      "an unsupported pre_tokenizer",
      (j) => ({ ...j, pre_tokenizer: { type: "Metaspace" } }),
      /unsupported pre_tokenizer \{"type":"Metaspace"\}/,
    ],
  ])("rejects %s with a clear error", (_name, corrupt, message) => {
    expect(() => fromTokenizerJson(corrupt(toTokenizerJson(split)))).toThrow(message);
  });
});

describe("saveTokenizer and loadTokenizer", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "aligner-tokenizer-json-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it.each([
    ["on", () => split],
    ["off", () => plain],
  ])("write both files into a new nested folder and read the same tokenizer back (splitDigits %s)", async (mode, get) => {
    const dir = join(root, `nested-${mode}`, "tokenizer");
    await saveTokenizer(dir, get());
    expect((await readdir(dir)).sort()).toEqual(["tokenizer.json", "tokenizer_config.json"]); // no temp files left
    expect(JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(toTokenizerJson(get()))));
    expect(JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8"))).toEqual(toTokenizerConfigJson());
    const loaded = await loadTokenizer(dir);
    expect(loaded.splitDigits).toBe(get().splitDigits);
    for (const [, text] of TEXTS) expect(loaded.encode(text)).toEqual(get().encode(text));
  });

  it("replaces an earlier tokenizer in the same folder", async () => {
    const dir = join(root, "replaced");
    await saveTokenizer(dir, split);
    await saveTokenizer(dir, plain);
    expect((await loadTokenizer(dir)).splitDigits).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(["tokenizer.json", "tokenizer_config.json"]);
  });

  it.each([
    ["truncated JSON", (text: string) => text.slice(0, text.length / 2), /JSON/],
    ["an empty file", () => "", /JSON/],
    ["a JSON string", () => '"tokenizer"', /expected a BPE model/],
    ["a vocab with a gap", (text: string) => text.replace('"<|pad|>":0', '"<|pad|>":9999'), /without gaps/],
  ])("rejects %s, naming the file", async (name, corrupt, message) => {
    const dir = join(root, name.replace(/\W+/g, "-"));
    await mkdir(dir, { recursive: true });
    await saveTokenizer(dir, split);
    const file = join(dir, "tokenizer.json");
    await writeFile(file, corrupt(await readFile(file, "utf8")));
    const error = await loadTokenizer(dir).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message.startsWith(`${file}: `)).toBe(true);
    expect(error?.message).toMatch(message);
    expect(error?.cause).toBeInstanceOf(Error);
  });

  it("names the missing file when the folder has none", async () => {
    await expect(loadTokenizer(join(root, "absent"))).rejects.toThrow(`${join(root, "absent", "tokenizer.json")}: ENOENT`);
  });
});
