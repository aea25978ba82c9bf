/**
 * tokenizer.json / tokenizer_config.json for the byte-level BPE of ./bpe.ts.
 *
 * The pre_tokenizer is what carries `splitDigits`:
 * - false: `ByteLevel` with use_regex true, the GPT-2 regex, as GPT-2's own tokenizer.json.
 * - true: `Sequence [Split /\p{N}/ Isolated, ByteLevel]`: every number character becomes its own
 *   piece, the text between them goes through the GPT-2 regex. Not HF's `Digits` pre-tokenizer:
 *   @huggingface/tokenizers implements it with JS `\d` (ASCII 0-9 only) while the Rust crate uses
 *   `char::is_numeric` (every Unicode number), so "١٢٣" or "x²" would get different ids in JS and
 *   in Python. A Split on the explicit regex `\p{N}` means the same thing in both (JS `u` regex,
 *   Oniguruma), and is what ./bpe.ts's word regex reproduces.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { makeDirs, writeFileAtomic } from "../files.js";
import { SPECIAL_TOKENS, createTokenizer, type Tokenizer } from "./bpe.js";

export interface ByteLevelJson {
  type: "ByteLevel";
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}
export interface DigitSplitJson {
  type: "Split";
  pattern: { Regex: string };
  behavior: "Isolated";
  invert: boolean;
}
export type PreTokenizerJson = ByteLevelJson | { type: "Sequence"; pretokenizers: [DigitSplitJson, ByteLevelJson] };

const _byteLevel = (): ByteLevelJson => ({ type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true });

/** The pre_tokenizer we write for a tokenizer with or without splitDigits. */
export function preTokenizerJson(splitDigits: boolean): PreTokenizerJson {
  if (!splitDigits) return _byteLevel();
  const digits: DigitSplitJson = { type: "Split", pattern: { Regex: "\\p{N}" }, behavior: "Isolated", invert: false };
  return { type: "Sequence", pretokenizers: [digits, _byteLevel()] };
}

type _Json = Record<string, unknown>;
const _isObject = (x: unknown): x is _Json => typeof x === "object" && x !== null && !Array.isArray(x);
/** ByteLevel that splits with the GPT-2 regex and adds no space (trim_offsets only moves offsets). */
const _isOurByteLevel = (x: unknown) =>
  _isObject(x) && x.type === "ByteLevel" && x.add_prefix_space === false && (x.use_regex === undefined || x.use_regex === true);
const _isDigitSplit = (x: unknown) =>
  _isObject(x) &&
  x.type === "Split" &&
  _isObject(x.pattern) &&
  x.pattern.Regex === "\\p{N}" &&
  x.behavior === "Isolated" &&
  x.invert === false;

/**
 * splitDigits of a tokenizer.json pre_tokenizer: false for the plain ByteLevel (every file written
 * before splitDigits existed), true for the Sequence above. Anything else would split words in a
 * way our encoder does not, so it is an error naming what was found and what is accepted.
 */
export function splitDigitsOf(preTokenizer: unknown): boolean {
  if (_isOurByteLevel(preTokenizer)) return false;
  const steps = _isObject(preTokenizer) && preTokenizer.type === "Sequence" ? preTokenizer.pretokenizers : undefined;
  if (Array.isArray(steps) && steps.length === 2 && _isDigitSplit(steps[0]) && _isOurByteLevel(steps[1])) return true;
  const found = JSON.stringify(preTokenizer) ?? "nothing";
  const digits =
    Array.isArray(steps) && steps.some((s) => _isObject(s) && s.type === "Digits")
      ? " (the Digits pre-tokenizer is not supported: @huggingface/tokenizers splits only ASCII 0-9 with it, the Rust tokenizers every Unicode number)"
      : "";
  throw new Error(
    `tokenizer.json: unsupported pre_tokenizer ${found}${digits}; expected ${JSON.stringify(preTokenizerJson(false))} ` +
      `or, with split digits, ${JSON.stringify(preTokenizerJson(true))}`,
  );
}

/**
 * The tokenizer.json the HF packages load. Settings (all needed for id-for-id agreement with
 * @huggingface/tokenizers): no normalizer; the pre_tokenizer above, whose ByteLevel has
 * add_prefix_space false (we never prepend a space), use_regex true (the GPT-2 regex) and
 * trim_offsets true (offsets only); post_processor null (no specials added: callers add BOS/EOS
 * ids themselves); ByteLevel decoder; BPE model with no unk token, dropout, byte fallback or
 * ignore_merges, merges in the GPT-2 "left right" string form (byte-level tokens never contain a
 * space). The specials are added_tokens with special: true and also sit in vocab at ids 0..3, as
 * GPT-2's <|endoftext|> does.
 */
export function toTokenizerJson(tok: Tokenizer) {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: preTokenizerJson(tok.splitDigits),
    post_processor: null,
    decoder: _byteLevel(),
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(tok.tokens.map((t, i) => [t, i])) as Record<string, number>,
      merges: tok.merges.map(([a, b]) => `${tok.tokens[a]} ${tok.tokens[b]}`),
    },
  };
}
export type TokenizerJson = ReturnType<typeof toTokenizerJson>;

/** tokenizer_config.json: names the specials and turns off HF's decode-time space clean-up. */
export function toTokenizerConfigJson() {
  const [pad, bos, eos, sep] = SPECIAL_TOKENS;
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    pad_token: pad,
    bos_token: bos,
    eos_token: eos,
    sep_token: sep,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
  };
}

/** Rebuilds a Tokenizer from a tokenizer.json object written by toTokenizerJson (validated). */
export function fromTokenizerJson(json: unknown): Tokenizer {
  const model = (json as { model?: { type?: unknown; vocab?: unknown; merges?: unknown } } | null)?.model;
  if (model?.type !== "BPE" || typeof model.vocab !== "object" || model.vocab === null || !Array.isArray(model.merges)) {
    throw new Error("tokenizer.json: expected a BPE model with vocab and merges");
  }
  const splitDigits = splitDigitsOf((json as { pre_tokenizer?: unknown }).pre_tokenizer);
  const entries = Object.entries(model.vocab as Record<string, unknown>);
  const tokens: string[] = new Array<string>(entries.length);
  for (const [token, id] of entries) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= entries.length || tokens[id as number] !== undefined) {
      throw new Error(
        `tokenizer.json: vocab ids must be 0..${entries.length - 1} without gaps (token ${JSON.stringify(token)} has ${String(id)})`,
      );
    }
    tokens[id as number] = token;
  }
  const index = new Map(tokens.map((t, i) => [t, i]));
  const merges = (model.merges as unknown[]).map((m, rank): [number, number] => {
    const parts = typeof m === "string" ? m.split(" ") : m;
    const [a, b] = Array.isArray(parts) && parts.length === 2 ? parts.map((p) => index.get(String(p))) : [];
    if (a === undefined || b === undefined)
      throw new Error(`tokenizer.json: merge ${rank} ${JSON.stringify(m)} is not a pair of vocabulary tokens`);
    return [a, b];
  });
  return createTokenizer(tokens, merges, { splitDigits });
}

/** Writes `dir/tokenizer.json` and `dir/tokenizer_config.json` (each via temp file + rename). */
export async function saveTokenizer(dir: string, tok: Tokenizer): Promise<void> {
  makeDirs(dir);
  writeFileAtomic(join(dir, "tokenizer.json"), JSON.stringify(toTokenizerJson(tok)));
  writeFileAtomic(join(dir, "tokenizer_config.json"), JSON.stringify(toTokenizerConfigJson(), null, 2) + "\n");
}

/** Reads `dir/tokenizer.json` written by saveTokenizer. */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const path = join(dir, "tokenizer.json");
  try {
    return fromTokenizerJson(JSON.parse(await readFile(path, "utf8")));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}
