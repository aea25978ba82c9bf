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
import { basename } from "node:path";
import { describeCorrection, summarizeMeasures, type CorrectionMeasures, type DatasetMetrics } from "../experiment/metrics.js";
import { writeParquetBatches, type Schema } from "./format.js";
import { formatOf, ImportError, kindOf, textRows, whereIs, type ImportFormat, type RawRow } from "./import-read.js";
import { maxInflated, openSource, readBytes, readLines } from "./import-source.js";
import { parquetRows } from "./import-parquet.js";
import { checkOut } from "./import-out.js";

export { ImportError, type ImportFormat };

export type ImportField = "question" | "answer" | "correction" | "id" | "generator";
/** Which input column feeds each field; unmapped fields come from the detected schema. */
export type ImportMap = Partial<Record<ImportField, string>>;

export interface ImportOptions {
  format?: "auto" | ImportFormat; // default "auto": from the extension after stripping .gz/.xz
  map?: ImportMap;
  /** The most bytes a .gz/.xz input may inflate to (default $ALIGNER_MAX_INFLATED, else 512 MiB). */
  maxInflated?: number;
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
  const out: ImportedRow[] = [];
  for await (const batch of (await _import(file, options)).batches()) for (const { row } of batch) out.push(row);
  return out;
}

/**
 * Imports `file` and writes the rows to `out` as Parquet, streamed (memory stays bounded whatever the
 * row count) and atomically (a failure leaves no file). `out` must end in .parquet and may not be the
 * input itself, under any path or link.
 */
export async function writeImport(file: string, out: string, options: ImportOptions = {}): Promise<ImportSummary> {
  checkOut(file, out);
  const { format, schema, columns, batches } = await _import(file, options);
  async function* rows() {
    for await (const batch of batches()) yield batch.map(({ row: r }) => ({ ...r, generator: r.generator ?? null }));
  }
  let n: number;
  try {
    n = await writeParquetBatches(out, "import", rows(), IMPORT_SCHEMA);
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(`${out}: cannot write it (${(error as Error).message.split("\n")[0]})`);
  }
  return { rows: n, out, format, schema, columns };
}

/**
 * Reads back a Parquet file `writeImport` wrote, keeping each row's `source` and `row` (the input
 * file's name and row) where the file has them; any other Parquet of question/answer/correction
 * columns reads as `importDataset` reads it.
 */
export async function readImport(file: string): Promise<ImportedRow[]> {
  const out: ImportedRow[] = [];
  for await (const batch of (await _import(file, { format: "parquet" })).batches()) {
    for (const { row: r, values } of batch) {
      const { source, row } = values;
      out.push({
        ...r,
        ...(typeof source === "string" && source !== "" ? { source } : {}),
        ...(Number.isInteger(row) ? { row: row as number } : {}),
      });
    }
  }
  return out;
}

/** What `aligner metrics FILE` prints: `describeCorrections` over the imported rows, streamed. */
export async function describeFile(file: string, options: ImportOptions = {}): Promise<DatasetMetrics> {
  const measures: CorrectionMeasures[] = [];
  for await (const batch of (await _import(file, options)).batches()) for (const { row } of batch) measures.push(describeCorrection(row));
  return summarizeMeasures(measures);
}

type Batch = { row: ImportedRow; values: Record<string, unknown> }[];

/**
 * Opens `file` and resolves its columns. Text formats take two passes, as reading it whole did: the
 * first checks the syntax and gathers the columns (the union of every row's keys), the second maps
 * and checks the values; so a syntax error anywhere is reported before a value error.
 */
async function _import(file: string, options: ImportOptions) {
  const format = options.format ?? "auto";
  if (!(FORMATS as readonly string[]).includes(format))
    throw new ImportError(`${file}: unknown format "${format}" (formats: ${FORMATS.join(", ")})`);
  for (const key of Object.keys(options.map ?? {})) {
    if (!FIELDS.includes(key as ImportField)) throw new ImportError(`${file}: map: unknown field "${key}" (fields: ${FIELDS.join(", ")})`);
  }
  const source = openSource(file, maxInflated(options.maxInflated));
  const wanted = format === "auto" ? formatOf(file, source.name) : format;
  const found: { format?: ImportFormat; columns?: string[] } = {};
  let first: RawRow[] | undefined;
  let raw: () => AsyncGenerator<RawRow[]>;
  if (wanted === "parquet") {
    const rows = parquetRows(source, found);
    first = (await rows.next()).value ?? [];
    raw = async function* () {
      yield first!;
      yield* rows;
    };
    found.format = "parquet";
  } else {
    const text = () => textRows(file, wanted, format === "auto", readLines(file, readBytes(source), wanted === "jsonl"), found);
    const seen = new Set<string>();
    for await (const batch of text()) for (const r of batch) for (const key in r.values) seen.add(key);
    found.columns = [...seen];
    raw = text;
  }
  const { schema, columns } = _resolveColumns(file, found.columns!, options.map ?? {});
  const toRow = _rowMaker(file, columns);
  async function* batches(): AsyncGenerator<Batch> {
    for await (const batch of raw()) yield batch.map((r) => ({ row: toRow(r), values: r.values }));
  }
  return { format: found.format!, schema, columns, batches };
}

function _resolveColumns(file: string, names: readonly string[], map: ImportMap): { schema: string; columns: ImportMap } {
  const has = new Set(names);
  const list = names.map((c) => JSON.stringify(c)).join(", ");
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

/** Maps one raw row to an `ImportedRow`, checking every value; ids must be unique across calls. */
function _rowMaker(file: string, columns: ImportMap): (raw: RawRow) => ImportedRow {
  const source = basename(file);
  const firstRow = new Map<string, number>();
  return ({ values, row, line }) => {
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
      const lone = LONE_SURROGATE.exec(v);
      if (lone)
        return fail(
          field,
          `contains a lone surrogate \\u${lone[0].charCodeAt(0).toString(16)} at position ${lone.index} (not valid Unicode)`,
        );
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
  };
}

/** A UTF-16 surrogate without its pair (JSON's "\\ud800" escape can make one): not text, and Parquet would turn it into U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
