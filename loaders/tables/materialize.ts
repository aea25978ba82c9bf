/**
 * `aligner run`: a preset's experiment (experiment/pipeline/run.ts), then its tables in
 * `runs/<preset>/tables/` and its record in `run.json`, written last: a run whose run.json names its
 * config has all its tables.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../engine/files.js";
import type { Logger } from "../engine/log.js";
import type { Preset } from "../experiment/config.js";

import { type RunRecord } from "../experiment/pipeline/runs.js";
import { runExperiment } from "../experiment/pipeline/run.js";
import { writeTables } from "./write.js";

/** Runs `preset` (reusing its cached stages) and writes its tables and run.json; returns the record. */
export async function materializeRun(preset: Preset, options: { log?: Logger; dir?: string } = {}): Promise<RunRecord> {
  const { record, tables } = await runExperiment(preset, options);
  const started = Date.now();
  await writeTables(join(record.dir, "tables"), tables);
  record.stages_s.tables = (Date.now() - started) / 1000;
  record.duration_s += record.stages_s.tables;
  writeFileAtomic(join(record.dir, "run.json"), `${JSON.stringify(record, null, 2)}\n`);
  const cold = record.compute_s == null ? "" : `; ${record.compute_s.toFixed(0)} s cold`;
  options.log?.info(`${record.headline} (${record.duration_s.toFixed(1)} s${cold}; tables in ${join(record.dir, "tables")})`);
  return record;
}
