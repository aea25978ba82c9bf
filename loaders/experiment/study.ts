/**
 * Seeds as a study: the rows of each seed's `summary` a study keeps (all categories), and ω's mean and
 * spread over the seeds per method × upstream × shift × dimension. Each seed is a whole run (world,
 * models and bootstrap); running them is the table layer's job (tables/study.ts).
 */
import type { StudyRow, StudySummaryRow, SummaryRow } from "./schemas.js";

/** The `study` rows of one seed's run: its summary's cells over all categories. */
export function studyRows(
  summary: readonly SummaryRow[],
  { preset, evalWorld, seed }: { preset: string; evalWorld: string; seed: number },
): StudyRow[] {
  return summary
    .filter((r) => r.category === "all")
    .map((r) => ({
      preset,
      eval_world: evalWorld,
      seed,
      run_id: r.run_id,
      method: r.method,
      upstream: r.upstream,
      upstream_kind: r.upstream_kind,
      shift: r.shift,
      dimension: r.dimension,
      n: r.n,
      omega: r.omega,
      omega_lo: r.omega_lo,
      omega_hi: r.omega_hi,
      score_before: r.score_before,
      score_after: r.score_after,
      copy_rate: r.copy_rate,
    }));
}

const _mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const _sd = (xs: readonly number[]) => {
  if (xs.length < 2) return 0;
  const m = _mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** ω's mean and spread over the seeds, one row per method × upstream × shift × dimension (in the order of first appearance). */
export function summarizeStudy(rows: readonly StudyRow[]): StudySummaryRow[] {
  const groups = new Map<string, StudyRow[]>();
  for (const r of rows) {
    const key = [r.preset, r.eval_world, r.method, r.upstream, r.shift, r.dimension].join("\u0000");
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const seeds = [...new Set(g.map((r) => r.seed!))].sort((a, b) => a - b);
    if (seeds.length !== g.length)
      throw new Error(`summarizeStudy: seed listed twice in ${g[0]!.method} × ${g[0]!.upstream} × ${g[0]!.shift}`);
    const omegas = g.map((r) => r.omega!);
    const kinds = new Set(g.map((r) => r.upstream_kind));
    return {
      preset: g[0]!.preset,
      eval_world: g[0]!.eval_world,
      seeds: seeds.length,
      seed_list: seeds.join(","),
      method: g[0]!.method,
      upstream: g[0]!.upstream,
      upstream_kind: kinds.size === 1 ? g[0]!.upstream_kind : "all",
      shift: g[0]!.shift,
      dimension: g[0]!.dimension,
      omega_mean: _mean(omegas),
      omega_sd: _sd(omegas),
      omega_min: Math.min(...omegas),
      omega_max: Math.max(...omegas),
      omega_lo_mean: _mean(g.map((r) => r.omega_lo!)),
      omega_hi_mean: _mean(g.map((r) => r.omega_hi!)),
      seeds_above_zero: g.filter((r) => r.omega_lo! > 0).length,
      seeds_below_zero: g.filter((r) => r.omega_hi! < 0).length,
    };
  });
}
