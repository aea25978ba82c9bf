/**
 * Byte-level BPE tokenizer trained on a run's corpus, serialized as a Hugging Face tokenizer.json
 * (./json.ts).
 *
 * Ids: 0..3 are the specials (PAD, BOS, EOS, SEP), 4..259 the 256 bytes (byte b is id 4 + b),
 * then one id per learned merge. Text is split by the GPT-2 regex into words, each word's UTF-8
 * bytes are mapped through GPT-2's byte-to-unicode table, and merges are applied lowest rank
 * first, leftmost first: the same algorithm as `@huggingface/tokenizers` (and the Rust crate),
 * so the HF package reproduces our ids exactly from the tokenizer.json we write.
 *
 * splitDigits (trainTokenizer's default is true; the presets set tokenizer.splitDigits false, experiment/config.ts): every number character (\p{N}: 0-9, other
 * scripts' digits, ², ½, Ⅻ...) is a word of its own, so no token spans two digits or a digit and
 * anything else, and a model can copy numbers it never saw digit by digit (as LLaMA/Gemma do).
 *
 * Round trip: `decode(encode(t)) === t` for every well-formed string (lone UTF-16 surrogates are
 * not UTF-8; TextEncoder turns them into U+FFFD). Special-token strings inside text are plain text
 * unless `encode(t, { allowSpecial: true })` asks for HF's behaviour of matching them as specials.
 */

export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const SEP_ID = 3;
export const SPECIAL_TOKENS: readonly string[] = ["<|pad|>", "<|bos|>", "<|eos|>", "<|sep|>"];
/** Smallest vocabulary: the specials plus the 256 byte tokens. */
export const MIN_VOCAB_SIZE = SPECIAL_TOKENS.length + 256;

export interface EncodeOptions {
  /** Match special-token strings in the text as specials (HF's behaviour); default false: plain text. */
  allowSpecial?: boolean;
}
export interface DecodeOptions {
  /** Drop special ids (default true); when false they render as their strings, e.g. "<|eos|>". */
  skipSpecial?: boolean;
}
export interface Tokenizer {
  readonly vocabSize: number;
  /** Whether every \p{N} character is pre-tokenized as its own word (see the file comment). */
  readonly splitDigits: boolean;
  /** Byte-level token string of each id (GPT-2 byte-to-unicode alphabet), as in tokenizer.json. */
  readonly tokens: readonly string[];
  /** Merges in rank order, as pairs of ids. */
  readonly merges: readonly (readonly [number, number])[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  encode(text: string, options?: EncodeOptions): number[];
  encodeBatch(texts: readonly string[], options?: EncodeOptions): number[][];
  decode(ids: readonly number[], options?: DecodeOptions): string;
}

/** The GPT-2 / HF ByteLevel pre-tokenization regex, verbatim from @huggingface/tokenizers. */
const _PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
/**
 * splitDigits: HF first isolates each /\p{N}/ match (Split, Isolated), then runs _PATTERN on each
 * piece between them. One regex gives the same words: a lone \p{N} first; ` ?\p{N}+` dropped (it
 * never matches a digit-free piece); and since a piece ends where a digit starts, the whitespace
 * lookahead `(?!\S)` becomes `(?![^\s\p{N}])` (a digit next counts as the piece's end). So
 * " 103" is " ", "1", "0", "3", and "a  1" is "a", "  ", "1", as in @huggingface/tokenizers.
 */
const _DIGIT_PATTERN = /\p{N}|'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?[^\s\p{L}\p{N}]+|\s+(?![^\s\p{N}])|\s+/gu;
/** The regex that splits text into words (BPE never merges across words). */
/** The pre-tokenizer's word regex (GPT-2's; with splitDigits every number character stands alone). */
export const wordPattern = (splitDigits: boolean): RegExp => (splitDigits ? _DIGIT_PATTERN : _PATTERN);
const _SPECIAL_PATTERN = /<\|pad\|>|<\|bos\|>|<\|eos\|>|<\|sep\|>/g;
/** Pair keys are left * PAIR_KEY + right; ids stay below 2^21. */
export const PAIR_KEY = 2 ** 21; // pair key = left * PAIR_KEY + right; ids stay below 2^21
const _CACHE_LIMIT = 100_000;

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const chars: string[] = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : 256 + shifted++);
  }
  return chars;
})();
const _CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** A binary min-heap under `less` (merge ranks in encoding, pair counts in training). */
export class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    const h = this.items;
    let i = h.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(item, h[parent] as T)) break;
      h[i] = h[parent] as T;
      i = parent;
    }
    h[i] = item;
  }
  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && this.less(h[r] as T, h[l] as T) ? r : l;
      if (!this.less(h[c] as T, last)) break;
      h[i] = h[c] as T;
      i = c;
    }
    h[i] = last;
    return top;
  }
}

/**
 * Builds the encoder/decoder from id → token strings (specials at 0..3, every byte's character
 * somewhere) and merges as id pairs in rank order. Validates the layout; throws on any mismatch.
 */
export function createTokenizer(
  tokens: readonly string[],
  merges: readonly (readonly [number, number])[],
  { splitDigits }: { splitDigits: boolean },
): Tokenizer {
  const pattern = wordPattern(splitDigits);
  const ids = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (ids.has(t)) throw new Error(`token ${JSON.stringify(t)} appears twice in the vocabulary`);
    ids.set(t, i);
  });
  SPECIAL_TOKENS.forEach((s, i) => {
    if (tokens[i] !== s) throw new Error(`expected special token ${s} at id ${i}, found ${JSON.stringify(tokens[i])}`);
  });
  const byteIds = BYTE_TO_CHAR.map((c, b) => {
    const id = ids.get(c);
    if (id === undefined) throw new Error(`vocabulary lacks the token for byte ${b}`);
    return id;
  });
  const ranks = new Map<number, number>();
  const mergeIds: number[] = [];
  merges.forEach(([a, b], rank) => {
    const joined = (tokens[a] ?? "") + (tokens[b] ?? "");
    const id = ids.get(joined);
    if (a < 4 || b < 4 || id === undefined) throw new Error(`merge ${rank} (${a}, ${b}) does not produce a vocabulary token`);
    if (ranks.has(a * PAIR_KEY + b))
      throw new Error(`merge ${rank} (${JSON.stringify(tokens[a])}, ${JSON.stringify(tokens[b])}) is a duplicate`);
    ranks.set(a * PAIR_KEY + b, rank);
    mergeIds.push(id);
  });
  const bytesById = tokens.map((token, i) =>
    i < SPECIAL_TOKENS.length
      ? []
      : Array.from(token, (ch) => {
          const b = _CHAR_TO_BYTE.get(ch);
          if (b === undefined) throw new Error(`token ${JSON.stringify(token)} has a character outside the byte-level alphabet`);
          return b;
        }),
  );
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true }); // keep a leading U+FEFF, as HF does
  const cache = new Map<string, number[]>();

  /** Merge lowest rank first, leftmost first (the HF order): heap of rank * n + position. */
  const encodeWord = (word: string): number[] => {
    const hit = cache.get(word);
    if (hit) return hit;
    const bytes = encoder.encode(word);
    const n = bytes.length;
    const sym = Int32Array.from(bytes, (b) => byteIds[b] as number);
    const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const alive = new Uint8Array(n).fill(1);
    const heap = new Heap<number>((x, y) => x < y);
    const rankAt = (p: number): number | undefined => {
      const q = next[p] as number;
      return q < 0 ? undefined : ranks.get((sym[p] as number) * PAIR_KEY + (sym[q] as number));
    };
    const pushPair = (p: number) => {
      const r = rankAt(p);
      if (r !== undefined) heap.push(r * n + p);
    };
    for (let p = 0; p + 1 < n; p++) pushPair(p);
    while (heap.size > 0) {
      const key = heap.pop() as number;
      const p = key % n;
      const r = (key - p) / n;
      if (!alive[p] || rankAt(p) !== r) continue; // stale entry
      const q = next[p] as number;
      sym[p] = mergeIds[r] as number;
      alive[q] = 0;
      const after = next[q] as number;
      next[p] = after;
      if (after >= 0) prev[after] = p;
      if ((prev[p] as number) >= 0) pushPair(prev[p] as number);
      pushPair(p);
    }
    const out: number[] = [];
    for (let p = 0; p >= 0 && p < n; p = next[p] as number) out.push(sym[p] as number);
    if (word.length < 256) {
      if (cache.size >= _CACHE_LIMIT) cache.clear();
      cache.set(word, out);
    }
    return out;
  };
  const encodePlain = (text: string, out: number[]) => {
    for (const word of text.match(pattern) ?? []) for (const id of encodeWord(word)) out.push(id);
  };
  const encode = (text: string, options: EncodeOptions = {}): number[] => {
    const out: number[] = [];
    if (!options.allowSpecial) {
      encodePlain(text, out);
      return out;
    }
    let start = 0;
    for (const m of text.matchAll(_SPECIAL_PATTERN)) {
      encodePlain(text.slice(start, m.index), out);
      out.push(SPECIAL_TOKENS.indexOf(m[0]));
      start = m.index + m[0].length;
    }
    encodePlain(text.slice(start), out);
    return out;
  };
  const decode = (input: readonly number[], options: DecodeOptions = {}): string => {
    const skipSpecial = options.skipSpecial ?? true;
    let text = "";
    let run: number[] = []; // bytes since the last rendered special
    const flush = () => {
      text += decoder.decode(Uint8Array.from(run));
      run = [];
    };
    for (const id of input) {
      if (!Number.isInteger(id) || id < 0 || id >= tokens.length)
        throw new RangeError(`token id ${id} is outside the vocabulary [0, ${tokens.length})`);
      if (id >= SPECIAL_TOKENS.length) {
        for (const b of bytesById[id] as number[]) run.push(b);
      } else if (!skipSpecial) {
        flush();
        text += SPECIAL_TOKENS[id];
      }
    }
    flush();
    return text;
  };
  return {
    vocabSize: tokens.length,
    splitDigits,
    tokens,
    merges,
    tokenToId: (token) => ids.get(token),
    idToToken: (id) => tokens[id],
    encode,
    encodeBatch: (texts, options) => texts.map((t) => encode(t, options)),
    decode,
  };
}
