/**
 * The paper's correction metrics on plain rows, for world runs and imported datasets alike:
 * ω with a bootstrap interval, GSB counts, copy rate, D_L = Levenshtein(tokens(answer),
 * tokens(correction)) / |tokens(answer)|, lengths, degenerate-output flags and the token-level edit
 * operations between answer and correction (the residual).
 */
import { createRng } from "../engine/random.js";
import { levenshtein, levenshteinWithin } from "./levenshtein.js";

export type Verdict = "win" | "tie" | "lose";

/**
 * Word tokens: runs of letters/digits, and each other non-space character alone. The default T(·)
 * for D_L on any dataset, so figures compare across tokenizers; a run may pass its own tokenizer.
 */
export function wordTokens(text: string): string[] {
  return text.match(/[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) ?? [];
}

/** Unicode code points (what AlpacaEval's avg_length counts), not UTF-16 units. */
export const codePoints = (text: string): number => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

export { DL_MAX_CELLS, levenshtein, levenshteinWithin } from "./levenshtein.js";

/** D_L: the amount of correction; 0 for a copy. An empty answer gives |correction| (avoids ÷0). */
export function dl(answer: string, correction: string, tokenize: (s: string) => string[] = wordTokens): number {
  const a = tokenize(answer);
  const c = tokenize(correction);
  return levenshtein(a, c) / Math.max(1, a.length);
}

export type EditKind = "keep" | "insert" | "delete" | "replace";
export interface EditOp {
  op: EditKind;
  /** Token span in the answer (empty for insert). */
  from: string;
  /** Token span in the correction (empty for delete). */
  to: string;
  /** Position of the span's first token in the answer. */
  at: number;
}

/**
 * The token-level edit script from answer to correction with adjacent operations of one kind merged
 * into spans; a delete next to an insert becomes a replace. Spans are joined with single spaces.
 */
export function editOps(answer: string, correction: string, tokenize: (s: string) => string[] = wordTokens): EditOp[] {
  const a = tokenize(answer);
  const b = tokenize(correction);
  const n = a.length;
  const m = b.length;
  // dist[i][j] = edit distance of a[i:] and b[j:], filled backwards so the script reads forwards.
  const w = m + 1;
  const dist = new Uint32Array((n + 1) * w);
  for (let i = n; i >= 0; i--) {
    for (let j = m; j >= 0; j--) {
      if (i === n) dist[i * w + j] = m - j;
      else if (j === m) dist[i * w + j] = n - i;
      else {
        const sub = dist[(i + 1) * w + j + 1]! + (a[i] === b[j] ? 0 : 1);
        dist[i * w + j] = Math.min(sub, dist[(i + 1) * w + j]! + 1, dist[i * w + j + 1]! + 1);
      }
    }
  }
  const steps: { op: "keep" | "insert" | "delete" | "sub"; i: number; j: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const here = dist[i * w + j]!;
    if (i < n && j < m && a[i] === b[j] && here === dist[(i + 1) * w + j + 1]) steps.push({ op: "keep", i: i++, j: j++ });
    else if (i < n && j < m && here === dist[(i + 1) * w + j + 1]! + 1) steps.push({ op: "sub", i: i++, j: j++ });
    else if (i < n && here === dist[(i + 1) * w + j]! + 1) steps.push({ op: "delete", i: i++, j });
    else steps.push({ op: "insert", i, j: j++ });
  }
  const ops: (EditOp & { _from: string[]; _to: string[] })[] = [];
  for (const s of steps) {
    const kind: EditKind = s.op === "keep" ? "keep" : s.op === "sub" ? "replace" : s.op;
    const last = ops[ops.length - 1];
    const from = s.op === "insert" ? [] : [a[s.i]!];
    const to = s.op === "delete" ? [] : [b[s.j]!];
    const mergeable = last && (last.op === kind || (last.op !== "keep" && kind !== "keep"));
    if (last && mergeable) {
      if (last.op !== kind) last.op = "replace";
      last._from.push(...from);
      last._to.push(...to);
    } else ops.push({ op: kind, from: "", to: "", at: s.i, _from: from, _to: to });
  }
  return ops.map(({ op, at, _from, _to }) => ({ op, at, from: _from.join(" "), to: _to.join(" ") }));
}

export interface Gsb {
  /** Good: the correction wins. */
  win: number;
  /** Same: a tie. */
  tie: number;
  /** Bad: the correction loses. */
  lose: number;
}

export function countGsb(verdicts: readonly Verdict[]): Gsb {
  const gsb = { win: 0, tie: 0, lose: 0 };
  for (const v of verdicts) gsb[v]++;
  return gsb;
}

/** ω = (W − L) / (W + L + T), in [−1, 1]; 0 for no verdicts. */
export function omega({ win, tie, lose }: Gsb): number {
  const n = win + tie + lose;
  return n === 0 ? 0 : (win - lose) / n;
}

/** ω with a percentile bootstrap interval (resampling the verdicts, seeded). */
export function omegaInterval(
  verdicts: readonly Verdict[],
  options: { samples?: number; level?: number; seed?: number } = {},
): { omega: number; lo: number; hi: number } & Gsb {
  const gsb = countGsb(verdicts);
  if (verdicts.length === 0) return { ...gsb, omega: 0, lo: 0, hi: 0 };
  // ω is the mean of +1 (win), 0 (tie), −1 (lose): its interval is that mean's.
  const { lo, hi } = meanInterval(
    verdicts.map((v) => (v === "win" ? 1 : v === "lose" ? -1 : 0)),
    options,
  );
  return { ...gsb, omega: omega(gsb), lo, hi };
}

/** Mean of `xs` with a percentile bootstrap interval (seeded). */
export function meanInterval(
  xs: readonly number[],
  { samples = 1000, level = 0.95, seed = 1 } = {},
): { mean: number; lo: number; hi: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN };
  const rng = createRng(seed);
  const stats = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += xs[Math.floor(rng() * n)]!;
    stats[s] = sum / n;
  }
  stats.sort();
  const q = (p: number) => stats[Math.min(samples - 1, Math.max(0, Math.round(p * (samples - 1))))]!;
  return { mean: mean(xs), lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) };
}

export type DegenerateKind = "empty" | "truncated" | "repeated_ngram" | "run_together" | "non_ascii_injection";

/**
 * Flags degenerate output, with documented heuristics:
 * - empty: no non-space character;
 * - truncated: the caller says generation hit its token limit, or the text ends mid-word after a
 *   letter with no closing punctuation and is longer than 20 words;
 * - repeated_ngram: some word 4-gram occurs 3 or more times;
 * - run_together: a lowercase-uppercase junction inside a word ("answerThe") or a lowercase word
 *   of 25+ letters;
 * - non_ascii_injection: letters of another script inside a text that is at least 80% ASCII letters.
 */
export function degenerateFlags(text: string, options: { hitLimit?: boolean } = {}): DegenerateKind[] {
  const flags: DegenerateKind[] = [];
  if (text.trim() === "") return ["empty"];
  const words = text.split(/\s+/).filter(Boolean);
  if (options.hitLimit || (words.length > 20 && /\p{L}$/u.test(text.trimEnd()) && !/[.!?)"'\]:;]$/.test(text.trimEnd()))) {
    flags.push("truncated");
  }
  const grams = new Map<string, number>();
  for (let k = 0; k + 4 <= words.length; k++) {
    const g = words
      .slice(k, k + 4)
      .join(" ")
      .toLowerCase();
    const c = (grams.get(g) ?? 0) + 1;
    grams.set(g, c);
    if (c === 3) {
      flags.push("repeated_ngram");
      break;
    }
  }
  if (words.some((w) => /\p{Ll}{2,}\p{Lu}\p{Ll}/u.test(w) || /^\p{Ll}{25,}$/u.test(w.replace(/[^\p{L}]/gu, ""))))
    flags.push("run_together");
  const letters = text.match(/\p{L}/gu) ?? [];
  const ascii = letters.filter((c) => c <= "\x7f").length;
  if (
    letters.length >= 20 &&
    ascii / letters.length >= 0.8 &&
    ascii < letters.length &&
    letters.some((c) => /[^\p{Script=Latin}]/u.test(c))
  ) {
    flags.push("non_ascii_injection");
  }
  return flags;
}

export interface CorrectionPair {
  answer: string;
  correction: string;
}

export interface DatasetMetrics {
  rows: number;
  copy_rate: number;
  dl_mean: number;
  dl_median: number;
  answer_chars_mean: number;
  correction_chars_mean: number;
  answer_tokens_mean: number;
  correction_tokens_mean: number;
  degenerate: Record<DegenerateKind, number>;
  /**
   * Rows whose D_L was not measured (too long and different: see `DL_MAX_CELLS`), left out of
   * dl_mean and dl_median; present only when there are some.
   */
  dl_unmeasured?: number;
}

export function mean(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return xs.length ? sum / xs.length : 0;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = Float64Array.from(xs).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One row's measures, as `describeCorrections` counts them (the `imported` table's columns). */
export interface CorrectionMeasures {
  copy: boolean;
  /** Null when the texts are too long and different to measure within `DL_MAX_CELLS`. */
  dl: number | null;
  answer_tokens: number;
  correction_tokens: number;
  answer_chars: number;
  correction_chars: number;
  /** Degenerate flags of the correction. */
  degenerate: DegenerateKind[];
}

/**
 * Copy, D_L, lengths (word tokens, code points) and degenerate flags of one (answer, correction) pair;
 * `hitLimit`: the generator stopped at its token limit (flags "truncated").
 */
export function describeCorrection(
  { answer, correction }: CorrectionPair,
  { hitLimit = false }: { hitLimit?: boolean } = {},
): CorrectionMeasures {
  const a = wordTokens(answer);
  const c = wordTokens(correction);
  return {
    copy: answer === correction,
    dl: _ratio(levenshteinWithin(a, c), a.length),
    answer_tokens: a.length,
    correction_tokens: c.length,
    answer_chars: codePoints(answer),
    correction_chars: codePoints(correction),
    degenerate: degenerateFlags(correction, { hitLimit }),
  };
}

const _ratio = (d: number | null, n: number) => (d === null ? null : d / Math.max(1, n));

/** The metrics `aligner metrics` prints for any (answer, correction) dataset; tokens are word tokens. */
export function describeCorrections(rows: readonly CorrectionPair[]): DatasetMetrics {
  return summarizeMeasures(rows.map((r) => describeCorrection(r)));
}

/** `describeCorrections` from rows already measured by `describeCorrection`. */
export function summarizeMeasures(rows: readonly CorrectionMeasures[]): DatasetMetrics {
  const degenerate: Record<DegenerateKind, number> = { empty: 0, truncated: 0, repeated_ngram: 0, run_together: 0, non_ascii_injection: 0 };
  for (const r of rows) for (const flag of r.degenerate) degenerate[flag]++;
  const dls = rows.flatMap((r) => (r.dl === null ? [] : [r.dl]));
  return {
    rows: rows.length,
    copy_rate: rows.length ? rows.filter((r) => r.copy).length / rows.length : 0,
    dl_mean: mean(dls),
    dl_median: median(dls),
    answer_chars_mean: mean(rows.map((r) => r.answer_chars)),
    correction_chars_mean: mean(rows.map((r) => r.correction_chars)),
    answer_tokens_mean: mean(rows.map((r) => r.answer_tokens)),
    correction_tokens_mean: mean(rows.map((r) => r.correction_tokens)),
    degenerate,
    ...(dls.length < rows.length ? { dl_unmeasured: rows.length - dls.length } : {}),
  };
}
