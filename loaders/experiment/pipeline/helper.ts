/**
 * The run's helper: a second process that computes stages the main process will need later, so the
 * two cores train two models at once. TensorFlow.js's wasm backend runs on one thread per process, and
 * a run's independent stages (the zoo LMs, the warm-up sweep's Aligners, weak-to-strong's strong LM)
 * do not need the main Aligner. The helper simply runs those stages through the run cache; the cache's
 * locks make sure each stage is computed once, and the main process, arriving at a stage the helper
 * holds or finished, waits for it or reads it. Results do not depend on the number of processes.
 *
 * ALIGNER_JOBS=1 turns the helper off (the default under vitest); unset, a run uses 2 processes when
 * the machine has 2 or more cores.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { selectBackend } from "../../engine/backend.js";
import { PROJECT_ROOT, sweepFractions, type Config, type Preset } from "../config.js";
import { buildDataset } from "../dataset.js";
import { runWeakToStrong } from "../weak-to-strong/run.js";
import { pretrainStrong } from "../weak-to-strong/stages.js";
import { mainAlignerStages, trainScratchAligner } from "./stages.js";
import { baseFor } from "../base.js";
import { sweepRows, sweepStages } from "./sweep.js";
import { writeJson } from "../../engine/files.js";
import type { Logger } from "../../engine/log.js";

/** Processes a run may use: $ALIGNER_JOBS, else 1 under vitest, else min(2, cores). */
export function runJobs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ALIGNER_JOBS;
  if (raw !== undefined && raw !== "") {
    const jobs = Number(raw);
    if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`ALIGNER_JOBS must be a positive integer, got "${raw}"`);
    return jobs;
  }
  if (env.VITEST) return 1;
  return Math.min(2, availableParallelism());
}

/** What the helper is given: the preset exactly as the main process resolved it. */
export interface HelperSpec {
  name: string;
  file: string;
  config: Config;
}

export interface Helper {
  /** Resolves when the helper exits (rejects if it failed). */
  done: Promise<void>;
  /** Ends the helper (the main process failed or no longer needs it). */
  stop(): void;
  pid: number;
}

/**
 * Starts `aligner prefetch` on the run folder `dir` with `preset` (written to `dir/helper.json`).
 * Its log and progress lines go to `log`, prefixed "helper". Its stderr is a pipe, so its progress comes
 * as plain lines (never `\r`), at most one per 5 s, and `log` clears the main process's bar before each.
 */
export function startHelper(preset: Preset, dir: string, log: Logger): Helper {
  const spec = join(dir, "helper.json");
  writeJson(spec, { name: preset.name, file: preset.file, config: preset.config } satisfies HelperSpec);
  const child: ChildProcess = spawn(process.execPath, [join(PROJECT_ROOT, "loaders", "cli", "bin.js"), "prefetch", "--spec", spec], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ALIGNER_JOBS: "1" },
  });
  const stop = () => void (child.exitCode === null && child.signalCode === null && child.kill("SIGTERM"));
  process.once("exit", stop); // the main process ended without stopping it (an uncaught error)
  createInterface({ input: child.stderr! }).on("line", (line) => log.info(`helper: ${line.replace(/^\[[^\]]*\]\s*/, "")}`));
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      process.removeListener("exit", stop);
      if (code === 0 || signal === "SIGTERM") resolve();
      else reject(new Error(`the run's helper process exited with ${signal ?? `code ${code}`}`));
    });
  });
  return { done, stop, pid: child.pid ?? -1 };
}

/** Whether a helper has work in this run: more than one zoo LM, a sweep, or a strong LM to train. */
export const helperHasWork = (config: Config): boolean =>
  config.zoo.models.length > 1 ||
  (config.api.corrector.use === "local" && config.api.upstreams.length === 0 && (sweepFractions(config).length > 0 || config.w2s.enabled));

/**
 * The helper's share of a run (loaders/experiment/pipeline/helper.ts), in the reverse of the main process's order: the zoo
 * last to first, the warm-up sweep from its last fraction, weak-to-strong's strong LM (none of these
 * needs the main Aligner), then, once the Aligner is trained, weak-to-strong's independent fine-tunes
 * from the last. Presets with API upstreams keep only the zoo here.
 */
export async function prefetchStages(preset: Preset, dir: string, log: Logger): Promise<void> {
  const { config } = preset;
  await selectBackend(config.backend);
  // The large base first (the main process pretrains the small one, which the zoo needs).
  if (config.w2s.enabled && config.api.corrector.use === "local") await baseFor(config, "large", log);
  const data = await buildDataset(dir, config, log, { reverse: true });
  if (config.api.corrector.use !== "local" || config.api.upstreams.length > 0) return;
  const rows = sweepRows(
    config,
    data,
    data.rows.filter((r) => r.split === "test"),
  );
  for (const fraction of [...sweepFractions(config)].reverse()) await sweepStages(dir, config, data, fraction, rows, log);
  if (config.w2s.enabled) await pretrainStrong(dir, config, config.w2s, data, log);
  // The Aligner from scratch beside one from a base (its training; the main process decodes with it).
  if (data.base) await trainScratchAligner(dir, config, data, log);
  if (!config.w2s.enabled) return;
  // Then weak-to-strong's fine-tunes that do not build on each other, once the main Aligner exists
  // (by now the main process is training it: this waits on its lock).
  await runWeakToStrong(dir, config, config.w2s, data, await mainAlignerStages(dir, config, data, log), {
    runId: "",
    backend: "",
    log,
    prefetch: true,
  });
}
