/**
 * The run cache: each stage's output lives in `<runDir>/stages/<name>-<key>/`, where key hashes the
 * stage's config and inputs. A finished stage has `done.json`; rerunning reuses it. Two processes
 * asking for the same stage at once (two Framework loaders) do the work once: the first takes a lock
 * (an exclusive `mkdir`), the second waits for `done.json`. A lock whose owner died is taken over, so
 * an interrupted run resumes (a stage resumes from its own checkpoints inside its folder).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { silentLogger, type Logger } from "../engine/log.js";
import { makeDirs, readJson, writeFileAtomic, writeJson } from "../engine/files.js";

/** A short stable hash of any JSON-able value. */
export function hashOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 12);
}

/** The folder of stage `name` with cache key `key` inside a run folder. */
export function stageDir(runDir: string, name: string, key: unknown): string {
  return join(runDir, "stages", `${name}-${hashOf(key)}`);
}

/** One stage a piece of work used: how long its computation took when it ran (cached or not now). */
export interface StageTiming {
  name: string;
  /** The stage's folder under the run's stages/ (`aligner-8e71a3cad503`): where its outputs are (the site's Playground reads the Aligner's); absent in runs recorded before it. */
  folder?: string;
  /** Seconds the stage's computation took (from its `timing.json` when cached); null if unknown (an older stage). */
  seconds: number | null;
  cached: boolean;
  /** This process found another one computing the stage and waited for it (e.g. the run's helper). */
  waited?: boolean;
}

const _timings = new AsyncLocalStorage<StageTiming[]>();

/**
 * Runs `work` and lists every stage it used, in order, with the time each took to compute: the cold
 * cost of a run even when all its stages came from the cache.
 */
export async function timeStages<T>(work: () => Promise<T>): Promise<{ result: T; stages: StageTiming[] }> {
  const stages: StageTiming[] = [];
  const result = await _timings.run(stages, work);
  return { result, stages };
}

/** Records a stage a piece of work used, once per folder (a stage several steps read, such as a base, counts once). */
const _use = (entry: StageTiming) => {
  const stages = _timings.getStore();
  if (stages && !stages.some((s) => s.folder === entry.folder)) stages.push(entry);
};

const _recorded = (dir: string): number | null => {
  try {
    return readJson<{ seconds: number }>(join(dir, "timing.json")).seconds;
  } catch {
    return null;
  }
};

export interface StageContext {
  /** The stage's own folder (for checkpoints and outputs). */
  dir: string;
  log: Logger;
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

const _alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

function _tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    let owner: LockInfo | null = null;
    try {
      owner = JSON.parse(readFileSync(join(lock, "owner.json"), "utf-8")) as LockInfo;
    } catch {
      return false; // being created right now; ask again
    }
    if (owner.host === hostname() && !_alive(owner.pid)) {
      rmSync(lock, { recursive: true, force: true }); // its owner died: take it over on the next try
    }
    return false;
  }
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  writeFileSync(join(lock, "owner.json"), JSON.stringify(info));
  return true;
}

const _sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Returns the stage's result, computing it at most once across processes. `compute` gets the stage
 * folder and must return JSON-able data (large outputs go to files in that folder).
 */
export async function runStage<T>(
  runDir: string,
  name: string,
  key: unknown,
  compute: (context: StageContext) => Promise<T>,
  { log = silentLogger, pollMs = 200 }: { log?: Logger; pollMs?: number } = {},
): Promise<T> {
  const dir = stageDir(runDir, name, key);
  const done = join(dir, "done.json");
  const lock = `${dir}.lock`;
  makeDirs(dir);
  let waited = false;
  for (;;) {
    if (existsSync(done)) {
      log.info(`${name}: cached (${dir})`);
      _use({ name, folder: basename(dir), seconds: _recorded(dir), cached: true, ...(waited ? { waited } : {}) });
      return readJson<T>(done);
    }
    if (_tryLock(lock)) break;
    if (!waited) log.info(`${name}: another process is computing it; waiting`);
    waited = true;
    await _sleep(pollMs);
  }
  try {
    if (existsSync(done)) {
      // finished while we took the lock
      _use({ name, folder: basename(dir), seconds: _recorded(dir), cached: true, ...(waited ? { waited } : {}) });
      return readJson<T>(done);
    }
    writeFileAtomic(join(dir, "key.json"), `${JSON.stringify(key, null, 2)}\n`);
    const started = Date.now();
    const result = await compute({ dir, log });
    const seconds = (Date.now() - started) / 1000;
    writeJson(join(dir, "timing.json"), { seconds, finished_at: new Date().toISOString(), pid: process.pid });
    writeJson(done, result);
    _use({ name, folder: basename(dir), seconds, cached: false });
    log.info(`${name}: done in ${seconds.toFixed(1)} s`);
    return result;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
