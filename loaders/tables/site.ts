/**
 * Site tables for Framework's loaders (src/data/*.ts): one table's bytes, from a finished run's tables
 * (running the preset first only when it has none: the experiment is imported on demand, so reading
 * tables never loads TensorFlow.js), the presets and the column docs for the Data page, and `emit`.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { createLogger, type Logger } from "../engine/log.js";
import { flattenConfig, listPresets, loadPreset, runsRoot } from "../experiment/config.js";
import { isCurrentIn, runDir } from "../experiment/pipeline/runs.js";
import { TABLES, type Row, type TableName } from "../experiment/schemas.js";
import { fromArrow, toArrowStream, writeParquet } from "./format.js";
import { importedTable, importsDir } from "./imported.js";

/** Tables whose site copy gathers every run under the runs root, so pages can compare runs. */
const ACROSS_RUNS: ReadonlySet<TableName> = new Set(["runs", "summary"]);
/**
 * Tables only some runs write (`judgements`: runs with an API judge; `memorization`: runs from before it
 * existed; `study`, `study_summary`: a preset's folder after `aligner study`); the site gets 0 rows of the
 * schema for the others.
 */
const OPTIONAL: ReadonlySet<TableName> = new Set(["judgements", "memorization", "study", "study_summary"]);

/** A run's table file, or an empty table of its schema when the run does not write that table. */
const _read = (name: TableName, file: string): Uint8Array =>
  OPTIONAL.has(name) && !existsSync(file) ? toArrowStream(name, [], TABLES[name]) : readFileSync(file);

/**
 * The bytes of one site table (Arrow IPC stream): from $ALIGNER_TABLES_DIR when set (publish an
 * existing run's tables, e.g. one trained elsewhere), else from the run of the preset named by
 * $ALIGNER_PRESET, which runs (or reuses its cached stages) first. `runs` and `summary` also gather the
 * other runs found under the runs root, for the Runs page. `imported` comes from the imports folder
 * whichever the source of the run's tables (see imported.ts); `judgements` is empty for a run without one.
 */
export async function siteTable(name: TableName, log: Logger = createLogger(`table:${name}`)): Promise<Uint8Array> {
  if (name === "imported") return importedTable(importsDir(), log);
  const fixed = process.env.ALIGNER_TABLES_DIR;
  if (fixed) return _read(name, join(fixed, `${name}.arrow`));
  const preset = loadPreset();
  const own = join(runDir(preset.name), "tables", `${name}.arrow`);
  const written = OPTIONAL.has(name) ? join(runDir(preset.name), "tables", "runs.arrow") : own; // every run writes `runs`
  if (!isCurrentIn(runDir(preset.name), preset) || !existsSync(written)) {
    const { materializeRun } = await import("./materialize.js");
    await materializeRun(preset, { log });
  }
  if (!ACROSS_RUNS.has(name)) return _read(name, own);
  const others = readdirSync(runsRoot())
    .filter((p) => p !== preset.name)
    .map((p) => join(runsRoot(), p, "tables", `${name}.arrow`))
    .filter(existsSync);
  const tables = [own, ...others].map((f) => tableFromIPC(readFileSync(f)));
  const columns = (t: Table) => t.schema.fields.map((f) => `${f.name}:${f.type}`).join(",");
  const batches = tables.filter((t) => columns(t) === columns(tables[0]!)).flatMap((t) => t.batches); // skip runs of an older schema
  return tableToIPC(new Table(batches), "stream");
}

/** One site table as Parquet (the export format), with the same rows as `siteTable(name)`. */
export async function siteParquet(name: TableName, log?: Logger): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), "aligner-site-"));
  try {
    const file = join(dir, `${name}.parquet`);
    await writeParquet(file, name, fromArrow(await siteTable(name, log)) as Row[], TABLES[name]);
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The presets shipped in data/presets, one row per preset and setting. */
export function presetsTable(): Uint8Array {
  const rows = listPresets().flatMap(({ name, config }) =>
    Object.entries(flattenConfig(config)).map(([key, value]) => ({
      preset: name,
      key,
      value: String(value),
      number: typeof value === "number" ? value : null,
    })),
  );
  return toArrowStream("presets", rows, { preset: "string", key: "string", value: "string", number: "float" });
}

/** The run's test-split corrections as JSON Lines in the aligner-20K schema ({question, answer, correction: the gold}). */
export async function datasetJsonl(): Promise<string> {
  const rows = fromArrow(await siteTable("corrections"));
  return rows
    .map(({ question, answer, gold_correction }) => `${JSON.stringify({ question, answer, correction: gold_correction })}\n`)
    .join("");
}

/**
 * Writes a loader's bytes to stdout; on failure prints one clear line to stderr and exits non-zero
 * (an uncaught error would make Node print the minified line it came from, e.g. tfjs's wasm glue).
 */
export async function emit(bytes: Promise<Uint8Array | string>): Promise<void> {
  try {
    process.stdout.write(await bytes);
  } catch (error) {
    process.stderr.write(`loader failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
