/**
 * Imported datasets on the site: every `NAME.parquet` that `aligner import FILE --out` wrote into the
 * imports folder ($ALIGNER_IMPORTS, else `imports/` under the runs root, i.e. runs/imports/) is one
 * dataset named NAME. `measureImported` turns its rows into rows of the `imported` table with the
 * per-row measures `aligner metrics` averages (`describeCorrection`), so the two agree exactly.
 * The folder is read, never written: real data stays out of the repository.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { runsRoot } from "../experiment/config.js";
import { readImport, type ImportedRow } from "./import.js";
import { silentLogger, type Logger } from "../engine/log.js";
import { describeCorrection } from "../experiment/metrics.js";
import { toArrowStream } from "./format.js";
import { IMPORTED, type ImportedTableRow } from "../experiment/schemas.js";

export interface ImportedDataset {
  /** The file name without `.parquet`. */
  dataset: string;
  file: string;
}

/** The imports folder: $ALIGNER_IMPORTS, else `<runs root>/imports`. */
export const importsDir = (): string => process.env.ALIGNER_IMPORTS || join(runsRoot(), "imports");

/** The line `aligner import --out OUT` adds on stderr: how (or that) the dataset reaches the site. */
export function siteHint(out: string, dir: string = importsDir()): string {
  if (out.endsWith(".parquet") && resolve(dirname(out)) === resolve(dir)) {
    return `dataset "${basename(out, ".parquet")}" will appear on the site (Residuals, Imported datasets) at the next build or preview`;
  }
  const there = relative(process.cwd(), join(dir, "NAME.parquet"));
  return `to browse it on the site, import with --out ${there.startsWith("..") ? join(dir, "NAME.parquet") : there} (the folder is $ALIGNER_IMPORTS, default runs/imports/)`;
}

/** The datasets in `dir`, by name; none when the folder does not exist. Hidden files are skipped. */
export function listImports(dir: string = importsDir()): ImportedDataset[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".parquet") && !f.startsWith("."))
    .sort()
    .map((f) => ({ dataset: basename(f, ".parquet"), file: join(dir, f) }));
}

/** One dataset's rows as `imported` table rows: copy, D_L, lengths and degenerate flags per row. */
export function measureImported(dataset: string, rows: readonly ImportedRow[]): ImportedTableRow[] {
  return rows.map((r) => {
    const m = describeCorrection(r);
    return {
      dataset,
      id: r.id,
      row: r.row,
      source: r.source,
      generator: r.generator ?? null,
      question: r.question,
      answer: r.answer,
      correction: r.correction,
      copy: m.copy,
      dl: m.dl,
      answer_tokens: m.answer_tokens,
      correction_tokens: m.correction_tokens,
      answer_chars: m.answer_chars,
      correction_chars: m.correction_chars,
      length_change: m.correction_tokens - m.answer_tokens,
      degenerate: m.degenerate.join(","),
    };
  });
}

/** Every dataset in `dir` as `imported` rows (read through the import module's Parquet reader). */
export async function importedRows(dir: string = importsDir(), log: Logger = silentLogger): Promise<ImportedTableRow[]> {
  const out: ImportedTableRow[] = [];
  for (const { dataset, file } of listImports(dir)) {
    const rows = measureImported(dataset, await readImport(file));
    log.info(`${dataset}: ${rows.length} rows from ${file}`);
    out.push(...rows);
  }
  if (out.length === 0) log.info(`no imported datasets in ${dir} (aligner import FILE --out ${join(dir, "NAME.parquet")} adds one)`);
  return out;
}

/** The `imported` site table as Arrow IPC stream bytes (0 rows, same schema, when nothing is imported). */
export async function importedTable(dir: string = importsDir(), log: Logger = silentLogger): Promise<Uint8Array> {
  return toArrowStream("imported", await importedRows(dir, log), IMPORTED);
}
