/** Where a preset's run lives, what its record (run.json) holds, and whether it is current. */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BackendInfo } from "../../engine/backend.js";
import { makeDirs, MakeDirsError, readJson, removeDirs } from "../../engine/files.js";
import type { ApiRecord } from "../api/remote.js";
import { hashOf, type StageTiming } from "../cache.js";
import { runsRoot, type Config, type Preset } from "../config.js";
import type { Row, TableName } from "../schemas.js";
import type { Calibration } from "./stages.js";

export interface RunRecord {
  run_id: string;
  preset: string;
  seed: number;
  /** The evaluation world ("dev" or "test": config world.evalWorld). */
  eval_world: string;
  backend: BackendInfo;
  template: string;
  headline: string;
  config: Config;
  versions: Record<string, string | null>;
  started_at: string;
  duration_s: number;
  /** Seconds per part of this invocation (stages found in the cache take almost none). */
  stages_s: Record<string, number>;
  /** Every cached stage the run used, with the seconds its computation took when it ran. */
  stages?: StageTiming[];
  /** The run's cold cost: the sum of its stages' computation times (null when an older stage has no timing). */
  compute_s?: number | null;
  /** The API clients the preset used (no keys) and what they spent; absent when it used none. */
  api?: ApiRecord;
  /** The main Aligner's copy rule and, when calibrated, every candidate's validation scores. */
  copy_rule?: Calibration;
  /** Processes the run used: 2 with its helper (pipeline/helper.ts), else 1. */
  jobs?: number;
  /** The run's folder. */
  dir: string;
}

/** What a run produces: its record (run.json) and its tables' rows (`judgements` only when an API judge ran). */
export interface RunResult {
  record: RunRecord;
  tables: Partial<Record<TableName, readonly Row[]>>;
}

/** The folder a preset's run lives in. */
export function runDir(preset: string): string {
  return join(runsRoot(), preset);
}

/** The id of a preset's run: its name and the hash of its merged config (less `site`, which changes no result). */
export const runIdOf = (preset: Preset): string => `${preset.name}-${hashOf({ ...preset.config, site: undefined })}`;

/** The preset's run already finished with this config (its run.json is written after its tables). */
export function isCurrentIn(dir: string, preset: Preset): boolean {
  const file = join(dir, "run.json");
  return existsSync(file) && readJson<RunRecord>(file).run_id === runIdOf(preset);
}

/** Thrown when a run's folder cannot be created or written; the message names the path and the problem on one line. */
export class RunDirError extends Error {
  override name = "RunDirError";
}

const PROBLEMS: Record<string, string> = {
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a part of the path is a file, not a folder",
  ENOENT: "cannot be created there",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENAMETOOLONG: "name too long",
  EEXIST: "already exists",
};

/** One line for a failed file-system call: the problem in words, then the code and the call. */
export function describeFsError(error: unknown): string | null {
  const e = error as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof e.code !== "string" || !(e.code in PROBLEMS)) return null;
  return `${PROBLEMS[e.code]} (${e.code}${e.syscall ? `, ${e.syscall}` : ""}${e.path ? ` ${e.path}` : ""})`;
}

/**
 * Creates `dir` and its missing parents (engine/files.ts makeDirs) and checks that it takes files,
 * before any work starts, so a bad `--out` or a read-only runs folder fails at once with one line
 * (`what` names it: "--out", "runs folder"), and removes the folders it made when the check fails.
 */
export function prepareDir(dir: string, what: string): void {
  if (dir === "") throw new RunDirError(`${what}: needs a folder name, got an empty path`);
  const fail = (path: string, problem: string): never => {
    throw new RunDirError(`${what} ${dir}: ${path === resolve(dir) ? "" : `${path}: `}${problem}`);
  };
  let made: string[] = [];
  try {
    made = makeDirs(dir);
    const probe = join(dir, `.aligner-write-check.${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    removeDirs(made);
    if (error instanceof MakeDirsError && !error.cause) {
      if (error.at === resolve(dir)) fail(error.at, "exists and is not a folder");
      fail(resolve(dir), `${PROBLEMS.ENOTDIR} (ENOTDIR: ${error.at} is a file)`);
    }
    const cause = error instanceof MakeDirsError ? error.cause : error;
    fail(resolve(dir), `cannot create or write it: ${describeFsError(cause) ?? String(cause)}`);
  }
}
