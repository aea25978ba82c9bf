/**
 * The question-clustered, paired bootstrap. A world's test rows come in clusters: every upstream
 * answers every question, so the rows of one question share its difficulty and its oracle. Resampling
 * rows treats 11 correlated rows as 11 independent ones and gives intervals that are too narrow; here a
 * resample draws question ids with replacement and every row of a drawn question comes along (as often
 * as the question was drawn). One plan of resamples serves every group of rows (per upstream, pooled,
 * per shift), every method and both the answer and its correction, so the intervals are paired and
 * the average of per-upstream ω (the headline) gets its interval from the same resamples.
 */
import { createRng } from "../engine/random.js";

/** Resamples of the questions: how often each question was drawn in each resample. */
export interface ClusterPlan {
  /** Per row: its question's index in `questions`. */
  cluster: Int32Array;
  /** The distinct questions (cluster keys), in order of first appearance. */
  questions: string[];
  samples: number;
  /** `samples × questions.length` counts: weight of question q in resample s at `s * questions.length + q`. */
  weights: Uint16Array;
}

/**
 * Draws `samples` resamples of the distinct questions among `keys` (one key per row: its question),
 * seeded; each resample draws as many questions as there are, with replacement.
 */
export function planResamples(
  keys: readonly string[],
  { samples = 1000, seed = 1 }: { samples?: number; seed?: number } = {},
): ClusterPlan {
  const index = new Map<string, number>();
  const cluster = new Int32Array(keys.length);
  keys.forEach((k, i) => {
    let q = index.get(k);
    if (q === undefined) index.set(k, (q = index.size));
    cluster[i] = q;
  });
  const n = index.size;
  const weights = new Uint16Array(samples * n);
  const rng = createRng(seed);
  for (let s = 0; s < samples; s++) for (let d = 0; d < n; d++) weights[s * n + Math.floor(rng() * n)]!++;
  return { cluster, questions: [...index.keys()], samples, weights };
}

/**
 * The mean of `values` over the rows `rows` (indices into the plan's rows) in every resample: each row
 * counts as often as its question was drawn. NaN where a resample drew none of the group's questions.
 */
export function resampledMeans(plan: ClusterPlan, rows: readonly number[], values: readonly number[]): Float64Array {
  const n = plan.questions.length;
  const out = new Float64Array(plan.samples);
  // Sum and count per question once, so each resample costs one pass over the group's questions.
  const sums = new Map<number, { sum: number; count: number }>();
  for (const i of rows) {
    const q = plan.cluster[i]!;
    const c = sums.get(q) ?? { sum: 0, count: 0 };
    c.sum += values[i]!;
    c.count++;
    sums.set(q, c);
  }
  const qs = [...sums.keys()];
  const sum = qs.map((q) => sums.get(q)!.sum);
  const count = qs.map((q) => sums.get(q)!.count);
  for (let s = 0; s < plan.samples; s++) {
    let total = 0;
    let weight = 0;
    for (let k = 0; k < qs.length; k++) {
      const w = plan.weights[s * n + qs[k]!]!;
      total += w * sum[k]!;
      weight += w * count[k]!;
    }
    out[s] = weight > 0 ? total / weight : NaN;
  }
  return out;
}

/** Element-wise mean of several resample series (the average of per-upstream ω, resample by resample). */
export function averageSeries(series: readonly Float64Array[]): Float64Array {
  const samples = series[0]?.length ?? 0;
  const out = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let total = 0;
    for (const x of series) total += x[s]!;
    out[s] = series.length ? total / series.length : NaN;
  }
  return out;
}

/** The percentile interval of a resample series (NaN resamples left out); [NaN, NaN] when none is left. */
export function percentileInterval(stats: Float64Array, level = 0.95): { lo: number; hi: number } {
  const kept = Float64Array.from(stats.filter((x) => !Number.isNaN(x))).sort();
  if (kept.length === 0) return { lo: NaN, hi: NaN };
  const q = (p: number) => kept[Math.min(kept.length - 1, Math.max(0, Math.round(p * (kept.length - 1))))]!;
  return { lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) };
}

/** Mean of `values` with a question-clustered percentile interval (one plan for just these rows). */
export function clusteredMeanInterval(
  values: readonly number[],
  keys: readonly string[],
  options: { samples?: number; seed?: number; level?: number } = {},
): { mean: number; lo: number; hi: number } {
  if (values.length !== keys.length) throw new Error(`clusteredMeanInterval: ${values.length} values but ${keys.length} question keys`);
  if (values.length === 0) return { mean: NaN, lo: NaN, hi: NaN };
  const plan = planResamples(keys, options);
  const all = values.map((_, i) => i);
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    ...percentileInterval(resampledMeans(plan, all, values), options.level),
  };
}

/**
 * The standard error of the mean of `values` when rows of one question are not independent: the
 * cluster-robust (sandwich) estimate, sqrt(C / (C − 1) · Σ_q (Σ_{i∈q} (x_i − x̄))²) / n over C questions.
 * With one row per question it is the ordinary standard error (n − 1 in the variance).
 */
export function clusteredStandardError(values: readonly number[], keys: readonly string[]): number {
  const n = values.length;
  if (n !== keys.length) throw new Error(`clusteredStandardError: ${n} values but ${keys.length} question keys`);
  if (n < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const residual = new Map<string, number>();
  values.forEach((x, i) => residual.set(keys[i]!, (residual.get(keys[i]!) ?? 0) + x - mean));
  const c = residual.size;
  if (c < 2) return 0;
  let ss = 0;
  for (const r of residual.values()) ss += r * r;
  return Math.sqrt((c / (c - 1)) * ss) / n;
}
