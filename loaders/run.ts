/**
 * The main job: runs a preset's experiment end to end into `runs/<preset>/` and returns its record.
 * Stages are cached by the hash of their config and inputs, so rerunning a preset is cheap.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hashOf } from "./cache.js";
import { PROJECT_ROOT, loadPreset, type Config, type Preset } from "./config.js";
import { createLogger, silentLogger, type Logger } from "./log.js";
import type { TableName } from "./types.js";
import { packageVersions } from "./record.js";
import { writeFileAtomic } from "./tables.js";

export interface RunRecord {
  run_id: string;
  preset: string;
  seed: number;
  backend: string;
  config: Config;
  versions: Record<string, string | null>;
  started_at: string;
  duration_s: number;
}

/** The folder a preset's run lives in ($ALIGNER_RUNS or ./runs). */
export function runDir(preset: string): string {
  return join(process.env.ALIGNER_RUNS ?? join(PROJECT_ROOT, "runs"), preset);
}

/** Runs the experiment of `preset` and writes `runs/<preset>/run.json`. */
export async function runExperiment(preset: Preset, options: { log?: Logger } = {}): Promise<RunRecord> {
  const log = options.log ?? silentLogger;
  const started = Date.now();
  const dir = runDir(preset.name);
  mkdirSync(dir, { recursive: true });
  log.info(`preset ${preset.name} (${preset.file}), seed ${preset.config.seed}`);
  const record: RunRecord = {
    run_id: `${preset.name}-${hashOf(preset.config)}`,
    preset: preset.name,
    seed: preset.config.seed,
    backend: preset.config.backend,
    config: preset.config,
    versions: packageVersions(),
    started_at: new Date(started).toISOString(),
    duration_s: (Date.now() - started) / 1000,
  };
  writeFileAtomic(join(dir, "run.json"), `${JSON.stringify(record, null, 2)}\n`);
  log.info(`run ${record.run_id} written to ${dir}`);
  return record;
}

/**
 * The bytes of one site table (Arrow IPC stream) for Framework loaders: from $ALIGNER_TABLES_DIR when
 * set (publish an existing run's tables, e.g. one trained elsewhere), else from the run of the preset
 * named by $ALIGNER_PRESET, which runs (or reuses its cached stages) first.
 */
export async function siteTable(name: TableName, log: Logger = createLogger(`table:${name}`)): Promise<Uint8Array> {
  const fixed = process.env.ALIGNER_TABLES_DIR;
  const dir = fixed ?? join(runDir(loadPreset().name), "tables");
  if (!fixed) await runExperiment(loadPreset(), { log });
  const file = join(dir, `${name}.arrow`);
  if (!existsSync(file)) throw new Error(`table ${name}: no ${file}`);
  return readFileSync(file);
}
