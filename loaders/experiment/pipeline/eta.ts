/**
 * The whole run's progress line: parts done of the parts planned (the laps of run.ts), the time
 * elapsed, and an ETA. When the run folder holds an earlier record (run.json) whose stages all have
 * timings, each part is expected to cost what its stages cost cold then (a part without stages, such
 * as evaluate, what its lap took), and the ETA is the expected cost of the parts still to come less the
 * time already spent in the current one. A part whose stages are cached now ends at once and takes its
 * cost off the ETA. With the helper process (jobs = 2), which trains the zoo, the sweep and weak-to-strong
 * alongside, the zoo and weak-to-strong count half and the sweep only what it costs beyond the Aligner. Without such a record, the ETA comes from progress so far: the elapsed time scaled
 * by the share of a typical run the finished parts stand for (DEFAULT_SHARES).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readJson } from "../../engine/files.js";
import type { Logger } from "../../engine/log.js";
import { formatDuration } from "../../engine/progress.js";
import { sweepFractions, type Config } from "../config.js";
import type { RunRecord } from "./runs.js";

/** The run's parts in the order run.ts laps them. */
export const RUN_PARTS = ["dataset", "aligner", "api_upstreams", "correct", "evaluate", "warmup_sweep", "w2s"] as const;
export type RunPart = (typeof RUN_PARTS)[number];

/** Rough shares of a cold local run's time per part (a guess for the ETA until a run has timings). */
export const DEFAULT_SHARES: Readonly<Record<RunPart, number>> = {
  dataset: 0.3,
  aligner: 0.3,
  api_upstreams: 0.02,
  correct: 0.08,
  evaluate: 0.02,
  warmup_sweep: 0.14,
  w2s: 0.14,
};

/** The part of the run a cached stage belongs to, by its name (null: none of the run's). */
export function partOfStage(stage: string): RunPart | null {
  if (stage === "world" || stage === "tokenizer" || stage.startsWith("zoo-")) return "dataset";
  if (stage === "aligner" || stage === "calibrate") return "aligner";
  if (stage === "correct") return "correct";
  if (stage.startsWith("sweep-") || stage.startsWith("correct-sweep-")) return "warmup_sweep";
  if (stage.startsWith("w2s-")) return "w2s";
  return null;
}

/** Expected seconds per part from an earlier record, for a run with `jobs` processes; null when it lacks timings. */
export function knownCosts(record: Pick<RunRecord, "stages" | "stages_s"> | null, jobs = 1): Record<RunPart, number> | null {
  if (!record?.stages?.length || record.stages.some((s) => s.seconds === null)) return null;
  const costs = Object.fromEntries(RUN_PARTS.map((p) => [p, 0])) as Record<RunPart, number>;
  const staged = new Set<RunPart>();
  for (const s of record.stages) {
    const part = partOfStage(s.name);
    if (part) {
      costs[part] += jobs > 1 && (s.name.startsWith("zoo-") || part === "w2s") ? s.seconds! / jobs : s.seconds!;
      staged.add(part);
    }
  }
  for (const part of RUN_PARTS) if (!staged.has(part)) costs[part] = record.stages_s?.[part] ?? 0;
  if (jobs > 1) costs.warmup_sweep = Math.max(0, costs.warmup_sweep - costs.aligner);
  return costs;
}

/**
 * Seconds left when `done` parts are finished, `elapsedS` into the run and `inPartS` into the current
 * part: from `known` costs when given, else from progress so far weighted by `shares` (null at first).
 */
export function runEta(
  done: number,
  elapsedS: number,
  inPartS: number,
  known: Record<RunPart, number> | null,
  shares: Readonly<Record<RunPart, number>> = DEFAULT_SHARES,
): number | null {
  const rest = RUN_PARTS.slice(done);
  if (known) return rest.reduce((sum, part, i) => sum + (i === 0 ? Math.max(0, known[part] - inPartS) : known[part]), 0);
  const total = RUN_PARTS.reduce((sum, part) => sum + shares[part], 0);
  const finished = RUN_PARTS.slice(0, done).reduce((sum, part) => sum + shares[part], 0) / total;
  return finished > 0 && elapsedS > 0 ? (elapsedS * (1 - finished)) / finished : null;
}

/** Shares for `config`: parts this run will not do count for nothing. */
export function sharesFor(config: Config): Record<RunPart, number> {
  const local = config.api.corrector.use === "local";
  return {
    ...DEFAULT_SHARES,
    api_upstreams: config.api.upstreams.length ? DEFAULT_SHARES.api_upstreams : 0,
    warmup_sweep: sweepFractions(config).length ? DEFAULT_SHARES.warmup_sweep : 0,
    w2s: local && config.w2s.enabled ? DEFAULT_SHARES.w2s : 0,
  };
}

/** The run's progress task on `log`: `lap(part)` after each part, `end()` when the run stops (it clears the bar). */
export function runProgress(
  log: Logger,
  dir: string,
  config: Config,
  { jobs = 1, now = Date.now }: { jobs?: number; now?: () => number } = {},
) {
  let previous: RunRecord | null = null;
  try {
    if (existsSync(join(dir, "run.json"))) previous = readJson<RunRecord>(join(dir, "run.json"));
  } catch {
    previous = null; // an unreadable record only costs the ETA its prior
  }
  const known = knownCosts(previous, jobs);
  if (!known) log.info("run ETA from progress so far (no earlier run with stage timings here)");
  else
    log.info(
      `run ETA from the stage timings of the last run in ${dir} (${formatDuration(Object.values(known).reduce((a, b) => a + b, 0))} of work)`,
    );
  const shares = sharesFor(config);
  const started = now();
  let partStarted = started;
  let done = 0;
  const report = () => {
    const t = now();
    const etaS = runEta(done, (t - started) / 1000, (t - partStarted) / 1000, known, shares);
    log.progress?.("run", done, RUN_PARTS.length, { detail: RUN_PARTS[done] ?? "done", etaS });
  };
  report();
  return {
    lap(part: string) {
      done = Math.max(done, RUN_PARTS.indexOf(part as RunPart) + 1);
      partStarted = now();
      report();
    },
    end() {
      log.progress?.("run", RUN_PARTS.length, RUN_PARTS.length);
    },
  };
}
