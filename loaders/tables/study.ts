/**
 * `aligner study`: a preset run once per seed (config `seeds`, or `--seeds`), each a whole run (world,
 * models and bootstrap) in its own folder with its own cached stages, then the study's tables
 * (`study`: per seed; `study_summary`: mean and spread over seeds) and `study.json` in the preset's
 * folder. The seed equal to the preset's `seed` is the preset's own run (`runs/<preset>/`, what
 * `aligner run` writes and the site reads); the others live in `runs/<preset>/seeds/<seed>/`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../engine/files.js";
import { silentLogger, type Logger } from "../engine/log.js";
import type { Preset } from "../experiment/config.js";
import { prepareDir, runDir } from "../experiment/pipeline/runs.js";
import type { StudyRow, SummaryRow } from "../experiment/schemas.js";
import { studyRows, summarizeStudy } from "../experiment/study.js";
import { fromArrow } from "./format.js";
import { materializeRun } from "./materialize.js";
import { writeTables } from "./write.js";

export interface StudyRecord {
  preset: string;
  eval_world: string;
  seeds: number[];
  /** Each seed's run folder and headline. */
  runs: { seed: number; run_id: string; dir: string; headline: string }[];
  dir: string;
}

/** The folder of one seed's run in a study kept in `dir`. */
export const seedDir = (dir: string, preset: Preset, seed: number): string =>
  seed === preset.config.seed ? dir : join(dir, "seeds", String(seed));

/** Runs `preset` once per seed (reusing each seed's cached stages), then writes the study's tables and study.json. */
export async function materializeStudy(
  preset: Preset,
  options: { seeds?: readonly number[]; dir?: string; log?: Logger } = {},
): Promise<StudyRecord> {
  const log = options.log ?? silentLogger;
  const dir = options.dir ?? runDir(preset.name);
  const seeds = [...(options.seeds ?? preset.config.seeds)];
  prepareDir(dir, options.dir === undefined ? "runs folder" : "--out");
  const rows: StudyRow[] = [];
  const runs: StudyRecord["runs"] = [];
  for (const [k, seed] of seeds.entries()) {
    log.info(`study ${preset.name}: seed ${seed} (${k + 1} of ${seeds.length})`);
    const here = seedDir(dir, preset, seed);
    const record = await materializeRun({ ...preset, config: { ...preset.config, seed } }, { log, dir: here });
    const summary = fromArrow(readFileSync(join(here, "tables", "summary.arrow"))) as SummaryRow[];
    rows.push(...studyRows(summary, { preset: preset.name, evalWorld: preset.config.world.evalWorld, seed }));
    runs.push({ seed, run_id: record.run_id, dir: here, headline: record.headline });
  }
  await writeTables(join(dir, "tables"), { study: rows, study_summary: summarizeStudy(rows) });
  const study: StudyRecord = { preset: preset.name, eval_world: preset.config.world.evalWorld, seeds, runs, dir };
  writeFileAtomic(join(dir, "study.json"), `${JSON.stringify(study, null, 2)}\n`);
  log.info(`study ${preset.name}: ${seeds.length} seeds; tables study and study_summary in ${join(dir, "tables")}`);
  return study;
}
