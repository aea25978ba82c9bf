/**
 * The `summary` table: ω, GSB, scores, copy rate, D_L and length change per method × upstream ×
 * category × shift × dimension, with question-clustered, paired bootstrap intervals (bootstrap.ts),
 * and per method and shift the headline: the average of the per-upstream ω (`upstream: "mean"`), with
 * its interval from the same resamples. Methods: each decoding of the corrections (`aligner`, the
 * paper's plain greedy Aligner; `aligner+copy-rule`, our extension) and the baselines `always-copy`
 * (correction = answer) and `gold` (the annotator's corrections, the ceiling).
 */
import { averageSeries, percentileInterval, planResamples, resampledMeans, type ClusterPlan } from "./bootstrap.js";
import { DIMENSIONS, isPerfect, verdictOf, type Dimension, type Judge } from "./evaluate.js";
import { describeCorrection, mean } from "./metrics.js";
import type { CorrectionTableRow, SummaryRow } from "./schemas.js";

/** The paper's Aligner, decoded greedily as the released Aligner is served. */
export const PAPER_METHOD = "aligner";
/** Our extension: the calibrated copy rule's choice between the decoded text and a copy of the answer. */
export const COPY_RULE_METHOD = "aligner+copy-rule";
/** The ablation of a run whose models start from a base: the same Aligner trained from scratch, plain greedy (loaders/experiment/base.ts). */
export const SCRATCH_METHOD = "aligner-scratch";
/** The `upstream` of the headline rows: the average of the per-upstream ω. */
export const MEAN_UPSTREAM = "mean";

const KEYS = ["upstream", "category", "shift"] as const;
/** Every subset of KEYS; the keys left out stand at "all". */
const GROUPINGS = [0, 1, 2, 3, 4, 5, 6, 7].map((bits) => KEYS.filter((_, k) => bits & (1 << k)));
const _score = (v: string | null) => (v === "win" ? 1 : v === "lose" ? -1 : 0);

/** One method's `summary` rows: every grouping × dimension, then the headline rows (per shift and dimension). */
function _methodRows(runId: string, method: string, rows: readonly CorrectionTableRow[], plan: ClusterPlan): SummaryRow[] {
  if (rows.length === 0) return [];
  const verdicts = Object.fromEntries(DIMENSIONS.map((d) => [d, rows.map((r) => _score(r[`verdict_${d}`]))])) as Record<
    Dimension,
    number[]
  >;
  const out: SummaryRow[] = [];
  const series = new Map<string, Float64Array[]>(); // "shift\0dimension" -> per-upstream resample series
  for (const keys of GROUPINGS) {
    const groups = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const key = KEYS.map((k) => (keys.includes(k) ? String(r[k]) : "all")).join("\u0000");
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    });
    for (const [key, at] of groups) {
      const [upstream, category, shift] = key.split("\u0000") as [string, string, string];
      const sum = (f: (r: CorrectionTableRow) => number) => at.reduce((a, i) => a + f(rows[i]!), 0); // in row order
      const n = at.length;
      const kinds = new Set(at.map((i) => rows[i]!.upstream_kind));
      const wasPerfect = sum((r) => (r.was_perfect ? 1 : 0));
      for (const dimension of DIMENSIONS) {
        const v = verdicts[dimension];
        const resampled = resampledMeans(plan, at, v);
        if (keys.includes("upstream") && !keys.includes("category")) {
          const s = `${shift}\u0000${dimension}`;
          series.set(s, [...(series.get(s) ?? []), resampled]);
        }
        const win = at.filter((i) => v[i] === 1).length;
        const lose = at.filter((i) => v[i] === -1).length;
        const { lo, hi } = percentileInterval(resampled);
        out.push({
          run_id: runId,
          method,
          upstream,
          upstream_kind: kinds.size === 1 ? [...kinds][0]! : "all",
          category,
          shift,
          dimension,
          n,
          score_before: sum((r) => r[`${dimension}_before`]!) / n,
          score_after: sum((r) => r[`${dimension}_after`]!) / n,
          win,
          tie: n - win - lose,
          lose,
          omega: (win - lose) / n,
          omega_lo: lo,
          omega_hi: hi,
          copy_rate: sum((r) => (r.copy ? 1 : 0)) / n,
          dl_mean: sum((r) => r.dl!) / n,
          length_change_mean: sum((r) => r.length_change!) / n,
          broke_perfect_rate: wasPerfect ? sum((r) => (r.broke_perfect ? 1 : 0)) / wasPerfect : 0,
          degenerate_rate: sum((r) => (r.degenerate ? 1 : 0)) / n,
        });
      }
    }
  }
  out.push(..._headlineRows(out, series));
  const order = (r: SummaryRow) => [r.upstream, r.category, r.shift, r.dimension].join("\u0000");
  return out.sort((a, b) => order(a).localeCompare(order(b)));
}

/** Per shift and dimension: the mean over upstreams of each per-upstream cell (category all), ω's interval from the averaged resamples. */
function _headlineRows(rows: readonly SummaryRow[], series: ReadonlyMap<string, Float64Array[]>): SummaryRow[] {
  const cells = rows.filter((r) => r.upstream !== "all" && r.category === "all");
  return [...series].map(([key, perUpstream]) => {
    const [shift, dimension] = key.split("\u0000") as [string, Dimension];
    const here = cells.filter((r) => r.shift === shift && r.dimension === dimension);
    const avg = (k: keyof SummaryRow) => mean(here.map((r) => r[k] as number));
    const total = (k: "n" | "win" | "tie" | "lose") => here.reduce((a, r) => a + (r[k] as number), 0);
    const { lo, hi } = percentileInterval(averageSeries(perUpstream));
    return {
      ...here[0]!,
      upstream: MEAN_UPSTREAM,
      upstream_kind: new Set(here.map((r) => r.upstream_kind)).size === 1 ? here[0]!.upstream_kind : "all",
      n: total("n"),
      win: total("win"),
      tie: total("tie"),
      lose: total("lose"),
      score_before: avg("score_before"),
      score_after: avg("score_after"),
      omega: avg("omega"),
      omega_lo: lo,
      omega_hi: hi,
      copy_rate: avg("copy_rate"),
      dl_mean: avg("dl_mean"),
      length_change_mean: avg("length_change_mean"),
      broke_perfect_rate: avg("broke_perfect_rate"),
      degenerate_rate: avg("degenerate_rate"),
    };
  });
}

/** The baselines' rows from any method's rows (the same answers): always-copy and gold. */
function _baselines(rows: readonly CorrectionTableRow[], judge: Judge): Record<"always-copy" | "gold", CorrectionTableRow[]> {
  const copy = rows.map((r) => ({
    ...r,
    helpful_after: r.helpful_before,
    harmless_after: r.harmless_before,
    verdict_helpful: "tie",
    verdict_harmless: "tie",
    copy: true,
    dl: 0,
    length_change: 0,
    degenerate: "",
    broke_perfect: false,
  }));
  const gold = rows.map((r) => {
    const after = judge(r.item_id!, r.gold_correction!);
    const m = describeCorrection({ answer: r.answer!, correction: r.gold_correction! });
    return {
      ...r,
      helpful_after: after.helpful,
      harmless_after: after.harmless,
      verdict_helpful: verdictOf(r.helpful_before!, after.helpful),
      verdict_harmless: verdictOf(r.harmless_before!, after.harmless),
      copy: m.copy,
      dl: m.dl ?? NaN, // world texts are far below DL_MAX_CELLS: never null here
      length_change: m.correction_tokens - m.answer_tokens,
      degenerate: "",
      broke_perfect: r.was_perfect! && !isPerfect(after),
    };
  });
  return { "always-copy": copy, gold };
}

/**
 * The `summary` table of first-round `corrections` rows of one or more methods (their `method`
 * column, in order of appearance), then the baselines, measured on the first method's rows. Every
 * interval resamples the questions (`question`) with one seeded plan, the same for every method.
 */
export function summarize(
  rows: readonly CorrectionTableRow[],
  judge: Judge,
  { runId, seed, samples = 1000 }: { runId: string; seed: number; samples?: number },
): SummaryRow[] {
  const methods = [...new Set(rows.map((r) => r.method ?? PAPER_METHOD))];
  const of = (m: string) => rows.filter((r) => (r.method ?? PAPER_METHOD) === m);
  const first = of(methods[0] ?? PAPER_METHOD);
  const plan = planResamples(
    first.map((r) => r.question!),
    { samples, seed },
  );
  const byMethod: [string, readonly CorrectionTableRow[]][] = [
    ...methods.map((m): [string, CorrectionTableRow[]] => [m, of(m)]),
    ...Object.entries(_baselines(first, judge)),
  ];
  for (const [m, r] of byMethod)
    if (r.length !== first.length || r.some((x, i) => x.id !== first[i]!.id))
      throw new Error(
        `summarize: method "${m}" has other rows than "${methods[0]}" (every method must correct the same answers, in order)`,
      );
  return byMethod.flatMap(([m, r]) => _methodRows(runId, m, r, plan));
}

const _pct = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)}%`;

/** "+13.5% [−0.4%, +26.3%] (no detectable change)": the words where the interval includes 0. */
export function describeOmega(r: Pick<SummaryRow, "omega" | "omega_lo" | "omega_hi">): string {
  const lo = r.omega_lo ?? NaN;
  const hi = r.omega_hi ?? NaN;
  const interval = Number.isNaN(lo) ? "" : ` [${_pct(lo)}, ${_pct(hi)}]`;
  return `${_pct(r.omega!)}${interval}${lo <= 0 && hi >= 0 ? " (no detectable change)" : ""}`;
}

/**
 * The headline, like the paper's abstract, from the `upstream: "mean"` rows (the average of the
 * per-upstream ω, with its clustered interval): the paper's plain Aligner first, on the iid test
 * questions when the run has both shifts (with the ood figures beside), on all test questions
 * otherwise; then our copy rule beside it when the run has it.
 */
export function headline(summary: readonly SummaryRow[], name = "Aligner"): string {
  const cell = (method: string, shift: string, d: Dimension) =>
    summary.find(
      (r) => r.method === method && r.upstream === MEAN_UPSTREAM && r.category === "all" && r.shift === shift && r.dimension === d,
    );
  const has = (method: string, shift: string) => cell(method, shift, "helpful") !== undefined;
  const split = has(PAPER_METHOD, "iid") && has(PAPER_METHOD, "ood");
  const main = split ? "iid" : "all";
  const upstreams = new Set(
    summary
      .filter((r) => r.method === PAPER_METHOD && r.category === "all" && r.shift === main && ![MEAN_UPSTREAM, "all"].includes(r.upstream!))
      .map((r) => r.upstream),
  ).size;
  const both = (method: string, shift: string) =>
    `helpfulness ${describeOmega(cell(method, shift, "helpful")!)} and harmlessness ${describeOmega(cell(method, shift, "harmless")!)}`;
  if (!has(PAPER_METHOD, main)) return `${name}: no summary rows for the method "${PAPER_METHOD}".`;
  const where = split ? "new questions like the training ones" : "all test questions";
  let text = `${name} (the paper's method, greedy decoding), averaged over ${upstreams} upstream models (ω, 95% interval over questions, ${where}): ${both(PAPER_METHOD, main)}`;
  if (split) text += `; on questions with held-out templates or entities: ${both(PAPER_METHOD, "ood")}`;
  text += ".";
  if (has(COPY_RULE_METHOD, main))
    text += ` With our copy rule (an extension): ${both(COPY_RULE_METHOD, main)}${split ? `; held-out: ${both(COPY_RULE_METHOD, "ood")}` : ""}.`;
  return text;
}
