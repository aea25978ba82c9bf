/**
 * The warm-up ablation (the paper's Fig. 3): a smaller Aligner per identity warm-up fraction, each
 * correcting the same test rows, and ω per fraction and upstream kind.
 */
import type { Logger } from "../../engine/log.js";
import type { CorrectionRow } from "../../world/index.js";
import type { Config } from "../config.js";
import type { Dataset } from "../dataset.js";
import { DIMENSIONS } from "../evaluate.js";
import { percentileInterval, planResamples, resampledMeans } from "../bootstrap.js";
import type { CorrectionTableRow, WarmupSweepRow } from "../schemas.js";
import { correctStage, trainAlignerStage } from "./stages.js";

/** The sweep asks how warm-up shapes learning, on questions like the training ones (the iid ones, when the world has them). */
export function sweepRows(config: Config, data: Dataset, test: readonly CorrectionRow[]): CorrectionRow[] {
  const testItems = data.world.items.filter((i) => i.split === "test");
  const pool = testItems.some((i) => i.shift === "iid") ? testItems.filter((i) => i.shift === "iid") : testItems;
  const items = new Set(pool.slice(0, config.warmupSweep.testQuestions).map((i) => i.id));
  return test.filter((r) => items.has(r.item_id));
}

/** One point of the warm-up sweep: a small Aligner trained with warm-up `fraction`, and its corrections (plain greedy, the paper's Aligner). */
export async function sweepStages(
  dir: string,
  config: Config,
  data: Dataset,
  fraction: number,
  rows: readonly CorrectionRow[],
  log: Logger,
) {
  const name = `sweep-${fraction}`;
  const { steps, batchSize, lr, model } = config.warmupSweep;
  const trained = await trainAlignerStage(
    dir,
    config,
    data,
    name,
    { warmupFraction: fraction, model, train: { ...config.aligner.train, steps, batchSize, lr }, base: data.base },
    log,
  );
  // Every point decodes as the paper's Aligner does (plain greedy, no copy candidate): a copy rule would
  // make each weak Aligner copy more and hide what warm-up changed in what it learned.
  const outputs = (
    await correctStage(
      dir,
      { ...config, aligner: { ...config.aligner, rounds: 1, copyCandidate: false } },
      data,
      trained,
      rows,
      `correct-${name}`,
      log,
    )
  ).greedy;
  return { trained, outputs };
}

/** ω of one sweep point per upstream kind (seen, heldout, all) and dimension, with question-clustered bootstrap intervals (bootstrap.ts). */
export function sweepOmegas(
  scored: readonly CorrectionTableRow[],
  fraction: number,
  { runId, seed }: { runId: string; seed: number },
): WarmupSweepRow[] {
  const sweep: WarmupSweepRow[] = [];
  const plan = planResamples(
    scored.map((r) => r.question!),
    { seed },
  );
  for (const kind of ["seen", "heldout", "all"]) {
    const at = scored.flatMap((r, i) => (kind === "all" || r.upstream_kind === kind ? [i] : []));
    for (const dimension of DIMENSIONS) {
      const v = scored.map(
        (r) => ({ win: 1, lose: -1 })[(dimension === "helpful" ? r.verdict_helpful : r.verdict_harmless) as string] ?? 0,
      );
      const { lo, hi } = at.length ? percentileInterval(resampledMeans(plan, at, v)) : { lo: 0, hi: 0 };
      const after = at.map((i) => (dimension === "helpful" ? scored[i]!.helpful_after! : scored[i]!.harmless_after!));
      sweep.push({
        run_id: runId,
        warmup_fraction: fraction,
        upstream_kind: kind,
        dimension,
        n: at.length,
        omega: at.reduce((a, i) => a + v[i]!, 0) / Math.max(1, at.length),
        omega_lo: lo,
        omega_hi: hi,
        score_after: after.reduce((a, b) => a + b, 0) / Math.max(1, after.length),
      });
    }
  }
  return sweep;
}
