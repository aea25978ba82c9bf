/** Where a preset's run lives, what its record (run.json) holds, and whether it is current. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BackendInfo } from "../../engine/backend.js";
import { readJson } from "../../engine/files.js";
import type { ApiRecord } from "../api/remote.js";
import { hashOf, type StageTiming } from "../cache.js";
import { runsRoot, type Config, type Preset } from "../config.js";
import type { Row, TableName } from "../schemas.js";
import type { Calibration } from "./stages.js";

export interface RunRecord {
  run_id: string;
  preset: string;
  seed: number;
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

/** The id of a preset's run: its name and the hash of its merged config. */
export const runIdOf = (preset: Preset): string => `${preset.name}-${hashOf(preset.config)}`;

/** The preset's run already finished with this config (its run.json is written after its tables). */
export function isCurrentIn(dir: string, preset: Preset): boolean {
  const file = join(dir, "run.json");
  return existsSync(file) && readJson<RunRecord>(file).run_id === runIdOf(preset);
}
