/**
 * Import: (question, answer, correction) rows from the files people have — aligner-20K's
 * `train.jsonl.xz`, `template-dataset.json`, AlpacaEval's `model_outputs.json`, or any JSON array,
 * JSONL, CSV or Parquet, plain or .gz/.xz — into one row type. A bad file fails with an `ImportError`
 * naming the file, the 1-based row (and line, for text formats) and the field, and nothing is written.
 *
 * Value rules: question and answer must be non-empty text; the correction may be empty (an empty
 * correction is a real, degenerate corrector output that `describeCorrections` counts as "empty");
 * no text may contain a NUL character; ids (a mapped or `id` column, else `row-N`) must be unique.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { describeCorrections, type DatasetMetrics } from "../experiment/metrics.js";
import { writeParquet, type Schema } from "./format.js";
import { decompress, formatOf, ImportError, kindOf, readTable, whereIs, type ImportFormat, type RawTable } from "./import-read.js";

export { ImportError, type ImportFormat };

export type ImportField = "question" | "answer" | "correction" | "id" | "generator";
/** Which input column feeds each field; unmapped fields come from the detected schema. */
export type ImportMap = Partial<Record<ImportField, string>>;

export interface ImportOptions {
  format?: "auto" | ImportFormat; // default "auto": from the extension after stripping .gz/.xz
  map?: ImportMap;
}

export interface ImportedRow {
  id: string;
  question: string;
  answer: string;
  correction: string;
  /** The input file's basename. */
  source: string;
  /** 1-based row in the input (data rows only: a CSV header is not a row). */
  row: number;
  /** The run that produced the row, when the input has a generator column (AlpacaEval does). */
  generator?: string;
}

export interface ImportSummary {
  rows: number;
  out: string;
  format: ImportFormat;
  schema: string;
  columns: ImportMap;
}

const FORMATS = ["auto", "json", "jsonl", "csv", "parquet"] as const;
const FIELDS: readonly ImportField[] = ["question", "answer", "correction", "id", "generator"];

/** Known schemas, by column names; the one matching most of question/answer/correction wins. */
const SCHEMAS: { name: string; columns: Record<ImportField, string> }[] = [
  // aligner-20K, the released template-dataset.json, and this workbench's own imports
  { name: "aligner", columns: { question: "question", answer: "answer", correction: "correction", id: "id", generator: "generator" } },
  // AlpacaEval results/<run>/model_outputs.json
  {
    name: "alpaca_eval",
    columns: { question: "instruction", answer: "original_output", correction: "output", id: "id", generator: "generator" },
  },
];

/** The Parquet schema `writeImport` writes. */
export const IMPORT_SCHEMA: Schema = {
  id: "string",
  question: "string",
  answer: "string",
  correction: "string",
  source: "string",
  row: "int",
  generator: "string",
};

/** Parses `question=instruction,answer=original_output` (one string or several) into a map. */
export function parseMap(spec: string | readonly string[] | undefined): ImportMap {
  const map: ImportMap = {};
  for (const part of [spec ?? []].flat().flatMap((s) => s.split(","))) {
    const at = part.indexOf("=");
    const field = part.slice(0, at).trim() as ImportField;
    if (at < 1 || at === part.length - 1) throw new ImportError(`--map "${part}": expected FIELD=COLUMN`);
    if (!FIELDS.includes(field)) throw new ImportError(`--map "${part}": unknown field "${field}" (fields: ${FIELDS.join(", ")})`);
    map[field] = part.slice(at + 1).trim();
  }
  return map;
}

/** Reads a dataset file into rows; throws `ImportError` on anything malformed. */
export async function importDataset(file: string, options: ImportOptions = {}): Promise<ImportedRow[]> {
  return (await _import(file, options)).rows;
}

/** Imports `file` and writes the rows to `out` as Parquet (atomically: a failure leaves no file). */
export async function writeImport(file: string, out: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const { rows, format, schema, columns } = await _import(file, options);
  mkdirSync(dirname(out), { recursive: true });
  await writeParquet(
    out,
    "import",
    rows.map((r) => ({ ...r, generator: r.generator ?? null })),
    IMPORT_SCHEMA,
  );
  return { rows: rows.length, out, format, schema, columns };
}

/**
 * Reads back a Parquet file `writeImport` wrote, keeping each row's `source` and `row` (the input
 * file's name and row) where the file has them; any other Parquet of question/answer/correction
 * columns reads as `importDataset` reads it.
 */
export async function readImport(file: string): Promise<ImportedRow[]> {
  const { rows, table } = await _import(file, { format: "parquet" });
  return rows.map((r, k) => {
    const { source, row } = table.rows[k]!.values;
    return {
      ...r,
      ...(typeof source === "string" && source !== "" ? { source } : {}),
      ...(Number.isInteger(row) ? { row: row as number } : {}),
    };
  });
}

/** What `aligner metrics FILE` prints: `describeCorrections` over the imported rows. */
export async function describeFile(file: string, options: ImportOptions = {}): Promise<DatasetMetrics> {
  return describeCorrections(await importDataset(file, options));
}

async function _import(file: string, options: ImportOptions) {
  const format = options.format ?? "auto";
  if (!(FORMATS as readonly string[]).includes(format))
    throw new ImportError(`${file}: unknown format "${format}" (formats: ${FORMATS.join(", ")})`);
  for (const key of Object.keys(options.map ?? {})) {
    if (!FIELDS.includes(key as ImportField)) throw new ImportError(`${file}: map: unknown field "${key}" (fields: ${FIELDS.join(", ")})`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ImportError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const { name, bytes: plain } = decompress(file, bytes);
  const table = await readTable(file, plain, format === "auto" ? formatOf(file, name) : format, format === "auto");
  const { schema, columns } = _resolveColumns(file, table, options.map ?? {});
  return { rows: _rows(file, table, columns), format: table.format, schema, columns, table };
}

function _resolveColumns(file: string, table: RawTable, map: ImportMap): { schema: string; columns: ImportMap } {
  const has = new Set(table.columns);
  const list = table.columns.map((c) => JSON.stringify(c)).join(", ");
  for (const [field, column] of Object.entries(map)) {
    if (!has.has(column)) throw new ImportError(`${file}: --map ${field}=${column}: no column "${column}" in the file (columns: ${list})`);
  }
  const score = (s: (typeof SCHEMAS)[number]) =>
    (["question", "answer", "correction"] as const).filter((f) => has.has(map[f] ?? s.columns[f])).length;
  const best = SCHEMAS.reduce((a, b) => (score(b) > score(a) ? b : a));
  const columns: ImportMap = {};
  for (const field of FIELDS) {
    const column = map[field] ?? best.columns[field];
    if (has.has(column)) columns[field] = column;
    else if (field !== "id" && field !== "generator") {
      throw new ImportError(
        `${file}: field "${field}": no column "${column}" (columns: ${list}); known schemas: ` +
          `${SCHEMAS.map((s) => `${s.name} (${s.columns.question}, ${s.columns.answer}, ${s.columns.correction})`).join(", ")}; ` +
          `or pass --map ${field}=COLUMN`,
      );
    }
  }
  return { schema: Object.keys(map).length ? `${best.name}+map` : best.name, columns };
}

function _rows(file: string, table: RawTable, columns: ImportMap): ImportedRow[] {
  const source = basename(file);
  const firstRow = new Map<string, number>();
  return table.rows.map(({ values, row, line }) => {
    const fail = (field: ImportField, problem: string): never => {
      const column = columns[field] === field ? "" : ` (column "${columns[field]}")`;
      throw new ImportError(`${file}: ${whereIs(row, line)}, field "${field}"${column}: ${problem}`);
    };
    const text = (field: ImportField, { empty = false, optional = false } = {}): string | undefined => {
      const column = columns[field];
      const v = column === undefined ? undefined : values[column];
      if (optional && (v === undefined || v === null)) return undefined;
      if (v === undefined) return fail(field, "missing");
      if (typeof v !== "string") return fail(field, `expected text, got ${kindOf(v)}`);
      if (!empty && v.trim() === "") return fail(field, "empty");
      const nul = v.indexOf("\0");
      if (nul >= 0) return fail(field, `contains a NUL character at position ${nul}`);
      return v;
    };
    let id = `row-${row}`;
    if (columns.id !== undefined) {
      const v = values[columns.id];
      if ((typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint") id = String(v);
      else id = text("id")!;
      const previous = firstRow.get(id);
      if (previous !== undefined) fail("id", `duplicate id ${JSON.stringify(id)} (first at row ${previous})`);
      firstRow.set(id, row);
    }
    const out: ImportedRow = {
      id,
      question: text("question")!,
      answer: text("answer")!,
      correction: text("correction", { empty: true })!,
      source,
      row,
    };
    const generator = text("generator", { optional: true, empty: true });
    if (generator !== undefined) out.generator = generator;
    return out;
  });
}
