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
import { PROJECT_ROOT, type Config, type Preset } from "./config.js";
import { writeJson } from "./files.js";
import type { Logger } from "./log.js";

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
 * Its progress lines go to `log`, prefixed "helper".
 */
export function startHelper(preset: Preset, dir: string, log: Logger): Helper {
  const spec = join(dir, "helper.json");
  writeJson(spec, { name: preset.name, file: preset.file, config: preset.config } satisfies HelperSpec);
  const child: ChildProcess = spawn(process.execPath, [join(PROJECT_ROOT, "loaders", "bin.js"), "prefetch", "--spec", spec], {
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
