/** Learning a byte-level BPE vocabulary from a corpus (the encoder itself is ./bpe.ts). */
import { createLogger } from "../log.js";
import { BYTE_TO_CHAR, Heap, MIN_VOCAB_SIZE, PAIR_KEY, SPECIAL_TOKENS, createTokenizer, wordPattern, type Tokenizer } from "./bpe.js";

const log = createLogger("tokenize");

export interface TrainOptions {
  /** Upper bound on the vocabulary (specials + bytes + merges); fewer if the corpus runs out of pairs. */
  vocabSize: number;
  /** Stop when the best pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** Pre-tokenize every \p{N} character as its own word, so no merge touches a digit (default true). */
  splitDigits?: boolean;
}

/** Counts words over the corpus. Special-token strings in the corpus are plain text. */
function _countWords(texts: readonly string[], pattern: RegExp): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const w of text.match(pattern) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

function _track(where: Map<number, Set<number>>, pair: number, word: number): void {
  const set = where.get(pair);
  if (set) set.add(word);
  else where.set(pair, new Set([word]));
}

/**
 * Learns byte-level BPE merges: repeatedly merge the most frequent adjacent pair (ties: smallest
 * (left id, right id)), updating pair counts incrementally from only the words that contain it.
 */
export function trainTokenizer(texts: readonly string[], options: TrainOptions): Tokenizer {
  const { vocabSize, minFrequency = 2, splitDigits = true } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < MIN_VOCAB_SIZE || vocabSize >= PAIR_KEY) {
    throw new RangeError(`vocabSize must be an integer in [${MIN_VOCAB_SIZE}, ${PAIR_KEY}), got ${vocabSize}`);
  }
  const started = performance.now();
  const tokens = [...SPECIAL_TOKENS, ...BYTE_TO_CHAR];
  const ids = new Map(tokens.map((t, i) => [t, i]));
  const merges: [number, number][] = [];
  const counts = _countWords(texts, wordPattern(splitDigits));
  const encoder = new TextEncoder();
  const words: Int32Array[] = [];
  const freq: number[] = [];
  for (const [word, count] of counts) {
    words.push(Int32Array.from(encoder.encode(word), (b) => b + SPECIAL_TOKENS.length));
    freq.push(count);
  }
  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.length; i++) {
      const k = (w[i] as number) * PAIR_KEY + (w[i + 1] as number);
      pairCounts.set(k, (pairCounts.get(k) ?? 0) + (freq[wi] as number));
      _track(where, k, wi);
    }
  });
  type Entry = { count: number; key: number };
  const heap = new Heap<Entry>((x, y) => x.count > y.count || (x.count === y.count && x.key < y.key));
  for (const [key, count] of pairCounts) heap.push({ count, key });

  const base = tokens.length;
  const progress = (n: number) => log.progress?.("tokenizer merges", n - base, vocabSize - base);
  while (tokens.length < vocabSize && heap.size > 0) {
    if ((tokens.length - base) % 16 === 0) progress(tokens.length);
    const { count, key } = heap.pop() as Entry;
    if (pairCounts.get(key) !== count) continue; // stale: a fresher entry exists
    if (count < minFrequency) break;
    const a = Math.floor(key / PAIR_KEY);
    const b = key % PAIR_KEY;
    const joined = (tokens[a] as string) + (tokens[b] as string);
    let id = ids.get(joined); // two merge paths can spell the same token: reuse its id
    if (id === undefined) ids.set(joined, (id = tokens.push(joined) - 1));
    merges.push([a, b]);
    const delta = new Map<number, number>();
    const add = (w: Int32Array, sign: number, c: number, wi: number) => {
      for (let i = 0; i + 1 < w.length; i++) {
        const l = w[i] as number;
        const r = w[i + 1] as number;
        const k = l * PAIR_KEY + r;
        delta.set(k, (delta.get(k) ?? 0) + sign * c);
        if (sign > 0 && (l === id || r === id)) _track(where, k, wi); // only pairs with the new id are new
      }
    };
    for (const wi of where.get(key) ?? []) {
      const w = words[wi] as Int32Array;
      const merged: number[] = [];
      for (let i = 0; i < w.length; i++) {
        const hit = i + 1 < w.length && w[i] === a && w[i + 1] === b;
        merged.push(hit ? id : (w[i] as number));
        if (hit) i++; // non-overlapping, left to right
      }
      if (merged.length === w.length) continue; // the pair left this word in an earlier merge
      const c = freq[wi] as number;
      add(w, -1, c, wi);
      const next = Int32Array.from(merged);
      add(next, 1, c, wi);
      words[wi] = next;
    }
    where.delete(key);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const updated = (pairCounts.get(k) ?? 0) + d;
      if (updated > 0) {
        pairCounts.set(k, updated);
        heap.push({ count: updated, key: k });
      } else {
        pairCounts.delete(k);
        where.delete(k);
      }
    }
  }
  progress(vocabSize); // ends the task (the corpus may run out of pairs first)
  log.info(
    `trained ${merges.length} merges (vocab ${tokens.length}, splitDigits ${splitDigits}) from ${counts.size} distinct words in ${Math.round(performance.now() - started)} ms`,
  );
  return createTokenizer(tokens, merges, { splitDigits });
}
